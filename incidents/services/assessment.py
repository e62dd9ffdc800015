"""Assessment, the obligations it derives, filings against them, and the decisions not to notify."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from incidents.models import (
    MAX_REASON,
    MAX_TEXT,
    Filing,
    Incident,
    Obligation,
    Regime,
)
from incidents.services.common import CHANGE, bounded_text, lock, record
from portal import permissions
from portal.errors import Conflict, ValidationError


def derive_obligations(incident: Incident, regimes) -> list[tuple[Regime, str, datetime | None]]:
    """What the law asks of this assessment: ``(regime, recipient, due_at)`` for each regime that applies.

    The rule, in one place: none for an exercise or for what is not a personal-data
    breach; the regulator unless the risk is ``none``; the subjects when ``high_risk``.
    """
    if incident.is_exercise or not incident.is_personal_data_breach or incident.risk == Incident.Risk.NONE:
        return []
    places = set(incident.jurisdictions)
    out: list[tuple[Regime, str, datetime | None]] = []
    for regime in regimes:
        if not places.intersection(regime.jurisdictions):
            continue
        out.append(
            (regime, Obligation.Recipient.REGULATOR, incident.aware_at + timedelta(hours=regime.regulator_hours))
        )
        if incident.risk == Incident.Risk.HIGH_RISK:
            due = (
                incident.aware_at + timedelta(hours=regime.subject_hours) if regime.subject_hours is not None else None
            )
            out.append((regime, Obligation.Recipient.SUBJECTS, due))
    return out


@transaction.atomic
def incident_assess(
    *,
    actor,
    incident: Incident,
    is_personal_data_breach: bool,
    risk: str = "",
    data_categories: list[str] | None = None,
    subject_count: int | None = None,
    jurisdictions: list[str] | None = None,
) -> Incident:
    """Record the assessment and derive the obligations and their due times.

    A reassessment adds what is newly needed and withdraws what no longer is;
    an obligation already filed or exempted is history and stays as it was.
    """
    incident = lock(incident)
    permissions.require(actor, CHANGE, incident)
    if incident.status == Incident.Status.CLOSED:
        raise Conflict("The incident is closed.")
    jurisdictions = [j.strip().upper() for j in (jurisdictions or []) if j.strip()]
    regimes = list(Regime.objects.filter(active=True))
    errors: dict[str, str] = {}
    if is_personal_data_breach:
        if risk not in Incident.Risk.values:
            errors["risk"] = f"Choose one of {', '.join(Incident.Risk.values)}."
        if not jurisdictions:
            errors["jurisdictions"] = "Name where the affected people are (e.g. EU, UK)."
        known = {j for r in regimes for j in r.jurisdictions}
        unknown = sorted(set(jurisdictions) - known)
        if unknown:
            errors["jurisdictions"] = f"No regime covers {', '.join(unknown)}; add one in the admin first."
    elif risk not in ("", *Incident.Risk.values):
        errors["risk"] = f"Choose one of {', '.join(Incident.Risk.values)}."
    if subject_count is not None and subject_count < 0:
        errors["subject_count"] = "Cannot be negative."
    if errors:
        raise ValidationError(fields=errors)
    now = timezone.now()
    incident.is_personal_data_breach = is_personal_data_breach
    incident.risk = risk if is_personal_data_breach else ""
    incident.data_categories = list(data_categories or [])
    incident.subject_count = subject_count
    incident.jurisdictions = jurisdictions
    incident.assessed_at, incident.assessed_by = now, actor
    fields = ["is_personal_data_breach", "risk", "data_categories", "subject_count", "jurisdictions"]
    incident.save(update_fields=[*fields, "assessed_at", "assessed_by"])

    needed = {(regime.pk, recipient): due for regime, recipient, due in derive_obligations(incident, regimes)}
    existing = {(o.regime_id, o.recipient): o for o in incident.obligations.all()}
    created, withdrawn, reopened = [], [], []
    for key, due in needed.items():
        obligation = existing.get(key)
        if obligation is None:
            created.append(Obligation(incident=incident, regime_id=key[0], recipient=key[1], due_at=due))
        elif obligation.withdrawn_at is not None:
            obligation.withdrawn_at, obligation.due_at = None, due
            obligation.save(update_fields=["withdrawn_at", "due_at"])
            reopened.append(obligation.pk)
    Obligation.objects.bulk_create(created)
    for key, obligation in existing.items():
        if key not in needed and obligation.is_open:
            obligation.withdrawn_at = now
            obligation.save(update_fields=["withdrawn_at"])
            withdrawn.append(obligation.pk)
    details = {
        "is_personal_data_breach": is_personal_data_breach,
        "risk": incident.risk,
        "subject_count": subject_count,
        "jurisdictions": jurisdictions,
        "data_categories": incident.data_categories,
        "obligations_created": [f"{o.regime_id}:{o.recipient}" for o in created],
        "obligations_withdrawn": withdrawn,
        "obligations_reopened": reopened,
    }
    text = "Assessed: " + (f"personal-data breach, {incident.risk}" if is_personal_data_breach else "not a breach")
    if incident.is_exercise:
        text += " (exercise: no legal obligations)"
    record(incident=incident, actor=actor, action="incidents.incident.assessed", text=text + ".", details=details)
    return incident


def _regulator_obligation(incident: Incident, regime: str | None) -> Obligation:
    obligations = incident.obligations.filter(recipient=Obligation.Recipient.REGULATOR, withdrawn_at__isnull=True)
    if regime:
        obligations = obligations.filter(regime__code=regime)
    found = list(obligations.select_related("regime").select_for_update(of=("self",)))
    if not found:
        if incident.is_exercise:
            raise Conflict("An exercise creates no legal obligation to file against.")
        raise Conflict("This incident has no regulator obligation: assess it first.")
    if len(found) > 1:
        codes = ", ".join(o.regime.code for o in found)
        raise ValidationError(fields={"regime": f"Say which regime this filing is for: {codes}."})
    return found[0]


@transaction.atomic
def regulator_notification_record(
    *,
    actor,
    incident: Incident,
    authority: str,
    submitted_at: datetime,
    reference: str = "",
    delay_reason: str = "",
    notes: str = "",
    regime: str | None = None,
) -> Filing:
    """Record a notification submitted to the regulator: the first is the initial one, then supplements.

    Whether the obligation was met late is fixed by the first filing, and a late
    first filing must say why (Art. 33(1)).
    """
    incident = lock(incident)
    permissions.require(actor, CHANGE, incident)
    authority = bounded_text(authority, "authority", 200, required=True)
    reference = bounded_text(reference, "reference", 200)
    delay_reason = bounded_text(delay_reason, "delay_reason", MAX_REASON)
    notes = bounded_text(notes, "notes", MAX_TEXT)
    now = timezone.now()
    if submitted_at > now:
        raise ValidationError(fields={"submitted_at": "A submission cannot be in the future."})
    obligation = _regulator_obligation(incident, regime)
    # The same submission twice (a double click, a resent form) is one filing, not a supplement.
    if obligation.filings.filter(authority=authority, submitted_at=submitted_at, reference=reference).exists():
        raise Conflict("This notification is already recorded.")
    first = obligation.done_at is None
    if first and obligation.exempt_at is not None:
        raise Conflict("An exemption was recorded for this obligation.")
    if first:
        if submitted_at < incident.aware_at:
            raise ValidationError(fields={"submitted_at": "A notification cannot precede awareness."})
        late = obligation.due_at is not None and submitted_at > obligation.due_at
        if late and not delay_reason:
            raise ValidationError(
                fields={"delay_reason": "This notification is past the deadline: record the reason for the delay."}
            )
        obligation.done_at, obligation.late, obligation.late_reason = submitted_at, late, delay_reason if late else ""
        obligation.save(update_fields=["done_at", "late", "late_reason"])
    filing = Filing.objects.create(
        obligation=obligation,
        kind=Filing.Kind.INITIAL if first else Filing.Kind.SUPPLEMENT,
        authority=authority,
        submitted_at=submitted_at,
        reference=reference,
        notes=notes,
        recorded_by=actor,
        recorded_at=now,
    )
    details = {
        "obligation": obligation.pk,
        "regime": obligation.regime.code,
        "filing": filing.pk,
        "kind": filing.kind,
        "authority": authority,
        "submitted_at": submitted_at.isoformat(),
        "reference": reference,
        "late": obligation.late,
        "delay_reason": obligation.late_reason,
    }
    late_text = " (late)" if first and obligation.late else ""
    record(
        incident=incident,
        actor=actor,
        action="incidents.regulator.notified",
        text=f"{filing.get_kind_display()} notification to {authority}{late_text}.",
        details=details,
    )
    return filing


@transaction.atomic
def incident_decide_no_notification(*, actor, incident: Incident, reason: str) -> Incident:
    """Art. 33(5): record who decided, when and why, that the regulator need not be told."""
    incident = lock(incident)
    permissions.require(actor, CHANGE, incident)
    reason = bounded_text(reason, "reason", MAX_REASON, required=True, message="Say why no notification is needed.")
    if incident.assessed_at is None:
        raise Conflict("Assess the incident first.")
    if incident.obligations.filter(recipient=Obligation.Recipient.REGULATOR).open().exists():
        raise Conflict("The assessment requires notifying the regulator; change the assessment first.")
    incident.no_notification_at, incident.no_notification_by = timezone.now(), actor
    incident.no_notification_reason = reason
    incident.save(update_fields=["no_notification_at", "no_notification_by", "no_notification_reason"])
    record(
        incident=incident,
        actor=actor,
        action="incidents.incident.no_notification_decided",
        text=f"Decided no notification is needed: {reason}",
        details={"reason": reason},
    )
    return incident


@transaction.atomic
def obligation_exempt(*, actor, obligation: Obligation, reason: str) -> Obligation:
    """Art. 34(3): the subjects need not be told (e.g. the data was encrypted); who, when and why."""
    incident = lock(obligation.incident)
    permissions.require(actor, CHANGE, incident)
    reason = bounded_text(reason, "reason", MAX_REASON, required=True, message="Say which exemption applies and why.")
    obligation = Obligation.objects.select_for_update().get(pk=obligation.pk)
    if obligation.recipient != Obligation.Recipient.SUBJECTS:
        raise Conflict("Only notifying the data subjects can be exempted (Art. 34(3)).")
    if not obligation.is_open:
        raise Conflict("This obligation is no longer open.")
    obligation.exempt_at, obligation.exempt_by, obligation.exempt_reason = timezone.now(), actor, reason
    obligation.save(update_fields=["exempt_at", "exempt_by", "exempt_reason"])
    record(
        incident=incident,
        actor=actor,
        action="incidents.obligation.exempted",
        text=f"Notifying the data subjects ({obligation.regime_id}) exempted: {reason}",
        details={"obligation": obligation.pk, "reason": reason},
    )
    return obligation
