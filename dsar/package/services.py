"""Building a request's package, taking a foreign item out, and the four-eyes release.

Statuses: the package is built while the request is in ``review`` (any number
of times: a new build supersedes the last, whose file goes); a second person,
not its builder, approves it and the request becomes ``ready``; sending the
link (``dsar.delivery``) makes it ``delivered``. The subject-match guard runs
before the build, again when the build is stored, at approval and at sending.

A build is asked for in one short transaction (:func:`package_build`) and the
ZIP is written outside it: at once for a small package, by a Celery task
(:func:`package_assemble`) for a large one (a 10,000-item, 200 MB package takes
seconds), while the request page shows its progress.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from dsar.models import MAX_REASON, Item, Package, Request
from dsar.package import guard
from dsar.package.assemble import assemble, sweep_leftovers
from dsar.services.common import CHANGE, bounded_text, lock, record
from portal import permissions
from portal.errors import Conflict, Forbidden, NotFound

BUILDABLE = (Request.Type.ACCESS, Request.Type.PORTABILITY)

# Up to these the ZIP is written inside the request that asks for it (under a second); above, a Celery task
# writes it and the request page shows the progress, as a campaign launch does (LAUNCH_INLINE_MAX).
INLINE_MAX_ITEMS = 1_000
INLINE_MAX_BYTES = 8 * 1024 * 1024
# A build still running after this long has lost its task (retries spent, a broker lost): it may be started anew.
BUILD_STALE_AFTER = timedelta(minutes=30)
ALREADY_BUILDING = "The package is already being built: wait for it to finish."


def current(request: Request, *, for_update: bool = False, manifest: bool = True) -> Package | None:
    """The request's package (``manifest=False`` leaves out its manifest: a row per item, megabytes)."""
    qs = Package.objects.current().filter(request=request)
    qs = qs if manifest else qs.defer("manifest")
    return (qs.select_for_update() if for_update else qs).first()


def _buildable(request: Request) -> None:
    if request.type not in BUILDABLE:
        raise Conflict(f"A {request.get_type_display().lower()} request is answered without a package.")
    if request.status != Request.Status.REVIEW:
        raise Conflict(
            f"The request is {request.get_status_display().lower()}: a package is built while it is in review."
        )


def purge_file(package: Package) -> None:
    """Delete a package's file (inside the caller's transaction, as its last step: a rollback only retries)."""
    if package.file.name:
        default_storage.delete(package.file.name)


def package_build(*, actor, request: Request) -> Package:
    """Start the build of the subject's own items (201), or refuse naming the foreign items (409).

    One transaction locks the request and its current package, authorises,
    checks the state and the guard, refuses a build already running (a double
    click: 409), supersedes the previous package, stores the new one as
    ``building`` with the newest item it takes, and audits. The ZIP is then
    written outside that transaction: here for a small package, which comes
    back ``built`` (or a 409 if the build was refused at its end); by
    ``build_package_task`` after the commit for a large one, which comes back
    ``building``.
    """
    with transaction.atomic():
        locked = lock(request)
        permissions.require(actor, CHANGE, locked)
        _buildable(locked)
        guard.check(locked)
        now = timezone.now()
        previous = current(locked, for_update=True, manifest=False)
        if previous is not None and previous.is_building and previous.requested_at > now - BUILD_STALE_AFTER:
            raise Conflict(ALREADY_BUILDING)
        if previous is not None:
            previous.superseded_at = previous.purged_at = now
            previous.purge_reason = "superseded by a new build"
            previous.save(update_fields=["superseded_at", "purged_at", "purge_reason"])
        # The guard passed, so these are all the request's items.
        items = guard.own_items(locked).aggregate(count=Count("pk"), size=Sum("size"), last=Max("pk"))
        inline = items["count"] <= INLINE_MAX_ITEMS and (items["size"] or 0) <= INLINE_MAX_BYTES
        try:
            with transaction.atomic():
                package = Package.objects.create(
                    request=locked,
                    built_by=actor,
                    requested_at=now,
                    built_at=now,
                    items_up_to=items["last"] or 0,
                    items_expected=items["count"],
                )
        except IntegrityError:  # a racing build the lock did not serialise (SQLite): one current package
            raise Conflict(ALREADY_BUILDING) from None
        record(
            request=locked,
            actor=actor,
            action="dsar.package.build_started",
            details={
                "package": package.pk,
                "items": items["count"],
                "file_bytes": items["size"] or 0,
                "in_background": not inline,
                "superseded": previous.pk if previous else None,
            },
        )
        if not inline:
            from dsar.package.tasks import build_package_task

            transaction.on_commit(lambda: build_package_task.delay(package_id=package.pk))
        if previous is not None:
            purge_file(previous)
    if inline:
        package = package_assemble(package_id=package.pk) or package
        if package.state == Package.State.FAILED:
            raise Conflict(package.build_error)
    return package


def _refusal(request: Request, package: Package) -> str:
    """Why a finished ZIP may not be stored (the request left review, a foreign item or a late one came), or ''."""
    try:
        _buildable(request)
        guard.check(request)
    except Conflict as refused:
        return refused.message
    if guard.own_items(request).filter(pk__gt=package.items_up_to).exists():
        return "Items arrived while the package was being built: build it again."
    return ""


