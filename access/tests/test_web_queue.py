"""The reviewer queue: requests to decide and break-glass uses to review after the fact."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from access import services
from access.models import Grant
from access.tests.factories import JUSTIFICATION, make_break_glass
from access.tests.test_web_support import ask, restricted_asset, said
from portal import permissions
from portal.tests.factories import DataAssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted(reviewer, second_reviewer):
    return restricted_asset(reviewer, second_reviewer)


QUEUE = "/access/review/"


# --- Requests ---------------------------------------------------------------


def test_the_queue_shows_what_the_reviewer_needs_to_decide(web_of, employee, reviewer, second_reviewer, restricted):
    req = ask(employee, restricted, days=7)
    services.request_approve(actor=second_reviewer, request=req, comment="Fine by me.")

    response = web_of(reviewer).get(QUEUE)

    assert response.status_code == 200
    assert list(response.context["requests"]) == [req]
    html = response.content.decode()
    for text in (
        "Emma",
        "Doorbell video feeds",
        'class="badge sens-restricted"',
        "Use (read)",
        JUSTIFICATION,
        "1 of 2",
    ):
        assert text in html, text
    assert f'action="/access/requests/{req.pk}/approve/"' in html
    assert f'href="/access/requests/{req.pk}/deny/?next=/access/review/"' in html
    assert f'<label for="comment-{req.pk}">' in html


def test_the_queue_leaves_out_own_requests_others_assets_and_what_the_reviewer_already_decided(
    web_of, employee, reviewer, restricted, asset
):
    own = ask(reviewer, asset)
    elsewhere = ask(employee, DataAssetFactory(name="Order history", sensitivity="confidential"))
    decided = ask(employee, restricted)
    services.request_approve(actor=reviewer, request=decided)

    requests = list(web_of(reviewer).get(QUEUE).context["requests"])

    assert own not in requests
    assert elsewhere not in requests
    assert decided not in requests


def test_approving_from_the_queue_changes_the_status_and_shows_a_message(web_of, employee, reviewer, asset):
    req = ask(employee, asset)

    response = web_of(reviewer).post(
        f"/access/requests/{req.pk}/approve/", {"comment": "For the case only.", "next": QUEUE}, follow=True
    )

    assert response.redirect_chain == [(QUEUE, 302)]
    req.refresh_from_db()
    assert req.status == "approved"
    assert permissions.has(employee, "portal.use_dataasset", asset)
    html = response.content.decode()
    assert f"Approved request #{req.pk}: Emma now has use access to Customer contact database." in html
    assert list(response.context["requests"]) == []
    assert "Nothing waits for your decision." in html


def test_denying_from_the_queue_records_the_comment(web_of, employee, reviewer, asset):
    req = ask(employee, asset)

    response = web_of(reviewer).post(
        f"/access/requests/{req.pk}/deny/", {"comment": "Not for marketing.", "next": QUEUE}
    )

    assert response["Location"] == QUEUE
    req.refresh_from_db()
    assert req.status == "denied"
    assert req.decisions.get().comment == "Not for marketing."
    assert said(response) == [f"Denied request #{req.pk}. Emma has been told why."]


def test_an_access_admin_decides_internal_requests_from_the_queue(web_of, employee, access_admin):
    internal = DataAssetFactory(name="Web analytics", sensitivity="internal")
    req = ask(employee, internal)

    assert list(web_of(access_admin).get(QUEUE).context["requests"]) == [req]


def test_an_employee_has_an_empty_queue(web_of, employee, outsider, asset):
    ask(outsider, asset)
    response = web_of(employee).get(QUEUE)

    assert response.status_code == 200
    assert list(response.context["requests"]) == []
    assert list(response.context["uses"]) == []


# --- Navigation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "shown", "grants"),
    [
        ("employee", False, "My access"),
        ("auditor", False, "Grants"),
        ("reviewer", True, "My access"),
        ("access_admin", True, "Grants"),
        ("privacy_officer", True, "Grants"),
    ],
)
def test_the_review_queue_is_in_the_navigation_only_for_those_who_review(
    request, web_of, asset, persona, shown, grants
):
    web = web_of(request.getfixturevalue(persona))
    html = web.get("/").content.decode()

    assert ('href="/access/review/">Review queue' in html) is shown
    # The link reads as the page it opens: everyone's grants for roles that see them all, else one's own.
    assert f'href="/access/grants/">{grants}</a>' in html
    assert f"<h1>{grants}</h1>" in web.get("/access/grants/").content.decode()
    assert 'href="/access/requests/">Requests' in html


# --- Break-glass reviews ----------------------------------------------------


def test_break_glass_uses_wait_in_the_queue_and_overdue_ones_are_marked(
    web_of, employee, reviewer, privacy_officer, asset
):
    grant = make_break_glass(employee, asset)

    fresh = web_of(reviewer).get(QUEUE)
    assert list(fresh.context["uses"]) == [grant]
    assert '<tr class="overdue">' not in fresh.content.decode()

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        late = web_of(privacy_officer).get(QUEUE)
    html = late.content.decode()
    assert list(late.context["uses"]) == [grant]
    assert '<tr class="overdue">' in html
    assert '<span class="badge status-overdue">overdue</span>' in html
    assert f'action="/access/grants/{grant.pk}/review/"' in html


def test_a_justified_review_from_the_queue_is_recorded_and_the_access_runs_on(web_of, employee, reviewer, asset):
    grant = make_break_glass(employee, asset)

    response = web_of(reviewer).post(
        f"/access/grants/{grant.pk}/review/", {"justified": "yes", "comment": "Outage confirmed.", "next": QUEUE}
    )

    assert response["Location"] == QUEUE
    grant.refresh_from_db()
    assert (grant.review_outcome, grant.reviewed_by, grant.status) == ("justified", reviewer, "active")
    assert "was justified" in said(response)[0]


def test_an_unjustified_review_needs_a_comment_and_changes_nothing_without_one(web_of, employee, reviewer, asset):
    grant = make_break_glass(employee, asset)

    response = web_of(reviewer).post(
        f"/access/grants/{grant.pk}/review/", {"justified": "no", "comment": "", "next": QUEUE}
    )

    assert response.status_code == 200  # the grant's page, with the review form and its error
    assert "Say what was wrong with this use." in str(response.context["review_form"].errors["comment"])
    assert 'id="review_comment_error"' in response.content.decode()
    grant.refresh_from_db()
    assert grant.reviewed_at is None
    assert grant.status == "active"


def test_an_unjustified_review_ends_the_access_at_once(web_of, employee, reviewer, asset):
    grant = make_break_glass(employee, asset)

    web_of(reviewer).post(f"/access/grants/{grant.pk}/review/", {"justified": "no", "comment": "No outage that day."})

    grant.refresh_from_db()
    assert (grant.review_outcome, grant.status) == ("unjustified", "revoked")
    assert not permissions.has(employee, "portal.use_dataasset", asset)


def test_a_review_without_an_answer_is_a_field_error(web_of, employee, reviewer, asset):
    grant = make_break_glass(employee, asset)

    response = web_of(reviewer).post(f"/access/grants/{grant.pk}/review/", {"comment": "Hm."})

    assert "justified" in response.context["review_form"].errors
    grant.refresh_from_db()
    assert grant.reviewed_at is None


def test_the_grantee_gets_403_reviewing_their_own_break_glass(web_of, employee, asset):
    grant = make_break_glass(employee, asset)

    response = web_of(employee).post(f"/access/grants/{grant.pk}/review/", {"justified": "yes"})

    assert response.status_code == 403
    grant.refresh_from_db()
    assert grant.reviewed_at is None


def test_an_outsider_gets_404_reviewing_a_break_glass_they_may_not_see(web_of, employee, outsider, asset):
    grant = make_break_glass(employee, asset)

    assert web_of(outsider).post(f"/access/grants/{grant.pk}/review/", {"justified": "yes"}).status_code == 404


def test_an_auditor_gets_403_reviewing_a_break_glass(web_of, employee, auditor, asset):
    grant = make_break_glass(employee, asset)

    assert web_of(auditor).post(f"/access/grants/{grant.pk}/review/", {"justified": "yes"}).status_code == 403


def test_reviewing_twice_is_a_message(web_of, employee, reviewer, privacy_officer, asset):
    grant = make_break_glass(employee, asset)
    services.break_glass_review(actor=reviewer, grant=grant, justified=True)

    response = web_of(privacy_officer).post(f"/access/grants/{grant.pk}/review/", {"justified": "yes", "next": QUEUE})

    assert response.status_code == 302
    assert said(response) == ["This break-glass access has already been reviewed."]
    grant.refresh_from_db()
    assert grant.reviewed_by == reviewer


def test_a_reviewed_break_glass_leaves_the_queue(web_of, employee, reviewer, asset):
    grant = make_break_glass(employee, asset)
    services.break_glass_review(actor=reviewer, grant=grant, justified=True)

    assert list(web_of(reviewer).get(QUEUE).context["uses"]) == []
    assert Grant.objects.get().reviewed_at is not None
