"""Every state change of a recertification campaign goes through one function here.

Campaigns: :func:`campaign_create`, :func:`campaign_launch` (and its snapshot,
:func:`campaign_snapshot`, inline or as a Celery task), :func:`campaign_close`.
Items: :func:`review_item_decide`, :func:`review_items_decide` (bulk),
:func:`review_item_delegate`, :func:`review_item_reassign`. Periodic jobs are
in ``access.campaigns.jobs``.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from access.campaigns.models import MAX_COMMENT, UNUSED_DAYS, Campaign, Outcome, Reason, ReviewItem
from access.models import Grant
from access.services.grants import _carried_permission, _permission_ids
from portal import audit, notifications, permissions
from portal.errors import Conflict, Forbidden, ValidationError
from portal.models import PRIVACY_OFFICERS, DataAsset, DataAssetUserObjectPermission, Sensitivity, User

MANAGE = "access.manage_campaign"
# Up to this many grants the launch snapshots inside the request (200); above, a Celery task does (202).
LAUNCH_INLINE_MAX = 2_000
SNAPSHOT_BATCH = 20_000
CLOSE_BATCH = 10_000


# --- The rules every launch, close and check shares ----------------------------------
# Kept here, once, so adopting the shared definitions (Grant.objects.active, offboarding,
# the bulk revocation service) is a change of these few lines.


def active_grants(now) -> QuerySet[Grant]:
    return Grant.objects.active(now)


def _grantee_gone() -> list[When]:
    """SQL: the grantee can no longer hold access, with the reason the reviewer sees."""
    return [
        When(user__offboarded_at__isnull=False, then=Value(Reason.GRANTEE_OFFBOARDED)),
        When(user__is_active=False, then=Value(Reason.GRANTEE_INACTIVE)),
    ]


def _revoke_grants(ids: list[int], *, actor, campaign: Campaign, reason: str, now) -> None:
    """End a locked batch of active grants in one UPDATE and audit it as the expiry sweep does.

    Unlike ``grants._end`` (which loads each grant to name it, and runs a
    permission DELETE per batch that scans the whole permission table) a
    100,000-grant close stays linear; :func:`_remove_revoked_permissions` then
    removes every permission at once.
    """
    Grant.objects.filter(pk__in=ids).update(
        status=Grant.Status.REVOKED, ended_at=now, revoked_by=actor, revoke_reason=reason
    )
    # One INSERT: the batch's summary, and one event per grant (named by id, not read back) for its history.
    batch = audit.Entry("access.grants.revoked", campaign, {"grants": ids, "count": len(ids), "reason": reason})
    each = (
        audit.Entry("access.grant.revoked", audit.Ref(Grant, pk, f"Grant #{pk}"), {"campaign": campaign.pk})
        for pk in ids
    )
    audit.record_many(actor=actor, entries=[batch, *each])


def _remove_revoked_permissions(revoked: QuerySet[Grant]) -> int:
    """One DELETE of the guardian rows the ``revoked`` grants carried (a semi-join, no id list)."""
    ended = revoked.annotate(carried=_carried_permission(_permission_ids()))
    return permissions.remove_carried(DataAsset, ended, user="user_id", obj="asset_id", permission_id="carried")


def reason_sql(now) -> Case:
    """SQL: why the launch recommends what it does (the recommendation follows from the reason)."""
    return Case(
        *_grantee_gone(),
        When(last_used_at__isnull=True, then=Value(Reason.NEVER_USED)),
        When(last_used_at__lt=now - timedelta(days=UNUSED_DAYS), then=Value(Reason.UNUSED)),
        default=Value(Reason.IN_USE),
        output_field=CharField(),
    )


def recommendation_for(reason: str) -> str:
    return Outcome.CERTIFY if reason == Reason.IN_USE else Outcome.REVOKE


def eligible_refusal(user, item: ReviewItem, *, officers_too: bool) -> str | None:
    """Why ``user`` may not be the accountable reviewer of ``item``, or ``None``."""
    if user is None or not user.is_active:
        return "Choose an active user."
    if user.pk == item.grantee_id:
        return "Nobody reviews their own access."
    if permissions.has(user, "portal.review_dataasset", item.asset):
        return None
    if officers_too and permissions.is_privacy_officer(user):
        return None
    who = "a reviewer of the asset or a privacy officer" if officers_too else "another reviewer of the asset"
    return f"Choose {who}."


# --- Create and launch ----------------------------------------------------------------


def _clean_comment(comment: str | None) -> str:
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError(fields={"comment": f"At most {MAX_COMMENT} characters."})
    return comment


@transaction.atomic
def campaign_create(
    *,
    actor,
    name: str,
    due_at,
    min_sensitivity: str = "",
    assets=(),
    default_decision: str = Outcome.REVOKE,
) -> Campaign:
    """A draft campaign. ``actor`` ``None`` is the quarterly schedule (the system)."""
    if actor is not None:
        permissions.require(actor, MANAGE, message="Only access admins run recertification campaigns.")
    now = timezone.now()
    assets = list(assets or [])
    errors = {}
    name = (name or "").strip()
    if not name or len(name) > 200:
        errors["name"] = "Give the campaign a name of at most 200 characters."
    if due_at is None or due_at <= now:
        errors["due_at"] = "The due date must be in the future."
    if min_sensitivity and min_sensitivity not in Sensitivity.values:
        errors["min_sensitivity"] = f"Choose one of: {', '.join(Sensitivity.values)}."
    if min_sensitivity and assets:
        errors["assets"] = "Choose a minimum sensitivity or a list of assets, not both."
    if default_decision not in Outcome.values:
        errors["default_decision"] = f"Choose one of: {', '.join(Outcome.values)}."
    if errors:
        raise ValidationError(fields=errors)
    campaign = Campaign.objects.create(
        name=name,
        due_at=due_at,
        min_sensitivity=min_sensitivity or "",
        default_decision=default_decision,
        created_by=actor,
        created_at=now,
    )
    campaign.assets.set(assets)
    audit.record(
        actor=actor,
        action="access.campaign.created",
        target=campaign,
        details={
            "due_at": due_at,
            "min_sensitivity": min_sensitivity,
            "assets": [a.pk for a in assets],
            "default_decision": default_decision,
        },
    )
    return campaign


def in_scope(campaign: Campaign, now) -> QuerySet[Grant]:
    """The grants a campaign reviews: active at ``now``, on the assets of its scope."""
    qs = active_grants(now).filter(granted_at__lte=now)
    if campaign.min_sensitivity:
        floor = Sensitivity.rank(campaign.min_sensitivity)
        return qs.filter(asset__sensitivity__in=[s for s in Sensitivity.values if Sensitivity.rank(s) >= floor])
    chosen = campaign.assets.values("pk")
    return qs.filter(asset__in=chosen) if campaign.assets.exists() else qs


@transaction.atomic
def campaign_launch(*, actor, campaign: Campaign) -> Campaign:
    """Start the review: snapshot every active grant in scope into review items.

    Up to ``LAUNCH_INLINE_MAX`` grants this happens now and the campaign comes
    back ready; above, a Celery task snapshots in batches after commit and the
    campaign page shows the progress (``item_count`` of ``items_expected``).
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if actor is not None:
        permissions.require(actor, MANAGE, message="Only access admins launch recertification campaigns.")
    if campaign.status != Campaign.Status.DRAFT:
        raise Conflict(f"This campaign is already {campaign.get_status_display().lower()}.")
    now = timezone.now()
    campaign.status, campaign.launched_at, campaign.launched_by = Campaign.Status.RUNNING, now, actor
    campaign.items_expected = in_scope(campaign, now).count()
    campaign.save(update_fields=["status", "launched_at", "launched_by", "items_expected"])
    audit.record(
        actor=actor, action="access.campaign.launched", target=campaign, details={"grants": campaign.items_expected}
    )
    if campaign.items_expected <= LAUNCH_INLINE_MAX:
        _snapshot_batch(campaign, batch_size=LAUNCH_INLINE_MAX + 1)
    else:
        from access.campaigns.tasks import snapshot_campaign_task

        transaction.on_commit(lambda: snapshot_campaign_task.delay(campaign_id=campaign.pk))
    return campaign


