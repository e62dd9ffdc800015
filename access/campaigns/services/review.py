"""Decide one item or many, delegate and reassign: the reviewers' side of a campaign."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Count,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone

from access.campaigns.models import Campaign, Outcome, ReviewDecision, ReviewItem
from access.campaigns.services.launch import mail_context
from access.campaigns.services.rules import MANAGE, _clean_comment, eligible_refusal
from portal import audit, notifications, permissions
from portal.errors import Conflict, Forbidden, ValidationError
from portal.models import Sensitivity

# --- Decide ---------------------------------------------------------------------------


def _not_theirs(actor, verb: str, *, bulk: bool = False) -> Forbidden:
    """The refusal that fits who is asking: auditors read, admins reassign, reviewers ask the item's reviewer."""
    if permissions.is_auditor(actor) and not permissions.has(actor, MANAGE):
        return Forbidden(f"Auditors read campaigns and export their evidence; they do not {verb} review items.")
    if bulk:
        return Forbidden(f"You have no items to {verb} in this campaign.")
    if permissions.has(actor, MANAGE):
        return Forbidden(f"Only the item's reviewer may {verb} it; reassign it if someone else should.")
    if verb == "decide":
        return Forbidden("Only the item's reviewer may decide it; ask them to delegate it to you.")
    return Forbidden(f"Only the item's reviewer may {verb} it.")


def _check_decision(decision: str) -> None:
    if decision not in Outcome.values:
        raise ValidationError(fields={"decision": f"Choose one of: {', '.join(Outcome.values)}."})


def _require_running(campaign: Campaign | int) -> None:
    if isinstance(campaign, int):
        # Read afresh after the item's lock: a close that committed while we waited must win (409).
        campaign = Campaign.objects.only("status", "closing_started_at").get(pk=campaign)
    if campaign.is_closing:
        raise Conflict("This campaign is closing; its items can no longer change.")
    if campaign.status != Campaign.Status.RUNNING:
        raise Conflict(f"This campaign is {campaign.get_status_display().lower()}; its items can no longer change.")


@transaction.atomic
def review_item_decide(*, actor, item: ReviewItem, decision: str, comment: str = "") -> ReviewItem:
    """Certify or revoke one item (its accountable reviewer only); may be changed until close."""
    item = ReviewItem.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=item.pk)
    if item.reviewer_id != actor.pk or not actor.is_active:
        raise _not_theirs(actor, "decide")
    _require_running(item.campaign_id)
    _check_decision(decision)
    comment = _clean_comment(comment)
    needed = item.comment_required_for(decision)
    if needed and not comment:
        raise ValidationError(fields={"comment": needed})
    previous = item.decision
    if (previous, item.comment) == (decision, comment):
        return item  # the same decision again (a double click, a retried call) changes nothing
    item.decision, item.comment, item.decided_by, item.decided_at = decision, comment, actor, timezone.now()
    item.save(update_fields=["decision", "comment", "decided_by", "decided_at"])
    event = audit.record(
        actor=actor,
        action="access.review_item.decided",
        target=item,
        details={"campaign": item.campaign_id, "grant": item.grant_id, "decision": decision, "comment": comment}
        | ({"previous": previous} if previous else {}),
    )
    ReviewDecision.objects.create(
        item=item,
        decision=decision,
        comment=comment,
        decided_by=actor,
        decided_at=item.decided_at,
        event_sequence=event.sequence,
    )
    return item


def _needs_comment() -> Q:
    return Q(recommendation=Outcome.REVOKE) | Q(sensitivity=Sensitivity.RESTRICTED)


ITEM_FILTERS = ("asset", "recommendation", "decided")


def _matching(qs: QuerySet[ReviewItem], match: dict) -> QuerySet[ReviewItem]:
    """Items matching a queue filter; undecided only unless ``decided`` says otherwise."""
    if match.get("asset"):
        qs = qs.filter(asset_id=match["asset"])
    if match.get("recommendation"):
        qs = qs.filter(recommendation=match["recommendation"])
    decided = match.get("decided", False)
    if decided is not None:
        qs = qs.exclude(decision="") if decided else qs.filter(decision="")
    return qs


