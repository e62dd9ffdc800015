"""Close a campaign: apply every revoke, decided or by default, in bulk; a retried close changes nothing.

Up to ``CLOSE_INLINE_MAX`` items the close runs in the request, one transaction.
Above, the request only marks the campaign closing and a Celery task applies the
items in batches, each its own transaction (like the launch's snapshot).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
)
from django.utils import timezone

from access.campaigns.models import Campaign, Outcome, ReviewItem
from access.campaigns.services.rules import MANAGE, _remove_revoked_permissions, _revoke_grants
from access.models import Grant
from portal import audit, permissions
from portal.errors import Conflict

# --- Close ----------------------------------------------------------------------------


# Up to this many items the close applies them inside the request (200); above, a Celery task does (202).
CLOSE_INLINE_MAX = 2_000
CLOSE_BATCH = 10_000


@transaction.atomic
def campaign_close(*, actor, campaign: Campaign, batch_size: int = CLOSE_BATCH) -> Campaign:
    """Apply every revoke (decided, or the default for undecided items), stamp applied-at, freeze.

    Up to ``CLOSE_INLINE_MAX`` items this happens now, in this transaction, and
    the campaign comes back closed. Above, the campaign is marked closing (no
    decision is taken any more) and :func:`campaign_apply` runs as a task after
    commit; the campaign page shows the progress (``applied_count`` of ``item_count``).

    Idempotent: a closed campaign comes back unchanged, so a retried close
    revokes nothing twice; a closing one comes back as it is, its task enqueued
    again (harmless: every batch is applied once, whoever runs it).
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    permissions.require(actor, MANAGE, message="Only access admins close recertification campaigns.")
    if campaign.status == Campaign.Status.CLOSED:
        return campaign
    if campaign.status == Campaign.Status.DRAFT:
        raise Conflict("This campaign has not been launched.")
    if not campaign.is_ready:
        raise Conflict("This campaign is still being launched; close it once its items are ready.")
    if campaign.is_closing:
        # A lost task message (or an impatient admin) is answered by enqueueing it again.
        _enqueue_apply(campaign, batch_size=batch_size)
        return campaign
    now = timezone.now()
    campaign.closed_by = actor
    if campaign.item_count <= CLOSE_INLINE_MAX:
        while _apply_batch(campaign, actor=actor, now=now, batch_size=batch_size):
            pass
        return _finish(campaign, now=now)
    campaign.closing_started_at = now
    campaign.save(update_fields=["closing_started_at", "closed_by"])
    audit.record(
        actor=actor, action="access.campaign.close_started", target=campaign, details={"items": campaign.item_count}
    )
    _enqueue_apply(campaign, batch_size=batch_size)
    return campaign


def _enqueue_apply(campaign: Campaign, *, batch_size: int) -> None:
    from access.campaigns.tasks import close_campaign_task

    pk = campaign.pk
    transaction.on_commit(lambda: close_campaign_task.delay(campaign_id=pk, batch_size=batch_size))


def campaign_apply(*, campaign_id: int, batch_size: int = CLOSE_BATCH) -> Campaign:
    """Apply a closing campaign's items in batches, each its own transaction, then stamp it closed once.

    A batch takes the next unapplied items under the campaign's lock, revokes
    their still-active grants and stamps them applied, all in one commit: a
    worker killed mid-batch leaves that batch untouched, and the retried (or a
    duplicated) task continues with it. Safe to run twice, or twice at once.
    """
    while True:
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
            if not campaign.is_closing:
                return campaign  # closed already (or never asked to close)
            now = timezone.now()
            if not _apply_batch(campaign, actor=campaign.closed_by, now=now, batch_size=batch_size):
                return _finish(campaign, now=now)


def _apply_batch(campaign: Campaign, *, actor, now, batch_size: int) -> int:
    """Apply the next ``batch_size`` unapplied items: outcome, revokes, permissions, applied-at. Returns how many.

    The caller holds the campaign's lock (batches never overlap). Items are
    locked too, so a decision already under way is applied, not overwritten.
    """
    ids = list(
        ReviewItem.objects.select_for_update(of=("self",))
        .filter(campaign=campaign, applied_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    if not ids:
        return 0
    # The locked ids are exactly this campaign's unapplied items in their pk range: a range, not a 10,000-id list.
    items = ReviewItem.objects.filter(campaign=campaign, applied_at__isnull=True, pk__gte=ids[0], pk__lte=ids[-1])
    items.filter(decision="").update(outcome=campaign.default_decision)
    items.exclude(decision="").update(outcome=F("decision"))
    to_revoke = items.filter(outcome=Outcome.REVOKE).values("grant_id")
    grants = list(
        Grant.objects.select_for_update(of=("self",))
        .filter(status=Grant.Status.ACTIVE, pk__in=to_revoke)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if grants:
        reason = f"Not re-certified in the campaign “{campaign.name}” (#{campaign.pk})."
        _revoke_grants(grants, actor=actor, campaign=campaign, reason=reason, now=now)
        _remove_revoked_permissions(Grant.objects.filter(pk__in=grants))
    items.update(applied_at=now)
    campaign.applied_count += len(ids)
    campaign.revoked_count += len(grants)
    campaign.save(update_fields=["applied_count", "revoked_count"])
    return len(ids)


def _finish(campaign: Campaign, *, now) -> Campaign:
    """Freeze the campaign once every item is applied: the one ``access.campaign.closed`` event."""
    campaign.status, campaign.closed_at = Campaign.Status.CLOSED, now
    campaign.save(update_fields=["status", "closed_at", "closed_by"])
    counts = ReviewItem.objects.filter(campaign=campaign).aggregate(
        certified=Count("pk", filter=Q(outcome=Outcome.CERTIFY)),
        revoked=Count("pk", filter=Q(outcome=Outcome.REVOKE)),
        by_default=Count("pk", filter=Q(decision="")),
    )
    audit.record(
        actor=campaign.closed_by,
        action="access.campaign.closed",
        target=campaign,
        details={**counts, "grants_revoked": campaign.revoked_count},
    )
    return campaign


def open_items(user) -> QuerySet[ReviewItem]:
    """Undecided items of running campaigns (not closing) waiting for ``user``."""
    return ReviewItem.objects.filter(
        reviewer=user, decision="", campaign__status=Campaign.Status.RUNNING, campaign__closing_started_at__isnull=True
    )