def campaign_snapshot(*, campaign_id: int, batch_size: int = SNAPSHOT_BATCH) -> int:
    """Snapshot a launched campaign in batches, each its own transaction; safe to run twice.

    Each batch continues after the highest grant id already snapshotted, so a
    retried or duplicated task picks up where the last one stopped and the
    unique (campaign, grant) constraint is never hit.
    """
    while True:
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
            if campaign.status != Campaign.Status.RUNNING or campaign.is_ready:
                return campaign.item_count
            _snapshot_batch(campaign, batch_size=batch_size)
            if campaign.is_ready:
                return campaign.item_count


def _snapshot_grants(campaign: Campaign, *, after: int, limit: int) -> tuple[list[str], str, list]:
    """The next batch of grants as item columns (SQL and parameters), built with the ORM.

    Reason and recommendation are computed here, by the database, from one
    definition (:func:`reason_sql`); the reviewer is joined in by the caller.
    """
    now = campaign.launched_at
    columns = {
        "campaign_id": Value(campaign.pk, output_field=IntegerField()),
        "grant_id": F("pk"),
        "grantee_id": F("user_id"),
        "asset_id": F("asset_id"),
        "scope": F("scope"),
        "sensitivity": F("asset__sensitivity"),
        "granted_at": F("granted_at"),
        "last_used_at": F("last_used_at"),
        "recommendation": Case(
            When(Q(reason_=Reason.IN_USE), then=Value(Outcome.CERTIFY)),
            default=Value(Outcome.REVOKE),
            output_field=CharField(),
        ),
        "reason": F("reason_"),
        "decision": Value("", output_field=CharField()),
        "comment": Value("", output_field=CharField()),
        "outcome": Value("", output_field=CharField()),
    }
    aliases = {f"c_{name}": expr for name, expr in columns.items()}
    qs = (
        in_scope(campaign, now)
        .filter(pk__gt=after)
        .annotate(reason_=reason_sql(now))
        .annotate(**aliases)
        .order_by("pk")
        .values(*aliases)[:limit]
    )
    sql, params = qs.query.sql_with_params()
    return list(columns), sql, list(params)