@transaction.atomic
def review_items_decide(
    *, actor, campaign: Campaign, decision: str, comment: str = "", items=None, match: dict | None = None
) -> int:
    """Decide many of the actor's items at once: the ``items`` chosen, or all that ``match`` a filter.

    All or nothing, in a constant number of queries whatever the count: lock the
    campaign, check the lot with one aggregate, lock and name the items, one
    UPDATE, one audit event naming every item.
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    qs = ReviewItem.objects.filter(campaign=campaign, reviewer=actor)
    if not qs.exists():
        raise _not_theirs(actor, "decide", bulk=True)
    _require_running(campaign)
    _check_decision(decision)
    comment = _clean_comment(comment)
    if items is not None:
        wanted = set(items)
        if not wanted:
            raise ValidationError(fields={"items": "Choose at least one item."})
        qs = qs.filter(pk__in=wanted)
    else:
        qs = _matching(qs, match or {})
    counts = qs.aggregate(total=Count("pk"), needs=Count("pk", filter=_needs_comment()))
    if items is not None and counts["total"] != len(wanted):
        missing = len(wanted) - counts["total"]
        verb = "is" if missing == 1 else "are"
        raise ValidationError(fields={"items": f"{missing} of the chosen items {verb} not yours to decide here."})
    if decision == Outcome.CERTIFY and counts["needs"] and not comment:
        raise ValidationError(
            fields={
                "comment": f"{counts['needs']} of these items are recommended for revocation or restricted: "
                "say why they should stay."
            }
        )
    # Items that already carry this very decision are left alone: deciding twice changes nothing.
    qs = qs.exclude(decision=decision, comment=comment)
    ids = list(qs.select_for_update().order_by("pk").values_list("pk", flat=True))
    if not ids:
        return 0
    decided = ReviewItem.objects.filter(pk__in=ids)
    decided.update(decision=decision, comment=comment, decided_by=actor, decided_at=timezone.now())
    event = audit.record(
        actor=actor,
        action="access.review_items.decided",
        target=campaign,
        details={"decision": decision, "comment": comment, "count": len(ids), "items": ids},
    )
    _record_decisions(decided, event_sequence=event.sequence)
    return len(ids)


def _record_decisions(items: QuerySet[ReviewItem], *, event_sequence: int) -> None:
    """One ``INSERT … SELECT`` of a history row per decided item (``bulk_create`` splits into many on SQLite)."""
    columns = ["item_id", "decision", "comment", "decided_by_id", "decided_at", "event_sequence"]
    source = items.order_by().annotate(seq=Value(event_sequence, output_field=BigIntegerField()))
    sql, params = source.values_list(
        "pk", "decision", "comment", "decided_by_id", "decided_at", "seq"
    ).query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        # Only quoted identifiers are interpolated; the values are the ORM's own parameters.
        cursor.execute(f"INSERT INTO {quote(ReviewDecision._meta.db_table)} ({names}) {sql}", params)


# --- Delegate and reassign ------------------------------------------------------------


def _move(*, actor, item: ReviewItem, to, action: str, officers_too: bool) -> ReviewItem:
    refusal = eligible_refusal(to, item, officers_too=officers_too)
    if refusal is None and to.pk == item.reviewer_id:
        refusal = "This item is already theirs."
    if refusal:
        raise ValidationError(fields={"to": refusal})
    previous = item.reviewer_id
    item.reviewer = to
    item.save(update_fields=["reviewer"])
    audit.record(actor=actor, action=action, target=item, details={"from": previous, "to": to.pk})
    notifications.notify(
        key=f"campaign-item-assigned:{item.pk}:{to.pk}:{audit_seq(item)}",
        to=[to],
        template="access/campaign_item_assigned",
        context=mail_context(item.campaign, count=1, item_id=item.pk, by=str(actor)),
    )
    return item


def audit_seq(item: ReviewItem) -> int:
    # Each move is its own event: the newest audit sequence keys the mail, so a move back is told again.
    return audit.history(item, limit=1)[0].sequence


def _lock_item(item: ReviewItem) -> ReviewItem:
    return ReviewItem.objects.select_for_update(of=("self",)).select_related("campaign", "asset").get(pk=item.pk)


def require_may_move(*, actor, item: ReviewItem, reassign: bool) -> None:
    """403 unless ``actor`` may delegate (the item's reviewer) or reassign (access admins) ``item``.

    The pages ask this before reading the form, so the refusal is a 403, not "choose another user".
    """
    if reassign:
        permissions.require(actor, MANAGE, message="Only access admins reassign review items.")
    elif item.reviewer_id != actor.pk:
        raise _not_theirs(actor, "delegate")


@transaction.atomic
def review_item_delegate(*, actor, item: ReviewItem, to) -> ReviewItem:
    """The reviewer hands an undecided item to another reviewer of the asset (never the grantee)."""
    item = _lock_item(item)
    require_may_move(actor=actor, item=item, reassign=False)
    _require_running(item.campaign_id)
    _require_undecided(item)
    return _move(actor=actor, item=item, to=to, action="access.review_item.delegated", officers_too=False)


@transaction.atomic
def review_item_reassign(*, actor, item: ReviewItem, to) -> ReviewItem:
    """An access admin gives an item to a reviewer of the asset or a privacy officer (never the grantee)."""
    item = _lock_item(item)
    require_may_move(actor=actor, item=item, reassign=True)
    _require_running(item.campaign_id)
    _require_undecided(item)
    return _move(actor=actor, item=item, to=to, action="access.review_item.reassigned", officers_too=True)


def _require_undecided(item: ReviewItem) -> None:
    # Delegate and reassign alike: whoever decided stays the accountable reviewer of the decision.
    if item.is_decided:
        raise Conflict("This item is decided already; it stays with the reviewer who decided it.")
