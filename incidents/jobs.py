"""The legal clocks' warnings: the handlers and privacy officers are mailed 24 and 6 hours before a deadline.

Each warning is a stamp on the obligation (``portal.jobs.run_batches``), so a
second run, or two at once, mails nobody twice. The 6-hour warning runs first:
an obligation already inside 6 hours gets that warning only.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from incidents.models import Incident, Obligation
from portal import audit, jobs, notifications, permissions
from portal.models import PRIVACY_OFFICERS

WARNINGS = ((6, "warned_6h_at"), (24, "warned_24h_at"))


def _effect(hours: int):
    def effect(batch: list[Obligation]) -> None:
        incidents = permissions.prefetch_holders(
            Incident.objects.filter(pk__in={o.incident_id for o in batch}),
            "incidents.change_incident",
            to_attr="holders",
        )
        by_id = {i.pk: i for i in incidents}
        officers = list(permissions.role_members(PRIVACY_OFFICERS))
        for obligation in batch:
            incident = by_id[obligation.incident_id]
            due = timezone.localtime(obligation.due_at)
            notifications.notify(
                key=f"incident-clock:{obligation.pk}:{hours}",
                to=[row.user for row in getattr(incident, "holders", [])] + officers,
                template="incidents/clock_warning",
                context={
                    "incident_id": incident.pk,
                    "reference": incident.reference,
                    "obligation": f"{obligation.regime_id} {obligation.get_recipient_display()}",
                    "hours": hours,
                    "due_at": f"{due:%Y-%m-%d %H:%M %Z}",
                },
            )
        audit.record(
            actor=None,
            action="incidents.obligation.clock_warned",
            target=None,
            details={"hours": hours, "obligations": [o.pk for o in batch]},
        )

    return effect


def obligations_warn_due(now=None) -> int:
    """Warn of every open obligation due within 6 or 24 hours that was not yet warned; returns how many."""
    now = now or timezone.now()
    done = 0
    for hours, stamp in WARNINGS:
        due = Obligation.objects.open().filter(
            due_at__gt=now, due_at__lte=now + timedelta(hours=hours), **{f"{stamp}__isnull": True}
        )
        if hours == 24:
            due = due.filter(warned_6h_at__isnull=True)
        done += jobs.run_batches(due=due.select_related("regime"), stamp={stamp: now}, effect=_effect(hours))
    return done