def _eligible_reviewers_sql() -> tuple[str, list]:
    """Two small tables, ranked: each asset's active reviewers, and the active privacy officers.

    Computed once per statement and joined by asset (a correlated subquery per
    grant cost 0.16 ms each on PostgreSQL, 16 s per 100,000 grants). The first
    two of each suffice: only the grantee is ever passed over.
    """
    quote = connection.ops.quote_name
    perms, users = quote(DataAssetUserObjectPermission._meta.db_table), quote(User._meta.db_table)
    members, groups = quote(User.groups.through._meta.db_table), quote(Group._meta.db_table)
    sql = f"""
        reviewers AS (
            SELECT p.content_object_id AS asset_id, p.user_id AS user_id,
                   ROW_NUMBER() OVER (PARTITION BY p.content_object_id ORDER BY p.user_id) AS rn
            FROM {perms} p JOIN {users} u ON u.id = p.user_id
            WHERE p.permission_id = %s AND u.is_active
        ),
        officers AS (
            SELECT u.id AS user_id, ROW_NUMBER() OVER (ORDER BY u.id) AS rn
            FROM {users} u JOIN {members} m ON m.user_id = u.id JOIN {groups} g ON g.id = m.group_id
            WHERE g.name = %s AND u.is_active
        )"""  # noqa: S608
    return sql, [permissions.permission("portal.review_dataasset").pk, PRIVACY_OFFICERS]


# The accountable reviewer: the asset's first reviewer unless they hold the grant, then its second;
# with neither, the first privacy officer unless they hold the grant, then the second.
REVIEWER_SQL = """CASE
    WHEN r1.user_id IS NOT NULL AND r1.user_id <> g.c_grantee_id THEN r1.user_id
    WHEN r2.user_id IS NOT NULL THEN r2.user_id
    WHEN o1.user_id IS NOT NULL AND o1.user_id <> g.c_grantee_id THEN o1.user_id
    ELSE o2.user_id END"""


def _snapshot_batch(campaign: Campaign, *, batch_size: int) -> int:
    """One ``INSERT … SELECT`` of the next batch of grants; marks the campaign ready after the last."""
    last = ReviewItem.objects.filter(campaign=campaign).order_by("-grant_id").values_list("grant_id", flat=True)[:1]
    after = last[0] if last else 0
    columns, grants, grant_params = _snapshot_grants(campaign, after=after, limit=batch_size)
    tables, table_params = _eligible_reviewers_sql()
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in [*columns, "reviewer_id"])
    picked = ", ".join(f"g.c_{c}" for c in columns)
    # Only quoted identifiers are interpolated; every value is a parameter. INSERT comes first
    # (not WITH): Python's sqlite3 reports the row count only for statements starting with it.
    sql = f"""
        INSERT INTO {quote(ReviewItem._meta.db_table)} ({names})
        WITH {tables}
        SELECT {picked}, {REVIEWER_SQL}
        FROM ({grants}) g
        LEFT JOIN reviewers r1 ON r1.asset_id = g.c_asset_id AND r1.rn = 1
        LEFT JOIN reviewers r2 ON r2.asset_id = g.c_asset_id AND r2.rn = 2
        LEFT JOIN officers o1 ON o1.rn = 1
        LEFT JOIN officers o2 ON o2.rn = 2
    """  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Compiling this statement (JIT) took longer than running it: 1.2 s of 5 s per batch.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, [*table_params, *grant_params])
        inserted = cursor.rowcount
    campaign.item_count += inserted
    fields = ["item_count"]
    if inserted < batch_size:
        campaign.ready_at = timezone.now()
        fields.append("ready_at")
        audit.record(
            actor=None, action="access.campaign.items_ready", target=campaign, details={"items": campaign.item_count}
        )
        _tell_reviewers(campaign)
    campaign.save(update_fields=fields)
    return inserted


