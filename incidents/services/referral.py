"""Referring an incident to law enforcement."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from incidents.models import MAX_REASON, Incident, Referral
from incidents.services.common import CHANGE, bounded_text, lock, record
from portal import permissions
from portal.errors import Conflict, ValidationError


@transaction.atomic
def referral_record(
    *, actor, incident: Incident, agency: str, referred_on: date, reference: str = "", note: str = ""
) -> Referral:
    """Record that the case went to a law-enforcement agency (a second identical record is refused)."""
    incident = lock(incident)
    permissions.require(actor, CHANGE, incident)
    agency = bounded_text(agency, "agency", 200, required=True)
    reference = bounded_text(reference, "reference", 200)
    note = bounded_text(note, "note", MAX_REASON)
    if referred_on > timezone.localdate():
        raise ValidationError(fields={"referred_on": "A referral cannot be in the future."})
    if incident.referrals.filter(agency=agency, reference=reference, referred_on=referred_on).exists():
        raise Conflict("This referral is already recorded.")
    referral = Referral.objects.create(
        incident=incident, agency=agency, reference=reference, referred_on=referred_on, note=note, recorded_by=actor
    )
    details = {"referral": referral.pk, "agency": agency, "reference": reference, "referred_on": str(referred_on)}
    text = f"Referred to {agency}" + (f" (reference {reference})" if reference else "") + "."
    record(incident=incident, actor=actor, action="incidents.referral.recorded", text=text, details=details)
    return referral
