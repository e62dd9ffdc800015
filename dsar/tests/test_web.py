"""Staff pages and the API as people use them, and their query counts at 10 and 1,000 rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dsar import services
from dsar.models import Item, Pause, Request, Task
from dsar.tests.factories import make_collecting, make_request, officer
from dsar.views.dashboard import bar_chart
from portal import permissions
from portal.models import DataAsset

pytestmark = pytest.mark.django_db


def _requests(n: int, *, handler=None, start: int = 0, due_in_days: int = 20) -> list[Request]:
    now = timezone.now()
    rows = Request.objects.bulk_create(
        Request(
            reference=f"DSAR-2026-{start + i:05d}",
            type="access",
            email=f"s{start + i}@example.com",
            jurisdiction="gdpr",
            received_at=now,
            due_at=now + timedelta(days=due_in_days if i % 3 else -1),
            due_trace=["Received.", "Due."],
            status="verifying",
            handler=handler,
        )
        for i in range(n)
    )
    if handler is not None:
        permissions.assign_many(
            Request, [(handler.pk, r.pk, perm) for r in rows for perm in (services.VIEW, services.CHANGE)]
        )
    return rows


def _count(client, url: str) -> int:
    client.get(url)  # warm the process-wide caches (content types, permission ids) first
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
    return len(queries)


@pytest.mark.parametrize("persona", ["reviewer", "privacy_officer", "auditor"])
@pytest.mark.parametrize("url", ["/dsar/", "/api/dsar/", "/dsar/?overdue=true", "/", "/dsar/dashboard/"])
def test_lists_use_the_same_queries_for_10_and_1000_requests(request, web_of, client_of, reviewer, persona, url):
    user = request.getfixturevalue(persona)
    client = client_of(user) if url.startswith("/api/") else web_of(user)
    _requests(10, handler=reviewer)
    small = _count(client, url)
    _requests(990, handler=reviewer, start=10)
    assert _count(client, url) == small


@pytest.mark.parametrize("url", ["/dsar/{pk}/", "/api/dsar/{pk}"])
def test_the_detail_uses_the_same_queries_for_10_and_1000_tasks_items_and_pauses(web_of, client_of, reviewer, url):
    req = make_collecting(handler=reviewer)
    client = client_of(reviewer) if url.startswith("/api/") else web_of(reviewer)
    url = url.format(pk=req.pk)

    def grow(n: int) -> None:
        start = DataAsset.objects.count()
        assets = DataAsset.objects.bulk_create(
            DataAsset(name=f"System {start + i}", max_grant_days=30, holds_personal_data=True) for i in range(n)
        )
        tasks = Task.objects.bulk_create(Task(request=req, asset=a, method="manual") for a in assets)
        Item.objects.bulk_create(
            Item(request=req, task=t, asset_id=t.asset_id, subject_identifier="email:ann@example.com", kind="record")
            for t in tasks
        )
        now = timezone.now()
        Pause.objects.bulk_create(Pause(request=req, reason="Waiting.", started_at=now, ended_at=now) for _ in range(n))

    grow(10)
    small = _count(client, url)
    grow(990)
    assert _count(client, url) == small


def test_a_handler_sees_only_their_requests(web_of, client_of, reviewer, outsider):
    mine = make_request(handler=reviewer, email="mine@example.com")
    theirs = make_request(handler=outsider, email="theirs@example.com")

    page = web_of(reviewer).get("/dsar/").content.decode()
    api = client_of(reviewer).get("/api/dsar/").json()["results"]

    assert mine.reference in page
    assert theirs.reference not in page
    assert [r["id"] for r in api] == [mine.pk]
    assert web_of(reviewer).get(f"/dsar/{theirs.pk}/").status_code == 404
    assert client_of(reviewer).get(f"/api/dsar/{theirs.pk}").status_code == 404


def test_reassigning_takes_the_request_from_the_previous_handler(privacy_officer, reviewer, outsider, web_of):
    request = make_request(handler=reviewer)

    services.request_assign_handler(actor=privacy_officer, request=request, handler=outsider)

    assert web_of(reviewer).get(f"/dsar/{request.pk}/").status_code == 404
    assert web_of(outsider).get(f"/dsar/{request.pk}/").status_code == 200


def test_a_handler_cannot_assign(reviewer, outsider, client_of):
    request = make_request(handler=reviewer)

    response = client_of(reviewer).post(f"/api/dsar/{request.pk}/assign", {"handler": outsider.pk}, format="json")

    assert response.status_code == 403


def test_rejecting_needs_a_reason_and_tells_the_subject(privacy_officer, client_of, django_capture_on_commit_callbacks):
    from django.core import mail

    request = make_request()
    client = client_of(privacy_officer)

    assert client.post(f"/api/dsar/{request.pk}/reject", {"reason": ""}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/dsar/{request.pk}/reject", {"reason": "Manifestly excessive."}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["status_reason"] == "Manifestly excessive."
    assert [m.to for m in mail.outbox if "Manifestly excessive." in m.body] == [["ann@example.com"]]
    again = client.post(f"/api/dsar/{request.pk}/withdraw", {"reason": "x"}, format="json")
    assert again.status_code == 409


def test_the_detail_page_shows_deadline_tasks_and_actions(web_of, privacy_officer):
    request = make_collecting(assets=[DataAsset.objects.create(name="Archive", max_grant_days=30)])

    page = web_of(privacy_officer).get(f"/dsar/{request.pk}/").content.decode()

    assert request.reference in page
    assert "How the due date was computed" in page
    assert "Archive" in page
    assert "Upload and mark done" in page
    assert "Extend the deadline" in page


def test_the_request_page_shows_its_history_oldest_first_to_a_handler_who_cannot_read_the_audit_log(web_of, reviewer):
    from dsar.services.verification import make_token

    request = services.request_intake(type="access", email="ann@example.com", jurisdiction="gdpr")
    services.verification_confirm(token=make_token(Request.objects.get(pk=request.pk)))
    services.request_assign_handler(actor=officer(), request=request, handler=reviewer)
    services.request_pause(actor=reviewer, request=request, reason="Waiting for a proof of address.")
    client = web_of(reviewer)

    page = client.get(f"/dsar/{request.pk}/").content.decode()

    assert client.get("/audit/").status_code == 403
    history = page[page.index('id="history-h"') :]
    steps = [
        "<strong>the subject</strong> filed the request",
        "<strong>system</strong> mailed a verification link",
        "<strong>the subject</strong> verified the identity",
        "<strong>dsar-officer</strong> assigned a handler",
        f"<strong>{reviewer.username}</strong> paused the clock",
    ]
    assert [history.index(step) for step in steps] == sorted(history.index(step) for step in steps)
    assert "Waiting for a proof of address." in history


def test_an_auditor_sees_the_page_without_actions(web_of, auditor):
    request = make_request()

    page = web_of(auditor).get(f"/dsar/{request.pk}/").content.decode()

    assert request.reference in page
    assert "Extend the deadline" not in page
    assert "Reject" not in page


def test_the_dashboard_counts_by_status_and_shows_a_chart(web_of, privacy_officer, reviewer):
    _requests(6, handler=reviewer)  # 2 of them overdue

    page = web_of(privacy_officer).get("/dsar/dashboard/").content.decode()

    assert "<svg" in page
    assert "Requests by status" in page
    assert '<a href="/dsar/?overdue=true"><strong class="overdue">2</strong></a>' in page


def test_the_main_dashboard_shows_requests_near_their_deadline(web_of, privacy_officer, reviewer):
    _requests(3, handler=reviewer, due_in_days=3)

    page = web_of(privacy_officer).get("/").content.decode()

    assert "near their deadline" in page
    assert "DSAR-2026-00000" in page


def test_the_dashboard_panel_is_hidden_from_people_without_requests(web_of, employee):
    assert "near their deadline" not in web_of(employee).get("/").content.decode()
    assert web_of(employee).get("/dsar/dashboard/").status_code == 404


def test_the_chart_scales_bars_to_the_largest_count():
    chart = bar_chart([("Received", "received", 4), ("Verified", "verified", 2), ("Closed", "closed", 0)])

    widths = [bar["width"] for bar in chart["bars"]]
    assert widths[0] == 2 * widths[1]
    assert widths[2] == 0
