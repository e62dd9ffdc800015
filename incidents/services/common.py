"""Shared by the incident services: the rights they check, locking, bounded text, audit plus timeline.

Rights: anyone active may report; privacy officers hold ``incidents.*`` globally
(a role); a handler holds ``view_incident`` and ``change_incident`` on the one
incident a privacy officer assigned them; the reporter holds ``view_incident``.
"""

from __future__ import annotations

from django.db import transaction

from incidents.models import (
    Incident,
    TimelineEntry,
)
from portal import audit
from portal.errors import ValidationError
from portal.limits import too_long

VIEW, CHANGE, ASSIGN = "incidents.view_incident", "incidents.change_incident", "incidents.assign_incident"


def bounded_text(value: str | None, field: str, limit: int, *, required: bool = False, message: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(fields={field: message or "This field is required."})
    if error := too_long(value, limit):
        raise ValidationError(fields={field: error})
    return value


def lock(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


@transaction.atomic(savepoint=False)
def timeline_add(*, incident: Incident, actor, action: str, text: str, details: dict | None = None) -> TimelineEntry:
    """One timeline entry, inside the caller's transaction (every service calls it for its change)."""
    return TimelineEntry.objects.create(incident=incident, actor=actor, action=action, text=text, details=details or {})


def record(*, incident: Incident, actor, action: str, text: str, details: dict | None = None) -> None:
    """The audit event and the timeline entry of one change, both in the caller's transaction."""
    details = details or {}
    audit.record(actor=actor, action=action, target=incident, details=details)
    timeline_add(incident=incident, actor=actor, action=action, text=text, details=details)
