"""Auditors read every incident and work none: never made a handler, and a handler's rights they hold
anyway (a row from before that rule, or one given by hand) count for nothing, in the service, the API
and the pages alike."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from incidents import selectors, services
from incidents.models import TimelineEntry
from incidents.tests.factories import assess, make_incident
from portal import offboarding, permissions
from portal.errors import Forbidden, ValidationError
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(employee, privacy_officer):
    incident = make_incident(employee)
    assess(privacy_officer, incident, risk="risk")
    return incident


@pytest.fixture
def auditor_with_rights(auditor, incident):
    """An auditor holding a handler's rights on the incident, given by hand past the service."""
    permissions.assign(services.VIEW, auditor, incident)
    permissions.assign(services.CHANGE, auditor, incident)
    return auditor


def test_assigning_an_auditor_as_handler_is_refused_naming_the_field(privacy_officer, auditor, incident):
    with pytest.raises(ValidationError) as refused:
        services.incident_assign_handler(actor=privacy_officer, incident=incident, handler=auditor)

    assert "auditor" in refused.value.fields["handler"][0]
    assert not permissions.has(auditor, services.CHANGE, incident)
    assert not AuditEvent.objects.filter(action="incidents.incident.handler_assigned").exists()
    assert not TimelineEntry.objects.filter(incident=incident, action="incidents.incident.handler_assigned").exists()


def test_the_api_answers_400_on_the_handler_field_for_an_auditor(client_of, privacy_officer, auditor, incident):
    response = client_of(privacy_officer).post(
        f"/api/incidents/{incident.pk}/handlers", {"handler": auditor.pk}, format="json"
    )

    assert response.status_code == 400
    assert "auditor" in response.json()["errors"]["handler"][0]
    assert selectors.incident_handlers(incident) == []


def test_the_page_says_why_an_auditor_cannot_be_made_handler(web_of, privacy_officer, auditor, incident):
    client = web_of(privacy_officer)

    response = client.post(f"/incidents/{incident.pk}/handlers/", {"handler": auditor.pk})

    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("handler:" in t and "auditor" in t for t in texts), texts
    assert selectors.incident_handlers(incident) == []


def test_a_handlers_rights_held_by_an_auditor_change_nothing_in_the_service(auditor_with_rights, incident):
    with pytest.raises(Forbidden):
        services.incident_set_status(actor=auditor_with_rights, incident=incident, status="triage")
    with pytest.raises(Forbidden):
        services.timeline_note(actor=auditor_with_rights, incident=incident, text="Looked at it.")

    incident.refresh_from_db()
    assert incident.status == "reported"


def test_an_auditor_with_a_handlers_rights_still_reads_but_gets_403_on_every_write_of_the_api(
    client_of, auditor_with_rights, incident
):
    client = client_of(auditor_with_rights)

    assert client.get(f"/api/incidents/{incident.pk}").status_code == 200
    assert client.post(f"/api/incidents/{incident.pk}/status", {"status": "triage"}, format="json").status_code == 403
    body = {"title": "Call the vendor", "assignee": auditor_with_rights.pk}
    assert client.post(f"/api/incidents/{incident.pk}/tasks", body, format="json").status_code == 403


def test_an_auditor_with_a_handlers_rights_sees_no_actions_and_gets_403_on_the_pages(
    web_of, auditor_with_rights, incident
):
    client = web_of(auditor_with_rights)

    page = client.get(f"/incidents/{incident.pk}/")
    refused = client.post(f"/incidents/{incident.pk}/status/", {"status": "triage"})

    assert page.status_code == 200
    assert page.context["may_work"] is False
    assert refused.status_code == 403


def test_an_auditor_holding_rights_by_hand_is_no_handler_and_no_task_assignee(
    privacy_officer, auditor_with_rights, incident
):
    assert selectors.incident_handlers(incident) == []
    with pytest.raises(ValidationError):
        services.task_create(actor=privacy_officer, incident=incident, title="Check", assignee=auditor_with_rights)


def test_a_superuser_is_not_taken_for_an_auditor(privacy_officer, incident):
    from portal.tests.factories import UserFactory

    root = UserFactory(username="root", is_superuser=True)

    services.incident_assign_handler(actor=privacy_officer, incident=incident, handler=root)

    services.incident_set_status(actor=root, incident=incident, status="triage")


# --- An offboarded handler: the incidents they handled stop being theirs ------------------------------


def test_offboarding_a_handler_takes_the_incidents_they_handle(
    client_of, web_of, access_admin, privacy_officer, employee, outsider, incident
):
    own_report = make_incident(outsider, title="My laptop was stolen")
    for case in (incident, own_report):
        services.incident_assign_handler(actor=privacy_officer, incident=case, handler=outsider)
    api = client_of(outsider)
    assert api.post(f"/api/incidents/{incident.pk}/status", {"status": "triage"}, format="json").status_code == 200

    offboarding.user_offboard(actor=access_admin, user=outsider, reason="Left the company.")

    assert api.get(f"/api/incidents/{incident.pk}").status_code == 404
    assert web_of(outsider).post(f"/incidents/{incident.pk}/status/", {"status": "contained"}).status_code == 404
    # Their own report stays visible to them, as any reporter's, but they no longer work it.
    assert api.get(f"/api/incidents/{own_report.pk}").status_code == 200
    assert api.post(f"/api/incidents/{own_report.pk}/status", {"status": "triage"}, format="json").status_code == 403
    assert selectors.incident_handlers(incident) == selectors.incident_handlers(own_report) == []
    removed = AuditEvent.objects.filter(action="incidents.incident.handler_removed")
    assert sorted(e.target_id for e in removed) == sorted(str(pk) for pk in (incident.pk, own_report.pk))
    assert incident.timeline.filter(action="incidents.incident.handler_removed").exists()
    offboarded = AuditEvent.objects.get(action="portal.user.offboarded")
    assert sorted(offboarded.details["incidents"]) == sorted([incident.pk, own_report.pk])


def test_the_confirmation_page_lists_the_incidents_a_person_handles(web_of, access_admin, privacy_officer, incident):
    from portal.tests.factories import UserFactory

    hank = UserFactory(username="hank")
    services.incident_assign_handler(actor=privacy_officer, incident=incident, handler=hank)

    page = web_of(access_admin).get(f"/people/{hank.pk}/revoke-all/").content.decode()

    assert "Incidents they handle" in page
    assert incident.reference in page


def test_lists_of_who_works_an_incident_leave_out_an_auditor_holding_rights(auditor_with_rights, incident):
    from incidents.models import Incident

    assert not permissions.visible(auditor_with_rights, services.CHANGE, Incident.objects.all()).exists()
    assert permissions.visible(auditor_with_rights, services.VIEW, Incident.objects.all()).exists()
    assert auditor_with_rights not in permissions.holders(services.CHANGE, incident)
