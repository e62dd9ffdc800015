"""Verification: a signed, single-use link valid 72 hours, or staff recording another way."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from dsar import services
from dsar.models import Request
from dsar.tests.factories import make_request
from portal.errors import ValidationError
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


def _link(request: Request) -> str:
    return f"/dsar/verify/{services.make_token(request)}/"


def test_opening_the_mailed_link_verifies_the_request(web_of, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request()
    body = next(m for m in mail.outbox if "Confirm" in m.subject).body
    url = re.search(r"/dsar/verify/[^/\s]+/", body).group(0)

    response = web_of().get(url)

    request.refresh_from_db()
    assert response.status_code == 200
    assert b"is confirmed" in response.content
    assert request.status == Request.Status.VERIFIED
    assert request.verification_method == "link"
    assert request.verified_by is None
    assert AuditEvent.objects.filter(action="dsar.request.verified", target_id=str(request.pk)).exists()


def test_the_link_works_once(web_of):
    request = make_request()
    url = _link(request)

    first = web_of().get(url)
    second = web_of().get(url)

    assert first.status_code == 200
    assert second.status_code == 404
    assert b"already used" in second.content


def test_the_link_expires_after_72_hours(web_of):
    request = make_request()
    url = _link(request)

    with time_machine.travel(timezone.now() + timedelta(hours=72, minutes=1)):
        response = web_of().get(url)

    request.refresh_from_db()
    assert response.status_code == 410
    assert b"expired" in response.content
    assert request.status == Request.Status.VERIFYING


def test_a_link_still_works_just_before_72_hours(web_of):
    request = make_request()
    url = _link(request)

    with time_machine.travel(timezone.now() + timedelta(hours=71, minutes=59)):
        assert web_of().get(url).status_code == 200


def test_a_new_link_kills_the_old_one(web_of, privacy_officer):
    request = make_request()
    old = _link(request)

    services.verification_send(actor=privacy_officer, request=request)
    request.refresh_from_db()

    assert web_of().get(old).status_code == 404
    assert web_of().get(_link(request)).status_code == 200


def test_a_tampered_link_is_refused(web_of):
    request = make_request()
    url = _link(request)

    assert web_of().get(url[:-5] + "xxxx/").status_code == 404
    request.refresh_from_db()
    assert request.status == Request.Status.VERIFYING


def test_staff_verify_another_way_and_record_how(privacy_officer, web_of):
    request = make_request(handler=None)

    response = web_of(privacy_officer).post(
        f"/dsar/{request.pk}/verify/", {"method": "document", "note": "Driving licence seen at the branch."}
    )

    request.refresh_from_db()
    assert response.status_code == 302
    assert request.status == Request.Status.VERIFIED
    assert request.verified_by == privacy_officer
    assert request.verification_note == "Driving licence seen at the branch."
    assert request.verification_nonce == ""  # the mailed link cannot verify it again


def test_verifying_otherwise_needs_a_note(privacy_officer):
    request = make_request()

    with pytest.raises(ValidationError) as exc:
        services.request_verify_otherwise(actor=privacy_officer, request=request, method="document", note=" ")

    assert "note" in exc.value.fields


def test_when_the_address_is_not_on_record_no_link_is_sent(privacy_officer, django_capture_on_commit_callbacks):
    services.register_address_lookup(lambda request: "")
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request()

    assert request.status == Request.Status.RECEIVED
    assert not [m for m in mail.outbox if "Confirm" in m.subject]
    with pytest.raises(Exception, match="not on record"):
        services.verification_send(actor=privacy_officer, request=request)


def test_the_link_goes_to_the_address_on_record_not_the_one_typed(django_capture_on_commit_callbacks):
    services.register_address_lookup(lambda request: "ann.on.record@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        make_request(email="ann@example.com")

    assert [m.to for m in mail.outbox if "Confirm" in m.subject] == [["ann.on.record@example.com"]]


def test_a_withdrawn_request_cannot_be_verified_by_its_old_link(web_of, privacy_officer):
    request = make_request()
    url = _link(request)
    services.request_withdraw(actor=privacy_officer, request=request, reason="The subject changed their mind.")

    assert web_of().get(url).status_code == 404
