"""Close a campaign: apply every revoke, decided or by default, in bulk; a retried close changes nothing."""

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


CLOSE_BATCH = 10_000


@transaction.atomic
def campaign_close(*, actor, campaign: Campaign, batch_size: int = CLOSE_BATCH) -> Campaign:
    """Apply every revoke (decided, or the default for undecided items), stamp applied-at, freeze.

    Idempotent: a closed campaign comes back unchanged, so a retried close
    revokes nothing twice. The grants are revoked in batches (memory bounded),
    all inside this one transaction, so a failed close leaves nothing half-done.
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    permissions.require(actor, MANAGE, message="Only access admins close recertification campaigns.")
    if campaign.status == Campaign.Status.CLOSED:
        return campaign
    if campaign.status == Campaign.Status.DRAFT:
        raise Conflict("This campaign has not been launched.")
    if not campaign.is_ready:
        raise Conflict("This campaign is still being launched; close it once its items are ready.")
    now = timezone.now()
    items = ReviewItem.objects.filter(campaign=campaign)
    items.filter(decision="").update(outcome=campaign.default_decision)
    items.exclude(decision="").update(outcome=F("decision"))
    revoked = _apply_revokes(campaign, actor=actor, now=now, batch_size=batch_size)
    items.update(applied_at=now)
    campaign.status, campaign.closed_at, campaign.closed_by = Campaign.Status.CLOSED, now, actor
    campaign.revoked_count = revoked
    campaign.save(update_fields=["status", "closed_at", "closed_by", "revoked_count"])
    counts = items.aggregate(
        certified=Count("pk", filter=Q(outcome=Outcome.CERTIFY)),
        revoked=Count("pk", filter=Q(outcome=Outcome.REVOKE)),
        by_default=Count("pk", filter=Q(decision="")),
    )
    audit.record(
        actor=actor, action="access.campaign.closed", target=campaign, details={**counts, "grants_revoked": revoked}
    )
    return campaign


def _apply_revokes(campaign: Campaign, *, actor, now, batch_size: int) -> int:
    """Revoke the still-active grants of the campaign's ``revoke`` items, batch by batch (by grant id)."""
    to_revoke = ReviewItem.objects.filter(campaign=campaign, outcome=Outcome.REVOKE).values("grant_id")
    reason = f"Not re-certified in the campaign “{campaign.name}” (#{campaign.pk})."
    total, after = 0, 0
    while True:
        ids = list(
            Grant.objects.select_for_update(of=("self",))
            .filter(status=Grant.Status.ACTIVE, pk__in=to_revoke, pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        _revoke_grants(ids, actor=actor, campaign=campaign, reason=reason, now=now)
        total, after = total + len(ids), ids[-1]
    if total:
        _remove_revoked_permissions(Grant.objects.filter(pk__in=to_revoke, status=Grant.Status.REVOKED, ended_at=now))
    return total


def open_items(user) -> QuerySet[ReviewItem]:
    """Undecided items of running campaigns waiting for ``user``."""
    return ReviewItem.objects.filter(reviewer=user, decision="", campaign__status=Campaign.Status.RUNNING)
