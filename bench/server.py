"""A real HTTP server for throughput cases: gunicorn on a free loopback port, and keep-alive clients.

Split from :mod:`bench.core`; every address is 127.0.0.1 and every loop is bounded.
"""

from __future__ import annotations

import http.client
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bench.core import BASE_DIR

# --- A real HTTP server -------------------------------------------------------------

MAX_CONNECTIONS = 64
MAX_SECONDS = 60.0
MAX_REQUESTS = 1_000_000


@dataclass(frozen=True)
class Rate:
    requests: int  # answered with the expected status inside the measured window
    errors: int  # other statuses, resets and timeouts
    seconds: float  # length of the measured window
    latencies: tuple[float, ...] = ()  # seconds, of the counted requests
    cpu_seconds: float | None = None  # the server's processes during the window (Linux only)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float | None:
        """Server CPU per answered request: unlike the rate, barely moved by other load on the machine."""
        if self.cpu_seconds is None or not self.requests:
            return None
        return self.cpu_seconds / self.requests * 1000

    def latency_ms(self, quantile: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))] * 1000


@dataclass
class Server:
    """A gunicorn serving the portal (with ``bench.urls``) on 127.0.0.1 against the bench database."""

    port: int
    process: subprocess.Popen
    log_path: Path
    workers: int
    threads: int
    host: str = "127.0.0.1"

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def cpu_seconds(self) -> float | None:
        """User and system CPU seconds used so far by gunicorn's master and workers (Linux ``/proc``; else None)."""
        return _cpu_seconds([self.process.pid, *_children(self.process.pid)])

    def get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, bytes]:
        """One request on a new connection: for checks, not for measuring."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def rate(
        self,
        path: str,
        *,
        method: str = "GET",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        connections: int = 4,
        seconds: float = 2.0,
        warmup: float = 0.5,
        max_requests: int = 200_000,
        expect: int = 200,
    ) -> Rate:
        """Requests per second for ``method path`` from ``connections`` keep-alive clients (threads).

        Requests that finish during ``warmup`` are not counted; the window is
        then ``seconds`` long. Everything is bounded: at most 64 connections,
        60 seconds and ``max_requests`` requests, and only to this server.
        """
        if not 1 <= connections <= MAX_CONNECTIONS:
            raise ValueError(f"connections must be 1..{MAX_CONNECTIONS}")
        seconds = min(seconds, MAX_SECONDS)
        max_requests = min(max_requests, MAX_REQUESTS)
        budget = threading.Semaphore(max_requests)
        lock = threading.Lock()
        counted: list[float] = []
        errors = [0]
        start_line = threading.Barrier(connections + 1)
        window: list[float] = []  # [start, end], set once every thread is ready

        def client() -> None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
            start_line.wait()
            begin, end = window
            mine: list[float] = []
            failed = 0
            while time.perf_counter() < end and budget.acquire(blocking=False):
                sent = time.perf_counter()
                try:
                    conn.request(method, path, body=body, headers=headers or {})
                    response = conn.getresponse()
                    response.read()
                    ok = response.status == expect
                    if response.will_close:
                        conn.close()
                except (OSError, http.client.HTTPException):
                    ok = False
                    conn.close()  # http.client reconnects on the next request
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
        time.sleep(max(window[0] - time.perf_counter(), 0.0))
        cpu_start = self.cpu_seconds()
        time.sleep(max(window[1] - time.perf_counter(), 0.0))
        cpu_end = self.cpu_seconds()
        for thread in threads:
            thread.join(timeout=warmup + seconds + 30)
        measured = min(seconds, max(time.perf_counter() - window[0], 0.0))
        cpu = None if cpu_start is None or cpu_end is None else cpu_end - cpu_start
        return Rate(len(counted), errors[0], measured, latencies=tuple(counted), cpu_seconds=cpu)

    def compare(
        self,
        path: str,
        baseline_path: str = "/bench/ping",
        *,
        headers: dict[str, str] | None = None,
        baseline_headers: dict[str, str] | None = None,
        rounds: int = 3,
        seconds: float = 1.0,
        **options: Any,
    ) -> tuple[Rate, Rate]:
        """Rates of ``path`` and ``baseline_path`` measured in alternating rounds, each summed over its rounds.

        Alternating keeps a noisy neighbour (another process on the box) from
        landing on one side only. ``options`` go to :meth:`rate`.
        """
        options.setdefault("warmup", 0.25)
        measured: tuple[list[Rate], list[Rate]] = ([], [])
        for _ in range(rounds):
            measured[0].append(self.rate(path, headers=headers, seconds=seconds, **options))
            measured[1].append(self.rate(baseline_path, headers=baseline_headers, seconds=seconds, **options))
        return merged(measured[0]), merged(measured[1])


def merged(rates: list[Rate]) -> Rate:
    """Several measured rounds as one rate."""
    cpu = [r.cpu_seconds for r in rates]
    return Rate(
        requests=sum(r.requests for r in rates),
        errors=sum(r.errors for r in rates),
        seconds=sum(r.seconds for r in rates),
        latencies=tuple(itertools.chain.from_iterable(r.latencies for r in rates)),
        cpu_seconds=None if None in cpu else sum(cpu),
    )


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as file:
            return [int(child) for child in file.read().split()]
    except OSError:
        return []


def _cpu_seconds(pids: list[int]) -> float | None:
    ticks = 0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, IndexError, ValueError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def http_server(
    *,
    workers: int = 2,
    threads: int = 2,
    settings: str = "bench.settings",
    ready_path: str = "/bench/ping",
    start_timeout: float = 30.0,
) -> Iterator[Server]:
    """Run ``gunicorn portal.wsgi`` on a free 127.0.0.1 port for the duration of the block.

    It inherits the runner's environment (bench ``DATABASE_URL``,
    ``DJANGO_ENV=test``) with ``DJANGO_SETTINGS_MODULE=bench.settings``, which
    adds ``/bench/ping`` to the portal's URLs. ``gthread`` workers keep client
    connections alive. Rows the case wants the server to see must be committed
    (the default outside ``transaction.atomic``).
    """
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    log_path = Path(log.name)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "portal.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--worker-class=gthread",
        f"--threads={threads}",
        "--keep-alive=30",
        "--graceful-timeout=5",
        "--log-level=warning",
    ]
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    server = Server(port=port, process=process, log_path=log_path, workers=workers, threads=threads)
    try:
        _wait_until_ready(server, ready_path, start_timeout)
        yield server
    finally:
        _stop(process)
        log_path.unlink(missing_ok=True)


def _wait_until_ready(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            status, _ = server.get(path, timeout=2)
        except OSError:
            status = None
        if status == 200:
            return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer {path} within {timeout:.0f}s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    # Only the master we started: on SIGTERM it stops its own workers.
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def auth_headers(user, *, scheme: Literal["token", "session"] = "token") -> dict[str, str]:
    """Headers that sign ``user`` in to the API: a DRF token, or a session cookie as a browser has."""
    if scheme == "token":
        from rest_framework.authtoken.models import Token

        token, _ = Token.objects.get_or_create(user=user)
        return {"Authorization": f"Token {token.key}"}
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"}
