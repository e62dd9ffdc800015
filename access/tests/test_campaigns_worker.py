"""A campaign launch snapshotted by a real Celery worker that is killed with SIGKILL between two batches
and started again: every grant becomes exactly one review item, and the campaign is ready once. And a
close task killed in its second batch of revokes: the first batch stays, the second leaves nothing, and
the redelivered task finishes with each grant revoked once and each item applied once.

Runs with ``CELERY_TEST_BROKER_URL`` on PostgreSQL, like ``portal/tests/test_celery_worker.py`` (CI does).
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from access.campaigns import services
from access.campaigns.models import Campaign, Outcome, ReviewItem
from access.campaigns.services import close as close_step
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


CLOSE_BATCH = 200  # items per batch (the task's ``batch_size``; 10,000 in production)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_close_killed_mid_batch_resumes_after_a_restart_and_applies_each_item_once(tmp_path, monkeypatch):
    grants = _grants(150, 4)  # three batches of revokes
    admin = make_user("access_admin")
    campaign = services.campaign_create(
        actor=admin, name="Close killed", due_at=timezone.now() + timedelta(days=30), default_decision=Outcome.REVOKE
    )
    campaign = services.campaign_launch(actor=admin, campaign=campaign)  # small enough to snapshot inline
    assert campaign.is_ready
    monkeypatch.setattr(close_step, "CLOSE_INLINE_MAX", CLOSE_BATCH)  # so 600 items go to the task
    items = ReviewItem.objects.filter(campaign=campaign)
    # The grant of the second batch's first item: held by us, the worker waits there, its first batch committed.
    second = items.order_by("pk").values_list("grant_id", flat=True)[CLOSE_BATCH]
    log = tmp_path / "worker.log"
    env = {"CELERY_VISIBILITY_TIMEOUT": str(workers.KILLED_VISIBILITY_TIMEOUT)}

    with workers.own_queue() as queue:
        table = Grant._meta.db_table
        with workers.row_locked(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [second]):
            first = workers.start(queue, log, **env)
            try:
                campaign = services.campaign_close(actor=admin, campaign=campaign, batch_size=CLOSE_BATCH)
                assert campaign.is_closing
                assert campaign.status == Campaign.Status.RUNNING
                workers.wait_for(workers.waiting_for_a_lock, first, "the close waiting at its second batch")
                workers.kill(first)
            finally:
                workers.stop(first)

        # The first batch is committed whole; the killed second left nothing.
        assert Campaign.objects.get(pk=campaign.pk).applied_count == CLOSE_BATCH
        assert items.filter(applied_at__isnull=False).count() == CLOSE_BATCH
        assert Grant.objects.filter(status=Grant.Status.REVOKED).count() == CLOSE_BATCH
        assert Campaign.objects.get(pk=campaign.pk).is_closing

        # Nobody enqueues anything again: the broker hands the unacknowledged message to the new worker.
        second_worker = workers.start(queue, log, **env)
        try:
            workers.wait_for(
                lambda: Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.CLOSED,
                second_worker,
                "a closed campaign",
            )
        finally:
            workers.stop(second_worker)

    closed = Campaign.objects.get(pk=campaign.pk)
    again = services.campaign_close(actor=admin, campaign=closed, batch_size=CLOSE_BATCH)
    assert again.closed_at == closed.closed_at
    assert closed.revoked_count == closed.applied_count == grants
    ended = Grant.objects.filter(status=Grant.Status.REVOKED)
    assert ended.count() == grants
    # Each item stamped once, in the very transaction that ended its grant.
    assert not items.filter(applied_at__isnull=True).exists()
    assert not items.exclude(applied_at=F("grant__ended_at")).exists()
    assert items.values("applied_at").distinct().count() == 3
    per_grant = AuditEvent.objects.filter(action="access.grant.revoked")
    assert per_grant.count() == per_grant.values("target_id").distinct().count() == grants
    batches = AuditEvent.objects.filter(action="access.grants.revoked", target_id=str(campaign.pk))
    assert [event.details["count"] for event in batches.order_by("sequence")] == [200, 200, 200]
    for action in ("access.campaign.close_started", "access.campaign.closed"):
        assert AuditEvent.objects.filter(action=action, target_id=str(campaign.pk)).count() == 1
    # The killed writer left no gap or fork in the audit chain.
    assert audit.verify() is None
    out = StringIO()
    call_command("verify_audit", stdout=out)  # what an auditor runs
    assert "Audit chain intact" in out.getvalue()
