"""What a reviewer, an admin and an auditor notice on a campaign: histories, counts after close, who may move what."""

import pytest
from django.utils import timezone

from access.campaigns import services
from access.campaigns.models import ReviewDecision, ReviewItem
from access.tests.factories import GrantFactory, make_campaign
from portal.models import AuditEvent
from portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(access_admin, asset, employee):
    """Four items for ``reviewer``: two recommended to keep, two to revoke; undecided items are revoked at close."""
    GrantFactory(user=employee, asset=asset, last_used_at=timezone.now())
    GrantFactory(asset=asset, last_used_at=timezone.now())
    GrantFactory(asset=asset, last_used_at=None)
    GrantFactory(asset=asset, last_used_at=None)
    return make_campaign(access_admin)


def _items(campaign):
    return list(ReviewItem.objects.filter(campaign=campaign).order_by("pk"))


# --- Gap 1: a bulk decision shows in each item's own history ---------------------------


def test_a_bulk_decision_shows_in_each_items_history(web_of, reviewer, running):
    first, second, *_ = _items(running)
    web = web_of(reviewer)
    web.post(
        f"/access/campaigns/{running.pk}/decide/",
        {"items": [first.pk, second.pk], "decision": "certify", "apply_to": "selected", "comment": "Both in use."},
    )

    for item in (first, second):
        page = web.get(f"/access/review-items/{item.pk}/").content.decode()
        history = page[page.index('id="item-history-h"') : page.index('id="grant-history-h"')]
        assert "decided in bulk: certify (keep) (2 items at once)" in history
        assert "Both in use." in history
    assert ReviewDecision.objects.filter(item__in=[first, second], decision="certify").count() == 2


def test_an_items_history_keeps_every_decision_single_and_bulk_in_order(reviewer, running):
    from access.campaigns.views import item_history

    item = _items(running)[0]
    services.review_items_decide(actor=reviewer, campaign=running, decision="revoke", items=[item.pk])
    services.review_item_decide(actor=reviewer, item=item, decision="certify", comment="Still on the project.")

    labels = [event.label for event in item_history(item)]

    assert labels == ["decided: certify (keep)", "decided in bulk: revoke (1 item at once)"]  # newest first


def test_another_items_bulk_decision_is_not_in_this_items_history(reviewer, running):
    from access.campaigns.views import item_history

    first, second, *_ = _items(running)
    services.review_items_decide(actor=reviewer, campaign=running, decision="revoke", items=[second.pk])

    assert item_history(first) == []


@pytest.mark.parametrize("bulk_decisions", [1, 6])
def test_the_item_page_queries_do_not_grow_with_bulk_decisions(
    web_of, reviewer, running, bulk_decisions, django_assert_num_queries
):
    from access.tests.test_web_queries import warm

    item = _items(running)[0]
    for n in range(bulk_decisions):
        services.review_items_decide(
            actor=reviewer, campaign=running, decision=["revoke", "certify"][n % 2], items=[item.pk], comment=f"{n}"
        )
    path = f"/access/review-items/{item.pk}/"
    web = warm(web_of(reviewer), path)

    # session, user; item; approvals; other grants; item history (one, bulk events included); grant history;
    # delegate candidates; perms and groups for the page's rights; messages
    with django_assert_num_queries(12):
        response = web.get(path)
    assert len(response.context["item_history"]) == bulk_decisions


# --- Gap 2: what the counts say before and after close --------------------------------


def _decide_some(reviewer, campaign):
    keep, go, *_ = _items(campaign)
    services.review_item_decide(actor=reviewer, item=keep, decision="certify")
    services.review_item_decide(actor=reviewer, item=go, decision="revoke")


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_before_close_the_summary_says_decided_undecided_and_to_revoke_so_far(web_of, reviewer, auditor, running):
    _decide_some(reviewer, running)

    page = _text(web_of(auditor).get(f"/access/campaigns/{running.pk}/summary/"))

    assert "<strong>2</strong> decided (50%)" in page
    assert "<strong>2</strong> undecided" in page
    assert "<strong>1</strong> to revoke so far" in page
    assert "revoked by default" not in page


