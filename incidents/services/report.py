"""Reporting an incident, handlers, status, manual notes."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents.models import (
    MAX_REASON,
    MAX_TEXT,
    MAX_TITLE,
    Incident,
    ReferenceCounter,
    TimelineEntry,
)
from incidents.services.common import ASSIGN, CHANGE, VIEW, bounded_text, lock, record, timeline_add
from portal import audit, notifications, permissions, references
from portal.errors import Conflict, ValidationError


def awareness_gap() -> timedelta:
    """Detection and awareness further apart than this need a reason (the clocks run from awareness).

    Decided: a setting (``INCIDENT_AWARENESS_GAP_MINUTES``, 60 by default), not a constant, since
    what counts as a gap worth explaining is the organisation's policy, not the law's.
    """
    return timedelta(minutes=settings.INCIDENT_AWARENESS_GAP_MINUTES)


def _gap_text(gap: timedelta) -> str:
    minutes = int(gap.total_seconds() // 60)
    if minutes == 60:
        return "an hour"
    return f"{minutes // 60} hours" if minutes % 60 == 0 else f"{minutes} minutes"


# Forward only, one step or more; closing is the end.
STATUS_ORDER = [s.value for s in Incident.Status]


def next_reference(now: datetime | None = None) -> str:
    """``INC-YYYY-NNNN``, from this app's own counter."""
    return references.next_in_year(ReferenceCounter, "INC", now)


def _check_times(detected_at: datetime, aware_at: datetime, gap_reason: str, now: datetime) -> None:
    errors = {}
    if detected_at > now:
        errors["detected_at"] = "Detection cannot be in the future."
    if aware_at > now:
        errors["aware_at"] = "Awareness cannot be in the future."
    if aware_at < detected_at:
        errors["aware_at"] = "Awareness cannot come before detection."
    elif aware_at - detected_at > awareness_gap() and not gap_reason:
        errors["awareness_gap_reason"] = (
            f"Say why awareness came more than {_gap_text(awareness_gap())} after detection."
        )
    if errors:
        raise ValidationError(fields=errors)


@transaction.atomic
def incident_report(
    *,
    actor,
    title: str,
    description: str = "",
    kind: str,
    detected_at: datetime,
    aware_at: datetime | None = None,
    awareness_gap_reason: str = "",
    severity: str = Incident.Severity.MEDIUM,
    assets=(),
    is_exercise: bool = False,
) -> Incident:
    """Any active employee reports an incident; they may see it afterwards (not change it)."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise ValidationError("Sign in to report an incident.")
    now = timezone.now()
    aware_at = aware_at or now
    title = bounded_text(title, "title", MAX_TITLE, required=True)
    description = bounded_text(description, "description", MAX_TEXT)
    gap_reason = bounded_text(awareness_gap_reason, "awareness_gap_reason", MAX_REASON)
    if kind not in Incident.Kind.values:
        raise ValidationError(fields={"kind": f"Choose one of {', '.join(Incident.Kind.values)}."})
    if severity not in Incident.Severity.values:
        raise ValidationError(fields={"severity": f"Choose one of {', '.join(Incident.Severity.values)}."})
    _check_times(detected_at, aware_at, gap_reason, now)
    incident = Incident.objects.create(
        reference=next_reference(now),
        title=title,
        description=description,
        kind=kind,
        severity=severity,
        is_exercise=is_exercise,
        reported_by=actor,
        reported_at=now,
        detected_at=detected_at,
        aware_at=aware_at,
        awareness_gap_reason=gap_reason,
    )
    incident.assets.set(list(assets))
    permissions.assign(VIEW, actor, incident)
    details = {"reference": incident.reference, "kind": kind, "exercise": is_exercise, "assets": [a.pk for a in assets]}
    record(incident=incident, actor=actor, action="incidents.incident.reported", text="Reported.", details=details)
    officers = permissions.role_members("privacy-officers")
    notifications.notify(
        key=f"incident-reported:{incident.pk}",
        to=list(officers),
        template="incidents/reported",
        context={
            "incident_id": incident.pk,
            "reference": incident.reference,
            "title": incident.title,
            "exercise": incident.is_exercise,
        },
    )
    return incident


@transaction.atomic
def incident_assign_handler(*, actor, incident: Incident, handler) -> Incident:
    """A privacy officer makes ``handler`` work this incident (see and change it)."""
    incident = lock(incident)
    permissions.require(actor, ASSIGN, incident, message="Only privacy officers assign handlers.")
    if refusal := permissions.work_refusal(handler):
        raise ValidationError(fields={"handler": refusal})
    permissions.assign(VIEW, handler, incident)
    permissions.assign(CHANGE, handler, incident)
    record(
        incident=incident,
        actor=actor,
        action="incidents.incident.handler_assigned",
        text=f"{handler} assigned as handler.",
        details={"handler": handler.pk},
    )
    notifications.notify(
        key=f"incident-handler:{incident.pk}:{handler.pk}",
        to=[handler],
        template="incidents/handler_assigned",
        context={
            "incident_id": incident.pk,
            "reference": incident.reference,
            "title": incident.title,
            "exercise": incident.is_exercise,
        },
    )
    return incident


@transaction.atomic
def incident_set_status(*, actor, incident: Incident, status: str, note: str = "") -> Incident:
    """Move forward through reported → triage → contained → notifying → closed."""
    incident = lock(incident)
    permissions.require(actor, CHANGE, incident)
    note = bounded_text(note, "note", MAX_REASON)
    if status not in STATUS_ORDER:
        raise ValidationError(fields={"status": f"Choose one of {', '.join(STATUS_ORDER)}."})
    if STATUS_ORDER.index(status) <= STATUS_ORDER.index(incident.status):
        raise Conflict(f"The incident is {incident.get_status_display().lower()}; it cannot go to {status}.")
    if status == Incident.Status.CLOSED and incident.obligations.open().exists():
        raise Conflict("Meet or record an exemption for every open obligation before closing.")
    previous, incident.status = incident.status, status
    incident.save(update_fields=["status"])
    record(
        incident=incident,
        actor=actor,
        action="incidents.incident.status_changed",
        text=f"Status {previous} → {status}." + (f" {note}" if note else ""),
        details={"from": previous, "to": status, "note": note},
    )
    return incident


@transaction.atomic
def timeline_note(*, actor, incident: Incident, text: str) -> TimelineEntry:
    """A manual note on the timeline (handlers and privacy officers)."""
    incident = lock(incident)
    permissions.require(actor, CHANGE, incident)
    text = bounded_text(text, "text", MAX_TEXT, required=True)
    audit.record(actor=actor, action="incidents.timeline.noted", target=incident, details={"text": text})
    return timeline_add(incident=incident, actor=actor, action="incidents.timeline.noted", text=text)
