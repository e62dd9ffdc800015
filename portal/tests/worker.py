"""A real Celery worker for tests: started as a separate process on ``CELERY_TEST_BROKER_URL``, on a
queue of the test's own, against the test's PostgreSQL database; stopped warmly or killed with SIGKILL.

Tests that use it are marked with :data:`MARKS` (skipped without a broker or on SQLite, whose in-memory
test database no other process can see). The CI script runs them on Redis.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app

BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "")
WAIT_SECONDS = 90  # worker start-up (Django set-up), a redelivery after the visibility timeout, a loaded CI machine
# After SIGKILL nobody acknowledges the message: Redis hands it out again once it has been invisible this
# long. Short here so the test does not wait the production hour; long enough for a worker to take it.
KILLED_VISIBILITY_TIMEOUT = 3

MARKS = [
    pytest.mark.worker,
    pytest.mark.skipif(not BROKER, reason="set CELERY_TEST_BROKER_URL to run a real Celery worker"),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the worker needs a database it shares with the test: PostgreSQL"
    ),
]


def database_url() -> str:
    db = settings.DATABASES["default"]  # at test time NAME is the test database
    user = quote(db.get("USER") or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = quote(db.get("HOST") or "localhost", safe="")  # a socket directory is percent-encoded
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{quote(db['NAME'], safe='')}"


@contextmanager
def own_queue() -> Iterator[str]:
    """A queue of this run's own, so no other worker on the same broker takes our tasks (and we none of theirs)."""
    name = f"portal-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    before = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    # This process enqueues for real; the worker does the work.
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = name
    try:
        yield name
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = before
        _forget_queue(name)


def _forget_queue(name: str) -> None:
    """Leave the shared broker as we found it: kombu keeps a queue's routing in keys of its own."""
    if BROKER.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(BROKER)
        client.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
        client.close()


def start(queue: str, log: Path, **env: str) -> subprocess.Popen:
    """One solo-pool worker process on ``queue``, output appended to ``log``; ``env`` adds settings."""
    environment = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DATABASE_URL": database_url(),
        "CELERY_TEST_BROKER_URL": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_URL": "memorymail://",
        **env,
    }
    with log.open("a") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool",
                "solo",
                "-Q",
                queue,
                "--hostname",
                f"{queue}-{uuid.uuid4().hex[:4]}@%h",
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "INFO",
            ],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    proc.log = log
    return proc


def run_django(code: str, log: Path) -> subprocess.Popen:
    """``code`` run by ``manage.py shell`` in a process of its own on the test database (no broker):
    a web request's or an admin's process, to kill with SIGKILL mid-way."""
    environment = {**os.environ, "DJANGO_ENV": "test", "DATABASE_URL": database_url()}
    with log.open("a") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    proc.log = log
    return proc


def waiting_for_a_lock() -> int:
    """Sessions on the test database waiting for a lock (one that ``row_locked`` holds, say)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def stop(proc: subprocess.Popen) -> None:
    """Warm shutdown (SIGTERM), SIGKILL if it does not end."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL: no warm shutdown, no acknowledgement, no message given back; as if the machine died."""
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=15)


def wait_for(condition: Callable[[], object], proc: subprocess.Popen, what: str, *, seconds: float = WAIT_SECONDS):
    """Poll ``condition`` until it is truthy; fail with the worker's log if the worker dies or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc.poll() is not None:
            pytest.fail(f"the worker exited with {proc.returncode} before {what}:\n{proc.log.read_text()}")
        time.sleep(0.1)
    pytest.fail(f"no {what} within {seconds} s:\n{proc.log.read_text()}")


@contextmanager
def row_locked(sql: str, params: list) -> Iterator:
    """Hold ``SELECT … FOR UPDATE`` rows from a connection of our own until the block ends.

    A worker that needs the same rows waits there: a deterministic "mid-way" to kill it at.
    """
    import psycopg

    with psycopg.connect(database_url().replace("postgres://", "postgresql://", 1)) as lock:
        cursor = lock.cursor()
        cursor.execute(sql, params)
        try:
            yield cursor  # further reads inside the same transaction
        finally:
            lock.rollback()


def mails_to(outbox: Path, address: str) -> int:
    """How many messages the file mail backend (``filemail:///<outbox>``) wrote to ``address``."""
    pattern = re.compile(rf"^To: {re.escape(address)}$", re.MULTILINE)
    return sum(len(pattern.findall(path.read_text())) for path in outbox.iterdir())


class MailServer:
    """A minimal SMTP server on 127.0.0.1 for a worker's ``EMAIL_URL``, counting what it accepted per recipient.

    With ``stall_on`` set it stops answering at that recipient's ``RCPT TO`` (as a hung mail server does):
    ``stalled`` is set and the worker hangs mid-hand-over, where a test kills it. Nothing it did not accept
    with the end of ``DATA`` is counted.
    """

    def __init__(self, stall_on: str = ""):
        import socketserver
        import threading
        from collections import Counter

        self.received: Counter = Counter()
        self.stall_on = stall_on
        self.stalled, self.release = threading.Event(), threading.Event()
        server = self

        class Session(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self) -> None:
                recipients: list[str] = []
                self.reply("220 test ESMTP")
                for raw in self.rfile:
                    command = raw.decode(errors="replace").strip()
                    verb = command[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 test")
                    elif verb == "MAIL":
                        recipients = []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        address = command.partition("<")[2].partition(">")[0].lower()
                        if server.stall_on and address == server.stall_on:
                            server.stalled.set()
                            server.release.wait(WAIT_SECONDS)
                            return  # the connection just ends
                        recipients.append(address)
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 go on")
                        for line in self.rfile:
                            if line in (b".\r\n", b".\n"):
                                break
                        server.received.update(recipients)
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:  # RSET, NOOP
                        self.reply("250 OK")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True  # a stalled session does not hold up the test's end

        self._server = Server(("127.0.0.1", 0), Session)
        self.url = f"smtp://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> MailServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
