"""Reads of campaigns, narrowed to what the user may see.

Access admins, privacy officers and auditors see every campaign and item (their
role's global ``view_*``); a reviewer sees the campaigns they have items in and
only their own items. Anything else is 404.
"""

from __future__ import annotations

import django_filters
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from access.campaigns.models import Campaign, Outcome, ReviewDecision, ReviewItem
from access.models import Grant
from portal import permissions
from portal.models import AuditEvent
from portal.params import BoolFilter
from portal.selectors import IdFilter, is_id


def sees_all(user) -> bool:
    return permissions.has(user, "access.view_reviewitem")


def campaign_list(*, user) -> QuerySet[Campaign]:
    qs = Campaign.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if permissions.has(user, "access.view_campaign"):
        return qs
    return qs.filter(Exists(ReviewItem.objects.filter(campaign=OuterRef("pk"), reviewer=user)))


def campaign_get(*, user, pk) -> Campaign:
    return permissions.get_visible(campaign_list(user=user), pk)


def with_progress(qs: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """Each campaign with ``decided`` (a subquery per row of the page, not a query per row)."""
    decided = (
        ReviewItem.objects.filter(campaign=OuterRef("pk"))
        .exclude(decision="")
        .order_by()
        .values("campaign")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(decided=Coalesce(Subquery(decided), 0))


def _visible_items(user, qs: QuerySet[ReviewItem]) -> QuerySet[ReviewItem]:
    if not user.is_authenticated:
        return qs.none()
    return qs if sees_all(user) else qs.filter(reviewer=user)


class ItemFilter(django_filters.FilterSet):
    reviewer = django_filters.CharFilter(method="filter_reviewer", label="Reviewer id, or 'me'")
    decided = BoolFilter(method="filter_decided")
    asset = IdFilter(field_name="asset_id")
    recommendation = django_filters.ChoiceFilter(choices=Outcome.choices)
    decision = django_filters.ChoiceFilter(choices=Outcome.choices)

    class Meta:
        model = ReviewItem
        fields = ["reviewer", "decided", "asset", "recommendation", "decision"]

    def filter_reviewer(self, qs, name, value):
        if value == "me":
            return qs.filter(reviewer=self.request.user)
        return qs.filter(reviewer_id=int(value)) if is_id(value) else qs.none()

    def filter_decided(self, qs, name, value):
        return qs.exclude(decision="") if value else qs.filter(decision="")


class _Req:
    def __init__(self, user):
        self.user = user


def _other_grants():
    """How many other active grants the grantee holds on the same asset (a subquery, not a query per row)."""
    others = (
        Grant.objects.active()
        .filter(user=OuterRef("grantee_id"), asset=OuterRef("asset_id"))
        .exclude(pk=OuterRef("grant_id"))
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(others), 0)


def item_list(*, user, campaign: Campaign, filters=None) -> QuerySet[ReviewItem]:
    qs = _visible_items(user, ReviewItem.objects.filter(campaign=campaign))
    qs = qs.select_related("grantee", "asset", "reviewer", "decided_by", "grant", "grant__request").annotate(
        other_grants=_other_grants()
    )
    return ItemFilter(filters or {}, queryset=qs, request=_Req(user)).qs.order_by("pk")


def item_get(*, user, pk) -> ReviewItem:
    qs = _visible_items(user, ReviewItem.objects.all())
    qs = qs.select_related(
        "campaign", "grantee", "asset", "reviewer", "decided_by", "grant", "grant__request", "grant__revoked_by"
    )
    return permissions.get_visible(qs, pk)


def item_context(item: ReviewItem) -> dict:
    """What a reviewer needs beside one item: how the grant came, who approved, the grantee's other grants."""
    grant = item.grant
    approvals = []
    if grant.request is not None:
        approvals = list(grant.request.decisions.select_related("reviewer"))
    others = list(
        Grant.objects.filter(user_id=item.grantee_id, asset_id=item.asset_id)
        .exclude(pk=grant.pk)
        .order_by("-granted_at")[:20]
    )
    return {"approvals": approvals, "other_grants": others}


def item_history(item: ReviewItem, *, limit: int = 100) -> QuerySet[AuditEvent]:
    """The item's own events and the bulk decisions that named it, newest first (one query)."""
    bulk = ReviewDecision.objects.filter(item=item).values("event_sequence")
    own = Q(target_type=ReviewItem._meta.label_lower, target_id=str(item.pk))
    return AuditEvent.objects.filter(own | Q(sequence__in=bulk)).order_by("-sequence")[:limit]


def counts(campaign: Campaign) -> dict:
    """Totals for the campaign page and the summary (one query).

    Before close: decided and undecided, certified and "to revoke so far". After close the
    default has been applied, so revokes split into "by decision" and "by default" (undecided
    at close), and ``applied`` is how many items close stamped.
    """
    undecided = Q(decision="")
    row = ReviewItem.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"),
        decided=Count("pk", filter=~undecided),
        certified=Count("pk", filter=Q(decision=Outcome.CERTIFY)),
        revoked=Count("pk", filter=Q(decision=Outcome.REVOKE)),
        recommended_revoke=Count("pk", filter=Q(recommendation=Outcome.REVOKE)),
        revoked_by_default=Count("pk", filter=undecided & Q(outcome=Outcome.REVOKE)),
        certified_by_default=Count("pk", filter=undecided & Q(outcome=Outcome.CERTIFY)),
        total_revoked=Count("pk", filter=Q(outcome=Outcome.REVOKE)),
        total_certified=Count("pk", filter=Q(outcome=Outcome.CERTIFY)),
        applied=Count("pk", filter=Q(applied_at__isnull=False)),
        unassigned=Count("pk", filter=Q(reviewer__isnull=True)),
    )
    row["undecided"] = row["total"] - row["decided"]
    row["percent"] = row["decided"] * 100 // row["total"] if row["total"] else 0
    return row


def by_reviewer(campaign: Campaign) -> list[dict]:
    """Progress per reviewer (one query; rows are reviewers, not items)."""
    rows = list(
        ReviewItem.objects.filter(campaign=campaign)
        .values("reviewer_id", "reviewer__username", "reviewer__first_name", "reviewer__last_name")
        .annotate(total=Count("pk"), decided=Count("pk", filter=~Q(decision="")))
        .order_by("reviewer__username")
    )
    # As ``User.__str__`` names people everywhere else: full name, else username.
    return [{**row, "name": _full_name(row) or row["reviewer__username"] or "unassigned"} for row in rows]


def _full_name(row) -> str:
    return f"{row['reviewer__first_name'] or ''} {row['reviewer__last_name'] or ''}".strip()


def by_asset(campaign: Campaign) -> list:
    """Decisions per asset (one query); after close, undecided items are counted under the default applied."""
    undecided = Q(decision="")
    return list(
        ReviewItem.objects.filter(campaign=campaign)
        .values("asset_id", "asset__name")
        .annotate(
            total=Count("pk"),
            certified=Count("pk", filter=Q(decision=Outcome.CERTIFY)),
            revoked=Count("pk", filter=Q(decision=Outcome.REVOKE)),
            revoked_by_default=Count("pk", filter=undecided & Q(outcome=Outcome.REVOKE)),
            certified_by_default=Count("pk", filter=undecided & Q(outcome=Outcome.CERTIFY)),
            undecided=Count("pk", filter=undecided & Q(outcome="")),
        )
        .order_by("asset__name")
    )


def my_assets(*, user, campaign: Campaign) -> list[tuple[int, str]]:
    """Assets of the user's items in a campaign, for the queue's filter (one query)."""
    qs = _visible_items(user, ReviewItem.objects.filter(campaign=campaign))
    if not sees_all(user):
        qs = qs.filter(reviewer=user)
    return list(qs.order_by("asset__name").values_list("asset_id", "asset__name").distinct())
