"""Campaign pages for every persona, the bulk queue, and query counts that do not grow with the items."""

from datetime import timedelta

import pytest
from django.utils import timezone

from access.campaigns import services
from access.campaigns.models import Campaign, ReviewItem
from access.campaigns.services import launch as launch_step
from access.models import SCOPE_PERMISSION, Grant
from access.tests.factories import GrantFactory, make_campaign
from access.tests.test_web_queries import bulk_assets, warm
from portal import permissions
from portal.models import DataAssetUserObjectPermission
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = pytest.mark.django_db

PERSONAS = ["employee", "outsider", "reviewer", "second_reviewer", "access_admin", "privacy_officer", "auditor"]
SEES_CAMPAIGN = {"reviewer", "access_admin", "privacy_officer", "auditor"}


@pytest.fixture
def running(access_admin, asset, employee):
    GrantFactory(user=employee, asset=asset, last_used_at=timezone.now())
    GrantFactory(asset=asset, last_used_at=None)
    return make_campaign(access_admin)


@pytest.mark.parametrize("persona", PERSONAS)
def test_campaign_pages_render_for_those_who_see_them_and_404_for_others(request, web_of, running, persona):
    web = web_of(request.getfixturevalue(persona))
    item = ReviewItem.objects.filter(campaign=running).first()
    sees = persona in SEES_CAMPAIGN

    assert web.get("/access/campaigns/").status_code == 200
    for path in ("", "queue/", "summary/"):
        assert web.get(f"/access/campaigns/{running.pk}/{path}").status_code == (200 if sees else 404), path
    expected = 200 if persona in {"reviewer", "access_admin", "privacy_officer", "auditor"} else 404
    assert web.get(f"/access/review-items/{item.pk}/").status_code == expected


def test_the_dashboard_shows_open_review_items(web_of, reviewer, running):
    response = web_of(reviewer).get("/")
    panels = {p["template"]: p for p in response.context["panels"]}
    assert panels["access/campaigns/panels/open_items.html"]["total"] == 2
    assert b"Access to re-certify" in response.content


def test_bulk_certify_selected_from_the_queue(web_of, reviewer, running):
    web = web_of(reviewer)
    ids = list(ReviewItem.objects.filter(campaign=running, recommendation="certify").values_list("pk", flat=True))

    response = web.post(
        f"/access/campaigns/{running.pk}/decide/", {"items": ids, "decision": "certify", "apply_to": "selected"}
    )

    assert response.status_code == 302
    assert set(ReviewItem.objects.filter(decision="certify").values_list("pk", flat=True)) == set(ids)


def test_bulk_revoke_everything_matching_the_filter(web_of, reviewer, running, asset):
    response = web_of(reviewer).post(
        f"/access/campaigns/{running.pk}/decide/", {"decision": "revoke", "apply_to": "matching", "asset": asset.pk}
    )
    assert response.status_code == 302
    assert ReviewItem.objects.filter(campaign=running, decision="revoke").count() == 2


def test_a_missing_comment_is_shown_not_saved(web_of, reviewer, running):
    item = ReviewItem.objects.get(campaign=running, recommendation="revoke")
    web = web_of(reviewer)

    response = web.post(f"/access/review-items/{item.pk}/decide/", {"decision": "certify"}, follow=True)

    assert "comment" in response.content.decode().lower()
    item.refresh_from_db()
    assert item.decision == ""


def test_item_page_shows_what_to_weigh(web_of, reviewer, running):
    item = ReviewItem.objects.get(campaign=running, recommendation="revoke")
    page = web_of(reviewer).get(f"/access/review-items/{item.pk}/").content.decode()
    assert "Never used" in page
    assert "Justification" in page
    assert "Their other grants" in page


def test_auditors_cannot_decide_on_the_pages(web_of, auditor, running):
    item = ReviewItem.objects.filter(campaign=running).first()
    web = web_of(auditor)
    assert web.post(f"/access/review-items/{item.pk}/decide/", {"decision": "revoke"}).status_code == 403
    assert web.post(f"/access/campaigns/{running.pk}/close/").status_code == 403
    assert (
        web.post(f"/access/campaigns/{running.pk}/decide/", {"decision": "revoke", "items": [item.pk]}).status_code
        == 403
    )
    assert not ReviewItem.objects.exclude(decision="").exists()


