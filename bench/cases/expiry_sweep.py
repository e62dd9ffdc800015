"""The expiry sweep, ``access.services.grants_expire()``, against a bare SQL UPDATE of the same rows.

100,000 due grants (1,000,000 with ``--large``), each with the guardian
permission row it carries, plus 10% still-running grants that must survive
with their permissions. Before every timed call both tables are truncated and
reloaded with the same rows by ``COPY`` and analysed, so each side starts from
the same physical state. The baseline only flips the status; the sweep also
deletes the permissions and writes the audit trail, which is the point.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from access.models import SCOPE_PERMISSION, Grant, Scope
from access.services import grants_expire
from bench.core import Case, Context, Figure, analyze, bulk_create, copy_rows, count_queries, timed_pair
from portal import permissions
from portal.models import DataAsset, DataAssetUserObjectPermission

NAME = "expiry_sweep"
ASSETS = 100
BARE_UPDATE = (
    f"UPDATE {Grant._meta.db_table} SET status = 'expired', ended_at = now() "
    "WHERE status = 'active' AND expires_at <= now()"
)
GRANT_COLUMNS = (
    "id",
    "user",
    "asset",
    "scope",
    "origin",
    "status",
    "justification",
    "granted_at",
    "expires_at",
    "revoke_reason",
    "review_outcome",
    "review_comment",
)
PERMISSION_COLUMNS = ("id", "permission", "user", "content_object")


class Estate:
    """The rows of one load, built once and copied in again before every timed call."""

    def __init__(self, due: int, running: int, now) -> None:
        self.due, self.running = due, running
        users_needed = -(-(due + running) // ASSETS)
        user_ids = self._users(users_needed)
        asset_ids = self._assets()
        perm_ids = {scope: permissions.permission(perm).pk for scope, perm in SCOPE_PERMISSION.items()}
        scopes = list(Scope.values)
        self.grants, self.perms = [], []
        for i in range(due + running):
            # Every (user, asset) pair once: the one-active-grant-per-scope constraint holds whatever the scope.
            user, asset, scope = user_ids[i // ASSETS], asset_ids[i % ASSETS], scopes[i % len(scopes)]
            is_due = i < due
            granted = now - timedelta(days=40 if is_due else 5)
            expires = now - timedelta(minutes=1 + i % 1000) if is_due else now + timedelta(days=30)
            self.grants.append(
                (i + 1, user, asset, scope, "request", "active", "Bench grant.", granted, expires, "", "", "")
            )
            self.perms.append((i + 1, perm_ids[scope], user, asset))

    @staticmethod
    def _users(n: int) -> list[int]:
        User = get_user_model()
        joined = timezone.now()
        rows = (
            ("!", False, f"bench-user-{i:07d}", "Bench", f"User {i}", f"u{i}@example.com", False, True, joined, "")
            for i in range(n)
        )
        columns = ("password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff")
        copy_rows(User, (*columns, "is_active", "date_joined", "offboard_reason"), rows)
        return list(User.objects.filter(username__startswith="bench-user-").order_by("pk").values_list("pk", flat=True))

    @staticmethod
    def _assets() -> list[int]:
        bulk_create(
            DataAsset,
            (DataAsset(name=f"Bench asset {i:03d}", sensitivity="internal", max_grant_days=180) for i in range(ASSETS)),
        )
        return list(DataAsset.objects.order_by("pk").values_list("pk", flat=True))

    def load(self) -> tuple:
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Grant, DataAssetUserObjectPermission))
        with connection.cursor() as cursor:
            # CASCADE: the (empty) request and extension tables point at grants.
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        copy_rows(Grant, GRANT_COLUMNS, self.grants)
        copy_rows(DataAssetUserObjectPermission, PERMISSION_COLUMNS, self.perms)
        analyze(Grant, DataAssetUserObjectPermission)
        return ()

    def check_swept(self) -> None:
        expired = Grant.objects.filter(status=Grant.Status.EXPIRED).count()
        left = DataAssetUserObjectPermission.objects.count()
        if (expired, left) != (self.due, self.running):
            raise AssertionError(f"sweep: {expired} expired and {left} permissions left, not {self.due}/{self.running}")

    def check_updated(self) -> None:
        expired = Grant.objects.filter(status=Grant.Status.EXPIRED).count()
        if expired != self.due:
            raise AssertionError(f"bare UPDATE: {expired} expired, not {self.due}")


def _bare_update() -> None:
    with connection.cursor() as cursor:
        cursor.execute(BARE_UPDATE)


def run(ctx: Context) -> list[Figure]:
    due = ctx.size(100_000, 1_000_000)
    estate = Estate(due=due, running=due // 10, now=timezone.now())

    # An untimed first sweep: checks the result, counts the SQL and warms the caches.
    estate.load()
    queries = count_queries(grants_expire)
    estate.check_swept()

    repeat = ctx.size(3, 1)
    sweep, bare = timed_pair(grants_expire, _bare_update, repeat=repeat, warmup=0, setup=estate.load)
    estate.check_updated()  # the last call was the baseline's

    sizes = f"{due:,} due + {due // 10:,} running grants"
    return [
        Figure(
            NAME,
            f"grants_expire(), {due:,} due grants",
            sweep.median,
            "s",
            bare.median,
            note=f"vs bare UPDATE of the same rows (no permissions, no audit); {sizes}; median of {len(sweep.runs)}",
            params={
                "due": due,
                "running": due // 10,
                "runs_s": list(sweep.runs),
                "baseline_runs_s": list(bare.runs),
                "baseline_sql": BARE_UPDATE,
            },
        ),
        Figure(
            NAME,
            f"grants_expire() SQL statements, {due:,} due",
            queries.count,
            "queries",
            note="per sweep, all batches (set-based: a handful per batch, none per grant)",
            params={"sql": [q[:500] for q in queries.sql[:12]]},
        ),
    ]


CASE = Case(
    name=NAME,
    run=run,
    description="expiry sweep of 100,000 due grants with their permissions vs a bare SQL UPDATE",
    needs_postgres=True,
)
