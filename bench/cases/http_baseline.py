"""Requests per second for a trivial Django view (``/bench/ping``) through gunicorn on 127.0.0.1.

It checks the HTTP server helper end to end and is the number that
throughput figures (decision-point checks per second) are set against; such
a case measures its endpoint and ``/bench/ping`` on the same server.
"""

from __future__ import annotations

from bench.core import Case, Context, Figure
from bench.server import http_server

WORKERS, THREADS, CONNECTIONS = 2, 2, 4


def run(ctx: Context) -> list[Figure]:
    seconds = ctx.size(2, 10)
    with http_server(workers=WORKERS, threads=THREADS) as server:
        rate = server.rate("/bench/ping", connections=CONNECTIONS, seconds=seconds)
    if rate.requests == 0 or rate.errors:
        raise AssertionError(f"/bench/ping: {rate.requests} answered, {rate.errors} errors")
    return [
        Figure(
            "http_baseline",
            "GET /bench/ping (trivial view)",
            rate.per_second,
            "req/s",
            better="higher",
            note=(
                f"no baseline: it is one; p50 {rate.latency_ms(0.5):.2f} ms, gunicorn {WORKERS}x{THREADS} gthread, "
                f"{CONNECTIONS} keep-alive clients, {rate.seconds:.0f}s"
            ),
            params={"workers": WORKERS, "threads": THREADS, "connections": CONNECTIONS, "requests": rate.requests},
        )
    ]


CASE = Case(name="http_baseline", run=run, description="trivial Django view through gunicorn: requests per second")
