"""Notifying the subjects is the filing against the Art. 34 obligations: their clocks stop; later sends
are supplements."""

from __future__ import annotations

import pytest

from incidents.models import Filing, Obligation
from incidents.services import obligation_exempt
from incidents.subjects.services import subjects_notify
from incidents.tests.factories import assess, import_subjects, make_incident

pytestmark = pytest.mark.django_db


def _notify(officer, incident):
    return subjects_notify(actor=officer, incident=incident, subject="About {reference}", body="Dear {name}.")


@pytest.fixture
def high_risk(employee, privacy_officer):
    incident = make_incident(employee)
    assess(privacy_officer, incident, risk="high_risk", jurisdictions=("EU", "UK"))
    return incident


def _subjects(incident):
    return Obligation.objects.filter(incident=incident, recipient=Obligation.Recipient.SUBJECTS)


def test_the_first_notification_meets_every_subjects_obligation_and_leaves_the_regulator_open(
    privacy_officer, high_risk, client_of
):
    import_subjects(privacy_officer, high_risk, 3)

    notification = _notify(privacy_officer, high_risk)

    assert _subjects(high_risk).count() == 2  # GDPR and UK GDPR
    assert all(o.done_at == notification.created_at and o.late is False for o in _subjects(high_risk))
    assert Obligation.objects.filter(incident=high_risk, recipient="regulator").open().count() == 2
    filing = Filing.objects.filter(obligation__incident=high_risk).first()
    assert (filing.kind, filing.reference) == ("initial", f"notification {notification.pk}")
    assert "3 subjects" in filing.notes
    assert "Met: notifying the data subjects" in high_risk.timeline.last().text
    body = client_of(privacy_officer).get(f"/api/incidents/{high_risk.pk}").json()
    done = {o["kind"]: o["done_at"] for o in body["obligations"]}
    assert done["gdpr.subjects"] is not None
    assert done["gdpr.regulator"] is None


def test_a_later_notification_is_a_supplement_and_keeps_the_first_time(privacy_officer, high_risk):
    import_subjects(privacy_officer, high_risk, 2)
    first = _notify(privacy_officer, high_risk)
    import_subjects(privacy_officer, high_risk, 2, start=2)

    _notify(privacy_officer, high_risk)

    assert {o.done_at for o in _subjects(high_risk)} == {first.created_at}
    kinds = sorted(Filing.objects.filter(obligation__in=_subjects(high_risk)).values_list("kind", flat=True))
    assert kinds == ["initial", "initial", "supplement", "supplement"]


def test_an_exempted_obligation_is_not_filed_against(privacy_officer, high_risk):
    exempt = _subjects(high_risk).get(regime__code="gdpr")
    obligation_exempt(actor=privacy_officer, obligation=exempt, reason="The data was encrypted (Art. 34(3)(a)).")
    import_subjects(privacy_officer, high_risk, 1)

    _notify(privacy_officer, high_risk)

    exempt.refresh_from_db()
    assert exempt.done_at is None
    assert not exempt.filings.exists()
    assert _subjects(high_risk).exclude(pk=exempt.pk).get().done_at is not None


def test_without_a_subjects_obligation_notifying_files_nothing(employee, privacy_officer):
    incident = make_incident(employee)
    assess(privacy_officer, incident, risk="risk")  # the regulator only
    import_subjects(privacy_officer, incident, 1)

    _notify(privacy_officer, incident)

    assert not Filing.objects.exists()
    assert "Met:" not in incident.timeline.last().text
