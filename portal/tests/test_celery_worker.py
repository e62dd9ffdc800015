"""A real Celery worker on a real broker sends what a committed transaction asked for, nothing else,
and exactly once even when it is killed with SIGKILL half-way through a batch and started again.

Runs only with ``CELERY_TEST_BROKER_URL`` (e.g. ``redis://127.0.0.1:6379/5``) on PostgreSQL: the worker
is a separate process that must see the test database, which SQLite's in-memory test database cannot
offer (``portal/tests/worker.py``). The CI script runs it; locally::

    CELERY_TEST_BROKER_URL=redis://127.0.0.1:6379/5 DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_w \\
        .venv/bin/python -m pytest portal/tests/test_celery_worker.py -m worker
"""

from __future__ import annotations

import time
import uuid

import pytest
from django.core import mail
from django.db import transaction

from portal import notifications
from portal.models import SentNotification
from portal.tests import worker as workers

ADDRESS = "x@example.com"

pytestmark = workers.MARKS


@pytest.fixture
def queue():
    with workers.own_queue() as name:
        yield name


@pytest.fixture
def worker(queue, tmp_path):
    proc = workers.start(queue, tmp_path / "worker.log")
    try:
        yield proc
    finally:
        workers.stop(proc)


def _sent(key: str, address: str = ADDRESS) -> SentNotification | None:
    return SentNotification.objects.filter(key=f"{key}:{address}", sent_at__isnull=False).first()


def _wait_for(key: str, proc) -> SentNotification:
    return workers.wait_for(lambda: _sent(key), proc, f"mail for {key!r}")


def _notify(key: str, to=(ADDRESS,)) -> None:
    notifications.notify(key=key, to=list(to), template="portal/heartbeat", context={})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_batch_mails_every_recipient_exactly_once_after_a_restart(queue, tmp_path):
    run = uuid.uuid4().hex[:8]
    key = f"worker-kill:{run}"
    recipients = [f"person{i:02}@example.com" for i in range(12)]
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    # The file backend: mails of a killed process are on disk, so we can count them afterwards.
    env = {"EMAIL_URL": f"filemail:///{outbox}", "CELERY_VISIBILITY_TIMEOUT": str(workers.KILLED_VISIBILITY_TIMEOUT)}
    log = tmp_path / "worker.log"
    # The sixth recipient's record exists and we hold its row lock: the worker mails five, then waits.
    held = recipients[5]
    SentNotification.objects.create(key=f"{key}:{held}", recipient=held, subject="")

    first = workers.start(queue, log, **env)
    try:
        with workers.row_locked(
            f"SELECT id FROM {SentNotification._meta.db_table} WHERE key = %s FOR UPDATE", [f"{key}:{held}"]
        ):
            with transaction.atomic():
                _notify(key, recipients)
            workers.wait_for(
                lambda: SentNotification.objects.filter(key__startswith=key, sent_at__isnull=False).count() == 5,
                first,
                "the first five mails",
            )
            time.sleep(1)
            assert SentNotification.objects.filter(key__startswith=key, sent_at__isnull=False).count() == 5
            workers.kill(first)  # mid-batch: the message is delivered, unacknowledged, and nobody will say so
    finally:
        workers.stop(first)
    assert sum(workers.mails_to(outbox, address) for address in recipients) == 5

    second = workers.start(queue, log, **env)
    try:
        workers.wait_for(
            lambda: SentNotification.objects.filter(key__startswith=key, sent_at__isnull=False).count() == 12,
            second,
            "the rest of the batch after the restart",
        )
    finally:
        workers.stop(second)
    assert {address: workers.mails_to(outbox, address) for address in recipients} == dict.fromkeys(recipients, 1)
    assert SentNotification.objects.filter(key__startswith=key).count() == 12