def package_assemble(*, package_id: int) -> Package | None:
    """Write the ZIP of a ``building`` package and store it: what ``build_package_task`` runs. Safe to run twice.

    A package that is no longer building (stored by an earlier delivery of the
    task, superseded, failed) is left as it is, so a task redelivered after a
    crash builds it again or finds it done, and one running beside another
    stores nothing twice: the first to store wins, the other deletes its file.
    A refusal found at the end marks the package failed with the reason the
    request page shows; any other error propagates, for the task to retry.
    """
    package = Package.objects.select_related("request").filter(pk=package_id).first()
    if package is None or not package.is_building or package.superseded_at is not None:
        return package
    if reason := _refusal(package.request, package):
        return package_build_failed(package_id=package_id, error=reason)
    built_at = timezone.now()

    def progress(done: int) -> None:
        Package.objects.filter(pk=package_id, state=Package.State.BUILDING).update(items_done=done)

    name, built = assemble(
        request=package.request,
        package_id=package_id,
        up_to=package.items_up_to,
        built_at=built_at,
        progress=progress,
    )
    stored = False
    try:
        with transaction.atomic():
            request = lock(package.request)
            package = Package.objects.select_for_update().get(pk=package_id)
            if not package.is_building or package.superseded_at is not None:
                return package
            if reason := _refusal(request, package):
                return _fail(request, package, reason)
            package.state, package.built_at, package.file = Package.State.BUILT, built_at, name
            package.size, package.sha256, package.manifest = built.size, built.sha256, built.manifest
            package.sources = built.manifest["sources"]
            package.item_count = package.items_done = len(built.manifest["items"])
            package.save(
                update_fields=[
                    "state",
                    "built_at",
                    "file",
                    "size",
                    "sha256",
                    "manifest",
                    "sources",
                    "item_count",
                    "items_done",
                ]
            )
            record(
                request=request,
                actor=None,
                action="dsar.package.built",
                details={
                    "package": package.pk,
                    "built_by": package.built_by_id,
                    "items": package.item_count,
                    "size": package.size,
                    "sha256": package.sha256,
                    "sources": built.manifest["sources"],
                },
            )
            sweep_leftovers(request, package_id, keep=name)  # the last step: a rollback only leaves them
            stored = True
    finally:
        if not stored:
            default_storage.delete(name)
    return package


@transaction.atomic(savepoint=False)
def _fail(request: Request, package: Package, error: str) -> Package:
    package.state, package.build_error = Package.State.FAILED, error[:MAX_REASON]
    package.save(update_fields=["state", "build_error"])
    record(
        request=request,
        actor=None,
        action="dsar.package.build_failed",
        details={"package": package.pk, "built_by": package.built_by_id, "error": package.build_error},
    )
    return package


@transaction.atomic
def package_build_failed(*, package_id: int, error: str) -> Package | None:
    """Mark a build that cannot finish as failed, with why (the request page offers to build again)."""
    package = Package.objects.filter(pk=package_id).first()
    if package is None:
        return None
    request = lock(package.request)
    package = Package.objects.select_for_update().get(pk=package_id)
    if not package.is_building or package.superseded_at is not None:
        return package
    return _fail(request, package, error)


@transaction.atomic
def item_discard(*, actor, item: Item, reason: str) -> None:
    """Take an item out of a request in review (e.g. one the guard named), deleting its copy; audited."""
    request = lock(item.request)
    permissions.require(actor, CHANGE, request)
    reason = bounded_text(reason, "reason", MAX_REASON, required=True, message="Say why the item goes.")
    if request.status != Request.Status.REVIEW:
        raise Conflict("Items are taken out only while the request is in review.")
    locked = Item.objects.select_for_update().select_related("asset").filter(pk=item.pk, request=request).first()
    if locked is None:
        raise NotFound()
    item = locked
    details = {
        "item": item.pk,
        "asset": item.asset.name,
        "source": item.source,
        "name": item.name,
        "subject_identifier": item.subject_identifier,
        "reason": reason,
    }
    file_name = item.file.name
    item.delete()
    record(request=request, actor=actor, action="dsar.item.discarded", details=details)
    if file_name:
        default_storage.delete(file_name)


@transaction.atomic
def package_approve(*, actor, request: Request) -> Package:
    """Four eyes: anyone who may change the request, except whoever built the package (403), approves it once."""
    request = lock(request)
    permissions.require(actor, CHANGE, request)
    package = current(request, for_update=True)
    if package is None:
        raise Conflict("There is no package to approve: build it first.")
    if package.built_by_id == actor.pk:
        raise Forbidden("You built this package: a second person must approve it.")
    if package.is_building:
        raise Conflict("The package is still being built: approve it once it is ready.")
    if package.state == Package.State.FAILED:
        raise Conflict(f"The build failed ({package.build_error}): build it again.")
    if package.is_approved:
        raise Conflict(f"The package was already approved by {package.approved_by} on {package.approved_at:%Y-%m-%d}.")
    if request.status != Request.Status.REVIEW:
        raise Conflict(f"The request is {request.get_status_display().lower()}, not in review.")
    if package.is_purged or not default_storage.exists(package.file.name or ""):
        raise Conflict("The package's file is gone: build it again.")
    guard.check(request)
    package.approved_by, package.approved_at = actor, timezone.now()
    package.save(update_fields=["approved_by", "approved_at"])
    request.status = Request.Status.READY
    request.save(update_fields=["status"])
    record(
        request=request,
        actor=actor,
        action="dsar.package.approved",
        details={"package": package.pk, "built_by": package.built_by_id, "sha256": package.sha256},
    )
    return package
