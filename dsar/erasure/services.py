"""Erasure: a task per asset holding personal data, each confirmed by that asset's reviewer.

Confirming is the reviewer's word that the subject's data may go from their
system: a connector task then runs the connector's ``erase`` in Celery, a
manual task is the reviewer's statement that they erased it by hand. A legal
hold (a reason the data must stay) is recorded as the task's exception. Once
every task is erased or held, the handler completes the request and the
subject is mailed the completion record, system by system.

Who confirms: a reviewer of the asset (``portal.review_dataasset`` on it);
for an asset without an active reviewer, a privacy officer. A hold may also
be recorded by whoever works the request.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from dsar.connectors.base import connector_for
from dsar.models import MAX_REASON, ErasureRecord, Request, Task
from dsar.services.collection import subject_of
from dsar.services.common import CHANGE, VIEW, bounded_text, lock, record
from portal import notifications, permissions
from portal.errors import Conflict, Forbidden, NotFound
from portal.models import DataAsset
from portal.selectors import asset_reviewers, with_reviewers

REVIEW = "portal.review_dataasset"
MAX_ERROR = 1000
STARTABLE = (Request.Status.VERIFIED, Request.Status.REVIEW)


def may_confirm(user, asset: DataAsset) -> bool:
    """A reviewer of the asset; a privacy officer where the asset has no active reviewer to ask."""
    return asset.pk in confirmable(user, [asset])


def confirmable(user, assets: list[DataAsset]) -> set[int]:
    """Ids of the ``assets`` whose erasure ``user`` may confirm (one query, two without prefetched reviewers)."""
    ids = [a.pk for a in assets]
    mine = set(permissions.visible(user, REVIEW, DataAsset.objects.filter(pk__in=ids)).values_list("pk", flat=True))
    if permissions.is_privacy_officer(user):
        mine |= {a.pk for a in assets if not any(u.is_active for u in asset_reviewers(a))}
    return mine


def erasure_tasks(*, user) -> QuerySet[Task]:
    """Erasure tasks ``user`` may see: on assets they review, or of requests they may see."""
    tasks = Task.objects.filter(kind=Task.Kind.ERASE).select_related("request", "asset", "confirmed_by")
    reviewed = permissions.visible(user, REVIEW, DataAsset.objects.all()).values("pk")
    requests = permissions.visible(user, VIEW, Request.objects.all()).values("pk")
    return tasks.filter(Q(asset__in=reviewed) | Q(request__in=requests))


def erasure_task_get(*, user, pk) -> Task:
    return permissions.get_visible(erasure_tasks(user=user), pk)


def _lock_task(task: Task) -> tuple[Request, Task]:
    request = lock(task.request)
    locked = Task.objects.select_for_update().filter(pk=task.pk, kind=Task.Kind.ERASE).first()
    if locked is None:
        raise NotFound()
    return request, Task.objects.select_related("asset").get(pk=locked.pk)


@transaction.atomic
def erasure_start(*, actor, request: Request) -> list[Task]:
    """One erasure task per asset holding personal data; each asset's reviewers are mailed to confirm."""
    request = lock(request)
    permissions.require(actor, CHANGE, request)
    if request.type != Request.Type.ERASURE:
        raise Conflict("Only an erasure request erases data.")
    if request.verified_at is None:
        raise Conflict("Nothing is erased before the subject's identity is verified.")
    if request.status not in STARTABLE:
        raise Conflict(f"The request is {request.get_status_display().lower()}: erasure starts once it is verified.")
    if request.tasks.filter(kind=Task.Kind.ERASE).exists():
        raise Conflict("Erasure has already started.")
    assets = list(with_reviewers(DataAsset.objects.filter(holds_personal_data=True).order_by("name")))
    tasks = Task.objects.bulk_create(
        Task(
            request=request,
            asset=asset,
            kind=Task.Kind.ERASE,
            method=Task.Method.CONNECTOR if connector_for(asset) is not None else Task.Method.MANUAL,
        )
        for asset in assets
    )
    request.status = Request.Status.REVIEW
    request.save(update_fields=["status"])
    record(request=request, actor=actor, action="dsar.erasure.started", details={"tasks": len(tasks)})
    for task, asset in zip(tasks, assets, strict=True):
        notifications.notify(
            key=f"dsar-erase:{task.pk}",
            to=[u for u in asset_reviewers(asset) if u.is_active] or list(permissions.role_members("privacy-officers")),
            template="dsar/erasure_task",
            context={"task_id": task.pk, "reference": request.reference, "asset": asset.name},
        )
    return tasks


def _open(request: Request, task: Task) -> None:
    if request.status != Request.Status.REVIEW:
        raise Conflict(f"The request is {request.get_status_display().lower()}.")
    if task.status not in (Task.Status.PENDING, Task.Status.FAILED):
        raise Conflict(f"This erasure task is already {task.get_status_display().lower()}.")


