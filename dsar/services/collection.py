"""Collecting the subject's data: one task per asset holding personal data, run by its connector in Celery
or completed by a handler uploading files. Every item keeps the identifier it was found under.

Nothing is collected before the request is verified. The request moves from
collecting to review once every task is done.

A worker can die mid-collection (SIGKILL, out of memory). Its task would stay "running" for good, so
the worker holds the task's row lock for as long as it collects: "running" with nobody holding the
row means its worker is gone. Such a task is taken over by the redelivered message (late acks) or,
whichever comes first, queued again by the sweep (:func:`collection_resume`); it starts from nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from dsar.connectors.base import CollectedItem, Subject, connector_for
from dsar.models import Item, Request, Task
from dsar.services.common import CHANGE, lock, record
from portal import permissions
from portal.errors import Conflict, ValidationError
from portal.models import DataAsset

BATCH = 500  # items per INSERT
MAX_FILES = 20  # per upload
MAX_ERROR = 1000
# A connector task running this long with its row not held by a worker is queued again by the sweep.
# Long enough for a live worker to get from its claim to its lock; a live worker is never disturbed.
RESUME_AFTER = timedelta(minutes=10)


def subject_of(request: Request) -> Subject:
    return Subject(email=request.email, customer_id=request.customer_id)


@transaction.atomic
def collection_start(*, actor, request: Request) -> list[Task]:
    """A task per asset holding personal data; connector tasks are queued for Celery once this commits."""
    request = lock(request)
    permissions.require(actor, CHANGE, request)
    if request.verified_at is None:
        raise Conflict("Nothing is collected before the subject's identity is verified.")
    if request.status != Request.Status.VERIFIED:
        raise Conflict(f"The request is {request.get_status_display().lower()}: collection starts once, when verified.")
    assets = list(DataAsset.objects.filter(holds_personal_data=True).order_by("name"))
    tasks = Task.objects.bulk_create(
        Task(
            request=request,
            asset=asset,
            kind=Task.Kind.COLLECT,
            method=Task.Method.CONNECTOR if connector_for(asset) is not None else Task.Method.MANUAL,
        )
        for asset in assets
    )
    request.status = Request.Status.COLLECTING
    request.save(update_fields=["status"])
    record(
        request=request,
        actor=actor,
        action="dsar.request.collection_started",
        details={"tasks": len(tasks), "connector": sum(t.method == Task.Method.CONNECTOR for t in tasks)},
    )
    advance(request)
    connector_ids = [t.pk for t in tasks if t.method == Task.Method.CONNECTOR]
    if connector_ids:
        from dsar.tasks import collect_task

        transaction.on_commit(lambda: [collect_task.delay(task_id=pk) for pk in connector_ids])
    return tasks


@transaction.atomic(savepoint=False)
def advance(request: Request) -> None:
    """Collecting → review when no collection task is left to do (inside the caller's transaction)."""
    if request.status != Request.Status.COLLECTING:
        return
    if request.tasks.filter(kind=Task.Kind.COLLECT).exclude(status__in=Task.FINISHED).exists():
        return
    request.status = Request.Status.REVIEW
    request.save(update_fields=["status"])
    record(request=request, actor=None, action="dsar.request.collected", details={"items": request.items.count()})


def _item(task: Task, collected: CollectedItem) -> Item:
    item = Item(
        request_id=task.request_id,
        task=task,
        asset_id=task.asset_id,
        subject_identifier=collected.subject_identifier[:300],
        source=collected.source[:200],
        kind=collected.kind,
        data=collected.data,
        name=collected.name[:255],
    )
    if collected.content is not None:
        item.kind = Item.Kind.FILE
        item.size = len(collected.content)
        item.sha256 = hashlib.sha256(collected.content).hexdigest()
        item.file.save(_safe_name(collected.name or "file"), ContentFile(collected.content), save=False)
    return item


def _safe_name(name: str) -> str:
    # Keep only the final component: a name from a connector or an uploader never picks the folder.
    base = PurePath(name.replace("\\", "/")).name.strip() or "file"
    return base[-120:]


def store(task: Task, items: Iterable[CollectedItem]) -> int:
    """Write ``items`` in batches (bulk INSERTs) as they stream in; returns how many.

    The stream is closed whatever happens, so a connector's generator releases its connection.
    """
    found, batch = 0, []
    try:
        for collected in items:
            batch.append(_item(task, collected))
            if len(batch) >= BATCH:
                Item.objects.bulk_create(batch)
                found += len(batch)
                batch = []
        if batch:
            Item.objects.bulk_create(batch)
            found += len(batch)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()
    return found


def _claim(task_id: int) -> Task | None:
    with transaction.atomic():
        # SKIP LOCKED: a worker collecting for this task holds its row (task_run) and is left alone.
        task = (
            Task.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("request", "asset")
            .filter(pk=task_id)
            .first()
        )
        if task is None or task.status not in (Task.Status.PENDING, Task.Status.FAILED, Task.Status.RUNNING):
            return None  # done, or a worker is collecting it right now: running twice is harmless
        if task.request.status != Request.Status.COLLECTING:
            return None
        resumed = task.status == Task.Status.RUNNING  # and nobody holds it: its worker died
        task.status, task.started_at, task.error = Task.Status.RUNNING, timezone.now(), ""
        task.save(update_fields=["status", "started_at", "error"])
        if resumed:
            record(
                request=task.request,
                actor=None,
                action="dsar.task.resumed",
                details={"task": task.pk, "asset": task.asset.name},
            )
        return task


def _lock_own(task: Task, claimed_at: datetime | None) -> Task | None:
    """The task's row, locked, if it is still the run we claimed (its start time is our claim's mark)."""
    return (
        Task.objects.select_for_update(of=("self",))
        .select_related("request", "asset")
        .filter(pk=task.pk, status=Task.Status.RUNNING, started_at=claimed_at)
        .first()
    )


def task_run(*, task_id: int) -> Task | None:
    """Run one connector task (the Celery task calls this). Safe to run twice: a finished task is left alone,
    one a live worker is collecting too, and one whose worker died is collected again from nothing."""
    task = _claim(task_id)
    if task is None:
        return None
    claimed_at = task.started_at
    connector = connector_for(task.asset)
    try:
        if connector is None:
            raise RuntimeError("No connector for this asset any more: complete the task by uploading files.")
        with transaction.atomic():
            # Held while collecting: what tells a redelivered message or the sweep that this worker lives.
            if _lock_own(task, claimed_at) is None:
                return None  # taken over between our claim and this lock
            task.items.all().delete()  # a retry starts from nothing, so no item is stored twice
            found = store(task, connector.collect(subject_of(task.request)))
    except Exception as exc:  # any connector failure is recorded on the task, never lost
        with transaction.atomic():
            task = _lock_own(task, claimed_at)
            if task is None:
                return None
            task.status, task.error, task.finished_at = Task.Status.FAILED, str(exc)[:MAX_ERROR], timezone.now()
            task.save(update_fields=["status", "error", "finished_at"])
            record(
                request=task.request,
                actor=None,
                action="dsar.task.failed",
                details={"task": task.pk, "asset": task.asset.name, "error": task.error},
            )
        return task
    with transaction.atomic():
        request = lock(task.request)
        task = _lock_own(task, claimed_at)
        if task is None:
            return None
        task.status, task.found, task.finished_at = Task.Status.DONE, found, timezone.now()
        task.save(update_fields=["status", "found", "finished_at"])
        record(
            request=request,
            actor=None,
            action="dsar.task.done",
            details={"task": task.pk, "asset": task.asset.name, "found": found},
        )
        advance(request)
    return task


def collection_resume(*, now: datetime | None = None) -> int:
    """The sweep: queue again every connector task left running by a worker that died (its row not held,
    see :func:`task_run`) for longer than ``RESUME_AFTER``. Returns how many it queued."""
    from dsar.tasks import collect_task

    now = now or timezone.now()
    stale = Task.objects.filter(
        kind=Task.Kind.COLLECT,
        method=Task.Method.CONNECTOR,
        status=Task.Status.RUNNING,
        started_at__lt=now - RESUME_AFTER,
        request__status=Request.Status.COLLECTING,
    )
    with transaction.atomic():
        ids = list(stale.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True))
        transaction.on_commit(lambda: [collect_task.delay(task_id=pk) for pk in ids])
    return len(ids)