def test_admins_create_launch_and_close_on_the_pages(web_of, access_admin, running):
    web = web_of(access_admin)
    due = (timezone.localtime() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    response = web.post(
        "/access/campaigns/new/", {"name": "Restricted data", "due_at": due, "min_sensitivity": "restricted",
                                   "default_decision": "revoke"}
    )  # fmt: skip
    created = Campaign.objects.get(name="Restricted data")
    assert response.status_code == 302
    assert created.status == "draft"
    assert web.post(f"/access/campaigns/{created.pk}/launch/").status_code == 302
    assert web.post(f"/access/campaigns/{running.pk}/close/").status_code == 302
    running.refresh_from_db()
    assert running.status == "closed"
    assert web.get(f"/access/campaigns/{running.pk}/summary/").status_code == 200


def test_a_launching_campaign_page_refreshes_itself(web_of, access_admin, asset, monkeypatch):
    monkeypatch.setattr(launch_step, "LAUNCH_INLINE_MAX", 0)
    GrantFactory(asset=asset)
    campaign = services.campaign_launch(actor=access_admin, campaign=make_campaign(access_admin, launch=False))

    response = web_of(access_admin).get(f"/access/campaigns/{campaign.pk}/")

    assert response["Refresh"] == "3"
    assert b"<progress" in response.content


def test_the_summary_has_an_svg_chart_and_a_print_stylesheet(web_of, auditor, running):
    page = web_of(auditor).get(f"/access/campaigns/{running.pk}/summary/").content.decode()
    assert "<svg" in page
    assert "campaigns.css" in page
    assert "cdn" not in page.lower()


# --- Query counts ----------------------------------------------------------------


def estate(n, reviewer):
    """``n`` active grants, each on its own asset reviewed by ``reviewer``, with their permissions."""
    assets = bulk_assets(n, "Reviewed", reviewer=reviewer)
    users = [UserFactory(username=f"holder{i}") for i in range(3)]
    now = timezone.now()
    Grant.objects.bulk_create(
        Grant(
            user=users[i % 3],
            asset=a,
            scope="use",
            granted_at=now - timedelta(days=1),
            expires_at=now + timedelta(days=30),
        )
        for i, a in enumerate(assets)
    )
    use = permissions.permission(SCOPE_PERMISSION["use"])
    DataAssetUserObjectPermission.objects.bulk_create(
        DataAssetUserObjectPermission(permission=use, user=users[i % 3], content_object=a) for i, a in enumerate(assets)
    )


@pytest.mark.parametrize("n", [10, 1000])
def test_the_queue_page_queries_do_not_grow(web_of, access_admin, reviewer, n, django_assert_num_queries):
    estate(n, reviewer)
    campaign = make_campaign(access_admin)
    assert campaign.item_count == n
    path = f"/access/campaigns/{campaign.pk}/queue/"
    web = warm(web_of(reviewer), path)

    # session, user, user perms, group perms; campaign; assets of the filter; count;
    # role groups; nav: a reviewed asset exists; page (grantee, asset, grant, request, other-grants subquery)
    with django_assert_num_queries(10):
        response = web.get(path)
    assert response.status_code == 200
    assert len(response.context["items"]) == min(n, 100)


@pytest.mark.parametrize("n", [10, 1000])
def test_the_items_api_queries_do_not_grow(client_of, access_admin, reviewer, n, django_assert_num_queries):
    estate(n, reviewer)
    campaign = make_campaign(access_admin)
    api = client_of(reviewer)
    path = f"/api/campaigns/{campaign.pk}/items/?reviewer=me&decided=0"
    api.get(path)

    # session, user; campaign visibility (perms); items visibility (perms); count; page
    with django_assert_num_queries(7):
        response = api.get(path)
    assert response.json()["count"] == n


@pytest.mark.parametrize("n", [10, 1000])
def test_bulk_decision_queries_do_not_grow(client_of, access_admin, reviewer, n, django_assert_num_queries):
    estate(n, reviewer)
    campaign = make_campaign(access_admin)
    ids = list(ReviewItem.objects.filter(campaign=campaign).values_list("pk", flat=True))
    api = client_of(reviewer)
    api.get(f"/api/campaigns/{campaign.pk}")

    # session, user, user perms, group perms; campaign; savepoint; lock campaign; any items of theirs;
    # aggregate; lock ids; update; audit (savepoint, lock head, insert, update head, release);
    # one INSERT … SELECT of the items' decision history; release
    with django_assert_num_queries(18):
        response = api.post(
            f"/api/campaigns/{campaign.pk}/decide", {"items": ids, "decision": "revoke", "comment": ""}, format="json"
        )
    assert response.json() == {"decided": n}


@pytest.mark.parametrize("n", [10, 1000])
def test_the_campaign_page_queries_do_not_grow(web_of, access_admin, reviewer, n, django_assert_num_queries):
    estate(n, reviewer)
    campaign = make_campaign(access_admin)
    services.review_items_decide(actor=reviewer, campaign=campaign, decision="revoke", match={})
    path = f"/access/campaigns/{campaign.pk}/"
    web = warm(web_of(access_admin), path)

    with django_assert_num_queries(11):
        response = web.get(path)
    assert response.context["counts"]["decided"] == n


@pytest.mark.parametrize("others", [0, 1])
def test_delegating_from_the_item_page_lands_on_the_queue_not_a_404(
    web_of, access_admin, reviewer, second_reviewer, employee, others
):
    asset = DataAssetFactory(reviewers=[reviewer, second_reviewer])
    GrantFactory(user=employee, asset=asset)
    for _ in range(others):
        GrantFactory(asset=asset)
    campaign = make_campaign(access_admin)
    item = ReviewItem.objects.filter(campaign=campaign, grantee=employee, reviewer=reviewer).get()
    page = f"/access/review-items/{item.pk}/"

    response = web_of(reviewer).post(f"{page}delegate/", {"to": second_reviewer.pk, "next": page}, follow=True)

    assert response.status_code == 200
    # With items left, their queue; with none, the queue would be a 404 too, so the campaign list.
    queue = f"/access/campaigns/{campaign.pk}/queue/"
    assert response.redirect_chain[-1][0] == (queue if others else "/access/campaigns/")
    assert f"is now {second_reviewer}&#x27;s to decide" in response.content.decode()
    item.refresh_from_db()
    assert item.reviewer == second_reviewer


def test_the_item_page_names_its_two_histories_apart(web_of, reviewer, running):
    item = ReviewItem.objects.filter(campaign=running, reviewer=reviewer).first()
    page = web_of(reviewer).get(f"/access/review-items/{item.pk}/").content.decode()
    assert "This review item's history" in page
    assert "The grant's history" in page
    assert page.count('id="history-h"') == 0  # ids on a page are unique


def test_the_bulk_bar_is_offered_only_to_who_has_items_to_decide(web_of, reviewer, auditor, access_admin, running):
    path = f"/access/campaigns/{running.pk}/queue/"
    assert "Bulk decision" in web_of(reviewer).get(path).content.decode()
    for who in (auditor, access_admin):  # they read every item; none is theirs
        page = web_of(who).get(path).content.decode()
        assert "Bulk decision" not in page
        assert 'name="items"' not in page


def test_the_queue_counts_only_the_grantees_other_grants_that_are_still_active(access_admin, reviewer, employee, asset):
    from access.campaigns import selectors

    GrantFactory(user=employee, asset=asset, scope="use")
    campaign = make_campaign(access_admin)
    past = timezone.now() - timedelta(days=1)
    # Past its expiry but not yet swept: no access by the one rule, so not "another grant".
    GrantFactory(user=employee, asset=asset, scope="export", granted_at=past - timedelta(days=2), expires_at=past)
    [item] = selectors.item_list(user=reviewer, campaign=campaign)
    assert item.other_grants == 0

    GrantFactory(user=employee, asset=asset, scope="admin")
    [item] = selectors.item_list(user=reviewer, campaign=campaign)
    assert item.other_grants == 1


def test_closing_asks_first_and_says_how_many_grants_will_go(web_of, access_admin, reviewer, running):
    web = web_of(access_admin)
    url = f"/access/campaigns/{running.pk}/close/"

    page = web.get(url)

    assert page.status_code == 200
    body = page.content.decode()
    assert "Close and apply" in body
    assert "Grants that will be revoked" in body
    running.refresh_from_db()
    assert running.is_running  # looking at the page changes nothing
    assert web.post(url).status_code == 302
    running.refresh_from_db()
    assert running.status == Campaign.Status.CLOSED
    # Once closed, the confirmation page refuses with a message instead of offering to close again.
    assert web.get(url, follow=True).redirect_chain


def test_a_reviewer_cannot_open_the_close_page(web_of, reviewer, running):
    assert web_of(reviewer).get(f"/access/campaigns/{running.pk}/close/").status_code == 403
