"""The decision point: data systems ask before they serve data.

Every data system calls it on every read, so it is SQL written once per
process rather than a queryset compiled on every call. For a service caller
ONE statement answers who the token belongs to, whether that caller holds
``access.check_access`` and which grant allows the use; a session caller's
check is the grant lookup alone. Status, expiry and the grantee's standing are
checked in SQL on every call: an expired grant is refused before the sweep
runs, a revoked grant or a deleted token at once (nothing is cached but the
permission's id). At most once an hour per grant one UPDATE stamps its last use.

On PostgreSQL the statement is bound on the server and prepared once per
connection (``prepare_threshold`` in the database options), so it is not
planned again on every call.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connection, connections
from django.utils import timezone
from rest_framework.authtoken.models import Token

from access.models import Grant
from portal import permissions

STAMP_EVERY = timedelta(hours=1)
CHECK_PERMISSION = "access.check_access"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    grant: int | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Caller:
    """The owner of an API token, as far as the decision point needs to know."""

    is_active: bool
    may_check: bool  # holds access.check_access (own, through a group, or as a superuser)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@functools.cache
def _grant_sql(by_username: bool) -> str:
    # The one active grant of (user, asset, scope): the unique constraint allows no second. Active: status
    # active AND not yet expired AND the grantee active and not offboarded (test_decision_sql holds this
    # to the ORM's definition).
    who = "gu.username" if by_username else "g.user_id"
    # Only quoted table names and fixed SQL are interpolated; every value is a parameter.
    return f"""
        SELECT g.id, g.expires_at, g.last_used_at
        FROM {_table(Grant)} g JOIN {_table(get_user_model())} gu ON gu.id = g.user_id
        WHERE {who} = %s AND g.asset_id = %s AND g.scope = %s
          AND g.status = %s AND g.expires_at > %s AND gu.is_active AND gu.offboarded_at IS NULL
    """  # noqa: S608  # nosec B608


def _grant_params(user: int | str, asset: int, scope: str, now: datetime) -> list:
    return [user, asset, scope, Grant.Status.ACTIVE.value, connection.ops.adapt_datetimefield_value(now)]


@functools.cache
def _token_sql(by_username: bool) -> str:
    holds, _ = permissions.holds_globally_sql(CHECK_PERMISSION, "u")
    # Only quoted table names and fixed SQL are interpolated; every value is a parameter.
    return f"""
        SELECT u.is_active, {holds}, g.id, g.expires_at, g.last_used_at
        FROM {_table(Token)} t JOIN {_table(get_user_model())} u ON u.id = t.user_id
        LEFT JOIN ({_grant_sql(by_username)}) g ON TRUE
        WHERE t.key = %s
    """  # noqa: S608  # nosec B608


def token_statement(*, key: str, user: int | str, asset: int, scope: str, now: datetime) -> tuple[str, list]:
    """The SQL and parameters of a service caller's check: token, caller, permission and grant in one row.

    The row is ``(caller active, caller may check, grant id, expires at, last
    used at)``; no row when no token has this key. Public for the benchmark's
    floor, which sends the same statement with nothing around it.
    """
    _, holds_params = permissions.holds_globally_sql(CHECK_PERMISSION, "u")
    by_username = isinstance(user, str)
    return _token_sql(by_username), [*holds_params, *_grant_params(user, asset, scope, now), key]


@functools.cache
def _server_binding_cursor_class():
    from django.db.backends.postgresql import base

    return getattr(base, "ServerBindingCursor", None)  # psycopg 3 only


@contextmanager
def statement_cursor(db=None) -> Iterator:
    """A cursor (Django's wrapper: query log, error mapping) whose statements PostgreSQL prepares.

    The ORM binds parameters on the client, so PostgreSQL would plan each
    statement again on every call; this cursor binds them on the server, and
    psycopg prepares a statement once it has run ``prepare_threshold`` times
    on the connection. It skips Django's per-request health check (a round
    trip of its own): :func:`fetch_one` does without it. Elsewhere (SQLite,
    psycopg 2) it is the usual cursor. ``db``: a connection, default ``default``.
    """
    db = db or connections[DEFAULT_DB_ALIAS]
    server_binding = _server_binding_cursor_class() if db.vendor == "postgresql" else None
    if server_binding is None:
        with db.cursor() as cursor:
            yield cursor
        return
    db.ensure_connection()
    db.validate_thread_sharing()
    with db.wrap_database_errors:
        raw = server_binding(db.connection)
    wrapped = db.make_debug_cursor(raw) if db.queries_logged else db.make_cursor(raw)
    with wrapped:
        yield wrapped


def fetch_one(sql: str, params: list) -> tuple | None:
    """The first row of a read-only statement, in one round trip.

    Django checks a reused connection with a ``SELECT 1`` before a request's
    first statement; here the statement itself is the check. If a reused
    connection turns out dead (the database restarted, a firewall dropped it),
    it is closed and the statement sent again on a new one, which is all the
    health check would have achieved.
    """
    db: Any = connections[DEFAULT_DB_ALIAS]  # once: every attribute of the ``connection`` proxy is a lookup

    def run() -> tuple | None:
        with statement_cursor(db) as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()

    may_retry = (
        db.connection is not None and db.health_check_enabled and not db.health_check_done and not db.in_atomic_block
    )
    try:
        row = run()
    except (InterfaceError, OperationalError):
        if not may_retry:
            raise
        db.close()
        row = run()
    db.health_check_done = True
    return row


def _aware(value: datetime | str) -> datetime:
    # PostgreSQL answers aware datetimes; SQLite naive UTC ones (or text, through a subquery).
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def _allow(pk: int, expires_at, last_used_at, now: datetime) -> Decision:
    if last_used_at is None or now - _aware(last_used_at) >= STAMP_EVERY:
        # Recertification needs "used in the last 90 days", not every hit: one write an hour is plenty.
        Grant.objects.filter(pk=pk).update(last_used_at=now)
    return Decision(allowed=True, grant=pk, expires_at=_aware(expires_at))


def check_access(*, user: int | str, asset: int, scope: str, now: datetime | None = None) -> Decision:
    """May ``user`` (id or username) use ``asset`` with ``scope`` right now?"""
    now = now or timezone.now()
    row = fetch_one(_grant_sql(isinstance(user, str)), _grant_params(user, asset, scope, now))
    if row is None:
        return Decision(allowed=False)
    pk, expires_at, last_used_at = row
    return _allow(pk, expires_at, last_used_at, now)


def check_access_by_token(
    *, key: str, user: int | str, asset: int, scope: str, now: datetime | None = None
) -> tuple[Caller | None, Decision]:
    """The caller behind API token ``key`` (``None``: no such token) and, if it may ask, the decision.

    One statement; the grant is neither used nor stamped unless the caller is
    active and holds ``access.check_access``: the caller answers 401 or 403.
    """
    now = now or timezone.now()
    row = fetch_one(*token_statement(key=key, user=user, asset=asset, scope=scope, now=now))
    if row is None:
        return None, Decision(allowed=False)
    caller = Caller(is_active=bool(row[0]), may_check=bool(row[0] and row[1]))
    if not caller.may_check or row[2] is None:
        return caller, Decision(allowed=False)
    _, _, pk, expires_at, last_used_at = row
    return caller, _allow(pk, expires_at, last_used_at, now)
