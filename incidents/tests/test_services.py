"""The incident services: obligations and clocks, filings, decisions, handlers, involved users."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from access.models import Grant
from access.tests.factories import make_grant
from incidents import selectors, services
from incidents.models import Filing, Incident, Obligation, TimelineEntry
from incidents.tests.factories import assess, make_incident
from portal import permissions
from portal.errors import Conflict, Forbidden, NotFound, ValidationError
from portal.models import AuditEvent
from portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _kinds(incident) -> dict[str, Obligation]:
    return {o.kind: o for o in incident.obligations.select_related("regime").filter(withdrawn_at__isnull=True)}


# --- Reporting --------------------------------------------------------------


def test_a_report_gets_the_next_reference_of_the_year_and_its_reporter_sees_it(employee, outsider):
    first = make_incident(employee)
    second = make_incident(outsider)

    year = timezone.localtime().year
    assert first.reference == f"INC-{year}-0001"
    assert second.reference == f"INC-{year}-0002"
    assert first.status == Incident.Status.REPORTED
    assert selectors.incident_get(user=employee, pk=first.pk) == first
    with pytest.raises(NotFound):
        selectors.incident_get(user=employee, pk=second.pk)
    assert AuditEvent.objects.filter(action="incidents.incident.reported", target_id=str(first.pk)).exists()
    assert TimelineEntry.objects.get(incident=first).action == "incidents.incident.reported"


def test_privacy_officers_are_mailed_when_an_incident_is_reported(
    employee, privacy_officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(employee)

    assert [m.to for m in mail.outbox] == [[privacy_officer.email]]
    assert incident.reference in mail.outbox[0].subject


def test_a_gap_between_detection_and_awareness_needs_a_reason(employee):
    now = timezone.now()
    with pytest.raises(ValidationError) as exc:
        make_incident(employee, detected_at=now - timedelta(days=3), aware_at=now - timedelta(hours=1))
    assert "awareness_gap_reason" in exc.value.fields

    incident = make_incident(
        employee,
        detected_at=now - timedelta(days=3),
        aware_at=now - timedelta(hours=1),
        awareness_gap_reason="The log alert went to an unmonitored mailbox.",
    )
    assert incident.awareness_gap_reason.startswith("The log alert")


def test_awareness_before_detection_or_in_the_future_is_refused(employee):
    now = timezone.now()
    with pytest.raises(ValidationError) as exc:
        make_incident(employee, detected_at=now - timedelta(hours=1), aware_at=now - timedelta(hours=2))
    assert "aware_at" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        make_incident(employee, detected_at=now + timedelta(hours=1), aware_at=now + timedelta(hours=1))
    assert set(exc.value.fields) == {"detected_at", "aware_at"}


# --- Assessment and obligations ----------------------------------------------


@pytest.mark.parametrize(
    ("risk", "expected"),
    [
        ("none", set()),
        ("risk", {"gdpr.regulator"}),
        ("high_risk", {"gdpr.regulator", "gdpr.subjects"}),
    ],
)
def test_obligations_follow_the_risk(employee, privacy_officer, risk, expected):
    incident = make_incident(employee)
    assess(privacy_officer, incident, risk=risk)

    obligations = _kinds(incident)
    assert set(obligations) == expected
    if "gdpr.regulator" in obligations:
        assert obligations["gdpr.regulator"].due_at == incident.aware_at + timedelta(hours=72)
    if "gdpr.subjects" in obligations:
        # Without undue delay: no fixed hour, shown as such.
        assert obligations["gdpr.subjects"].due_at is None
        assert selectors.clock(obligations["gdpr.subjects"])["state"] == "without_undue_delay"


def test_no_obligation_when_it_is_not_a_personal_data_breach(employee, privacy_officer):
    incident = make_incident(employee)
    assess(privacy_officer, incident, breach=False, risk="")
    assert not incident.obligations.exists()


def test_each_regime_whose_jurisdiction_is_named_gets_its_own_obligations(employee, privacy_officer):
    incident = make_incident(employee)
    assess(privacy_officer, incident, risk="high_risk", jurisdictions=["DE", "uk"])

    assert set(_kinds(incident)) == {"gdpr.regulator", "gdpr.subjects", "uk-gdpr.regulator", "uk-gdpr.subjects"}


def test_an_unknown_jurisdiction_is_refused(employee, privacy_officer):
    incident = make_incident(employee)
    with pytest.raises(ValidationError) as exc:
        assess(privacy_officer, incident, jurisdictions=["ATLANTIS"])
    assert "ATLANTIS" in exc.value.fields["jurisdictions"][0]


def test_an_exercise_never_creates_a_legal_obligation(employee, privacy_officer):
    incident = make_incident(employee, is_exercise=True)
    assess(privacy_officer, incident, risk="high_risk")

    assert not incident.obligations.exists()
    assert "EXERCISE" in str(incident)
    assert "exercise" in incident.timeline.last().text
    with pytest.raises(Conflict, match="exercise"):
        services.regulator_notification_record(
            actor=privacy_officer, incident=incident, authority="CNIL", submitted_at=timezone.now()
        )


def test_a_reassessment_withdraws_what_is_no_longer_needed_and_keeps_what_was_filed(employee, privacy_officer):
    incident = make_incident(employee)
    assess(privacy_officer, incident, risk="high_risk")
    services.regulator_notification_record(
        actor=privacy_officer, incident=incident, authority="CNIL", submitted_at=timezone.now()
    )
    assess(privacy_officer, incident, risk="none")

    regulator = incident.obligations.get(recipient="regulator")
    subjects = incident.obligations.get(recipient="subjects")
    assert regulator.withdrawn_at is None
    assert regulator.done_at is not None
    assert subjects.withdrawn_at is not None

    assess(privacy_officer, incident, risk="high_risk")
    subjects.refresh_from_db()
    assert subjects.withdrawn_at is None


# --- Clocks around the 72-hour edge ------------------------------------------


@pytest.mark.parametrize(
    ("hours_after_awareness", "state"),
    [(0, "running"), (71, "running"), (72, "running"), (72.01, "overdue"), (100, "overdue")],
)
def test_the_regulator_clock_runs_out_72_hours_after_awareness(employee, privacy_officer, hours_after_awareness, state):
    incident = make_incident(employee)
    assess(privacy_officer, incident, risk="risk")
    obligation = incident.obligations.get()

    now = incident.aware_at + timedelta(hours=hours_after_awareness)
    clock = selectors.clock(obligation, now)

    assert clock["state"] == state
    assert clock["seconds"] == int((obligation.due_at - now).total_seconds())


def _file(officer, incident, submitted_at, **kw):
    return services.regulator_notification_record(
        actor=officer, incident=incident, authority="CNIL", submitted_at=submitted_at, **kw
    )


def test_a_filing_at_72_hours_is_in_time(employee, privacy_officer, time_machine):
    incident = make_incident(employee, aware_hours_ago=0)
    assess(privacy_officer, incident, risk="risk")
    time_machine.move_to(incident.aware_at + timedelta(hours=73), tick=False)

    filing = _file(privacy_officer, incident, incident.aware_at + timedelta(hours=72))

    obligation = filing.obligation
    assert filing.kind == Filing.Kind.INITIAL
    assert obligation.late is False
    assert obligation.done_at == incident.aware_at + timedelta(hours=72)
    assert selectors.clock(obligation)["state"] == "met"


def test_a_late_filing_without_a_reason_is_refused_and_with_one_is_recorded_late(
    employee, privacy_officer, time_machine
):
    incident = make_incident(employee, aware_hours_ago=0)
    assess(privacy_officer, incident, risk="risk")
    late = incident.aware_at + timedelta(hours=72, seconds=1)
    time_machine.move_to(late + timedelta(minutes=5), tick=False)

    with pytest.raises(ValidationError) as exc:
        _file(privacy_officer, incident, late)
    assert "delay_reason" in exc.value.fields
    assert not Filing.objects.exists()

    filing = _file(privacy_officer, incident, late, delay_reason="Forensics needed three days to scope the leak.")
    assert filing.obligation.late is True
    assert filing.obligation.late_reason.startswith("Forensics")
    event = AuditEvent.objects.get(action="incidents.regulator.notified")
    assert event.details["late"] is True


def test_the_first_filing_fixes_lateness_and_later_ones_are_supplements(employee, privacy_officer, time_machine):
    incident = make_incident(employee, aware_hours_ago=0)
    assess(privacy_officer, incident, risk="risk")
    time_machine.move_to(incident.aware_at + timedelta(days=10), tick=False)

    _file(privacy_officer, incident, incident.aware_at + timedelta(hours=10))
    # Ten days on: a supplement (Art. 33(4)) needs no delay reason and leaves the obligation in time.
    supplement = _file(privacy_officer, incident, incident.aware_at + timedelta(days=9), notes="Full scope now known.")

    obligation = supplement.obligation
    obligation.refresh_from_db()
    assert supplement.kind == Filing.Kind.SUPPLEMENT
    assert obligation.late is False
    assert obligation.done_at == incident.aware_at + timedelta(hours=10)
    assert obligation.filings.count() == 2


def test_a_filing_without_an_obligation_is_a_conflict(employee, privacy_officer):
    incident = make_incident(employee)
    with pytest.raises(Conflict, match="assess it first"):
        _file(privacy_officer, incident, timezone.now())


def test_with_two_regimes_a_filing_names_its_regime(employee, privacy_officer):
    incident = make_incident(employee)
    assess(privacy_officer, incident, risk="risk", jurisdictions=["FR", "UK"])

    with pytest.raises(ValidationError) as exc:
        _file(privacy_officer, incident, timezone.now())
    assert "regime" in exc.value.fields
    filing = _file(privacy_officer, incident, timezone.now(), regime="uk-gdpr")
    assert filing.obligation.regime.code == "uk-gdpr"


# --- Decisions not to notify ----------------------------------------------------


def test_deciding_no_notification_is_recorded_with_who_and_why(employee, privacy_officer):
    incident = make_incident(employee)
    assess(privacy_officer, incident, risk="none")

    services.incident_decide_no_notification(
        actor=privacy_officer, incident=incident, reason="Encrypted laptop, key not compromised."
    )

    incident.refresh_from_db()
    assert incident.no_notification_by == privacy_officer
    assert incident.no_notification_at is not None
    assert AuditEvent.objects.filter(action="incidents.incident.no_notification_decided").exists()


def test_no_notification_cannot_be_decided_while_the_regulator_must_be_told(employee, privacy_officer):
    incident = make_incident(employee)
    assess(privacy_officer, incident, risk="risk")
    with pytest.raises(Conflict):
        services.incident_decide_no_notification(actor=privacy_officer, incident=incident, reason="We think not.")


def test_an_art_34_3_exemption_closes_the_subjects_obligation(employee, privacy_officer):
    incident = make_incident(employee)
    assess(privacy_officer, incident, risk="high_risk")
    subjects = incident.obligations.get(recipient="subjects")

    services.obligation_exempt(actor=privacy_officer, obligation=subjects, reason="Art. 34(3)(a): data encrypted.")

    subjects.refresh_from_db()
    assert subjects.exempt_by == privacy_officer
    assert not subjects.is_open
    with pytest.raises(Conflict):
        services.obligation_exempt(
            actor=privacy_officer, obligation=incident.obligations.get(recipient="regulator"), reason="No."
        )


# --- Handlers, status -----------------------------------------------------------


def test_a_handler_assigned_by_a_privacy_officer_works_that_incident_only(
    employee, outsider, privacy_officer, django_capture_on_commit_callbacks
):
    handler = UserFactory(username="hank")
    incident, other = make_incident(employee), make_incident(outsider)
    with pytest.raises(Forbidden):
        services.incident_assign_handler(actor=employee, incident=incident, handler=handler)

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_assign_handler(actor=privacy_officer, incident=incident, handler=handler)

    assert handler.email in [m.to[0] for m in mail.outbox]
    assert selectors.incident_handlers(incident) == [handler]
    assert list(selectors.incident_list(user=handler)) == [incident]
    services.incident_set_status(actor=handler, incident=incident, status="triage")
    with pytest.raises(NotFound):
        selectors.incident_get(user=handler, pk=other.pk)
    # The reporter sees but does not work it.
    with pytest.raises(Forbidden):
        services.incident_set_status(actor=employee, incident=incident, status="contained")


def test_status_moves_forward_only_and_closing_needs_no_open_obligation(employee, privacy_officer):
    incident = make_incident(employee)
    services.incident_set_status(actor=privacy_officer, incident=incident, status="contained")
    with pytest.raises(Conflict):
        services.incident_set_status(actor=privacy_officer, incident=incident, status="triage")
    assess(privacy_officer, incident, risk="risk")
    with pytest.raises(Conflict, match="open obligation"):
        services.incident_set_status(actor=privacy_officer, incident=incident, status="closed")

    _file(privacy_officer, incident, timezone.now())
    services.incident_set_status(actor=privacy_officer, incident=incident, status="closed")

    actions = list(incident.timeline.values_list("action", flat=True))
    assert actions.count("incidents.incident.status_changed") == 2
    assert actions[0] == "incidents.incident.reported"


def test_timeline_entries_are_append_only(employee, privacy_officer):
    incident = make_incident(employee)
    entry = services.timeline_note(actor=privacy_officer, incident=incident, text="Called the vendor.")
    entry.text = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


# --- Involved users -----------------------------------------------------------------


def test_revoke_all_from_an_incident_revokes_grants_removes_permissions_and_audits(
    employee, outsider, privacy_officer, asset
):
    grant = make_grant(outsider, asset)
    assert permissions.has(outsider, "portal.use_dataasset", asset)
    incident = make_incident(employee, assets=[asset])
    services.involved_user_add(actor=privacy_officer, incident=incident, user=outsider)
    assert [g.pk for g in selectors.involved_active_grants(incident)[outsider.pk]] == [grant.pk]

    done = services.involved_user_revoke_access(
        actor=privacy_officer, incident=incident, user=outsider, reason="Disclosed customer contacts."
    )

    assert done["revoked"] == 1
    grant.refresh_from_db()
    assert grant.status == Grant.Status.REVOKED
    assert not permissions.has(outsider, "portal.use_dataasset", asset)
    outsider.refresh_from_db()
    assert outsider.offboard_reason == f"Incident {incident.reference}: Disclosed customer contacts."
    event = AuditEvent.objects.get(action="incidents.involved_user.access_revoked")
    assert event.target_id == str(outsider.pk)
    assert event.details["reference"] == incident.reference
    assert incident.involved.get().access_revoked_at is not None
    assert incident.timeline.filter(action="incidents.involved_user.access_revoked").exists()


def test_revoking_needs_the_user_linked_and_the_right_to_offboard(employee, outsider, privacy_officer):
    incident = make_incident(employee)
    with pytest.raises(ValidationError):
        services.involved_user_revoke_access(actor=privacy_officer, incident=incident, user=outsider)

    handler = UserFactory(username="hank")
    services.incident_assign_handler(actor=privacy_officer, incident=incident, handler=handler)
    services.involved_user_add(actor=handler, incident=incident, user=outsider)
    with pytest.raises(Forbidden):
        services.involved_user_revoke_access(actor=handler, incident=incident, user=outsider)
    with pytest.raises(Conflict):
        services.involved_user_add(actor=handler, incident=incident, user=outsider)