def undecided_by_reviewer(campaign: Campaign) -> list:
    """``{"reviewer_id", "email", "n"}`` per reviewer with undecided items (one query)."""
    return list(
        ReviewItem.objects.filter(campaign=campaign, decision="", reviewer__isnull=False)
        .values("reviewer_id", email=F("reviewer__email"))
        .annotate(n=Count("pk"))
        .order_by("reviewer_id")
    )


def mail_context(campaign: Campaign, **extra) -> dict:
    from django.conf import settings

    return {
        "campaign_id": campaign.pk,
        "campaign": campaign.name,
        "due_at": timezone.localtime(campaign.due_at).strftime("%d %b %Y %H:%M %Z"),
        "url": settings.PORTAL_BASE_URL + campaign.get_absolute_url(),
        **extra,
    }


def tell_each_reviewer(campaign: Campaign, *, key: str, template: str, **extra) -> int:
    """One mail per reviewer with undecided items, keyed so a retried job never repeats it."""
    rows = undecided_by_reviewer(campaign)
    for row in rows:
        notifications.notify(
            key=f"{key}:{row['reviewer_id']}",
            to=[row["email"]],
            template=template,
            context=mail_context(campaign, count=row["n"], **extra),
        )
    return len(rows)


def _tell_reviewers(campaign: Campaign) -> None:
    tell_each_reviewer(campaign, key=f"campaign-launched:{campaign.pk}", template="access/campaign_launched")


# --- Decide ---------------------------------------------------------------------------


def _check_decision(decision: str) -> None:
    if decision not in Outcome.values:
        raise ValidationError(fields={"decision": f"Choose one of: {', '.join(Outcome.values)}."})


def _require_running(campaign: Campaign | int) -> None:
    if isinstance(campaign, int):
        # Read afresh after the item's lock: a close that committed while we waited must win (409).
        campaign = Campaign.objects.only("status").get(pk=campaign)
    if campaign.status != Campaign.Status.RUNNING:
        raise Conflict(f"This campaign is {campaign.get_status_display().lower()}; its items can no longer change.")


@transaction.atomic
def review_item_decide(*, actor, item: ReviewItem, decision: str, comment: str = "") -> ReviewItem:
    """Certify or revoke one item (its accountable reviewer only); may be changed until close."""
    item = ReviewItem.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=item.pk)
    if item.reviewer_id != actor.pk or not actor.is_active:
        raise Forbidden("Only the item's reviewer may decide it; ask them to delegate it to you.")
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
    audit.record(
        actor=actor,
        action="access.review_item.decided",
        target=item,
        details={"campaign": item.campaign_id, "grant": item.grant_id, "decision": decision, "comment": comment}
        | ({"previous": previous} if previous else {}),
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
        raise Forbidden("You have no items to decide in this campaign.")
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
    ReviewItem.objects.filter(pk__in=ids).update(
        decision=decision, comment=comment, decided_by=actor, decided_at=timezone.now()
    )
    audit.record(
        actor=actor,
        action="access.review_items.decided",
        target=campaign,
        details={"decision": decision, "comment": comment, "count": len(ids), "items": ids},
    )
    return len(ids)


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


@transaction.atomic
def review_item_delegate(*, actor, item: ReviewItem, to) -> ReviewItem:
    """The reviewer hands an undecided item to another reviewer of the asset (never the grantee)."""
    item = _lock_item(item)
    if item.reviewer_id != actor.pk:
        raise Forbidden("Only the item's reviewer may delegate it.")
    _require_running(item.campaign_id)
    if item.is_decided:
        raise Conflict("This item is decided already.")
    return _move(actor=actor, item=item, to=to, action="access.review_item.delegated", officers_too=False)


@transaction.atomic
def review_item_reassign(*, actor, item: ReviewItem, to) -> ReviewItem:
    """An access admin gives an item to a reviewer of the asset or a privacy officer (never the grantee)."""
    item = _lock_item(item)
    permissions.require(actor, MANAGE, message="Only access admins reassign review items.")
    _require_running(item.campaign_id)
    return _move(actor=actor, item=item, to=to, action="access.review_item.reassigned", officers_too=True)


# --- Close ----------------------------------------------------------------------------


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
