"""The request's clock through the services and the API: one extension, pauses, the trace on the page."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from dsar import services
from dsar.models import Request
from dsar.tests.factories import make_request
from portal.errors import Conflict, ValidationError
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def clock():
    """Tuesday 12 May 2026, 10:00 in London; tests move it."""
    with time_machine.travel(datetime(2026, 5, 12, 10, tzinfo=LONDON), tick=False) as traveller:
        yield traveller


def _local_day(moment) -> str:
    return timezone.localtime(moment).date().isoformat()


def test_extending_counts_three_months_from_receipt_and_tells_the_subject(
    client_of, privacy_officer, django_capture_on_commit_callbacks
):
    request = make_request()
    assert _local_day(request.due_at) == "2026-06-12"

    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(privacy_officer).post(
            f"/api/dsar/{request.pk}/extend", {"months": 2, "reason": "Records sit in six systems."}, format="json"
        )

    assert response.status_code == 200, response.content
    assert _local_day(datetime.fromisoformat(response.json()["due_at"])) == "2026-08-12"
    told = [m for m in mail.outbox if "more time" in m.subject]
    assert [m.to for m in told] == [["ann@example.com"]]
    assert "Records sit in six systems." in told[0].body
    assert AuditEvent.objects.filter(action="dsar.request.extended").count() == 1


def test_a_second_extension_answers_409(client_of, privacy_officer):
    request = make_request()
    client = client_of(privacy_officer)
    client.post(f"/api/dsar/{request.pk}/extend", {"reason": "Complex."}, format="json")

    again = client.post(f"/api/dsar/{request.pk}/extend", {"months": 1, "reason": "Still complex."}, format="json")

    assert again.status_code == 409
    assert "already extended once" in again.json()["detail"]
    request.refresh_from_db()
    assert _local_day(request.due_at) == "2026-08-12"


def test_no_extension_once_the_first_deadline_has_passed(privacy_officer, clock):
    request = make_request()
    clock.move_to(datetime(2026, 6, 13, 9, tzinfo=LONDON))

    with pytest.raises(Conflict, match="first deadline has passed"):
        services.request_extend(actor=privacy_officer, request=request, reason="Too late.")
    request.refresh_from_db()
    assert request.extended_at is None


def test_an_extension_on_the_last_day_is_still_allowed(privacy_officer, clock):
    request = make_request()
    clock.move_to(datetime(2026, 6, 12, 23, 0, tzinfo=LONDON))

    extended = services.request_extend(actor=privacy_officer, request=request, reason="Needed.")

    assert _local_day(extended.due_at) == "2026-08-12"


def test_ccpa_extends_in_days_to_90_at_most(client_of, privacy_officer):
    request = make_request(jurisdiction="ccpa")
    client = client_of(privacy_officer)

    months = client.post(f"/api/dsar/{request.pk}/extend", {"months": 2, "reason": "x"}, format="json")
    too_many = client.post(f"/api/dsar/{request.pk}/extend", {"days": 46, "reason": "x"}, format="json")
    ok = client.post(f"/api/dsar/{request.pk}/extend", {"days": 45, "reason": "Notice given."}, format="json")

    assert months.status_code == 400
    assert "months" in months.json()["errors"]
    assert too_many.status_code == 400
    assert "days" in too_many.json()["errors"]
    assert ok.status_code == 200
    assert _local_day(datetime.fromisoformat(ok.json()["due_at"])) == "2026-08-10"  # 12 May + 90 days


def test_an_extension_needs_a_reason(privacy_officer):
    request = make_request()

    with pytest.raises(ValidationError) as exc:
        services.request_extend(actor=privacy_officer, request=request, reason="  ")

    assert "reason" in exc.value.fields


def test_a_uk_pause_moves_the_due_date_by_the_days_paused(privacy_officer, clock):
    request = make_request(jurisdiction="uk_gdpr")
    services.request_pause(actor=privacy_officer, request=request, reason="Asked for proof of address.")
    clock.move_to(datetime(2026, 5, 20, 10, tzinfo=LONDON))

    resumed = services.request_resume(actor=privacy_officer, request=request)

    # 12 June + 8 days = Saturday 20 June → Monday 22 June.
    assert _local_day(resumed.due_at) == "2026-06-22"
    assert any("Clock stopped 8 day(s)" in step for step in resumed.due_trace)


def test_an_eu_pause_is_recorded_but_the_clock_runs(privacy_officer, clock):
    request = make_request(jurisdiction="gdpr")
    services.request_pause(actor=privacy_officer, request=request, reason="Asked for clarification.")
    clock.move_to(datetime(2026, 5, 20, 10, tzinfo=LONDON))

    resumed = services.request_resume(actor=privacy_officer, request=request)

    assert _local_day(resumed.due_at) == "2026-06-12"
    assert resumed.pauses.get().ended_at is not None


def test_one_open_pause_at_a_time(privacy_officer):
    request = make_request()
    services.request_pause(actor=privacy_officer, request=request, reason="Waiting.")

    with pytest.raises(Conflict, match="already paused"):
        services.request_pause(actor=privacy_officer, request=request, reason="Waiting again.")
    services.request_resume(actor=privacy_officer, request=request)
    with pytest.raises(Conflict, match="not paused"):
        services.request_resume(actor=privacy_officer, request=request)


def test_the_request_page_shows_the_trace(web_of, privacy_officer):
    request = make_request(jurisdiction="uk_gdpr")

    page = web_of(privacy_officer).get(f"/dsar/{request.pk}/").content.decode()

    assert "How the due date was computed" in page
    assert "Received Tue 12 May 2026" in page
    assert "Due Fri 12 Jun 2026, end of day." in page


def test_the_api_detail_has_status_due_at_trace_and_tasks(client_of, privacy_officer):
    request = make_request()

    data = client_of(privacy_officer).get(f"/api/dsar/{request.pk}").json()

    assert data["status"] == Request.Status.VERIFYING
    assert data["due_at"]
    assert data["due_trace"][-1] == "Due Fri 12 Jun 2026, end of day."
    assert data["tasks"] == []
    assert data["clock"]["state"] == "running"


def test_overdue_and_due_soon_filters(client_of, privacy_officer, clock):
    early = make_request(email="early@example.com")
    clock.move_to(datetime(2026, 6, 1, 10, tzinfo=LONDON))
    late = make_request(email="late@example.com")
    clock.move_to(datetime(2026, 6, 8, 10, tzinfo=LONDON))

    soon = client_of(privacy_officer).get("/api/dsar/?due_soon=true").json()["results"]
    clock.move_to(datetime(2026, 6, 14, 10, tzinfo=LONDON))
    overdue = client_of(privacy_officer).get("/api/dsar/?overdue=1").json()["results"]

    assert [r["id"] for r in soon] == [early.pk]
    assert [r["id"] for r in overdue] == [early.pk]
    assert late.pk not in [r["id"] for r in overdue]


def test_a_bad_filter_is_a_400_naming_it(client_of, privacy_officer):
    response = client_of(privacy_officer).get("/api/dsar/?status=lost&overdue=maybe")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status", "overdue"}


def test_finished_requests_are_never_overdue(privacy_officer, clock):
    request = make_request()
    services.request_reject(actor=privacy_officer, request=request, reason="Manifestly unfounded.")
    clock.move_to(datetime(2026, 7, 1, tzinfo=LONDON))

    assert not Request.objects.overdue().exists()
    assert Request.objects.filter(pk=request.pk).get().status == "rejected"


def test_extension_before_receipt_plus_a_day(privacy_officer, clock):
    request = make_request()
    clock.shift(timedelta(days=1))
    assert services.request_extend(actor=privacy_officer, request=request, reason="Ok.", months=1).extension_months == 1
