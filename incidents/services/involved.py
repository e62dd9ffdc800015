"""Involved users and revoking their access with the incident as the reason."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from incidents.models import (
    MAX_REASON,
    Incident,
    InvolvedUser,
)
from incidents.services.common import CHANGE, bounded_text, lock, record, timeline_add
from portal import offboarding, permissions
from portal.errors import Conflict, ValidationError


@transaction.atomic
def involved_user_add(*, actor, incident: Incident, user, note: str = "") -> InvolvedUser:
    incident = lock(incident)
    permissions.require(actor, CHANGE, incident)
    note = bounded_text(note, "note", MAX_REASON)
    if incident.involved.filter(user=user).exists():
        raise Conflict(f"{user} is already involved in this incident.")
    involved = InvolvedUser.objects.create(incident=incident, user=user, added_by=actor, note=note)
    record(
        incident=incident,
        actor=actor,
        action="incidents.involved_user.added",
        text=f"{user} linked as involved.",
        details={"user": user.pk, "note": note},
    )
    return involved


@transaction.atomic
def involved_user_revoke_access(*, actor, incident: Incident, user, reason: str = "") -> dict:
    """Revoke all access of an involved user through offboarding, with the incident as the reason.

    Needs the right to work the incident and to offboard (privacy officers).
    """
    incident = lock(incident)
    permissions.require(actor, CHANGE, incident)
    involved = InvolvedUser.objects.select_for_update().filter(incident=incident, user=user).first()
    if involved is None:
        raise ValidationError(fields={"user": "Link this person to the incident first."})
    extra = bounded_text(reason, "reason", MAX_REASON - 100)
    because = f"Incident {incident.reference}" + (f": {extra}" if extra else "")
    done = offboarding.user_offboard(
        actor=actor,
        user=user,
        reason=because,
        action="incidents.involved_user.access_revoked",
        context={"incident": incident.pk, "reference": incident.reference},
    )
    involved.access_revoked_at = timezone.now()
    involved.save(update_fields=["access_revoked_at"])
    revoked = done.get("revoked", 0)
    timeline_add(
        incident=incident,
        actor=actor,
        action="incidents.involved_user.access_revoked",
        text=f"All access of {user} revoked ({revoked} grants).",
        details={"user": user.pk, "revoked": revoked, "cancelled": done.get("cancelled", 0)},
    )
    return done
