"""What the pages show of an erasure: the request's tasks, a reviewer's queue (constant queries each)."""

from __future__ import annotations

from django.db.models import QuerySet

from dsar.erasure.services import REVIEW, confirmable, erasure_tasks
from dsar.models import ErasureRecord, Request, Task
from dsar.services.common import CHANGE
from portal import permissions
from portal.models import DataAsset
from portal.selectors import with_reviewers


def _reviewed(user) -> QuerySet[DataAsset]:
    return permissions.visible(user, REVIEW, DataAsset.objects.all())


def erasure_tasks_of(req: Request) -> QuerySet[Task]:
    tasks = Task.objects.filter(request=req, kind=Task.Kind.ERASE).select_related("asset", "confirmed_by")
    return with_reviewers(tasks.order_by("asset__name", "pk"), through="asset__")


def mark_confirmable(user, tasks: list[Task]) -> list[Task]:
    """Set ``may_confirm`` on each task: open, and ``user`` may confirm for its asset."""
    mine = confirmable(user, [t.asset for t in tasks])
    for task in tasks:
        open_ = task.status in (Task.Status.PENDING, Task.Status.FAILED)
        setattr(task, "may_confirm", open_ and task.asset_id in mine)  # noqa: B010  (read by the templates)
    return tasks


def erasure_queue(*, user, open_only: bool = True) -> QuerySet[Task]:
    """The erasure tasks a user may see, newest request first; open ones only unless asked."""
    tasks = erasure_tasks(user=user)
    if open_only:
        tasks = tasks.filter(status__in=(Task.Status.PENDING, Task.Status.FAILED, Task.Status.RUNNING))
    return with_reviewers(tasks.order_by("-request__received_at", "asset__name", "pk"), through="asset__")


def erasure_section(http_request, req: Request) -> dict | None:
    """The erasure part of the request page."""
    if req.type != Request.Type.ERASURE or req.verified_at is None:
        return None
    user = http_request.user
    may_work = permissions.has(user, CHANGE, req)
    tasks = mark_confirmable(user, list(erasure_tasks_of(req)))
    record = ErasureRecord.objects.filter(request=req).select_related("completed_by").first()
    in_review = req.status == Request.Status.REVIEW
    return {
        "req": req,
        "tasks": tasks,
        "record": record,
        "may_start": may_work and not tasks and req.status in (Request.Status.VERIFIED, Request.Status.REVIEW),
        "may_complete": may_work and in_review and bool(tasks) and all(t.is_finished for t in tasks),
        "may_hold": may_work and in_review,
    }


def erasure_panel(http_request) -> dict | None:
    """Dashboard: how many erasure tasks wait for the user's confirmation (hidden when none)."""
    user = http_request.user
    waiting = erasure_queue(user=user).filter(status=Task.Status.PENDING).filter(asset__in=_reviewed(user)).count()
    return {"waiting": waiting} if waiting else None
