"""Decision-point checks per second through the HTTP stack, against a trivial view on the same server.

A service user holding the global ``access.check_access`` asks ``POST /api/access/check``
with its API token whether an employee may use an asset (an active grant issued
through the real services). gunicorn (``bench.core.http_server``) serves both the
endpoint and ``/bench/ping``; rounds alternate between the two, each measured by
the same keep-alive client loop (``Server.rate``).

Beside the rate: the SQL one check sends, counted in-process through the same
URL and middleware, with a fresh grant (last use stamped within the hour, the
steady state) and a stale one (the hourly UPDATE), against the 2-query budget.
"""

from __future__ import annotations

import http.client
import json
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from access import services
from access.models import Grant
from bench.core import Case, Context, Figure, count_queries
from bench.server import Rate, Server, auth_headers, http_server, merged
from portal import permissions
from portal.models import DataAsset

NAME = "decision_point"
PATH = "/api/access/check"
PING = "/bench/ping"
WORKERS, THREADS, CONNECTIONS = 2, 2, 4
QUERY_BUDGET = 2
WHY = "Reconciling returns for the quarter close, needs order status per customer."


def _post_once(server: Server, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request("POST", PATH, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def _setup():
    """A service with a token, and an employee holding a grant issued through the services."""
    users = get_user_model().objects
    service = users.create(username="svc-datalake", email="datalake@example.com")
    service.user_permissions.add(permissions.permission("access.check_access"))
    employee = users.create(username="bench-emma", email="emma@example.com")
    reviewer = users.create(username="bench-rita", email="rita@example.com")
    asset = DataAsset.objects.create(name="Customer contact database", sensitivity="confidential", max_grant_days=90)
    permissions.assign("portal.review_dataasset", reviewer, asset)
    request = services.request_create(actor=employee, asset=asset, scope="use", justification=WHY, duration_days=30)
    grant = services.request_approve(actor=reviewer, request=request).grant
    return service, employee, asset, grant


def _queries_per_check(service, payload: dict, grant: Grant) -> tuple[int, int, list[str], list[str]]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=auth_headers(service)["Authorization"])

    def check() -> None:
        response = client.post(PATH, payload, format="json")
        if response.status_code != 200 or response.json()["allowed"] is not True:
            raise AssertionError(f"{PATH} answered {response.status_code}: {response.content[:200]!r}")

    Grant.objects.filter(pk=grant.pk).update(last_used_at=None)
    stale = count_queries(check)
    fresh = count_queries(check)
    return fresh.count, stale.count, list(fresh.sql), list(stale.sql)


def run(ctx: Context) -> list[Figure]:
    service, employee, asset, grant = _setup()
    payload = {"user": employee.pk, "asset": asset.pk, "scope": "use"}
    fresh, stale, fresh_sql, stale_sql = _queries_per_check(service, payload, grant)

    body = json.dumps(payload).encode()
    headers = {**auth_headers(service), "Content-Type": "application/json"}
    rounds, seconds = ctx.size(3, 5), ctx.size(1.5, 4)
    with http_server(workers=WORKERS, threads=THREADS) as server:
        status, answer = _post_once(server, body, headers)
        if status != 200 or (answer.get("allowed"), answer.get("grant")) != (True, grant.pk):
            raise AssertionError(f"{PATH} over HTTP answered {status}: {answer}\n{server.log_tail()}")
        measured: tuple[list[Rate], list[Rate]] = ([], [])
        pace = {"connections": CONNECTIONS, "seconds": seconds, "warmup": 0.25}
        for _ in range(rounds):
            measured[0].append(server.rate(PATH, method="POST", body=body, headers=headers, **pace))
            measured[1].append(server.rate(PING, **pace))
    checks, ping = merged(measured[0]), merged(measured[1])
    if checks.requests == 0 or checks.errors or ping.errors:
        raise AssertionError(f"{checks.requests} checks, {checks.errors} check errors, {ping.errors} ping errors")
    grant.refresh_from_db()
    if grant.last_used_at is None or timezone.now() - grant.last_used_at > timedelta(minutes=5):
        raise AssertionError("the checks did not stamp the grant's last use")

    shape = f"gunicorn {WORKERS}x{THREADS} gthread, {CONNECTIONS} keep-alive clients, {rounds} alternating rounds"
    return [
        Figure(
            NAME,
            f"POST {PATH} (token, fresh grant)",
            checks.per_second,
            "checks/s",
            ping.per_second,
            "req/s",
            better="higher",
            note=(
                f"vs GET {PING} on the same server; p50 {checks.latency_ms(0.5):.2f} ms vs "
                f"{ping.latency_ms(0.5):.2f} ms; {shape}"
            ),
            params={"checks": checks.requests, "pings": ping.requests, "seconds": checks.seconds},
        ),
        Figure(
            NAME,
            "SQL queries per check, fresh grant",
            fresh,
            "queries",
            QUERY_BUDGET,
            note=f"vs the budget (token+user+permission, grant); stale grant (hourly last-use UPDATE): {stale}",
            params={"sql": fresh_sql, "stale_sql": stale_sql},
        ),
    ]


CASE = Case(
    name=NAME,
    run=run,
    description="decision-point checks per second over HTTP (token auth) vs a trivial view on the same server",
)
