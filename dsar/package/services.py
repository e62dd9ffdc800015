"""Building a request's package, taking a foreign item out, and the four-eyes release.

Statuses: the package is built while the request is in ``review`` (any number
of times: a new build supersedes the last, whose file goes); a second person,
not its builder, approves it and the request becomes ``ready``; sending the
link (``dsar.delivery``) makes it ``delivered``. The subject-match guard runs
before the build, again when the build is stored, at approval and at sending.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from dsar.models import MAX_REASON, Item, Package, Request
from dsar.package import guard
from dsar.package.assemble import assemble
from dsar.services.common import CHANGE, bounded_text, lock, record
from portal import permissions
from portal.errors import Conflict, Forbidden, NotFound

BUILDABLE = (Request.Type.ACCESS, Request.Type.PORTABILITY)


def current(request: Request, *, for_update: bool = False) -> Package | None:
    qs = Package.objects.current().filter(request=request)
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
    """Assemble the ZIP of the subject's own items (201), or refuse naming the foreign items (409).

    Three steps so the ZIP is not written inside a transaction that locks the
    request: check (lock, authorise, state, guard), stream the archive to private
    storage, then store it after checking again: an item added meanwhile that
    belongs to another subject refuses the build, one of the subject's asks for
    a rebuild, so what is approved is what was collected.
    """
    with transaction.atomic():
        locked = lock(request)
        permissions.require(actor, CHANGE, locked)
        _buildable(locked)
        guard.check(locked)
        up_to = Item.objects.filter(request=locked).aggregate(last=Max("pk"))["last"] or 0
    built_at = timezone.now()
    name, built = assemble(request=locked, up_to=up_to, built_at=built_at)
    try:
        with transaction.atomic():
            locked = lock(request)
            permissions.require(actor, CHANGE, locked)
            _buildable(locked)
            guard.check(locked)
            if guard.own_items(locked).filter(pk__gt=up_to).exists():
                raise Conflict("Items arrived while the package was being built: build it again.")
            previous = current(locked, for_update=True)
            if previous is not None:
                previous.superseded_at = previous.purged_at = timezone.now()
                previous.purge_reason = "superseded by a new build"
                previous.save(update_fields=["superseded_at", "purged_at", "purge_reason"])
            package = Package.objects.create(
                request=locked,
                built_by=actor,
                built_at=built_at,
                file=name,
                size=built.size,
                sha256=built.sha256,
                item_count=len(built.manifest["items"]),
                manifest=built.manifest,
            )
            record(
                request=locked,
                actor=actor,
                action="dsar.package.built",
                details={
                    "package": package.pk,
                    "items": package.item_count,
                    "size": package.size,
                    "sha256": package.sha256,
                    "sources": built.manifest["sources"],
                    "superseded": previous.pk if previous else None,
                },
            )
            if previous is not None:
                purge_file(previous)
    except BaseException:
        default_storage.delete(name)
        raise
    return package


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
