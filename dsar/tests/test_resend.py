"""Sending the package again once its link ended (expired, used up): a new token, the old one stays dead."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from dsar.delivery import jobs, services
from dsar.delivery.misdelivery import package_misdelivered
from dsar.models import DeliveryLink
from dsar.package import services as packages
from dsar.tests.package_factories import EMAIL, request_in_review
from portal.errors import Conflict, Forbidden
from portal.models import AuditEvent
from portal.testing import web_client
from portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def req(privacy_officer, employee):
    req = request_in_review(privacy_officer, employee)
    packages.package_build(actor=employee, request=req)
    packages.package_approve(actor=privacy_officer, request=req)
    req.refresh_from_db()
    return req


@pytest.fixture
def sent(req, employee):
    return services.package_send(actor=employee, request=req)


def _expire(link) -> None:
    DeliveryLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def _download(token):
    return web_client().post(f"/dsar/download/{token}/")


def _resend(actor, req, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.package_resend(actor=actor, request=req)


def test_an_expired_link_is_sent_again_with_a_new_token_and_the_old_one_stays_dead(
    sent, req, employee, mailoutbox, django_capture_on_commit_callbacks
):
    _expire(sent)

    new = _resend(employee, req, django_capture_on_commit_callbacks)

    assert new.token != sent.token
    assert [m.to for m in mailoutbox] == [[EMAIL]]  # the verified address, and only there
    assert new.token in mailoutbox[0].body
    assert sent.token not in mailoutbox[0].body
    assert _download(sent.token).status_code == 410
    assert _download(new.token).status_code == 200
    event = AuditEvent.objects.get(action="dsar.package.resent", target_id=str(req.pk))
    assert event.details["previous_link"] == sent.pk
    assert event.details["previous_ended"] == "expired"
    assert new.token not in str(event.details)


def test_a_used_up_link_is_sent_again(sent, req, employee, django_capture_on_commit_callbacks):
    for _ in range(3):
        assert _download(sent.token).status_code == 200
    assert _download(sent.token).status_code == 410

    new = _resend(employee, req, django_capture_on_commit_callbacks)

    assert _download(new.token).status_code == 200
    assert _download(sent.token).status_code == 410
    event = AuditEvent.objects.get(action="dsar.package.resent", target_id=str(req.pk))
    assert event.details["previous_ended"] == "used up"
    assert DeliveryLink.objects.get(pk=new.pk).downloads == 1


def test_the_second_click_is_refused_while_the_new_link_lives(sent, req, employee, privacy_officer):
    _expire(sent)
    services.package_resend(actor=employee, request=req)

    with pytest.raises(Conflict, match="still live"):
        services.package_resend(actor=privacy_officer, request=req)
    assert DeliveryLink.objects.count() == 2
    assert AuditEvent.objects.filter(action="dsar.package.resent").count() == 1


def test_a_live_link_is_not_doubled(sent, req, employee):
    with pytest.raises(Conflict, match="still live"):
        services.package_resend(actor=employee, request=req)


def test_a_package_never_sent_is_sent_not_sent_again(req, employee):
    with pytest.raises(Conflict):
        services.package_resend(actor=employee, request=req)


def test_once_the_purge_took_the_files_nothing_is_sent_again(sent, req, employee):
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert jobs.packages_purge() == 1
        with pytest.raises(Conflict, match="purged"):
            services.package_resend(actor=employee, request=req)
    assert DeliveryLink.objects.count() == 1


def test_a_misdelivered_package_is_never_sent_again(sent, req, employee):
    incident = package_misdelivered(actor=employee, request=req, note="It went to another Ann.")
    with pytest.raises(Conflict, match=incident.reference):
        services.package_resend(actor=employee, request=req)


def test_a_closed_request_is_not_sent_again(sent, req, employee):
    _expire(sent)
    type(req).objects.filter(pk=req.pk).update(status="closed")
    req.refresh_from_db()
    with pytest.raises(Conflict, match="closed"):
        services.package_resend(actor=employee, request=req)


def test_the_auditor_may_not_send_again(sent, req, auditor):
    _expire(sent)
    with pytest.raises(Forbidden):
        services.package_resend(actor=auditor, request=req)


def test_the_api_sends_again_and_refuses_the_second_post(sent, req, employee, client_of):
    _expire(sent)
    api = client_of(employee)

    first = api.post(f"/api/dsar/{req.pk}/package/resend")

    assert first.status_code == 201
    assert first.json()["state"] == "live"
    assert first.json()["sent_to"] == EMAIL
    assert "token" not in first.json()
    second = api.post(f"/api/dsar/{req.pk}/package/resend/")
    assert second.status_code == 409
    assert "still live" in second.json()["detail"]


def test_the_api_hides_another_handlers_request_and_refuses_the_auditor(sent, req, client_of, auditor, privacy_officer):
    _expire(sent)
    other_handler = UserFactory(username="other-handler")
    request_in_review(privacy_officer, other_handler, email="bea@example.com")  # theirs: they work that one only
    assert client_of(other_handler).post(f"/api/dsar/{req.pk}/package/resend").status_code == 404
    assert client_of(auditor).post(f"/api/dsar/{req.pk}/package/resend").status_code == 403
    assert DeliveryLink.objects.count() == 1


def test_the_request_page_offers_to_send_again_only_once_the_link_ended(sent, req, employee, web_of):
    client = web_of(employee)
    assert "Send a new link" not in client.get(f"/dsar/{req.pk}/").content.decode()
    _expire(sent)
    assert f"Send a new link to {EMAIL}" in client.get(f"/dsar/{req.pk}/").content.decode()

    done = client.post(f"/dsar/{req.pk}/package/resend/", follow=True).content.decode()

    assert f"A new download link was mailed to {EMAIL}" in done
    assert "Send a new link" not in done
    again = client.post(f"/dsar/{req.pk}/package/resend/", follow=True).content.decode()
    assert "still live" in again
    assert DeliveryLink.objects.count() == 2


def test_the_request_page_says_why_purged_files_are_not_sent_again(sent, req, employee, web_of):
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        jobs.packages_purge()
        page = web_of(employee).get(f"/dsar/{req.pk}/").content.decode()
    assert "cannot be sent again" in page
    assert "Send a new link" not in page


def test_staff_send_again_from_the_admin_through_the_service(sent, req, privacy_officer, web_of):
    owner = UserFactory(username="root", is_staff=True, is_superuser=True)
    package = packages.current(req)
    client = web_of(owner)

    refused = client.post(
        "/admin/dsar/package/", {"action": "resend_links", "_selected_action": [package.pk]}, follow=True
    )
    assert "still live" in refused.content.decode()
    _expire(sent)
    client.post("/admin/dsar/package/", {"action": "resend_links", "_selected_action": [package.pk]})

    assert DeliveryLink.objects.count() == 2
    assert AuditEvent.objects.get(action="dsar.package.resent").actor_id == owner.pk
