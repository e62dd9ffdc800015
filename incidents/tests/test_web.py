"""The incident pages: report, list with clocks, detail, actions through the services; the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access.tests.factories import make_grant
from incidents.models import Incident, InvolvedUser, Obligation, TimelineEntry
from incidents.tests.factories import assess, make_incident
from incidents.tests.test_api import _incidents
from portal.models import User

pytestmark = pytest.mark.django_db


def test_an_employee_reports_from_the_form_and_lands_on_the_incident(web_of, employee):
    when = timezone.localtime() - timedelta(minutes=10)
    response = web_of(employee).post(
        "/incidents/report/",
        {"title": "USB stick lost", "kind": "loss", "severity": "low", "detected_at": f"{when:%Y-%m-%dT%H:%M}"},
    )

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    # The form's local time is stored as the same instant in UTC.
    assert incident.detected_at == when.replace(second=0, microsecond=0)
    page = web_of(employee).get(response["Location"])
    assert incident.reference in page.content.decode()


def test_a_report_with_a_gap_and_no_reason_shows_the_field_error(web_of, employee):
    now = timezone.localtime()
    response = web_of(employee).post(
        "/incidents/report/",
        {
            "title": "Old leak",
            "kind": "loss",
            "severity": "low",
            "detected_at": f"{now - timedelta(days=2):%Y-%m-%dT%H:%M}",
            "aware_at": f"{now - timedelta(minutes=1):%Y-%m-%dT%H:%M}",
        },
    )

    assert response.status_code == 200
    assert "more than an hour after detection" in response.content.decode()
    assert not Incident.objects.exists()


def test_the_list_shows_time_left_and_overdue(web_of, employee, privacy_officer):
    in_time = make_incident(employee, title="Fresh one")
    assess(privacy_officer, in_time, risk="risk")
    overdue = make_incident(employee, title="Old one", aware_hours_ago=80)
    assess(privacy_officer, overdue, risk="risk")

    page = web_of(privacy_officer).get("/incidents/").content.decode()

    assert "gdpr.regulator: 2 d 22 h left" in page or "gdpr.regulator: 2 d 23 h left" in page
    assert "overdue by 8 h" in page


def test_a_privacy_officer_works_an_incident_from_its_page(web_of, employee, outsider, privacy_officer, asset):
    make_grant(outsider, asset)
    incident = make_incident(employee, aware_hours_ago=2)
    client = web_of(privacy_officer)
    base = f"/incidents/{incident.pk}"

    client.post(f"{base}/assess/", {"is_personal_data_breach": "on", "risk": "high_risk", "jurisdictions": "EU, UK"})
    client.post(f"{base}/involved/", {"user": outsider.pk, "note": "Sent the export"})
    client.post(f"{base}/revoke-access/", {"user": outsider.pk, "reason": "Leak"})
    client.post(
        f"{base}/regulator-notifications/",
        {"authority": "ICO", "regime": "uk-gdpr", "submitted_at": f"{timezone.localtime():%Y-%m-%dT%H:%M}"},
    )
    client.post(f"{base}/status/", {"status": "contained"})
    client.post(f"{base}/notes/", {"text": "Insider interviewed."})

    incident.refresh_from_db()
    assert incident.risk == "high_risk"
    assert incident.status == "contained"
    assert Obligation.objects.filter(incident=incident).count() == 4
    assert Obligation.objects.get(incident=incident, regime__code="uk-gdpr", recipient="regulator").late is False
    assert InvolvedUser.objects.get(incident=incident).access_revoked_at is not None
    page = client.get(f"{base}/").content.decode()
    assert "Insider interviewed." in page
    assert "ICO" in page
    assert "access revoked" in page


def test_a_refused_action_is_a_message_and_changes_nothing(web_of, employee, privacy_officer):
    incident = make_incident(employee, aware_hours_ago=80)
    assess(privacy_officer, incident, risk="risk")
    client = web_of(privacy_officer)

    response = client.post(
        f"/incidents/{incident.pk}/regulator-notifications/",
        {"authority": "CNIL", "submitted_at": f"{timezone.localtime():%Y-%m-%dT%H:%M}"},
        follow=True,
    )

    assert "record the reason for the delay" in response.content.decode()
    assert Obligation.objects.get(incident=incident).done_at is None


def test_someone_else_s_incident_is_404_and_the_reporter_cannot_work_theirs(web_of, employee, outsider):
    theirs, mine = make_incident(outsider), make_incident(employee)
    client = web_of(employee)

    assert client.get(f"/incidents/{theirs.pk}/").status_code == 404
    assert client.post(f"/incidents/{theirs.pk}/status/", {"status": "triage"}).status_code == 404
    assert client.post(f"/incidents/{mine.pk}/status/", {"status": "triage"}).status_code == 403
    assert theirs.reference not in client.get("/incidents/").content.decode()


def _count(client, url: str) -> int:
    client.get(url)  # warm the process-wide caches (content types, permission ids) first
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["employee", "privacy_officer"])
def test_the_list_page_uses_the_same_queries_for_10_and_1000_incidents(request, web_of, employee, persona):
    client = web_of(request.getfixturevalue(persona))
    _incidents(employee, 10)
    small = _count(client, "/incidents/")
    _incidents(employee, 990)
    assert _count(client, "/incidents/") == small


def test_the_detail_page_uses_the_same_queries_for_10_and_1000_rows(web_of, employee, privacy_officer, asset):
    incident = make_incident(employee, assets=[asset])
    assess(privacy_officer, incident)
    client = web_of(privacy_officer)

    def grow(n: int) -> None:
        start = User.objects.count()
        users = User.objects.bulk_create(User(username=f"u{start + i}") for i in range(n))
        InvolvedUser.objects.bulk_create(
            InvolvedUser(incident=incident, user=u, added_by=privacy_officer) for u in users
        )
        TimelineEntry.objects.bulk_create(
            TimelineEntry(incident=incident, actor=privacy_officer, action="note", text=f"note {i}") for i in range(n)
        )
        for u in users[:3]:
            make_grant(u, asset)

    grow(10)
    small = _count(client, f"/incidents/{incident.pk}/")
    grow(990)
    assert _count(client, f"/incidents/{incident.pk}/") == small


def test_staff_see_incidents_in_the_admin_read_only_and_edit_regimes(web_of, employee, privacy_officer):
    owner = User.objects.create_superuser("root", "root@example.com", "x")
    incident = make_incident(employee)
    assess(privacy_officer, incident)
    client = web_of(owner)

    assert client.get(f"/admin/incidents/incident/{incident.pk}/change/").status_code == 200
    assert client.post(f"/admin/incidents/incident/{incident.pk}/delete/").status_code == 403
    response = client.post(
        "/admin/incidents/regime/add/",
        {
            "code": "ch-fadp",
            "name": "Swiss FADP",
            "regulator": "FDPIC",
            "jurisdictions": '["CH"]',
            "regulator_hours": 72,
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content[:500]
    from portal.models import AuditEvent

    assert AuditEvent.objects.filter(action="incidents.regime.created").exists()


def test_every_employee_finds_incidents_in_the_navigation(web_of, employee):
    page = web_of(employee).get("/").content.decode()

    assert 'href="/incidents/"' in page
