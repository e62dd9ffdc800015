"""Auditors read every request and work none: never made a handler (by assignment or at staff entry), and a
handler's rights they hold anyway count for nothing, in the service, the API and the pages alike."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from dsar import services
from dsar.models import Request
from dsar.tests.factories import make_request
from portal import offboarding, permissions
from portal.errors import Forbidden, ValidationError
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db

REASON = {"reason": "The subject asked for more than we can gather in a month."}


@pytest.fixture
def auditor_with_rights(auditor):
    """An auditor holding a handler's rights on a request, given by hand past the service."""
    request = make_request()
    permissions.assign(services.VIEW, auditor, request)
    permissions.assign(services.CHANGE, auditor, request)
    auditor.case = request
    return auditor


def test_assigning_an_auditor_as_handler_is_refused_naming_the_field(privacy_officer, auditor):
    request = make_request()

    with pytest.raises(ValidationError) as refused:
        services.request_assign_handler(actor=privacy_officer, request=request, handler=auditor)

    request.refresh_from_db()
    assert "auditor" in refused.value.fields["handler"][0]
    assert request.handler is None
    assert not permissions.has(auditor, services.CHANGE, request)
    assert not AuditEvent.objects.filter(action="dsar.request.handler_assigned").exists()


def test_a_request_entered_with_an_auditor_as_handler_is_not_entered(privacy_officer, auditor):
    with pytest.raises(ValidationError, match="Some fields"):
        make_request(by=privacy_officer, handler=auditor)

    assert not Request.objects.exists()


def test_the_api_answers_400_on_the_handler_field_for_an_auditor(client_of, privacy_officer, auditor):
    request = make_request()

    response = client_of(privacy_officer).post(f"/api/dsar/{request.pk}/assign", {"handler": auditor.pk}, format="json")

    assert response.status_code == 400
    assert "auditor" in response.json()["errors"]["handler"][0]


def test_the_pages_say_why_an_auditor_cannot_be_made_handler(web_of, privacy_officer, auditor):
    request = make_request()
    client = web_of(privacy_officer)

    assigned = client.post(f"/dsar/{request.pk}/handler/", {"handler": auditor.pk})
    entry = {"type": "access", "email": "bo@example.com", "jurisdiction": "gdpr", "handler": auditor.pk}
    entered = client.post("/dsar/new/", entry)

    assert assigned.status_code == 302
    texts = [str(m) for m in get_messages(assigned.wsgi_request)]
    assert any("handler:" in t and "auditor" in t for t in texts), texts
    assert entered.status_code == 200
    assert "auditor" in " ".join(entered.context["form"].errors["handler"])
    assert not Request.objects.filter(email="bo@example.com").exists()


def test_a_handlers_rights_held_by_an_auditor_change_nothing_in_the_service(auditor_with_rights):
    request = auditor_with_rights.case

    with pytest.raises(Forbidden):
        services.request_extend(actor=auditor_with_rights, request=request, **REASON)
    with pytest.raises(Forbidden):
        services.request_reject(actor=auditor_with_rights, request=request, **REASON)

    request.refresh_from_db()
    assert request.status != Request.Status.REJECTED


def test_an_auditor_with_a_handlers_rights_reads_but_gets_403_on_writes(client_of, web_of, auditor_with_rights):
    request = auditor_with_rights.case
    api, web = client_of(auditor_with_rights), web_of(auditor_with_rights)

    assert api.get(f"/api/dsar/{request.pk}").status_code == 200
    assert api.post(f"/api/dsar/{request.pk}/extend", REASON, format="json").status_code == 403
    page = web.get(f"/dsar/{request.pk}/")
    assert page.status_code == 200
    assert "Extend the deadline" not in page.content.decode()
    assert web.post(f"/dsar/{request.pk}/extend/", REASON).status_code == 403


# --- An offboarded handler: the requests they handled stop being theirs -----------------------------


def test_offboarding_a_handler_takes_the_requests_they_handle(
    client_of, web_of, access_admin, privacy_officer, outsider
):
    request = make_request(handler=outsider)
    finished = services.request_reject(
        actor=privacy_officer, request=make_request(handler=outsider, email="cy@example.com"), **REASON
    )
    api = client_of(outsider)
    assert api.get(f"/api/dsar/{request.pk}").status_code == 200

    offboarding.user_offboard(actor=access_admin, user=outsider, reason="Left the company.")

    request.refresh_from_db()
    finished.refresh_from_db()
    assert request.handler is None
    assert finished.handler == outsider  # history; the rights went all the same
    assert api.get(f"/api/dsar/{finished.pk}").status_code == 404
    assert api.get(f"/api/dsar/{request.pk}").status_code == 404
    assert api.post(f"/api/dsar/{request.pk}/extend", REASON, format="json").status_code == 404
    assert web_of(outsider).get(f"/dsar/{request.pk}/").status_code == 404
    event = AuditEvent.objects.get(action="dsar.request.handler_removed", target_id=str(request.pk))
    assert (event.details["handler"], event.details["reason"]) == (outsider.pk, "Left the company.")
    offboarded = AuditEvent.objects.get(action="portal.user.offboarded")
    assert sorted(offboarded.details["dsar_requests"]) == sorted([request.pk, finished.pk])


def test_the_confirmation_page_lists_the_requests_a_person_handles(web_of, access_admin, outsider):
    request = make_request(handler=outsider)

    page = web_of(access_admin).get(f"/people/{outsider.pk}/revoke-all/").content.decode()

    assert "Data-subject requests they handle" in page
    assert request.reference in page