@transaction.atomic
def task_retry(*, actor, task: Task) -> Task:
    """Queue a failed connector task again."""
    request = lock(task.request)
    permissions.require(actor, CHANGE, request)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status != Task.Status.FAILED or task.method != Task.Method.CONNECTOR:
        raise Conflict("Only a failed connector task is run again.")
    record(request=request, actor=actor, action="dsar.task.retried", details={"task": task.pk})
    from dsar.tasks import collect_task

    transaction.on_commit(lambda: collect_task.delay(task_id=task.pk))
    return task


@transaction.atomic
def task_upload(*, actor, task: Task, files: list, subject_identifier: str) -> Task:
    """A handler completes a manual task with the files found for the subject (zero files: nothing found)."""
    request = lock(task.request)
    permissions.require(actor, CHANGE, request)
    task = Task.objects.select_for_update().select_related("asset").get(pk=task.pk)
    if request.status != Request.Status.COLLECTING or task.kind != Task.Kind.COLLECT:
        raise Conflict("The request is not collecting.")
    if task.is_finished:
        raise Conflict("This task is already done.")
    if subject_identifier not in request.subject_identifiers():
        raise ValidationError(
            fields={"subject_identifier": f"Choose one of {', '.join(sorted(request.subject_identifiers()))}."}
        )
    if len(files) > MAX_FILES:
        raise ValidationError(fields={"files": f"At most {MAX_FILES} files at once."})
    limit = settings.MAX_UPLOAD_BYTES
    too_big = [f.name for f in files if f.size > limit]
    if too_big:
        raise ValidationError(fields={"files": f"Each file at most {limit // (1024 * 1024)} MB: {', '.join(too_big)}."})
    items = []
    for upload in files:
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        item = Item(
            request=request,
            task=task,
            asset=task.asset,
            subject_identifier=subject_identifier,
            source=f"upload by {actor.get_username()}"[:200],
            kind=Item.Kind.FILE,
            name=_safe_name(upload.name)[:255],
            size=upload.size,
            sha256=digest.hexdigest(),
        )
        item.file.save(_safe_name(upload.name), upload, save=False)
        items.append(item)
    Item.objects.bulk_create(items)
    task.status, task.found, task.done_by = Task.Status.DONE, len(items), actor
    task.started_at = task.started_at or timezone.now()
    task.finished_at = timezone.now()
    task.save(update_fields=["status", "found", "done_by", "started_at", "finished_at"])
    record(
        request=request,
        actor=actor,
        action="dsar.task.uploaded",
        details={"task": task.pk, "asset": task.asset.name, "files": [i.name for i in items]},
    )
    advance(request)
    return task