def test_after_close_the_summary_splits_revokes_by_decision_and_by_default(
    web_of, reviewer, auditor, access_admin, running
):
    _decide_some(reviewer, running)
    services.campaign_close(actor=access_admin, campaign=running)

    page = _text(web_of(auditor).get(f"/access/campaigns/{running.pk}/summary/"))

    assert "<strong>4</strong> grants in scope" in page
    assert "<strong>1</strong> certified" in page
    assert "<strong>1</strong> revoked by decision" in page
    assert "<strong>2</strong> revoked by default (undecided at close)" in page
    assert "<strong>3</strong> revoked in total" in page
    assert "<strong>4</strong> items applied" in page
    assert "3 grants ended" in page
    assert "to revoke" not in page  # never "0 to revoke" on a closed campaign
    assert "grants reviewed" not in page  # undecided items were not reviewed


def test_after_close_the_asset_chart_shows_default_revokes_not_undecided(
    web_of, reviewer, auditor, access_admin, running
):
    _decide_some(reviewer, running)
    services.campaign_close(actor=access_admin, campaign=running)

    page = web_of(auditor).get(f"/access/campaigns/{running.pk}/summary/").content.decode()
    chart = page[page.index('id="chart-assets-t"') :]

    assert "<title>revoked by default (undecided at close): 2</title>" in chart
    assert "<title>revoked by decision: 1</title>" in chart
    assert "<title>undecided" not in chart


def test_after_close_the_campaign_page_says_what_was_applied(web_of, reviewer, access_admin, running):
    _decide_some(reviewer, running)
    services.campaign_close(actor=access_admin, campaign=running)

    page = _text(web_of(access_admin).get(f"/access/campaigns/{running.pk}/"))

    assert "1 revoked by decision · 2 revoked by default (undecided at close) · 3 revoked in total · 4 applied" in page
    assert "to revoke so far" not in page


# --- Gap 3: delegate and reassign both refuse a decided item ---------------------------


def test_admins_may_not_reassign_a_decided_item(client_of, web_of, access_admin, reviewer, privacy_officer, running):
    item = _items(running)[0]
    services.review_item_decide(actor=reviewer, item=item, decision="certify")

    response = client_of(access_admin).post(
        f"/api/review-items/{item.pk}/reassign", {"to": privacy_officer.pk}, format="json"
    )

    assert response.status_code == 409
    assert "decided already" in response.json()["detail"]
    item.refresh_from_db()
    assert item.reviewer == reviewer
    assert (
        "Reassign (access admins)" not in web_of(access_admin).get(f"/access/review-items/{item.pk}/").content.decode()
    )


def test_reviewers_may_not_delegate_a_decided_item_either(client_of, reviewer, second_reviewer, running):
    item = _items(running)[0]
    services.review_item_decide(actor=reviewer, item=item, decision="certify")

    response = client_of(reviewer).post(
        f"/api/review-items/{item.pk}/delegate", {"to": second_reviewer.pk}, format="json"
    )

    assert response.status_code == 409
    item.refresh_from_db()
    assert item.reviewer == reviewer


# --- Gap 4: reviewers by full name, username when there is none ------------------------


def test_reviewers_are_named_by_full_name_on_the_campaign_and_summary(web_of, reviewer, auditor, access_admin, running):
    reviewer.first_name, reviewer.last_name = "Rita", "Reviewsworth"
    reviewer.save(update_fields=["first_name", "last_name"])
    nameless = UserFactory(username="nameless_reviewer", first_name="", last_name="")
    item = _items(running)[-1]
    services.review_item_reassign(actor=access_admin, item=item, to=_make_reviewer(nameless, item))
    services.review_item_decide(actor=reviewer, item=_items(running)[0], decision="certify")

    for path in ("", "summary/"):
        page = web_of(auditor).get(f"/access/campaigns/{running.pk}/{path}").content.decode()
        assert "Rita Reviewsworth" in page, path
        assert reviewer.username not in page.replace(f"{reviewer.username}@", ""), path
        assert "nameless_reviewer" in page, path


