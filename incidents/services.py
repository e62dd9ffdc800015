"""Every change to an incident: lock, authorise, check state, write, audit, timeline, mail on commit.

Rights: anyone active may report; privacy officers hold ``incidents.*`` globally
(a role); a handler holds ``view_incident`` and ``change_incident`` on the one
incident a privacy officer assigned them; the reporter holds ``view_incident``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import (
    MAX_REASON,
    MAX_TEXT,
    MAX_TITLE,
    Filing,
    Incident,
    InvolvedUser,
    Obligation,
    ReferenceCounter,
    Regime,
    TimelineEntry,
)
from portal import audit, notifications, offboarding, permissions
from portal.errors import Conflict, ValidationError
from portal.limits import too_long

VIEW, CHANGE, ASSIGN = "incidents.view_incident", "incidents.change_incident", "incidents.assign_incident"

# Detection and awareness further apart than this need a reason (the clocks run from awareness).
AWARENESS_GAP = timedelta(hours=1)

# Forward only, one step or more; closing is the end.
STATUS_ORDER = [s.value for s in Incident.Status]


def _text(value: str | None, field: str, limit: int, *, required: bool = False, message: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(fields={field: message or "This field is required."})
    if error := too_long(value, limit):
        raise ValidationError(fields={field: error})
    return value


def _lock(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


@transaction.atomic(savepoint=False)
def timeline_add(*, incident: Incident, actor, action: str, text: str, details: dict | None = None) -> TimelineEntry:
    """One timeline entry, inside the caller's transaction (every service calls it for its change)."""
    return TimelineEntry.objects.create(incident=incident, actor=actor, action=action, text=text, details=details or {})


def _record(*, incident: Incident, actor, action: str, text: str, details: dict | None = None) -> None:
    """The audit event and the timeline entry of one change, both in the caller's transaction."""
    details = details or {}
    audit.record(actor=actor, action=action, target=incident, details=details)
    timeline_add(incident=incident, actor=actor, action=action, text=text, details=details)


