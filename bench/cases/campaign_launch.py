"""Recertification campaigns at estate scale: launch, bulk decision, close.

* launch: ``campaign_launch()`` over 100,000 active grants (1,000,000 with
  ``--large``), snapshotting them into review items with ``INSERT … SELECT``
  in batches (recommendation, reason and reviewer computed by the database),
  against a raw ``COPY`` of the same item rows into the same table; and the
  peak Python memory of the launch (tracemalloc), which must not grow with the
  estate (aim: under 300 MB at 1,000,000 grants);
* bulk decision: ``review_items_decide()`` of 10,000 item ids in one call,
  against a bare ``UPDATE … WHERE id IN (…)`` of the same rows;
* close: ``campaign_close()`` and its task (eager) applying 100,000 revocations
  in batches (grants ended, their permissions removed, audited per batch and per
  grant, items stamped applied), against a bare
  ``UPDATE`` of the same grants' status (no permissions, no audit).

Grants span 100 assets, every asset reviewed by the same two reviewers, so one
reviewer holds every item (the bulk decision has 10,000 to pick from).
"""

from __future__ import annotations

import tracemalloc
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from access.campaigns import services
from access.campaigns.models import Campaign, Outcome, Reason, ReviewDecision, ReviewItem
from access.models import SCOPE_PERMISSION, Grant, Scope
from bench.core import Case, Context, Figure, analyze, bulk_create, copy_rows, count_queries, timed, timed_pair
from portal import permissions
from portal.models import DataAsset, DataAssetUserObjectPermission

NAME = "campaigns"
ASSETS = 100
DECIDE = 10_000
GRANT_COLUMNS = (
    "id", "user", "asset", "scope", "origin", "status", "justification", "granted_at", "expires_at",
    "last_used_at", "revoke_reason", "review_outcome", "review_comment",
)  # fmt: skip
ITEM_COLUMNS = (
    "campaign", "grant", "grantee", "asset", "scope", "sensitivity", "granted_at", "last_used_at", "reviewer",
    "recommendation", "reason", "decision", "comment", "outcome",
)  # fmt: skip
PERMISSION_COLUMNS = ("permission", "user", "content_object")


