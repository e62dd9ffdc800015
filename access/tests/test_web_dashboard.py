"""What access/ puts on the dashboard and in the navigation."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from access import services
from access.tests.factories import make_break_glass, make_grant
from access.tests.test_web_support import ask
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [p["template"] for p in response.context["panels"]]


def test_an_employee_without_anything_sees_only_their_own_empty_lists(web_of, employee):
    response = web_of(employee).get("/")

    assert titles(response) == ["access/panels/my_access.html"]
    html = response.content.decode()
    assert "You hold no grants." in html
    assert "Waiting for your decision" not in html
    assert "Your pending requests" not in html


def test_my_pending_requests_are_on_the_dashboard(web_of, employee, asset):
    req = ask(employee, asset)

    html = web_of(employee).get("/").content.decode()

    assert "Your pending requests" in html
    assert f'href="/access/requests/{req.pk}/"' in html
    assert "0 of 1" in html


def test_my_access_lists_the_soonest_expiries_first_and_marks_those_ending_within_a_week(web_of, employee):
    later = make_grant(employee, DataAssetFactory(name="Order history"), days=60)
    soon = make_grant(employee, DataAssetFactory(name="Web analytics"), days=3)

    response = web_of(employee).get("/")

    panel = next(p for p in response.context["panels"] if p["template"] == "access/panels/my_access.html")
    assert panel["grants"] == [soon, later]
    assert [g.ends_soon for g in panel["grants"]] == [True, False]
    html = response.content.decode()
    assert f'<li class="ends-soon"><a href="/access/grants/{soon.pk}/">Web analytics</a>' in html
    assert "ends in 2\xa0days" in html or "ends in 3\xa0days" in html


def test_my_access_leaves_out_ended_grants(web_of, employee, asset):
    grant = make_grant(employee, asset, days=1)
    services.grant_revoke(actor=employee, grant=grant, reason="Done.")

    assert "You hold no grants." in web_of(employee).get("/").content.decode()


def test_a_reviewer_sees_what_waits_for_their_decision(web_of, employee, reviewer, asset):
    req = ask(employee, asset)
    use = make_break_glass(employee, DataAssetFactory(name="Voice recordings", reviewers=[reviewer]))

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        response = web_of(reviewer).get("/")

    assert titles(response)[0] == "access/panels/waiting.html"
    html = response.content.decode()
    assert "Waiting for your decision" in html
    assert '<span class="count" aria-label="2 items">2</span>' in html
    assert f'href="/access/requests/{req.pk}/"' in html
    assert f'<li class="overdue"><a href="/access/grants/{use.pk}/">' in html
    assert '<span class="badge status-overdue">overdue</span>' in html
    assert 'href="/access/review/">Open the review queue' in html


def test_the_waiting_panel_shows_five_and_counts_the_rest(web_of, reviewer):
    for i in range(7):
        ask(UserFactory(username=f"asker{i}"), DataAssetFactory(reviewers=[reviewer]))

    panel = next(
        p for p in web_of(reviewer).get("/").context["panels"] if p["template"] == "access/panels/waiting.html"
    )

    assert len(panel["requests"]) == 5
    assert panel["request_total"] == 7
    assert panel["total"] == 7


def test_a_reviewer_with_nothing_waiting_sees_no_waiting_panel(web_of, reviewer, asset):
    assert "access/panels/waiting.html" not in titles(web_of(reviewer).get("/"))


def test_asset_links_on_the_access_pages_lead_to_the_web_pages(web_of, employee, asset):
    html = web_of(employee).get("/access/grants/").content.decode()

    assert '<a href="/assets/">Assets</a>' in html
    assert asset.get_absolute_url() == f"/assets/{asset.pk}/"
