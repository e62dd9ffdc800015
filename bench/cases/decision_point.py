"""Decision-point checks per second through the HTTP stack, against its floor and a trivial view, on 1 and 2 workers.

A service user holding the global ``access.check_access`` asks ``POST /api/access/check``
with its API token whether an employee may use an asset (an active grant issued
through the real services). The same gunicorn (``bench.server.http_server``)
serves three things, measured in alternating rounds by the same keep-alive
client loop (``Server.rate``):

* the decision point itself;
* its floor, ``/bench/floor`` (``bench/urls.py``): a bare Django view that reads
  the token and the body and sends the decision point's SQL round trips as
  raw statements (the same statement, bound and prepared the same way), with
  nothing else: no validation, no refusal paths, no serializer;
* ``/bench/ping``, a trivial view (the middleware stack, no query).

All of it once with one gunicorn process and once with two: the ratios should
hold as the web tier scales out (the spec asks for at least 0.8x of the floor
and 0.35x of the trivial view with either).

Beside the rates: the SQL one check sends, counted in-process through the same
URL and middleware, with a fresh grant (last use stamped within the hour, the
steady state) and a stale one (the hourly UPDATE), against the 2-query budget.
"""

from __future__ import annotations

import http.client
import json
import statistics
from dataclasses import dataclass
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
FLOOR = "/bench/floor"
PING = "/bench/ping"
WORKER_COUNTS, THREADS, CONNECTIONS = (1, 2), 2, 4
QUERY_BUDGET = 2
TARGETS = {FLOOR: 0.8, PING: 0.35}  # SPEC.md, Performance
WHY = "Reconciling returns for the quarter close, needs order status per customer."


def _post_once(server: Server, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers=headers)
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

    check()  # what a process looks up once (the permission's id) is not part of a check
    Grant.objects.filter(pk=grant.pk).update(last_used_at=None)
    stale = count_queries(check)
    fresh = count_queries(check)
    return fresh.count, stale.count, list(fresh.sql), list(stale.sql)


@dataclass(frozen=True)
class Measured:
    rounds: list[Rate]

    @property
    def per_second(self) -> float:
        # The median round: one round that a neighbour's burst slowed (or spared) does not move it.
        return statistics.median(r.per_second for r in self.rounds)

    @property
    def all(self) -> Rate:
        return merged(self.rounds)


def _measure(workers: int, body: bytes, headers: dict[str, str], grant: Grant, ctx: Context) -> dict[str, Measured]:
    """Checks, floor and ping per second on one gunicorn of ``workers`` processes, in alternating rounds."""
    # Short rounds, many of them, alternating: load from elsewhere on the machine then hits all three alike.
    rounds, seconds = ctx.size(9, 15), ctx.size(0.5, 2)
    pace = {"connections": CONNECTIONS, "seconds": seconds, "warmup": 0.15}
    with http_server(workers=workers, threads=THREADS) as server:
        for path in (PATH, FLOOR):
            status, answer = _post_once(server, path, body, headers)
            if status != 200 or (answer.get("allowed"), answer.get("grant")) != (True, grant.pk):
                raise AssertionError(f"{path} over HTTP answered {status}: {answer}\n{server.log_tail()}")
        measured: dict[str, list[Rate]] = {PATH: [], FLOOR: [], PING: []}
        for _ in range(rounds):
            measured[PATH].append(server.rate(PATH, method="POST", body=body, headers=headers, **pace))
            measured[FLOOR].append(server.rate(FLOOR, method="POST", body=body, headers=headers, **pace))
            measured[PING].append(server.rate(PING, **pace))
    totals = {path: merged(rs) for path, rs in measured.items()}
    if totals[PATH].requests == 0 or any(r.errors for r in totals.values()):
        raise AssertionError(", ".join(f"{p}: {r.requests} answered, {r.errors} errors" for p, r in totals.items()))
    return {path: Measured(rs) for path, rs in measured.items()}


def run(ctx: Context) -> list[Figure]:
    service, employee, asset, grant = _setup()
    payload = {"user": employee.pk, "asset": asset.pk, "scope": "use"}
    fresh, stale, fresh_sql, stale_sql = _queries_per_check(service, payload, grant)

    body = json.dumps(payload).encode()
    headers = {**auth_headers(service), "Content-Type": "application/json"}
    by_workers = {workers: _measure(workers, body, headers, grant, ctx) for workers in WORKER_COUNTS}
    grant.refresh_from_db()
    if grant.last_used_at is None or timezone.now() - grant.last_used_at > timedelta(minutes=5):
        raise AssertionError("the checks did not stamp the grant's last use")

    figures = []
    for workers, rates in by_workers.items():
        checks = rates[PATH]
        shape = (
            f"gunicorn {workers}x{THREADS} gthread, {CONNECTIONS} keep-alive clients, "
            f"median of {len(checks.rounds)} alternating rounds"
        )
        cpu = {path: rate.all.cpu_ms_per_request for path, rate in rates.items()}
        if None not in cpu.values():
            shape += "; gunicorn CPU/request " + ", ".join(
                f"{label} {cpu[path]:.2f} ms" for path, label in ((PATH, "check"), (FLOOR, "floor"), (PING, "ping"))
            )
        for baseline, what in ((FLOOR, "floor (same SQL, bare view)"), (PING, "trivial view")):
            base = rates[baseline]
            figures.append(
                Figure(
                    NAME,
                    f"POST {PATH}, {workers} worker{'s' if workers > 1 else ''}, vs {what}",
                    checks.per_second,
                    "checks/s",
                    base.per_second,
                    "req/s",
                    better="higher",
                    note=(
                        f"vs {'POST' if baseline == FLOOR else 'GET'} {baseline} on the same server; target "
                        f">= {TARGETS[baseline]}x; p50 {checks.all.latency_ms(0.5):.2f} ms vs "
                        f"{base.all.latency_ms(0.5):.2f} ms; {shape}"
                    ),
                    params={
                        "workers": workers,
                        "threads": THREADS,
                        "connections": CONNECTIONS,
                        "target_ratio": TARGETS[baseline],
                        "checks_per_second_by_round": [round(r.per_second, 1) for r in checks.rounds],
                        "baseline_per_second_by_round": [round(r.per_second, 1) for r in base.rounds],
                        "cpu_ms_per_check": checks.all.cpu_ms_per_request,
                        "cpu_ms_per_baseline_request": base.all.cpu_ms_per_request,
                    },
                )
            )
    one, two = by_workers[1], by_workers[2]
    figures.append(
        Figure(
            NAME,
            f"POST {PATH}, 2 workers vs 1 (scale-out)",
            two[PATH].per_second,
            "checks/s",
            one[PATH].per_second,
            "checks/s",
            better="higher",
            note=(
                f"same run; the floor went x{two[FLOOR].per_second / one[FLOOR].per_second:.2f} and the trivial view "
                f"x{two[PING].per_second / one[PING].per_second:.2f} (clients and PostgreSQL share the machine)"
            ),
        )
    )
    figures.append(
        Figure(
            NAME,
            "SQL queries per check, fresh grant",
            fresh,
            "queries",
            QUERY_BUDGET,
            note=f"vs the budget (token, caller, permission and grant in one); stale grant (hourly UPDATE): {stale}",
            params={"sql": fresh_sql, "stale_sql": stale_sql},
        )
    )
    return figures


CASE = Case(
    name=NAME,
    run=run,
    description="decision-point checks/s over HTTP (token auth) vs its SQL floor and a trivial view, 1 and 2 workers",
)