@transaction.atomic(savepoint=False)
def next_reference(now: datetime | None = None) -> str:
    """``INC-YYYY-NNNN``: the year's counter row is locked, so concurrent reports never share a number."""
    year = timezone.localtime(now or timezone.now()).year
    counter = ReferenceCounter.objects.select_for_update().filter(year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(year=year)
        except IntegrityError:
            pass  # another report created the year's row first; lock it below
        counter = ReferenceCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"INC-{year}-{counter.last:04d}"


def _check_times(detected_at: datetime, aware_at: datetime, gap_reason: str, now: datetime) -> None:
    errors = {}
    if detected_at > now:
        errors["detected_at"] = "Detection cannot be in the future."
    if aware_at > now:
        errors["aware_at"] = "Awareness cannot be in the future."
    if aware_at < detected_at:
        errors["aware_at"] = "Awareness cannot come before detection."
    elif aware_at - detected_at > AWARENESS_GAP and not gap_reason:
        errors["awareness_gap_reason"] = "Say why awareness came more than an hour after detection."
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
    title = _text(title, "title", MAX_TITLE, required=True)
    description = _text(description, "description", MAX_TEXT)
    gap_reason = _text(awareness_gap_reason, "awareness_gap_reason", MAX_REASON)
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
    _record(incident=incident, actor=actor, action="incidents.incident.reported", text="Reported.", details=details)
    officers = permissions.role_members("privacy-officers")
    notifications.notify(
        key=f"incident-reported:{incident.pk}",
        to=list(officers),
        template="incidents/reported",
        context={"incident_id": incident.pk, "reference": incident.reference, "title": incident.title},
    )
    return incident


@transaction.atomic
def incident_assign_handler(*, actor, incident: Incident, handler) -> Incident:
    """A privacy officer makes ``handler`` work this incident (see and change it)."""
    incident = _lock(incident)
    permissions.require(actor, ASSIGN, incident, message="Only privacy officers assign handlers.")
    if not handler.is_active:
        raise ValidationError(fields={"handler": f"{handler} is inactive."})
    permissions.assign(VIEW, handler, incident)
    permissions.assign(CHANGE, handler, incident)
    _record(
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
        context={"incident_id": incident.pk, "reference": incident.reference, "title": incident.title},
    )
    return incident


def handlers(incident: Incident) -> list:
    return list(permissions.holders(CHANGE, incident))


@transaction.atomic
def incident_set_status(*, actor, incident: Incident, status: str, note: str = "") -> Incident:
    """Move forward through reported → triage → contained → notifying → closed."""
    incident = _lock(incident)
    permissions.require(actor, CHANGE, incident)
    note = _text(note, "note", MAX_REASON)
    if status not in STATUS_ORDER:
        raise ValidationError(fields={"status": f"Choose one of {', '.join(STATUS_ORDER)}."})
    if STATUS_ORDER.index(status) <= STATUS_ORDER.index(incident.status):
        raise Conflict(f"The incident is {incident.get_status_display().lower()}; it cannot go to {status}.")
    if status == Incident.Status.CLOSED and incident.obligations.open().exists():
        raise Conflict("Meet or record an exemption for every open obligation before closing.")
    previous, incident.status = incident.status, status
    incident.save(update_fields=["status"])
    _record(
        incident=incident,
        actor=actor,
        action="incidents.incident.status_changed",
        text=f"Status {previous} → {status}." + (f" {note}" if note else ""),
        details={"from": previous, "to": status, "note": note},
    )
    return incident


# --- Assessment and obligations ----------------------------------------------------


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
    incident = _lock(incident)
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
    _record(incident=incident, actor=actor, action="incidents.incident.assessed", text=text + ".", details=details)
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
    incident = _lock(incident)
    permissions.require(actor, CHANGE, incident)
    authority = _text(authority, "authority", 200, required=True)
    reference = _text(reference, "reference", 200)
    delay_reason = _text(delay_reason, "delay_reason", MAX_REASON)
    notes = _text(notes, "notes", MAX_TEXT)
    now = timezone.now()
    if submitted_at > now:
        raise ValidationError(fields={"submitted_at": "A submission cannot be in the future."})
    obligation = _regulator_obligation(incident, regime)
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
    _record(
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
    incident = _lock(incident)
    permissions.require(actor, CHANGE, incident)
    reason = _text(reason, "reason", MAX_REASON, required=True, message="Say why no notification is needed.")
    if incident.assessed_at is None:
        raise Conflict("Assess the incident first.")
    if incident.obligations.filter(recipient=Obligation.Recipient.REGULATOR).open().exists():
        raise Conflict("The assessment requires notifying the regulator; change the assessment first.")
    incident.no_notification_at, incident.no_notification_by = timezone.now(), actor
    incident.no_notification_reason = reason
    incident.save(update_fields=["no_notification_at", "no_notification_by", "no_notification_reason"])
    _record(
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
    incident = _lock(obligation.incident)
    permissions.require(actor, CHANGE, incident)
    reason = _text(reason, "reason", MAX_REASON, required=True, message="Say which exemption applies and why.")
    obligation = Obligation.objects.select_for_update().get(pk=obligation.pk)
    if obligation.recipient != Obligation.Recipient.SUBJECTS:
        raise Conflict("Only notifying the data subjects can be exempted (Art. 34(3)).")
    if not obligation.is_open:
        raise Conflict("This obligation is no longer open.")
    obligation.exempt_at, obligation.exempt_by, obligation.exempt_reason = timezone.now(), actor, reason
    obligation.save(update_fields=["exempt_at", "exempt_by", "exempt_reason"])
    _record(
        incident=incident,
        actor=actor,
        action="incidents.obligation.exempted",
        text=f"Notifying the data subjects ({obligation.regime_id}) exempted: {reason}",
        details={"obligation": obligation.pk, "reason": reason},
    )
    return obligation


# --- Involved users -----------------------------------------------------------------


@transaction.atomic
def involved_user_add(*, actor, incident: Incident, user, note: str = "") -> InvolvedUser:
    incident = _lock(incident)
    permissions.require(actor, CHANGE, incident)
    note = _text(note, "note", MAX_REASON)
    if incident.involved.filter(user=user).exists():
        raise Conflict(f"{user} is already involved in this incident.")
    involved = InvolvedUser.objects.create(incident=incident, user=user, added_by=actor, note=note)
    _record(
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
    incident = _lock(incident)
    permissions.require(actor, CHANGE, incident)
    involved = InvolvedUser.objects.select_for_update().filter(incident=incident, user=user).first()
    if involved is None:
        raise ValidationError(fields={"user": "Link this person to the incident first."})
    extra = _text(reason, "reason", MAX_REASON - 100)
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


@transaction.atomic
def timeline_note(*, actor, incident: Incident, text: str) -> TimelineEntry:
    """A manual note on the timeline (handlers and privacy officers)."""
    incident = _lock(incident)
    permissions.require(actor, CHANGE, incident)
    text = _text(text, "text", MAX_TEXT, required=True)
    audit.record(actor=actor, action="incidents.timeline.noted", target=incident, details={"text": text})
    return timeline_add(incident=incident, actor=actor, action="incidents.timeline.noted", text=text)