@transaction.atomic
def erasure_confirm(*, actor, task: Task) -> Task:
    """The asset's reviewer confirms the erasure: a connector runs it; a manual task is done by their word."""
    request, task = _lock_task(task)
    if not may_confirm(actor, task.asset):
        raise Forbidden(f"Only a reviewer of {task.asset} confirms its erasure.")
    _open(request, task)
    now = timezone.now()
    task.confirmed_by, task.confirmed_at, task.error = actor, now, ""
    if task.method == Task.Method.CONNECTOR:
        task.status, task.started_at = Task.Status.RUNNING, now
    else:
        task.status, task.done_by, task.started_at, task.finished_at = Task.Status.DONE, actor, now, now
    task.save(update_fields=["confirmed_by", "confirmed_at", "error", "status", "done_by", "started_at", "finished_at"])
    record(
        request=request,
        actor=actor,
        action="dsar.erasure.confirmed",
        details={"task": task.pk, "asset": task.asset.name, "method": task.method},
    )
    if task.method == Task.Method.CONNECTOR:
        from dsar.erasure.tasks import erase_task

        transaction.on_commit(lambda: erase_task.delay(task_id=task.pk))
    return task


def erasure_execute(*, task_id: int) -> Task | None:
    """Run a confirmed connector task's ``erase`` (the Celery job). A task not running is left alone."""
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("request", "asset").filter(pk=task_id).first()
        if task is None or task.kind != Task.Kind.ERASE or task.status != Task.Status.RUNNING:
            return None
    connector = connector_for(task.asset)
    try:
        if connector is None:
            raise RuntimeError("No connector for this asset any more: erase by hand and confirm again.")
        # The connector erases in its own transaction; erasing again finds nothing, so a retry is harmless.
        result = connector.erase(subject_of(task.request))
    except Exception as exc:  # recorded on the task for the reviewer to act on
        with transaction.atomic():
            request = lock(task.request)
            task = Task.objects.select_for_update().get(pk=task.pk)
            task.status, task.error, task.finished_at = Task.Status.FAILED, str(exc)[:MAX_ERROR], timezone.now()
            task.save(update_fields=["status", "error", "finished_at"])
            record(
                request=request,
                actor=None,
                action="dsar.erasure.failed",
                details={"task": task.pk, "error": task.error},
            )
        return task
    with transaction.atomic():
        request = lock(task.request)
        task = Task.objects.select_for_update().get(pk=task.pk)
        task.status, task.found, task.finished_at = Task.Status.DONE, result.total, timezone.now()
        task.save(update_fields=["status", "found", "finished_at"])
        record(
            request=request,
            actor=None,
            action="dsar.erasure.erased",
            details={"task": task.pk, "asset": task.asset.name, "counts": result.counts},
        )
    return task


@transaction.atomic
def erasure_hold(*, actor, task: Task, reason: str) -> Task:
    """A legal hold: this asset's data stays, for ``reason``; the task ends as an exception."""
    request, task = _lock_task(task)
    if not (may_confirm(actor, task.asset) or permissions.has(actor, CHANGE, request)):
        raise Forbidden(f"Only a reviewer of {task.asset} or the request's handler records a hold.")
    reason = bounded_text(reason, "reason", MAX_REASON, required=True, message="Give the legal reason to keep it.")
    _open(request, task)
    now = timezone.now()
    task.status, task.hold_reason, task.confirmed_by, task.confirmed_at, task.finished_at = (
        Task.Status.EXCEPTION,
        reason,
        actor,
        now,
        now,
    )
    task.save(update_fields=["status", "hold_reason", "confirmed_by", "confirmed_at", "finished_at"])
    record(
        request=request,
        actor=actor,
        action="dsar.erasure.held",
        details={"task": task.pk, "asset": task.asset.name, "reason": reason},
    )
    return task


def _outcome(task: Task) -> dict:
    if task.status == Task.Status.EXCEPTION:
        return {"system": task.asset.name, "outcome": "kept", "reason": task.hold_reason, "erased": 0}
    return {"system": task.asset.name, "outcome": "erased", "reason": "", "erased": task.found}


@transaction.atomic
def erasure_complete(*, actor, request: Request) -> ErasureRecord:
    """Every task erased or held: the completion record is stored and mailed to the subject's verified address."""
    request = lock(request)
    permissions.require(actor, CHANGE, request)
    if request.type != Request.Type.ERASURE or request.status != Request.Status.REVIEW:
        raise Conflict("Only an erasure request in review is completed.")
    tasks = list(request.tasks.filter(kind=Task.Kind.ERASE).select_related("asset").order_by("asset__name", "pk"))
    if not tasks:
        raise Conflict("Erasure has not started.")
    waiting = [t.asset.name for t in tasks if not t.is_finished]
    if waiting:
        raise Conflict(f"Still waiting for: {', '.join(waiting)}.")
    systems = [_outcome(t) for t in tasks]
    done = ErasureRecord.objects.create(request=request, completed_by=actor, systems=systems, sent_to=request.email)
    request.status = Request.Status.DELIVERED
    request.save(update_fields=["status"])
    record(request=request, actor=actor, action="dsar.erasure.completed", details={"systems": systems})
    notifications.notify(
        key=f"dsar-erasure-complete:{request.pk}",
        to=[request.email],
        template="dsar/erasure_complete",
        context={"reference": request.reference, "systems": systems, "completed": f"{timezone.localdate():%d %B %Y}"},
    )
    return done
