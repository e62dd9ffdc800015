"""Intake: the public API and form answer the same whoever asks, are throttled, and start verification."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.utils import timezone

from dsar import services
from dsar.models import Request
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db

BODY = {"type": "access", "email": "ann@example.com", "jurisdiction": "gdpr", "name": "Ann", "customer_id": "C-1001"}


def _known_only(address: str):
    """A lookup that knows one customer (as the customer database would)."""
    services.register_address_lookup(lambda request: address if request.email == address else "")


def test_public_intake_records_the_request_and_mails_a_link(
    client_of, customer_register, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of().post("/api/dsar/intake", BODY, format="json")

    assert response.status_code == 202
    request = Request.objects.get()
    assert request.reference == f"DSAR-{timezone.localtime().year}-0001"
    assert request.status == Request.Status.VERIFYING
    assert request.created_by is None
    assert request.due_trace
    assert request.due_at > request.received_at
    assert [m.to for m in mail.outbox if "Confirm your request" in m.subject] == [["ann@example.com"]]
    assert AuditEvent.objects.filter(action="dsar.request.received", target_id=str(request.pk)).exists()


def test_the_answer_is_identical_for_a_known_and_an_unknown_subject(
    client_of, customer_register, django_capture_on_commit_callbacks
):
    _known_only("ann@example.com")
    client = client_of()

    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/api/dsar/intake", BODY, format="json")
        unknown = client.post("/api/dsar/intake", {**BODY, "email": "nobody@example.org"}, format="json")

    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert {k: v for k, v in known.headers.items() if k != "Date"} == {
        k: v for k, v in unknown.headers.items() if k != "Date"
    }
    # Only the address on record gets a link; the unknown one waits for staff.
    links = [m.to for m in mail.outbox if "Confirm your request" in m.subject]
    assert links == [["ann@example.com"]]
    assert Request.objects.get(email="nobody@example.org").status == Request.Status.RECEIVED


def test_the_public_form_answers_the_same_too(web_of, django_capture_on_commit_callbacks):
    _known_only("ann@example.com")
    client = web_of()

    known = client.post("/dsar/request/", BODY)
    unknown = client.post("/dsar/request/", {**BODY, "email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 200
    strip = lambda r: re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", r.content)  # noqa: E731
    assert strip(known) == strip(unknown)
    assert b"we will e-mail you a link" in known.content


def test_intake_needs_valid_fields_and_names_them(client_of):
    response = client_of().post("/api/dsar/intake", {"type": "everything", "email": "not-an-address"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"type", "email", "jurisdiction"}
    assert not Request.objects.exists()


def test_intake_is_throttled_per_address(client_of, settings):
    settings.DSAR_INTAKE_PER_ADDRESS = "3/hour"
    client = client_of()
    answers = [client.post("/api/dsar/intake", BODY, format="json").status_code for _ in range(4)]
    other = client.post("/api/dsar/intake", {**BODY, "email": "bob@example.com"}, format="json")

    assert answers == [202, 202, 202, 429]
    assert other.status_code == 202
    assert Request.objects.count() == 4


def test_intake_is_throttled_per_client(client_of, settings):
    settings.DSAR_INTAKE_PER_ADDRESS = "100/hour"
    client = client_of()
    codes = [
        client.post("/api/dsar/intake", {**BODY, "email": f"p{i}@example.com"}, format="json").status_code
        for i in range(11)
    ]

    assert codes[:10] == [202] * 10
    assert codes[10] == 429
    assert "Retry-After" in client.post("/api/dsar/intake", BODY, format="json").headers


def test_the_form_and_the_api_share_the_throttle(client_of, web_of, settings):
    settings.DSAR_INTAKE_PER_ADDRESS = "2/hour"
    client_of().post("/api/dsar/intake", BODY, format="json")
    web_of().post("/dsar/request/", BODY)

    response = web_of().post("/dsar/request/", BODY)

    assert response.status_code == 429
    assert b"Too many requests" in response.content
    assert Request.objects.count() == 2


def test_the_public_form_needs_no_sign_in(web_of):
    response = web_of().get("/dsar/request/")

    assert response.status_code == 200
    assert b"Ask about your personal data" in response.content


def test_staff_enter_a_request_received_earlier_and_its_clock_runs_from_then(privacy_officer, web_of):
    response = web_of(privacy_officer).post(
        "/dsar/new/",
        {**BODY, "received_at": "2026-01-31T09:00", "send_verification": ""},
    )

    request = Request.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/dsar/{request.pk}/"
    assert request.created_by == privacy_officer
    assert request.status == Request.Status.RECEIVED  # no link asked for
    assert timezone.localtime(request.due_at).date().isoformat() == "2026-03-02"  # 28 Feb 2026 is a Saturday


def test_staff_entry_refuses_a_day_of_receipt_in_the_future(privacy_officer, web_of):
    response = web_of(privacy_officer).post("/dsar/new/", {**BODY, "received_at": "2999-01-01T09:00"})

    assert response.status_code == 200
    assert b"cannot be in the future" in response.content
    assert not Request.objects.exists()


def test_only_privacy_officers_enter_requests(employee, web_of):
    assert web_of(employee).post("/dsar/new/", BODY).status_code == 403
    assert not Request.objects.exists()
