"""A real Celery worker on a real broker sends what a committed transaction asked for, and nothing else.

Runs only with ``CELERY_TEST_BROKER_URL`` (e.g. ``redis://127.0.0.1:6379/5``) on PostgreSQL: the worker
is a separate process that must see the test database, which SQLite's in-memory test database cannot
offer. The CI script runs it; locally::

    CELERY_TEST_BROKER_URL=redis://127.0.0.1:6379/5 DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_w \\
        .venv/bin/python -m pytest portal/tests/test_celery_worker.py -m worker
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction

from portal import notifications
from portal.celery import app as celery_app
from portal.models import SentNotification

BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "")
ADDRESS = "x@example.com"
WAIT_SECONDS = 60  # worker start-up (Django set-up) plus delivery; generous for a loaded CI machine

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not BROKER, reason="set CELERY_TEST_BROKER_URL to run a real Celery worker"),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the worker needs a database it shares with the test: PostgreSQL"
    ),
]


def _database_url() -> str:
    db = settings.DATABASES["default"]  # at test time NAME is the test database
    user = quote(db.get("USER") or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = quote(db.get("HOST") or "localhost", safe="")  # a socket directory is percent-encoded
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def queue():
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


@pytest.fixture
def worker(queue, tmp_path):
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DATABASE_URL": _database_url(),
        "CELERY_TEST_BROKER_URL": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_URL": "memorymail://",
    }
    with log.open("w") as out:
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
                f"{queue}@%h",
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "INFO",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    proc.log = log
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


def _sent(key: str) -> SentNotification | None:
    return SentNotification.objects.filter(key=f"{key}:{ADDRESS}", sent_at__isnull=False).first()


def _wait_for(key: str, proc) -> SentNotification:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        row = _sent(key)
        if row is not None:
            return row
        if proc.poll() is not None:
            pytest.fail(f"the worker exited with {proc.returncode}:\n{proc.log.read_text()}")
        time.sleep(0.25)
    pytest.fail(f"the worker sent nothing for {key!r} within {WAIT_SECONDS} s:\n{proc.log.read_text()}")


def _notify(key: str) -> None:
    notifications.notify(key=key, to=[ADDRESS], template="portal/heartbeat", context={})


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_committed_notifications_and_never_rolled_back_ones(worker):
    run = uuid.uuid4().hex[:8]

    with transaction.atomic():
        _notify(f"worker-check:{run}:committed")
        # Enqueued on commit, not now: nothing may have happened yet.
        assert _sent(f"worker-check:{run}:committed") is None
    row = _wait_for(f"worker-check:{run}:committed", worker)
    assert row.subject == "Portal mail check"
    # The worker sent it, not this process running the task eagerly.
    assert mail.outbox == []

    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012 - the raise inside rolls the transaction back
        _notify(f"worker-check:{run}:rolled-back")
        raise RuntimeError("the change failed")
    # One worker (solo pool, one message at a time) takes messages in order: once a notification
    # enqueued *after* the rolled-back one has been sent, the rolled-back one would have been too.
    with transaction.atomic():
        _notify(f"worker-check:{run}:after")
    _wait_for(f"worker-check:{run}:after", worker)
    time.sleep(2)  # and a little longer, for any straggler
    assert _sent(f"worker-check:{run}:rolled-back") is None
    assert not SentNotification.objects.filter(key__contains=":rolled-back:").exists()
    assert "succeeded" in worker.log.read_text()
