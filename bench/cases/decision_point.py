"""Decision-point checks per second through the HTTP stack, against a trivial view on the same server.

A service user holding the global ``access.check_access`` asks ``POST /api/access/check``
with its API token whether an employee may use an asset (an active grant issued
through the real services). gunicorn (``bench.core.http_server``) serves both the
endpoint and ``/bench/ping``; rounds alternate between the two, each measured by
the same keep-alive client loop. ``Server.rate`` only sends GETs, so this case
carries its own loop, the same shape with a method and a body.

Beside the rate: the SQL one check sends, counted in-process through the same
URL and middleware, with a fresh grant (last use stamped within the hour, the
steady state) and a stale one (the hourly UPDATE), against the 2-query budget.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from access import services
from access.models import Grant
from bench.core import Case, Context, Figure, Rate, Server, auth_headers, count_queries, http_server
from portal import permissions
from portal.models import DataAsset

NAME = "decision_point"
PATH = "/api/access/check"
PING = "/bench/ping"
WORKERS, THREADS, CONNECTIONS = 2, 2, 4
QUERY_BUDGET = 2
WHY = "Reconciling returns for the quarter close, needs order status per customer."


def _rate(
    server: Server,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    connections: int = CONNECTIONS,
    seconds: float = 1.0,
    warmup: float = 0.25,
) -> Rate:
    """Requests per second from ``connections`` keep-alive client threads, as ``Server.rate`` counts them."""
    counted: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start_line = threading.Barrier(connections + 1)
    window: list[float] = []

    def client() -> None:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
        start_line.wait()
        begin, end = window
        mine: list[float] = []
        failed = 0
        while time.perf_counter() < end:
            sent = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers or {})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
            done = time.perf_counter()
            if begin <= done <= end:
                if ok:
                    mine.append(done - sent)
                else:
                    failed += 1
        conn.close()
        with lock:
            counted.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    now = time.perf_counter()
    window.extend([now + warmup, now + warmup + seconds])
    start_line.wait()
    for thread in threads:
        thread.join(timeout=warmup + seconds + 30)
    return Rate(requests=len(counted), errors=errors[0], seconds=seconds, latencies=tuple(counted))


def _merged(rates: list[Rate]) -> Rate:
    return Rate(
        requests=sum(r.requests for r in rates),
        errors=sum(r.errors for r in rates),
        seconds=sum(r.seconds for r in rates),
        latencies=tuple(x for r in rates for x in r.latencies),
    )


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
        for _ in range(rounds):
            measured[0].append(_rate(server, "POST", PATH, body=body, headers=headers, seconds=seconds))
            measured[1].append(_rate(server, "GET", PING, seconds=seconds))
    checks, ping = _merged(measured[0]), _merged(measured[1])
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
