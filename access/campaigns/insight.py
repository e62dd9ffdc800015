"""Reviewer insight: the rubber-stamping auditors look for first, flagged per reviewer.

* fast: certified many items at a few seconds each (a bulk certification counts: zero seconds each);
* against: certified every item recommended for revocation;
* mutual: certified the grant of someone who approved the reviewer's own access, or who
  certified the reviewer's own grant in the same campaign.

One aggregate query per campaign; rows are reviewers, never items.
"""

from __future__ import annotations

from django.db.models import Count, Exists, Max, Min, OuterRef, Q

from access.campaigns.models import Campaign, Outcome, ReviewItem
from access.models import Decision

FAST_SECONDS = 5
FAST_MIN_ITEMS = 10
AGAINST_MIN_ITEMS = 3


def _mutual() -> Q:
    approved_mine = Decision.objects.filter(
        reviewer_id=OuterRef("grantee_id"),
        request__requester_id=OuterRef("decided_by_id"),
        outcome=Decision.Outcome.APPROVE,
    )
    certified_mine = ReviewItem.objects.filter(
        campaign_id=OuterRef("campaign_id"),
        decided_by_id=OuterRef("grantee_id"),
        grantee_id=OuterRef("decided_by_id"),
        decision=Outcome.CERTIFY,
    )
    return Q(Exists(approved_mine)) | Q(Exists(certified_mine))


def reviewer_flags(campaign: Campaign) -> dict[int, list[str]]:
    """``{reviewer id: [flag sentence, ...]}`` for the reviewers who raise any."""
    certify = Q(decision=Outcome.CERTIFY)
    rows = (
        ReviewItem.objects.filter(campaign=campaign, decided_by__isnull=False)
        .values("decided_by_id")
        .annotate(
            certified=Count("pk", filter=certify),
            first=Min("decided_at", filter=certify),
            last=Max("decided_at", filter=certify),
            against=Count("pk", filter=certify & Q(recommendation=Outcome.REVOKE)),
            advised_revoke=Count("pk", filter=Q(recommendation=Outcome.REVOKE)),
            mutual=Count("pk", filter=certify & _mutual()),
        )
        .order_by("decided_by_id")
    )
    flags: dict[int, list[str]] = {}
    for row in rows:
        found = []
        n = row["certified"]
        if n >= FAST_MIN_ITEMS:
            each = (row["last"] - row["first"]).total_seconds() / n
            if each < FAST_SECONDS:
                found.append(f"certified {n} items at {each:.1f} s each")
        if row["against"] >= AGAINST_MIN_ITEMS and row["against"] == row["advised_revoke"]:
            found.append(f"certified all {row['against']} items recommended for revocation")
        if row["mutual"]:
            found.append(f"certified {row['mutual']} grant(s) of people who approved or certified their own access")
        if found:
            flags[row["decided_by_id"]] = found
    return flags
