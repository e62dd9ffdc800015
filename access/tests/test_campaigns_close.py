"""Closing a campaign: in the request up to CLOSE_INLINE_MAX items (200), above it a task in batches (202)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from access.campaigns import jobs, services
from access.campaigns.models import Campaign, Outcome, ReviewItem
from access.campaigns.services import close as close_step
from access.models import Grant
from access.tests.factories import GrantFactory, make_campaign
from access.tests.test_campaigns_web import estate
from access.tests.test_web_queries import warm
from portal import audit
from portal.errors import Conflict
from portal.models import AuditEvent, DataAssetUserObjectPermission

pytestmark = pytest.mark.django_db


@pytest.fixture
def large(monkeypatch):
    """Every campaign counts as large: its close goes to the task."""
    monkeypatch.setattr(close_step, "CLOSE_INLINE_MAX", 1)


@pytest.fixture
def three(access_admin, reviewer, asset, employee, outsider, second_reviewer):
    """A running campaign of three items: one decided revoke, one decided certify, one undecided (revoke)."""
    grants = [GrantFactory(user=u, asset=asset, last_used_at=timezone.now()) for u in (employee, outsider)]
    certified = GrantFactory(user=second_reviewer, asset=asset, last_used_at=timezone.now())
    campaign = make_campaign(access_admin)
    items = ReviewItem.objects.filter(campaign=campaign)
    services.review_item_decide(actor=reviewer, item=items.get(grant=grants[0]), decision="revoke")
    services.review_item_decide(actor=reviewer, item=items.get(grant=certified), decision="certify")
    return campaign, grants, certified


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_a_small_close_is_applied_in_the_request(access_admin, three, django_capture_on_commit_callbacks):
    campaign, revoked, _certified = three

    with django_capture_on_commit_callbacks() as callbacks:
        campaign = services.campaign_close(actor=access_admin, campaign=campaign)

    assert callbacks == []  # no task
    assert campaign.status == Campaign.Status.CLOSED
    assert campaign.applied_count == 3
    assert campaign.close_percent == 100
    assert events("access.campaign.close_started") == 0
    assert events("access.campaign.closed") == 1
    assert Grant.objects.filter(pk__in=[g.pk for g in revoked], status=Grant.Status.REVOKED).count() == 2


def test_a_large_close_is_marked_closing_and_applied_by_the_task_in_batches(
    access_admin, three, large, django_capture_on_commit_callbacks
):
    campaign, revoked, certified = three

    with django_capture_on_commit_callbacks() as callbacks:
        campaign = services.campaign_close(actor=access_admin, campaign=campaign, batch_size=1)

    assert campaign.status == Campaign.Status.RUNNING
    assert campaign.is_closing
    assert campaign.closed_by == access_admin
    assert events("access.campaign.close_started") == 1
    assert not ReviewItem.objects.filter(campaign=campaign, applied_at__isnull=False).exists()
    assert not Grant.objects.filter(status=Grant.Status.REVOKED).exists()  # nothing before the task

    for callback in callbacks:  # the task, eager
        callback()

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED
    assert (campaign.applied_count, campaign.revoked_count) == (3, 2)
    assert campaign.closed_by == access_admin
    items = ReviewItem.objects.filter(campaign=campaign)
    assert items.values("applied_at").distinct().count() == 3  # one batch each, each its own moment
    assert set(items.values_list("outcome", flat=True)) == {Outcome.REVOKE, Outcome.CERTIFY}
    for grant in revoked:
        grant.refresh_from_db()
        assert grant.status == Grant.Status.REVOKED
        assert grant.revoked_by == access_admin
        assert grant.ended_at == items.get(grant=grant).applied_at
        assert not DataAssetUserObjectPermission.objects.filter(user=grant.user, content_object=grant.asset).exists()
    certified.refresh_from_db()
    assert certified.status == Grant.Status.ACTIVE
    assert [e.details["count"] for e in AuditEvent.objects.filter(action="access.grants.revoked")] == [1, 1]
    [closed] = AuditEvent.objects.filter(action="access.campaign.closed")
    assert closed.actor_id == access_admin.pk
    assert closed.details == {"certified": 1, "revoked": 2, "by_default": 1, "grants_revoked": 2}
    assert audit.verify() is None


def test_a_second_close_while_closing_changes_nothing_and_the_two_tasks_apply_once(
    access_admin, three, large, django_capture_on_commit_callbacks
):
    campaign, _revoked, _certified = three
    with django_capture_on_commit_callbacks() as first:
        services.campaign_close(actor=access_admin, campaign=campaign, batch_size=1)
    before = AuditEvent.objects.count()

    with django_capture_on_commit_callbacks() as second:
        again = services.campaign_close(actor=access_admin, campaign=campaign, batch_size=1)

    assert again.is_closing
    assert AuditEvent.objects.count() == before  # no second "close started"
    for callback in [*first, *second]:  # the lost message's stand-in runs too; it finds nothing left
        callback()
    campaign.refresh_from_db()
    assert campaign.revoked_count == 2
    assert campaign.applied_count == 3
    assert events("access.campaign.closed") == 1
    assert events("access.grant.revoked") == 2


def test_a_task_redelivered_mid_close_continues_after_the_last_committed_batch(access_admin, three, large):
    campaign, _revoked, _certified = three
    campaign = services.campaign_close(actor=access_admin, campaign=campaign)
    # The worker that died committed one batch (the first item's) before it was killed.
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        close_step._apply_batch(locked, actor=access_admin, now=timezone.now(), batch_size=1)
    first = ReviewItem.objects.filter(campaign=campaign).order_by("pk").first()

    done = services.campaign_apply(campaign_id=campaign.pk, batch_size=1)
    repeated = services.campaign_apply(campaign_id=campaign.pk, batch_size=1)

    assert done.status == Campaign.Status.CLOSED
    assert repeated.closed_at == done.closed_at
    assert ReviewItem.objects.get(pk=first.pk).applied_at == first.applied_at  # stamped once
    assert (done.applied_count, done.revoked_count) == (3, 2)
    assert events("access.grant.revoked") == events("access.grant.revoked") == 2
    assert events("access.campaign.closed") == 1


def test_a_task_for_a_campaign_not_closing_does_nothing(access_admin, three):
    campaign, _revoked, _certified = three

    services.campaign_apply(campaign_id=campaign.pk)

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING
    assert campaign.applied_count == 0
    assert not Grant.objects.filter(status=Grant.Status.REVOKED).exists()


def test_nothing_is_decided_delegated_or_reassigned_once_closing(
    access_admin, reviewer, second_reviewer, privacy_officer, three, large
):
    campaign, revoked, _certified = three
    campaign = services.campaign_close(actor=access_admin, campaign=campaign)
    item = ReviewItem.objects.get(campaign=campaign, grant=revoked[1])  # undecided

    with pytest.raises(Conflict, match="closing"):
        services.review_item_decide(actor=reviewer, item=item, decision="certify", comment="Needed.")
    with pytest.raises(Conflict, match="closing"):
        services.review_items_decide(actor=reviewer, campaign=campaign, decision="revoke", match={})
    with pytest.raises(Conflict, match="closing"):
        services.review_item_delegate(actor=reviewer, item=item, to=second_reviewer)
    with pytest.raises(Conflict, match="closing"):
        services.review_item_reassign(actor=access_admin, item=item, to=privacy_officer)
    assert ReviewItem.objects.get(pk=item.pk).decision == ""
    assert services.open_items(reviewer).count() == 0  # nor does the dashboard ask for it


def test_the_api_answers_202_closing_then_the_campaign_is_closed(
    client_of, access_admin, reviewer, three, large, django_capture_on_commit_callbacks
):
    campaign, revoked, _certified = three
    admin = client_of(access_admin)

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin.post(f"/api/campaigns/{campaign.pk}/close")

    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["closing"], body["applied_count"], body["item_count"]) == ("running", True, 0, 3)
    assert body["closing_started_at"] is not None
    assert admin.post(f"/api/campaigns/{campaign.pk}/close").status_code == 202  # still closing: idempotent
    item = ReviewItem.objects.get(campaign=campaign, grant=revoked[1])
    refused = client_of(reviewer).post(f"/api/review-items/{item.pk}/decide", {"decision": "revoke"})
    assert refused.status_code == 409
    assert "closing" in str(refused.json())

    for callback in callbacks:
        callback()
    done = admin.get(f"/api/campaigns/{campaign.pk}/").json()
    assert (done["status"], done["closing"], done["applied_count"], done["close_percent"]) == ("closed", False, 3, 100)
    assert admin.post(f"/api/campaigns/{campaign.pk}/close").status_code == 200


def test_the_closing_page_shows_what_is_applied_and_refreshes_itself(web_of, access_admin, reviewer, three, large):
    campaign, _revoked, _certified = three
    services.campaign_close(actor=access_admin, campaign=campaign)

    response = web_of(access_admin).get(f"/access/campaigns/{campaign.pk}/")

    assert response["Refresh"] == "3"
    text = response.content.decode()
    assert "Closing: 0 of 3 applied" in text
    assert '<span class="badge status-closing">Closing</span>' in text
    listed = web_of(access_admin).get("/access/campaigns/").content.decode()
    assert '<span class="badge status-closing">Closing</span>' in listed
    assert '<progress class="bar" value="0" max="3">' in text
    assert "Close and apply" not in text  # no second close offered
    refused = web_of(access_admin).get(f"/access/campaigns/{campaign.pk}/close/", follow=True)
    assert "This campaign is closing already." in refused.content.decode()
    item = ReviewItem.objects.filter(campaign=campaign, reviewer=reviewer).first()
    page = web_of(reviewer).get(f"/access/review-items/{item.pk}/")
    assert (page.context["may_decide"], page.context["may_delegate"]) == (False, False)


def test_a_closed_page_no_longer_refreshes(web_of, access_admin, three):
    campaign, _revoked, _certified = three
    services.campaign_close(actor=access_admin, campaign=campaign)

    response = web_of(access_admin).get(f"/access/campaigns/{campaign.pk}/")

    assert not response.has_header("Refresh")
    assert "Closing:" not in response.content.decode()


def test_reminders_skip_a_closing_campaign(access_admin, reviewer, asset, large, time_machine):
    GrantFactory(asset=asset)
    campaign = make_campaign(access_admin, days=2)
    services.campaign_close(actor=access_admin, campaign=campaign)
    mail.outbox.clear()

    assert jobs.campaigns_remind() == 0
    assert mail.outbox == []


@pytest.mark.parametrize("n", [10, 1000])
def test_the_closing_page_queries_do_not_grow(
    web_of, access_admin, reviewer, n, monkeypatch, django_assert_num_queries
):
    estate(n, reviewer)
    campaign = make_campaign(access_admin)
    monkeypatch.setattr(close_step, "CLOSE_INLINE_MAX", 0)
    services.campaign_close(actor=access_admin, campaign=campaign)
    path = f"/access/campaigns/{campaign.pk}/"
    web = warm(web_of(access_admin), path)

    # As the running page (11) less the "your undecided items" count, which a closing campaign has none of.
    with django_assert_num_queries(10):
        response = web.get(path)
    assert f"Closing: 0 of {n} applied" in response.content.decode()
