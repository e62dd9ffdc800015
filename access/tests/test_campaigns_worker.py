"""A campaign launch snapshotted by a real Celery worker that is killed with SIGKILL between two batches
and started again: every grant becomes exactly one review item, and the campaign is ready once.

Runs with ``CELERY_TEST_BROKER_URL`` on PostgreSQL, like ``portal/tests/test_celery_worker.py`` (CI does).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from access.campaigns import services
from access.campaigns.models import Campaign, ReviewItem
from access.campaigns.services.launch import SNAPSHOT_BATCH
from access.models import Grant
from portal.models import AuditEvent, DataAsset, User
from portal.testing import make_user
from portal.tests import worker as workers

pytestmark = workers.MARKS

USERS, ASSETS = 150, 2 * SNAPSHOT_BATCH // 150 + 20  # a little over two batches of grants: three batches


def _grants() -> int:
    """USERS x ASSETS active grants, written in bulk (a service call each would take minutes)."""
    now = timezone.now()
    users = User.objects.bulk_create(
        [User(username=f"kill-{i}", email=f"kill-{i}@example.com") for i in range(USERS)], batch_size=1000
    )
    assets = DataAsset.objects.bulk_create(
        [DataAsset(name=f"Asset {i}", sensitivity="internal", max_grant_days=180) for i in range(ASSETS)],
        batch_size=1000,
    )
    Grant.objects.bulk_create(
        (
            Grant(user=u, asset=a, scope="use", granted_at=now - timedelta(days=1), expires_at=now + timedelta(days=30))
            for u in users
            for a in assets
        ),
        batch_size=5000,
    )
    return USERS * ASSETS


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_killed_between_batches_finishes_after_a_restart_with_each_grant_once(tmp_path):
    grants = _grants()
    assert grants > 2 * SNAPSHOT_BATCH
    admin = make_user("access_admin")
    campaign = services.campaign_create(actor=admin, name="Killed mid-way", due_at=timezone.now() + timedelta(days=30))
    log = tmp_path / "worker.log"
    env = {"CELERY_VISIBILITY_TIMEOUT": str(workers.KILLED_VISIBILITY_TIMEOUT)}

    with workers.own_queue() as queue:
        first = workers.start(queue, log, **env)
        try:
            campaign = services.campaign_launch(actor=admin, campaign=campaign)  # above the inline limit: a task
            assert not campaign.is_ready
            workers.wait_for(
                lambda: Campaign.objects.get(pk=campaign.pk).item_count > 0, first, "the first batch", seconds=180
            )
            # Take the campaign row: the worker's next batch waits for it, so we kill it mid-way.
            table = Campaign._meta.db_table
            with workers.row_locked(f"SELECT item_count FROM {table} WHERE id = %s FOR UPDATE", [campaign.pk]) as row:
                done = row.fetchone()[0]
                assert 0 < done < grants, f"the snapshot was not mid-way ({done} of {grants})"
                workers.kill(first)
        finally:
            workers.stop(first)
        assert ReviewItem.objects.filter(campaign=campaign).count() == done

        second = workers.start(queue, log, **env)
        try:
            workers.wait_for(
                lambda: Campaign.objects.get(pk=campaign.pk).is_ready, second, "a ready campaign", seconds=180
            )
        finally:
            workers.stop(second)

    campaign.refresh_from_db()
    items = ReviewItem.objects.filter(campaign=campaign)
    assert campaign.item_count == campaign.items_expected == grants
    assert items.count() == grants
    assert items.values("grant").distinct().count() == grants
    assert AuditEvent.objects.filter(action="access.campaign.items_ready", target_id=str(campaign.pk)).count() == 1
    assert AuditEvent.objects.filter(action="access.campaign.launched", target_id=str(campaign.pk)).count() == 1
