"""What offboarding takes away in incidents/: the incidents the person handles.

Registered as a step of ``portal.offboarding`` in :meth:`incidents.apps.IncidentsConfig.ready`; it runs
inside the offboarding transaction with the user's row locked. The privacy officers, who see every
incident, pick the case up; a report of the person's own stays visible to them, as any reporter's.
"""

from __future__ import annotations

from incidents.models import Incident, TimelineEntry
from incidents.services.common import CHANGE, VIEW
from portal import audit, permissions

REMOVED = "incidents.incident.handler_removed"


def _handled(user):
    return permissions.held_directly(user, CHANGE, Incident.objects.all())


def take_handling(*, actor, user, reason: str, now) -> dict:
    incidents = list(_handled(user).select_for_update().order_by("pk"))
    if incidents:
        rows = [(user.pk, i.pk, CHANGE) for i in incidents]
        rows += [(user.pk, i.pk, VIEW) for i in incidents if i.reported_by_id != user.pk]
        permissions.remove_many(Incident, rows)
        details = {"handler": user.pk, "reason": reason, "offboarding": True}
        audit.record_many(actor=actor, entries=[audit.Entry(REMOVED, i, details) for i in incidents])
        text = f"{user} no longer handles it (offboarded)."
        TimelineEntry.objects.bulk_create(
            TimelineEntry(incident=i, at=now, actor=actor, action=REMOVED, text=text, details=details)
            for i in incidents
        )
    return {"incidents": [i.pk for i in incidents]}


def preview_handling(user) -> dict:
    return {"label": "Incidents they handle (left to the privacy officers)", "items": list(_handled(user))}
