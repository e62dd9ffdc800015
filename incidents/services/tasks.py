"""Tasks on an incident: created for a handler or a privacy officer, completed and reopened."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from incidents.models import MAX_TITLE, Incident, Task
from incidents.services.common import CHANGE, bounded_text, lock, record
from portal import permissions
from portal.errors import Conflict, ValidationError


def _lock_task(task: Task) -> tuple[Incident, Task]:
    incident = lock(task.incident)
    return incident, Task.objects.select_for_update().select_related("assignee").get(pk=task.pk)


@transaction.atomic
def task_create(*, actor, incident: Incident, title: str, assignee, due_at: datetime | None = None) -> Task:
    """A task for someone who works the incident (a handler or a privacy officer)."""
    incident = lock(incident)
    permissions.require(actor, CHANGE, incident)
    title = bounded_text(title, "title", MAX_TITLE, required=True)
    if incident.status == Incident.Status.CLOSED:
        raise Conflict("The incident is closed.")
    if assignee is None or not permissions.has(assignee, CHANGE, incident):
        raise ValidationError(fields={"assignee": "Choose a handler of this incident or a privacy officer."})
    task = Task.objects.create(incident=incident, title=title, assignee=assignee, due_at=due_at, created_by=actor)
    details = {"task": task.pk, "title": title, "assignee": assignee.pk, "due_at": due_at and due_at.isoformat()}
    record(
        incident=incident,
        actor=actor,
        action="incidents.task.created",
        text=f"Task for {assignee}: {title}",
        details=details,
    )
    return task


@transaction.atomic
def task_complete(*, actor, task: Task) -> Task:
    incident, task = _lock_task(task)
    permissions.require(actor, CHANGE, incident)
    if task.done_at is not None:
        raise Conflict(f"The task “{task.title}” is already done.")
    task.done_at, task.done_by = timezone.now(), actor
    task.save(update_fields=["done_at", "done_by"])
    record(
        incident=incident,
        actor=actor,
        action="incidents.task.completed",
        text=f"Task done: {task.title}",
        details={"task": task.pk},
    )
    return task


@transaction.atomic
def task_reopen(*, actor, task: Task) -> Task:
    incident, task = _lock_task(task)
    permissions.require(actor, CHANGE, incident)
    if task.done_at is None:
        raise Conflict(f"The task “{task.title}” is still open.")
    if incident.status == Incident.Status.CLOSED:
        raise Conflict("The incident is closed.")
    task.done_at, task.done_by = None, None
    task.save(update_fields=["done_at", "done_by"])
    record(
        incident=incident,
        actor=actor,
        action="incidents.task.reopened",
        text=f"Task reopened: {task.title}",
        details={"task": task.pk},
    )
    return task
