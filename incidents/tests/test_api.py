"""The incidents API as the spec's table describes it, its errors, and its query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access.tests.factories import make_grant
from incidents.models import Incident, InvolvedUser, Obligation, TimelineEntry
from incidents.tests.factories import assess, make_incident
from portal import permissions
from portal.models import AuditEvent, User

pytestmark = pytest.mark.django_db


def test_an_employee_reports_an_incident_and_gets_its_reference(client_of, employee, asset):
    detected = timezone.now() - timedelta(minutes=30)
    body = {
        "title": "Customer list e-mailed to a personal address",
        "description": "Spotted in the DLP logs.",
        "kind": "unauthorized_disclosure",
        "detected_at": detected.isoformat(),
        "aware_at": detected.isoformat(),
        "assets": [asset.pk],
    }

    response = client_of(employee).post("/api/incidents/", body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["reference"] == f"INC-{timezone.localtime().year}-0001"
    assert data["assets"] == [asset.pk]
    assert data["status"] == "reported"
    assert data["timeline"][0]["action"] == "incidents.incident.reported"


def test_a_report_with_bad_fields_is_400_naming_each(client_of, employee):
    response = client_of(employee).post(
        "/api/incidents/", {"title": "", "kind": "volcano", "detected_at": "yesterday"}, format="json"
    )

    assert response.status_code == 400
    assert {"title", "kind", "detected_at"} <= set(response.json()["errors"])


def test_a_gap_without_a_reason_is_400_on_that_field(client_of, employee):
    now = timezone.now()
    body = {
        "title": "Old leak",
        "kind": "loss",
        "detected_at": (now - timedelta(days=5)).isoformat(),
        "aware_at": now.isoformat(),
    }
    response = client_of(employee).post("/api/incidents/", body, format="json")

    assert response.status_code == 400
    assert "awareness_gap_reason" in response.json()["errors"]


def test_assessing_answers_the_obligations_with_their_clocks(client_of, employee, privacy_officer):
    incident = make_incident(employee)
    body = {
        "is_personal_data_breach": True,
        "risk": "high_risk",
        "data_categories": ["contact details"],
        "subject_count": 1000,
        "jurisdictions": ["EU"],
    }

    response = client_of(privacy_officer).post(f"/api/incidents/{incident.pk}/assess", body, format="json")

    assert response.status_code == 200, response.content
    obligations = {o["kind"]: o for o in response.json()["obligations"]}
    assert set(obligations) == {"gdpr.regulator", "gdpr.subjects"}
    regulator = obligations["gdpr.regulator"]
    assert regulator["done_at"] is None
    assert regulator["clock"]["state"] == "running"
    assert 70 * 3600 < regulator["clock"]["seconds"] <= 71 * 3600
    assert obligations["gdpr.subjects"]["due_at"] is None


def test_a_late_regulator_notification_without_a_reason_is_400(client_of, employee, privacy_officer):
    incident = make_incident(employee, aware_hours_ago=80)
    assess(privacy_officer, incident, risk="risk")
    client = client_of(privacy_officer)
    url = f"/api/incidents/{incident.pk}/regulator-notifications"
    body = {"authority": "CNIL", "submitted_at": timezone.now().isoformat(), "reference": "CNIL-2026-77"}

    refused = client.post(url, body, format="json")
    accepted = client.post(url, {**body, "delay_reason": "The processor told us on day four."}, format="json")

    assert refused.status_code == 400
    assert "delay_reason" in refused.json()["errors"]
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["kind"] == "initial"
    assert Obligation.objects.get(incident=incident).late is True


def test_revoke_access_answers_the_count_revoked(client_of, employee, outsider, privacy_officer, asset):
    make_grant(outsider, asset)
    incident = make_incident(employee, assets=[asset])
    client = client_of(privacy_officer)

    linked = client.post(f"/api/incidents/{incident.pk}/involved-users", {"user": outsider.pk}, format="json")
    revoked = client.post(f"/api/incidents/{incident.pk}/revoke-access", {"user": outsider.pk}, format="json")

    assert linked.status_code == 201
    assert revoked.status_code == 200, revoked.content
    assert revoked.json() == {"revoked": 1, "cancelled": 0}
    assert AuditEvent.objects.filter(action="incidents.involved_user.access_revoked").count() == 1


def test_an_incident_one_may_not_see_is_404_on_every_path(client_of, employee, outsider, privacy_officer):
    incident = make_incident(outsider)
    assess(privacy_officer, incident)
    client = client_of(employee)

    assert client.get(f"/api/incidents/{incident.pk}").status_code == 404
    for action in ("assess", "involved-users", "revoke-access", "regulator-notifications", "status", "handlers"):
        response = client.post(f"/api/incidents/{incident.pk}/{action}", {}, format="json")
        assert response.status_code == 404, action
    assert client.get("/api/incidents/").json()["results"] == []
    assert client.get("/api/incidents/999999").status_code == 404


def test_the_reporter_sees_but_may_not_work_the_incident(client_of, employee):
    incident = make_incident(employee)

    response = client_of(employee).post(f"/api/incidents/{incident.pk}/status", {"status": "triage"}, format="json")

    assert response.status_code == 403


# --- Constant queries -----------------------------------------------------------


def _incidents(reporter, n: int) -> None:
    """``n`` incidents reported by ``reporter``, each with an obligation, an asset and the reporter's right."""
    now = timezone.now()
    start = Incident.objects.count()
    made = Incident.objects.bulk_create(
        Incident(
            reference=f"INC-1999-{start + i:05d}",
            title=f"Incident {i}",
            kind="loss",
            reported_by=reporter,
            detected_at=now,
            aware_at=now,
            is_personal_data_breach=True,
            risk="risk",
        )
        for i in range(n)
    )
    from incidents.models import Regime

    gdpr = Regime.objects.get(code="gdpr")
    Obligation.objects.bulk_create(
        Obligation(incident=i, regime=gdpr, recipient="regulator", due_at=now + timedelta(hours=72)) for i in made
    )
    permissions.assign_many(Incident, [(reporter.pk, i.pk, "incidents.view_incident") for i in made])