def _make_reviewer(user, item):
    from portal import permissions

    permissions.assign("portal.review_dataasset", user, item.asset)
    return user


# --- Gap 6: a refusal that fits who asks ----------------------------------------------


def test_an_auditor_is_told_auditors_do_not_decide_not_to_ask_for_delegation(web_of, client_of, auditor, running):
    item = _items(running)[0]

    page = web_of(auditor).post(f"/access/review-items/{item.pk}/decide/", {"decision": "revoke"})
    api = client_of(auditor).post(f"/api/review-items/{item.pk}/decide", {"decision": "revoke"}, format="json")
    bulk = client_of(auditor).post(
        f"/api/campaigns/{running.pk}/decide", {"items": [item.pk], "decision": "revoke"}, format="json"
    )

    assert page.status_code == api.status_code == bulk.status_code == 403
    assert "Auditors read campaigns and export their evidence" in page.content.decode()
    for message in (api.json()["detail"], bulk.json()["detail"]):
        assert message.startswith("Auditors read campaigns")
        assert "delegate" not in message
    assert not ReviewItem.objects.exclude(decision="").exists()


def test_an_admin_deciding_someone_elses_item_is_pointed_to_reassign(client_of, access_admin, running):
    item = _items(running)[0]

    response = client_of(access_admin).post(f"/api/review-items/{item.pk}/decide", {"decision": "revoke"})

    assert response.status_code == 403
    assert "reassign it" in response.json()["detail"]


# --- Gap 7: the admin's reassign action ----------------------------------------------


@pytest.fixture
def staff_admin(db):
    return UserFactory(username="sam", groups=["access-admins"], is_staff=True, is_superuser=True)


def _reassign(web, items, to):
    return web.post(
        "/admin/access/reviewitem/",
        {"action": "reassign_selected", "index": 0, "_selected_action": [i.pk for i in items], "to": to},
        follow=True,
    )


def test_the_admin_reassigns_items_through_the_service(web_of, staff_admin, reviewer, privacy_officer, running):
    first, second, *_ = _items(running)

    response = _reassign(web_of(staff_admin), [first, second], privacy_officer.username)

    assert "Reassigned 2 item(s)" in response.content.decode()
    assert {i.reviewer_id for i in ReviewItem.objects.filter(pk__in=[first.pk, second.pk])} == {privacy_officer.pk}
    assert AuditEvent.objects.filter(action="access.review_item.reassigned", target_id=str(first.pk)).exists()


def test_the_admin_reassign_action_shows_each_refusal(web_of, staff_admin, reviewer, employee, running):
    grantees_item = ReviewItem.objects.get(campaign=running, grantee=employee)
    decided = _items(running)[-1]
    services.review_item_decide(actor=reviewer, item=decided, decision="revoke")
    web = web_of(staff_admin)

    to_grantee = _reassign(web, [grantees_item], employee.username).content.decode()
    to_nobody = _reassign(web, [grantees_item], "no-such-user").content.decode()
    of_decided = _reassign(web, [decided], reviewer.username).content.decode()

    assert "Nobody reviews their own access." in to_grantee
    assert "Name the user to reassign the items to" in to_nobody
    assert "decided already" in of_decided
    assert set(ReviewItem.objects.filter(campaign=running).values_list("reviewer_id", flat=True)) == {reviewer.pk}


# --- Attacks tried on the pages -------------------------------------------------------


