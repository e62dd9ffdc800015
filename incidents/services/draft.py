"""The notification to a regulator: a draft generated from the incident (Art. 33(3)), edited, then filed.

One draft per regulator obligation (so per regime): GDPR and UK GDPR drafts may differ.
Submitting it is :func:`incidents.services.regulator_notification_record`, with the draft's
text as the filing's notes, so what was sent stays on record even when the draft changes later.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents.models import MAX_REASON, MAX_TEXT, Incident, Obligation, RegulatorDraft
from incidents.services.common import CHANGE, bounded_text, lock, record
from portal import permissions
from portal.errors import Conflict, ValidationError

# Field → (label, limit, required): the order the draft and its printable view follow.
FIELDS = {
    "nature": ("Nature of the breach", MAX_TEXT, True),
    "subject_categories": ("Categories of data subjects", MAX_REASON, False),
    "subject_count": ("Approximate number of data subjects", None, False),
    "record_categories": ("Categories of personal data records", MAX_REASON, False),
    "record_count": ("Approximate number of records", None, False),
    "contact_point": ("Contact point (DPO)", MAX_REASON, True),
    "consequences": ("Likely consequences", MAX_TEXT, True),
    "measures_taken": ("Measures taken", MAX_TEXT, False),
    "measures_proposed": ("Measures proposed", MAX_TEXT, False),
}


def _local(moment) -> str:
    return f"{timezone.localtime(moment):%d %b %Y %H:%M %Z}"


def generate(incident: Incident) -> dict:
    """A first draft from what the incident records (prefetched involved users, assets and referrals help)."""
    nature = (
        f"{incident.get_kind_display()}: {incident.title}. Detected {_local(incident.detected_at)}, "
        f"the organisation became aware {_local(incident.aware_at)}."
    )
    if incident.description:
        nature += f"\n\n{incident.description}"
    assets = ", ".join(a.name for a in incident.assets.all())
    if assets:
        nature += f"\n\nSystems concerned: {assets}."
    categories = ", ".join(incident.data_categories)
    consequences = (
        f"Assessed as {incident.get_risk_display().lower() or 'not yet assessed'} to the rights and freedoms "
        "of the people concerned."
    )
    if categories:
        consequences += f" With {categories} exposed, they may receive unsolicited contact, phishing or fraud attempts."
    taken = []
    revoked = [i for i in incident.involved.all() if i.access_revoked_at]
    if revoked:
        taken.append(f"All access of {len(revoked)} involved person(s) to personal data revoked.")
    taken += [f"Referred to {r.agency} on {r.referred_on:%d %b %Y}." for r in incident.referrals.all()]
    proposed = []
    if incident.risk == Incident.Risk.HIGH_RISK:
        proposed.append("Notify the affected data subjects without undue delay (Art. 34).")
    proposed.append("Review who holds access to the systems concerned and remove what is not needed.")
    return {
        "nature": nature[:MAX_TEXT],
        "subject_categories": "",
        "subject_count": incident.subject_count,
        "record_categories": categories[:MAX_REASON],
        "record_count": incident.subject_count,
        "contact_point": settings.DPO_CONTACT[:MAX_REASON],
        "consequences": consequences[:MAX_TEXT],
        "measures_taken": "\n".join(taken)[:MAX_TEXT],
        "measures_proposed": "\n".join(proposed)[:MAX_TEXT],
    }


def as_text(values: dict) -> str:
    """The draft's values as plain text: what a filing keeps as its notes."""
    parts = []
    for name, (label, _limit, _required) in FIELDS.items():
        value = values.get(name)
        parts.append(f"{label}: {'' if value is None else value}")
    return "\n\n".join(parts)[:MAX_TEXT]


def regulator_obligation(incident: Incident, obligation_id) -> Obligation:
    """The incident's regulator obligation ``obligation_id`` (not withdrawn), or a Conflict."""
    obligation = (
        incident.obligations.filter(pk=obligation_id, recipient=Obligation.Recipient.REGULATOR)
        .select_related("regime")
        .first()
    )
    if obligation is None or obligation.withdrawn_at is not None:
        raise Conflict("This incident has no such regulator obligation.")
    return obligation


@transaction.atomic
def regulator_draft_save(*, actor, incident: Incident, obligation: Obligation, **values) -> RegulatorDraft:
    """Store the edited draft for one regulator obligation (created on the first save)."""
    incident = lock(incident)
    permissions.require(actor, CHANGE, incident)
    obligation = regulator_obligation(incident, obligation.pk)
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValidationError(fields={name: "Unknown field." for name in unknown})
    clean: dict = {}
    for name, (_label, limit, required) in FIELDS.items():
        value = values.get(name)
        if limit is None:
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValidationError(fields={name: "A whole number, 0 or more."})
            clean[name] = value
        else:
            clean[name] = bounded_text(value, name, limit, required=required)
    draft, created = RegulatorDraft.objects.update_or_create(
        obligation=obligation, defaults={**clean, "updated_by": actor, "updated_at": timezone.now()}
    )
    record(
        incident=incident,
        actor=actor,
        action="incidents.regulator_draft.saved",
        text=f"Regulator notification draft ({obligation.regime.name}) {'written' if created else 'edited'}.",
        details={"obligation": obligation.pk, "regime": obligation.regime.code, "fields": sorted(clean)},
    )
    return draft
