"""Launch: every active grant in scope becomes one review item, with a reviewer and a recommendation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from access.campaigns import services
from access.campaigns.models import Campaign, Outcome, Reason, ReviewItem
from access.campaigns.services import launch as launch_step
from access.models import Grant
from access.tests.factories import GrantFactory, make_campaign
from portal.errors import Conflict, Forbidden, ValidationError
from portal.models import AuditEvent
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = pytest.mark.django_db


def items_of(campaign):
    return {i.grant_id: i for i in ReviewItem.objects.filter(campaign=campaign)}


def test_launch_snapshots_every_active_grant_in_scope(access_admin, asset, employee, outsider):
    kept = GrantFactory(user=employee, asset=asset)
    GrantFactory(user=outsider, asset=asset, status=Grant.Status.REVOKED)
    past = timezone.now() - timedelta(days=1)
    GrantFactory(user=outsider, asset=asset, scope="export", granted_at=past - timedelta(days=10), expires_at=past)

    campaign = make_campaign(access_admin)

    assert campaign.status == Campaign.Status.RUNNING
    assert campaign.is_ready
    assert campaign.item_count == 1
    item = items_of(campaign)[kept.pk]
    assert (item.grantee, item.asset, item.scope, item.sensitivity) == (employee, asset, "use", "confidential")
    assert AuditEvent.objects.filter(action="access.campaign.launched", target_id=str(campaign.pk)).exists()


def test_scope_by_minimum_sensitivity_or_by_assets(access_admin, employee):
    low = DataAssetFactory(sensitivity="internal")
    high = DataAssetFactory(sensitivity="restricted")
    other = DataAssetFactory(sensitivity="public")
    g_low, g_high, g_other = (GrantFactory(user=employee, asset=a) for a in (low, high, other))

    by_level = make_campaign(access_admin, name="Confidential+", min_sensitivity="confidential")
    by_assets = make_campaign(access_admin, name="Two assets", assets=[low, other])

    assert set(items_of(by_level)) == {g_high.pk}
    assert set(items_of(by_assets)) == {g_low.pk, g_other.pk}


def test_recommendations_follow_last_use_and_the_grantee(access_admin, asset):
    now = timezone.now()
    used = GrantFactory(asset=asset, last_used_at=now - timedelta(days=3))
    stale = GrantFactory(asset=asset, last_used_at=now - timedelta(days=91))
    never = GrantFactory(asset=asset, last_used_at=None)
    gone = GrantFactory(asset=asset, last_used_at=now, user=UserFactory(is_active=False))
    left = GrantFactory(asset=asset, last_used_at=now, user=UserFactory(offboarded_at=now))

    items = items_of(make_campaign(access_admin))

    expected = {
        used.pk: (Outcome.CERTIFY, Reason.IN_USE),
        stale.pk: (Outcome.REVOKE, Reason.UNUSED),
        never.pk: (Outcome.REVOKE, Reason.NEVER_USED),
        gone.pk: (Outcome.REVOKE, Reason.GRANTEE_INACTIVE),
        left.pk: (Outcome.REVOKE, Reason.GRANTEE_OFFBOARDED),
    }
    assert {pk: (i.recommendation, i.reason) for pk, i in items.items()} == expected
    assert items[used.pk].last_used_at is not None


def test_the_grantee_never_reviews_their_own_grant(access_admin, reviewer, second_reviewer, privacy_officer):
    asset = DataAssetFactory(reviewers=[reviewer, second_reviewer])
    lonely = DataAssetFactory(reviewers=[reviewer])
    nobody = DataAssetFactory()
    own = GrantFactory(user=reviewer, asset=asset)
    others = GrantFactory(asset=asset)
    own_lonely = GrantFactory(user=reviewer, asset=lonely)
    orphan = GrantFactory(asset=nobody)

    items = items_of(make_campaign(access_admin))

    assert items[own.pk].reviewer == second_reviewer
    assert items[others.pk].reviewer == reviewer
    # No other reviewer of the asset, or none at all: the privacy officers.
    assert items[own_lonely.pk].reviewer == privacy_officer
    assert items[orphan.pk].reviewer == privacy_officer


def test_inactive_reviewers_are_passed_over(access_admin, privacy_officer):
    asset = DataAssetFactory(reviewers=[UserFactory(is_active=False)])
    grant = GrantFactory(asset=asset)

    assert items_of(make_campaign(access_admin))[grant.pk].reviewer == privacy_officer


def test_a_large_launch_runs_as_a_task_in_batches(access_admin, asset, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(launch_step, "LAUNCH_INLINE_MAX", 3)
    grants = GrantFactory.create_batch(5, asset=asset)
    campaign = make_campaign(access_admin, launch=False)

    with django_capture_on_commit_callbacks() as callbacks:
        campaign = services.campaign_launch(actor=access_admin, campaign=campaign)
    assert not campaign.is_ready
    assert campaign.items_expected == 5
    assert campaign.launch_percent == 0

    services.campaign_snapshot(campaign_id=campaign.pk, batch_size=2)
    services.campaign_snapshot(campaign_id=campaign.pk, batch_size=2)  # a retried task changes nothing

    campaign.refresh_from_db()
    assert campaign.is_ready
    assert campaign.item_count == 5
    assert campaign.launch_percent == 100
    assert set(items_of(campaign)) == {g.pk for g in grants}
    assert len(callbacks) >= 1


def test_only_access_admins_create_and_launch(employee, reviewer, auditor, access_admin):
    for user in (employee, reviewer, auditor):
        with pytest.raises(Forbidden):
            make_campaign(user)
    campaign = make_campaign(access_admin, launch=False)
    with pytest.raises(Forbidden):
        services.campaign_launch(actor=auditor, campaign=campaign)


def test_launch_twice_is_a_conflict(access_admin):
    campaign = make_campaign(access_admin)
    with pytest.raises(Conflict):
        services.campaign_launch(actor=access_admin, campaign=campaign)


def test_create_refuses_bad_input_per_field(access_admin, asset):
    with pytest.raises(ValidationError) as exc:
        services.campaign_create(
            actor=access_admin,
            name="",
            due_at=timezone.now() - timedelta(days=1),
            min_sensitivity="secret",
            assets=[asset],
            default_decision="maybe",
        )
    assert set(exc.value.fields) == {"name", "due_at", "min_sensitivity", "assets", "default_decision"}


def test_the_quarterly_launch_and_the_reminders_are_on_the_beat_schedule():
    from django_celery_beat.models import PeriodicTask

    quarterly = PeriodicTask.objects.select_related("crontab").get(
        task="access.campaigns.tasks.launch_quarterly_campaign_task", enabled=True
    )
    reminders = PeriodicTask.objects.select_related("interval").get(
        task="access.campaigns.tasks.remind_reviewers_task", enabled=True
    )

    crontab = quarterly.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year) == ("0", "6", "1", "1,4,7,10")
    assert (reminders.interval.every, reminders.interval.period) == (1, "hours")
