"""A campaign launch snapshotted by a real Celery worker that is killed with SIGKILL between two batches
and started again: every grant becomes exactly one review item, and the campaign is ready once. And a
close killed between two batches of revokes: nothing of it stays, and the retried close revokes each
grant once.

Runs with ``CELERY_TEST_BROKER_URL`` on PostgreSQL, like ``portal/tests/test_celery_worker.py`` (CI does).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from access.campaigns import services
from access.campaigns.models import Campaign, Outcome, ReviewItem
from access.campaigns.services.launch import SNAPSHOT_BATCH
from access.models import Grant
from portal import audit
from portal.models import AuditEvent, DataAsset, User
from portal.testing import make_user
from portal.tests import worker as workers

pytestmark = workers.MARKS

USERS, ASSETS = 150, 2 * SNAPSHOT_BATCH // 150 + 20  # a little over two batches of grants: three batches


def _grants(n_users: int = USERS, n_assets: int = ASSETS) -> int:
    """Users x assets active grants, written in bulk (a service call each would take minutes)."""
    now = timezone.now()
    users = User.objects.bulk_create(
        [User(username=f"kill-{i}", email=f"kill-{i}@example.com") for i in range(n_users)], batch_size=1000
    )
    assets = DataAsset.objects.bulk_create(
        [DataAsset(name=f"Asset {i}", sensitivity="internal", max_grant_days=180) for i in range(n_assets)],
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
    return n_users * n_assets


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
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


CLOSE_BATCH = 200  # revokes per batch (the service's ``batch_size``; 10,000 in production)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_close_killed_between_batches_leaves_nothing_and_a_retry_revokes_each_grant_once(tmp_path):
    grants = _grants(150, 4)  # three batches of revokes
    admin = make_user("access_admin")
    campaign = services.campaign_create(
        actor=admin, name="Close killed", due_at=timezone.now() + timedelta(days=30), default_decision=Outcome.REVOKE
    )
    campaign = services.campaign_launch(actor=admin, campaign=campaign)  # small enough to snapshot inline
    assert campaign.is_ready
    revoked = list(Grant.objects.order_by("pk").values_list("pk", flat=True))

    # A close is one transaction, run by the process that asked for it (a web request, the admin): that
    # process is what dies. Ours waits for the grant that opens the second batch, and we kill it there.
    close = (
        "from access.campaigns import services\n"
        "from access.campaigns.models import Campaign\n"
        "from portal.models import User\n"
        f"services.campaign_close(actor=User.objects.get(pk={admin.pk}), "
        f"campaign=Campaign.objects.get(pk={campaign.pk}), batch_size={CLOSE_BATCH})\n"
    )
    table = Grant._meta.db_table
    with workers.row_locked(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [revoked[CLOSE_BATCH]]):
        proc = workers.run_django(close, tmp_path / "close.log")
        try:
            workers.wait_for(workers.waiting_for_a_lock, proc, "the close waiting at its second batch")
            workers.kill(proc)
        finally:
            workers.stop(proc)

    # Its first batch was never committed: nothing is revoked, applied or closed.
    assert Grant.objects.filter(status=Grant.Status.ACTIVE).count() == grants
    assert not ReviewItem.objects.filter(campaign=campaign, applied_at__isnull=False).exists()
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.RUNNING
    assert not AuditEvent.objects.filter(action__in=["access.grant.revoked", "access.grants.revoked"]).exists()

    # The close again (the admin's retry), then once more: the second changes nothing.
    closed = services.campaign_close(actor=admin, campaign=campaign, batch_size=CLOSE_BATCH)
    again = services.campaign_close(actor=admin, campaign=campaign, batch_size=CLOSE_BATCH)

    assert again.closed_at == closed.closed_at
    assert closed.status == Campaign.Status.CLOSED
    assert closed.revoked_count == grants
    ended = Grant.objects.filter(status=Grant.Status.REVOKED)
    assert ended.count() == grants
    assert set(ended.values_list("ended_at", flat=True)) == {closed.closed_at}
    assert set(ReviewItem.objects.filter(campaign=campaign).values_list("applied_at", flat=True)) == {closed.closed_at}
    per_grant = AuditEvent.objects.filter(action="access.grant.revoked")
    assert per_grant.count() == per_grant.values("target_id").distinct().count() == grants
    batches = AuditEvent.objects.filter(action="access.grants.revoked", target_id=str(campaign.pk))
    assert [event.details["count"] for event in batches.order_by("sequence")] == [200, 200, 200]
    assert AuditEvent.objects.filter(action="access.campaign.closed", target_id=str(campaign.pk)).count() == 1
    # The killed writer left no gap or fork in the audit chain.
    assert audit.verify() is None