class Estate:
    """Users, assets with two reviewers each, and ``n`` active grants with their permissions."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.now = timezone.now()
        self.reviewer, self.second = self._people()
        self.users = self._users(-(-n // ASSETS))
        self.assets = self._assets()
        perm_ids = {scope: permissions.permission(perm).pk for scope, perm in SCOPE_PERMISSION.items()}
        scopes = list(Scope.values)
        granted = self.now - timedelta(days=40)
        self.grants, self.perms = [], []
        for i in range(n):
            user, asset, scope = self.users[i // ASSETS], self.assets[i % ASSETS], scopes[i % len(scopes)]
            # A third never used, a third stale, a third in use: every recommendation rule runs.
            used = (None, self.now - timedelta(days=120), self.now - timedelta(days=2))[i % 3]
            self.grants.append(
                (i + 1, user, asset, scope, "request", "active", "Bench grant.", granted,
                 self.now + timedelta(days=60), used, "", "", "")
            )  # fmt: skip
            self.perms.append((perm_ids[scope], user, asset))

    @staticmethod
    def _people():
        User = get_user_model()
        return [User.objects.create(username=f"bench-reviewer-{c}", email=f"{c}@example.com") for c in "ab"]

    @staticmethod
    def _users(n: int) -> list[int]:
        User = get_user_model()
        joined = timezone.now()
        rows = (
            ("!", False, f"bench-user-{i:07d}", "B", "U", f"u{i}@example.com", False, True, "", joined)
            for i in range(n)
        )
        columns = ("password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff")
        copy_rows(User, (*columns, "is_active", "offboard_reason", "date_joined"), rows)
        return list(User.objects.filter(username__startswith="bench-user-").order_by("pk").values_list("pk", flat=True))

    def _assets(self) -> list[int]:
        bulk_create(
            DataAsset,
            (DataAsset(name=f"Bench asset {i:03d}", sensitivity="internal", max_grant_days=180) for i in range(ASSETS)),
        )
        ids = list(DataAsset.objects.order_by("pk").values_list("pk", flat=True))
        review = permissions.permission("portal.review_dataasset")
        bulk_create(
            DataAssetUserObjectPermission,
            (
                DataAssetUserObjectPermission(permission=review, user=who, content_object_id=a)
                for a in ids
                for who in (self.reviewer, self.second)
            ),
        )
        return ids

    def load(self) -> None:
        """Grants and their permissions as the services leave them; no campaign, no items."""
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {ReviewDecision._meta.db_table}")
            cursor.execute(f"DELETE FROM {ReviewItem._meta.db_table}")
            cursor.execute(f"DELETE FROM {Campaign.assets.through._meta.db_table}")
            cursor.execute(f"DELETE FROM {Campaign._meta.db_table}")
            cursor.execute(f"DELETE FROM {Grant._meta.db_table}")
            cursor.execute(
                f"DELETE FROM {DataAssetUserObjectPermission._meta.db_table} WHERE permission_id <> %s",
                [permissions.permission("portal.review_dataasset").pk],
            )
        copy_rows(Grant, GRANT_COLUMNS, self.grants)
        copy_rows(DataAssetUserObjectPermission, PERMISSION_COLUMNS, self.perms)
        analyze(Grant, DataAssetUserObjectPermission, DataAsset, get_user_model())

    def draft(self) -> tuple:
        """A fresh draft campaign over every asset, with no items (untimed setup of each launch)."""
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {ReviewDecision._meta.db_table}")
            cursor.execute(f"DELETE FROM {ReviewItem._meta.db_table}")
        campaign = Campaign.objects.create(name="Bench", due_at=self.now + timedelta(days=14), created_at=self.now)
        return (campaign,)

    def item_rows(self, campaign_id: int):
        """The rows a launch writes, computed in Python, for the raw COPY baseline."""
        stale = self.now - timedelta(days=90)
        for grant in self.grants:
            pk, user, asset, scope, granted, used = (*grant[:4], grant[7], grant[9])
            reason = Reason.NEVER_USED if used is None else Reason.UNUSED if used < stale else Reason.IN_USE
            rec = Outcome.CERTIFY if reason == Reason.IN_USE else Outcome.REVOKE
            yield (campaign_id, pk, user, asset, scope, "internal", granted, used, self.reviewer.pk, rec, reason,
                   "", "", "")  # fmt: skip


def _launch(campaign) -> Campaign:
    campaign = services.campaign_launch(actor=None, campaign=campaign)
    # Above LAUNCH_INLINE_MAX the snapshot is a task (eager here, on commit); make sure it finished.
    services.campaign_snapshot(campaign_id=campaign.pk)
    return campaign


def run(ctx: Context) -> list[Figure]:
    n = ctx.size(100_000, 1_000_000)
    estate = Estate(n)
    estate.load()

    # Untimed first launch: checks the result, counts the SQL, measures the memory.
    (campaign,) = estate.draft()
    tracemalloc.start()
    queries = count_queries(lambda: _launch(campaign))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    campaign.refresh_from_db()
    if campaign.item_count != n or not campaign.is_ready:
        raise AssertionError(f"launch: {campaign.item_count} items, not {n}")

    def copy(campaign) -> None:
        copy_rows(ReviewItem, ITEM_COLUMNS, estate.item_rows(campaign.pk))

    repeat = ctx.size(3, 1)
    launch, raw = timed_pair(_launch, copy, repeat=repeat, warmup=0, setup=estate.draft)
    figures = [
        Figure(
            NAME,
            f"campaign_launch(), {n:,} active grants",
            launch.median,
            "s",
            raw.median,
            note=f"vs raw COPY of the same item rows into the same table; median of {len(launch.runs)}",
            params={"grants": n, "runs_s": list(launch.runs), "baseline_runs_s": list(raw.runs)},
        ),
        Figure(
            NAME,
            f"campaign_launch() peak Python memory, {n:,} grants",
            round(peak / 2**20, 1),
            "MB",
            note="tracemalloc peak; set-based SQL, so it does not grow with the estate (aim < 300 MB at 1,000,000)",
        ),
        Figure(
            NAME,
            f"campaign_launch() SQL statements, {n:,} grants",
            queries.count,
            "queries",
            note=f"a handful per batch of {services.SNAPSHOT_BATCH:,}, none per grant",
            params={"sql": [q[:600] for q in queries.sql[:10]]},
        ),
    ]

    # Bulk decision of 10,000 of the reviewer's items, one call.
    (campaign,) = estate.draft()
    campaign = _launch(campaign)
    reviewer = estate.reviewer
    ids = list(ReviewItem.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True)[:DECIDE])
    table = ReviewItem._meta.db_table

    def undecide() -> tuple:
        ReviewItem.objects.filter(campaign=campaign).exclude(decision="").update(decision="", decided_by=None)
        return ()

    def decide() -> None:
        services.review_items_decide(actor=reviewer, campaign=campaign, decision="revoke", items=ids)

    def bare_decide() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET decision = 'revoke' WHERE id = ANY(%s)", [ids])

    decided, bare = timed_pair(decide, bare_decide, repeat=ctx.size(5, 3), warmup=1, setup=undecide)
    figures.append(
        Figure(
            NAME,
            f"review_items_decide(), {DECIDE:,} items",
            decided.median,
            "s",
            bare.median,
            note="vs bare UPDATE of the same rows (no checks, no audit)",
            params={"runs_s": list(decided.runs), "baseline_runs_s": list(bare.runs)},
        )
    )

    # Close: every item revoked by default, so every grant ends with its permission.
    def launched() -> tuple:
        estate.load()
        (campaign,) = estate.draft()
        return (_launch(campaign),)

    def close(campaign) -> None:
        services.campaign_close(actor=_admin(), campaign=campaign)
        # Above CLOSE_INLINE_MAX the batches are a task (eager here, on commit): time it to the end.
        closed = services.campaign_apply(campaign_id=campaign.pk)
        if closed.status != Campaign.Status.CLOSED or closed.revoked_count != n:
            raise AssertionError(f"close revoked {closed.revoked_count}, not {n}")

    def bare_close(campaign) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Grant._meta.db_table} SET status = 'revoked', ended_at = now() "
                f"WHERE id IN (SELECT grant_id FROM {table} WHERE campaign_id = %s)",
                [campaign.pk],
            )

    closed = timed(close, repeat=1, warmup=0, setup=launched)
    bare_closed = timed(bare_close, repeat=1, warmup=0, setup=launched)
    figures.append(
        Figure(
            NAME,
            f"campaign_close() and its task, {n:,} revocations",
            closed.median,
            "s",
            bare_closed.median,
            note="grants ended, permissions removed, audited per batch and per grant; vs bare UPDATE of the grants",
            params={"runs_s": list(closed.runs), "baseline_runs_s": list(bare_closed.runs)},
        )
    )
    return figures


def _admin():
    from django.contrib.auth.models import Group

    User = get_user_model()
    admin, _ = User.objects.get_or_create(username="bench-admin")
    admin.groups.add(Group.objects.get(name="access-admins"))
    return User.objects.get(pk=admin.pk)


CASE = Case(
    name=NAME,
    run=run,
    description="campaign launch over 100,000 grants vs raw COPY (with peak memory); bulk decision; close",
    needs_postgres=True,
)
