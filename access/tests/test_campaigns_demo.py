"""The demo's campaigns read like real ones whatever day it is seeded: last quarter closed, this quarter running."""

from datetime import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from access.campaigns import demo
from access.campaigns.models import Campaign, ReviewItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", stdout=StringIO())
    return {c.status: c for c in Campaign.objects.all()}


@pytest.mark.parametrize("day", ["2026-11-28 10:00", "2027-01-02 09:00", "2027-03-30 17:00"])
def test_the_demo_campaigns_are_dated_from_the_day_of_seeding(day):
    with time_machine.travel(timezone.make_aware(datetime.fromisoformat(day)), tick=False):
        call_command("seed_demo", stdout=StringIO())
        now = timezone.now()
        running = Campaign.objects.get(status=Campaign.Status.RUNNING)
        closed = Campaign.objects.get(status=Campaign.Status.CLOSED)

    this_quarter = demo.quarter_start(now)
    assert running.due_at > now
    assert running.name == demo.quarter_name(now)
    assert closed.launched_at < this_quarter <= now
    assert closed.closed_at == closed.due_at < this_quarter
    assert closed.name == demo.quarter_name(closed.launched_at)


def test_every_demo_grant_was_granted_before_it_was_used_and_before_its_review(seeded):
    for item in ReviewItem.objects.select_related("campaign", "grant"):
        assert item.granted_at <= item.campaign.launched_at, item
        if item.last_used_at:
            assert item.granted_at < item.last_used_at <= item.campaign.launched_at, item
        grant = item.grant
        if grant.last_used_at:
            assert grant.granted_at < grant.last_used_at, grant
        assert grant.granted_at < grant.expires_at


def test_the_running_demo_campaign_has_decided_and_undecided_items(seeded):
    items = ReviewItem.objects.filter(campaign=seeded["running"])
    assert items.exclude(decision="").exists()
    assert items.filter(decision="").exists()


def test_the_closed_demo_campaign_has_evidence(seeded, client_of):
    from portal.models import User

    closed = seeded["closed"]
    items = ReviewItem.objects.filter(campaign=closed)
    assert items.filter(decision="certify").exclude(comment="").exists()
    assert items.filter(decision="", outcome="revoke").exists()
    assert not items.filter(applied_at__isnull=True).exists()

    response = client_of(User.objects.get(username="audrey")).get(f"/api/campaigns/{closed.pk}/evidence.csv")
    assert response.status_code == 200
    assert len(b"".join(response.streaming_content).decode().strip().splitlines()) == 1 + items.count()