def _count(client, url: str) -> int:
    client.get(url)  # warm the process-wide caches (content types, permission ids) first
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["employee", "privacy_officer"])
def test_the_list_uses_the_same_queries_for_10_and_1000_incidents(request, client_of, employee, persona):
    user = request.getfixturevalue(persona)
    client = client_of(user)
    _incidents(employee, 10)
    small = _count(client, "/api/incidents/")
    _incidents(employee, 990)
    # session, user, (groups, perms), page, count, assets, obligations
    assert _count(client, "/api/incidents/") == small


def test_the_detail_uses_the_same_queries_for_10_and_1000_rows(client_of, employee, privacy_officer):
    incident = make_incident(employee)
    assess(privacy_officer, incident)
    client = client_of(privacy_officer)

    def grow(n: int) -> None:
        start = User.objects.count()
        users = User.objects.bulk_create(User(username=f"u{start + i}") for i in range(n))
        InvolvedUser.objects.bulk_create(
            InvolvedUser(incident=incident, user=u, added_by=privacy_officer) for u in users
        )
        TimelineEntry.objects.bulk_create(
            TimelineEntry(incident=incident, actor=privacy_officer, action="note", text=f"note {i}") for i in range(n)
        )

    grow(10)
    small = _count(client, f"/api/incidents/{incident.pk}")
    grow(990)
    # session, user, incident (+ perms), assets, obligations, filings, involved, timeline
    assert _count(client, f"/api/incidents/{incident.pk}") == small


def test_the_exposure_report_lists_who_held_a_grant_on_the_affected_assets_in_the_window(
    client_of, employee, outsider, privacy_officer, asset, time_machine
):
    from access import services as access_services
    from portal.tests.factories import DataAssetFactory

    now = timezone.now()
    time_machine.move_to(now - timedelta(days=20), tick=False)
    early = make_grant(outsider, asset)  # revoked 10 days before the window
    time_machine.move_to(now - timedelta(days=10), tick=False)
    access_services.grant_revoke(actor=outsider, grant=early, reason="Done with it.")
    during = make_grant(employee, asset)
    make_grant(employee, DataAssetFactory(name="Elsewhere"))  # not an affected asset
    time_machine.move_to(now, tick=False)
    incident = make_incident(employee, assets=[asset])
    client = client_of(privacy_officer)
    url = f"/api/incidents/{incident.pk}/exposure"

    response = client.get(url, {"start": (now - timedelta(days=5)).isoformat(), "end": now.isoformat()})
    bad = client.get(url, {"start": now.isoformat(), "end": (now - timedelta(days=1)).isoformat()})

    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [(r["user"]["id"], r["asset"]) for r in rows] == [(employee.pk, asset.pk)]
    assert rows[0]["origin"] == during.origin
    assert bad.status_code == 400
    assert "end" in bad.json()["errors"]
