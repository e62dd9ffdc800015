"""A close and a decision at the same moment, two closes at once (PostgreSQL, two connections)."""

from __future__ import annotations

import pytest
from django.db import connection

from access.campaigns import services
from access.campaigns.models import Campaign, ReviewItem
from access.campaigns.services import close as close_step
from access.models import Grant
from access.tests.factories import GrantFactory, make_campaign
from access.tests.test_concurrency import race
from portal.errors import Conflict
from portal.models import AuditEvent
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")


@pytest.fixture
def world():
    admin = UserFactory(username="adam", is_superuser=True)  # role groups do not survive the flush
    rita = UserFactory(username="rita")
    grant = GrantFactory(user=UserFactory(username="emma"), asset=DataAssetFactory(reviewers=[rita]))
    campaign = make_campaign(admin, default_decision="certify")
    return admin, rita, grant, campaign


@pytest.mark.parametrize("repeat", range(3))
def test_a_decision_racing_the_close_is_applied_or_refused_never_lost(world, repeat):
    admin, rita, grant, campaign = world
    item = ReviewItem.objects.get(campaign=campaign)

    decided, closed = race(
        lambda: services.review_item_decide(actor=rita, item=item, decision="revoke"),
        lambda: services.campaign_close(actor=admin, campaign=campaign),
    )

    assert isinstance(closed, Campaign)
    item.refresh_from_db()
    grant.refresh_from_db()
    if isinstance(decided, Conflict):  # the close won: the default (certify) applied
        assert (item.decision, item.outcome, grant.status) == ("", "certify", Grant.Status.ACTIVE)
    else:  # the decision won: the close applied it
        assert (item.decision, item.outcome, grant.status) == ("revoke", "revoke", Grant.Status.REVOKED)


@pytest.mark.parametrize("repeat", range(2))
def test_a_decision_racing_a_large_close_is_applied_by_its_task_or_refused(world, monkeypatch, repeat):
    admin, rita, grant, campaign = world
    monkeypatch.setattr(close_step, "CLOSE_INLINE_MAX", 0)  # the close only marks closing; the task applies
    item = ReviewItem.objects.get(campaign=campaign)

    decided, closing = race(
        lambda: services.review_item_decide(actor=rita, item=item, decision="revoke"),
        lambda: services.campaign_close(actor=admin, campaign=campaign),
    )

    assert isinstance(closing, Campaign)
    services.campaign_apply(campaign_id=campaign.pk)  # the task (eager: it may have run already)
    item.refresh_from_db()
    grant.refresh_from_db()
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.CLOSED
    if isinstance(decided, Conflict):  # closing began first: the default (certify) applied
        assert (item.decision, item.outcome, grant.status) == ("", "certify", Grant.Status.ACTIVE)
    else:  # the decision came first: the task applied it
        assert (item.decision, item.outcome, grant.status) == ("revoke", "revoke", Grant.Status.REVOKED)
    assert AuditEvent.objects.filter(action="access.campaign.closed").count() == 1


def test_two_closes_at_once_revoke_once(world):
    admin, rita, _grant, campaign = world
    services.review_item_decide(actor=rita, item=ReviewItem.objects.get(campaign=campaign), decision="revoke")

    first, second = race(
        lambda: services.campaign_close(actor=admin, campaign=campaign),
        lambda: services.campaign_close(actor=admin, campaign=campaign),
    )

    assert isinstance(first, Campaign)
    assert isinstance(second, Campaign)
    assert AuditEvent.objects.filter(action="access.campaign.closed").count() == 1
    assert AuditEvent.objects.filter(action="access.grants.revoked").count() == 1
