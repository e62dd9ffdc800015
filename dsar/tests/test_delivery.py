"""Sending the link, downloading (7 days, 3 times, revocable; 410 afterwards), the purge, misdelivery."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.utils import timezone

from dsar.delivery import jobs, services
from dsar.delivery.misdelivery import package_misdelivered
from dsar.models import DeliveryLink, Download, Request
from dsar.package import services as packages
from dsar.tests.package_factories import EMAIL, request_in_review
from incidents.models import Incident
from portal.errors import Conflict
from portal.models import AuditEvent
from portal.testing import web_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(privacy_officer, employee):
    req = request_in_review(privacy_officer, employee, records=2, recordings=2)
    packages.package_build(actor=employee, request=req)
    packages.package_approve(actor=privacy_officer, request=req)
    req.refresh_from_db()
    return req


@pytest.fixture
def sent(approved, employee, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        link = services.package_send(actor=employee, request=approved)
    return link


def _download(token, *, ua="Mozilla/5.0 (Subject)"):
    return web_client().post(f"/dsar/download/{token}/", HTTP_USER_AGENT=ua, REMOTE_ADDR="203.0.113.7")


def test_the_link_goes_only_to_the_verified_address_and_only_its_hash_is_stored(sent, approved, mailoutbox):
    assert [m.to for m in mailoutbox] == [[EMAIL]]
    assert sent.token in mailoutbox[0].body
    stored = DeliveryLink.objects.get()
    assert stored.sent_to == EMAIL
    assert stored.token_hash == hashlib.sha256(sent.token.encode()).hexdigest()
    assert sent.token not in str(list(AuditEvent.objects.values_list("details", flat=True)))
    approved.refresh_from_db()
    assert approved.status == Request.Status.DELIVERED


def test_only_an_approved_package_is_sent(privacy_officer, employee):
    req = request_in_review(privacy_officer, employee)
    packages.package_build(actor=employee, request=req)
    with pytest.raises(Conflict):
        services.package_send(actor=employee, request=req)


def test_the_download_page_counts_nothing_and_the_post_gives_the_zip(sent):
    page = web_client().get(f"/dsar/download/{sent.token}/")
    assert page.status_code == 200
    assert b"3 more times" in page.content

    response = _download(sent.token)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    body = b"".join(response.streaming_content)
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(body)).namelist()
    row = Download.objects.get()
    assert row.address == "203.0.113.7"
    assert row.client == "Mozilla/5.0 (Subject)"
    assert AuditEvent.objects.filter(action="dsar.package.downloaded").count() == 1


def test_a_fourth_download_is_gone(sent):
    for _ in range(3):
        assert _download(sent.token).status_code == 200
    assert _download(sent.token).status_code == 410
    assert web_client().get(f"/dsar/download/{sent.token}/").status_code == 410
    assert DeliveryLink.objects.get().downloads == 3


def test_the_link_is_gone_after_seven_days(sent):
    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
        assert _download(sent.token).status_code == 410
        assert web_client().get(f"/dsar/download/{sent.token}/").status_code == 410
    assert Download.objects.count() == 0


def test_a_revoked_link_is_gone(sent, approved, employee):
    assert services.link_revoke(actor=employee, request=approved, reason="Subject asked for a new address.") == 1
    assert _download(sent.token).status_code == 410
    with pytest.raises(Conflict):
        services.link_revoke(actor=employee, request=approved, reason="again")


def test_an_unknown_token_is_not_found(sent):
    assert web_client().get("/dsar/download/not-a-token/").status_code == 404
    assert _download("x" * 43).status_code == 404


def test_the_cap_holds_in_the_database_whatever_the_order(sent):
    # What a racing download meets: the conditional UPDATE takes nothing once the cap is reached.
    DeliveryLink.objects.update(downloads=3)
    with pytest.raises(services.Gone):
        services.download_take(token=sent.token, address=None, client="")


def test_purge_removes_the_files_of_packages_whose_links_ended(sent, approved):
    package = packages.current(approved)
    assert default_storage.exists(package.file.name)
    assert jobs.packages_purge() == 0  # the link is live

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert jobs.packages_purge() == 1
        assert jobs.packages_purge() == 0  # a second run purges nothing twice

    package.refresh_from_db()
    assert package.purged_at is not None
    assert not default_storage.exists(package.file.name)
    assert AuditEvent.objects.filter(action="dsar.package.purged", target_id=str(approved.pk)).exists()
    assert _download(sent.token).status_code == 410


def test_purge_follows_a_used_up_link(sent, approved):
    for _ in range(3):
        _download(sent.token)
    assert jobs.packages_purge() == 1


def test_misdelivery_revokes_purges_and_opens_the_incident_with_its_clock_running(sent, approved, employee):
    _download(sent.token, ua="Someone else's browser")
    package = packages.current(approved)
    before = timezone.now()

    incident = package_misdelivered(actor=employee, request=approved, note="Mailed to a customer of the same name.")

    assert incident.kind == Incident.Kind.MISDIRECTED_DELIVERY
    assert before <= incident.aware_at <= timezone.now()  # the 72-hour clock starts now
    assert approved.reference in incident.description
    assert "203.0.113.7" in incident.description
    assert "Someone else's browser" in incident.description
    entry = incident.timeline.get(action="dsar.package.misdelivered")
    assert entry.details["manifest"]["reference"] == approved.reference
    assert len(entry.details["manifest"]["items"]) == package.item_count
    assert entry.details["downloads"][0]["address"] == "203.0.113.7"
    package.refresh_from_db()
    assert package.purge_reason == "misdelivery"
    assert package.misdelivery_incident == incident
    assert not default_storage.exists(package.file.name)
    assert DeliveryLink.objects.get().revoked_at is not None
    assert _download(sent.token).status_code == 410
    with pytest.raises(Conflict, match=incident.reference):
        package_misdelivered(actor=employee, request=approved, note="again")


def test_misdelivery_needs_a_sent_package(approved, employee):
    with pytest.raises(Conflict, match="was sent"):
        package_misdelivered(actor=employee, request=approved, note="?")