def test_another_reviewers_item_is_404_on_every_page_and_post(web_of, second_reviewer, running):
    item = _items(running)[0]
    web = web_of(second_reviewer)

    assert web.get(f"/access/review-items/{item.pk}/").status_code == 404
    for action in ("decide", "delegate", "reassign"):
        response = web.post(f"/access/review-items/{item.pk}/{action}/", {"decision": "revoke", "to": 1})
        assert response.status_code == 404, action
    assert not ReviewItem.objects.exclude(decision="").exists()


def test_bulk_ids_of_another_reviewer_on_the_page_decide_nothing(web_of, reviewer, second_reviewer, running):
    mine, theirs, *_ = _items(running)
    ReviewItem.objects.filter(pk=theirs.pk).update(reviewer=second_reviewer)

    response = web_of(reviewer).post(
        f"/access/campaigns/{running.pk}/decide/",
        {"items": [mine.pk, theirs.pk], "decision": "revoke", "apply_to": "selected"},
        follow=True,
    )

    assert "1 of the chosen items is not yours to decide here." in response.content.decode()
    assert not ReviewItem.objects.exclude(decision="").exists()


def test_a_double_submitted_decision_writes_one_history_entry(web_of, reviewer, running):
    item = _items(running)[0]
    web = web_of(reviewer)
    for _ in range(2):
        web.post(f"/access/review-items/{item.pk}/decide/", {"decision": "certify", "comment": ""})
        web.post(
            f"/access/campaigns/{running.pk}/decide/",
            {"items": [item.pk], "decision": "certify", "apply_to": "selected"},
        )

    assert ReviewDecision.objects.filter(item=item).count() == 1
    assert AuditEvent.objects.filter(action__startswith="access.review_item").count() == 1


def test_bulk_with_a_filter_matching_nothing_says_nothing_changed(web_of, reviewer, running):
    from portal.tests.factories import DataAssetFactory

    empty = DataAssetFactory(reviewers=[reviewer])

    response = web_of(reviewer).post(
        f"/access/campaigns/{running.pk}/decide/",
        {"decision": "revoke", "apply_to": "matching", "asset": empty.pk},
        follow=True,
    )

    assert "Nothing changed: none of your undecided items matched" in response.content.decode()
    assert not ReviewItem.objects.exclude(decision="").exists()
    assert not AuditEvent.objects.filter(action="access.review_items.decided").exists()


def test_the_items_api_refuses_a_bad_filter_and_an_invisible_campaign(client_of, reviewer, employee, running):
    bad = client_of(reviewer).get(f"/api/campaigns/{running.pk}/items/?decided=maybe")
    hidden = client_of(employee).get(f"/api/campaigns/{running.pk}/items/")

    assert bad.status_code == 400
    assert "decided" in bad.json()["errors"]
    assert hidden.status_code == 404


def test_a_reviewer_posting_the_reassign_form_gets_403_not_a_form_error(web_of, reviewer, privacy_officer, running):
    item = _items(running)[0]

    response = web_of(reviewer).post(f"/access/review-items/{item.pk}/reassign/", {"to": privacy_officer.pk})

    assert response.status_code == 403
    item.refresh_from_db()
    assert item.reviewer == reviewer


def test_an_auditor_posting_the_delegate_form_gets_403_with_the_auditors_message(web_of, auditor, running):
    item = _items(running)[0]

    response = web_of(auditor).post(f"/access/review-items/{item.pk}/delegate/", {"to": auditor.pk})

    assert response.status_code == 403
    assert "they do not delegate review items" in response.content.decode()


def test_a_certify_default_shows_as_certified_by_default_after_close(web_of, auditor, access_admin, asset):
    GrantFactory(asset=asset, last_used_at=None)
    campaign = make_campaign(access_admin, default_decision="certify")
    services.campaign_close(actor=access_admin, campaign=campaign)

    page = web_of(auditor).get(f"/access/campaigns/{campaign.pk}/summary/").content.decode()
    chart = page[page.index('id="chart-assets-t"') :]

    assert "<title>certified by default: 1</title>" in chart
    assert "revoked by default" not in chart
    assert "<strong>0</strong> revoked in total" in " ".join(page.split())
