"""Notifying affected subjects on a real Celery worker that is killed with SIGKILL mid-way and started
again: nobody is mailed twice, and everyone whose mail surely did not go out gets it after the restart.

Runs with ``CELERY_TEST_BROKER_URL`` on PostgreSQL, like ``portal/tests/test_celery_worker.py`` (CI does).
The file mail backend writes each message to disk as it is handed over, so the mails of a killed worker
can be counted afterwards, per recipient. A kill *inside* a group (rows marked sent, not all handed over)
leaves those rows "failed: may have been sent", never mailed again:
``test_subjects_sending.test_a_worker_dying_while_sending_never_mails_anyone_twice``.
"""

from __future__ import annotations

from collections import Counter

import pytest

from incidents.subjects import selectors, sending
from incidents.subjects.models import AffectedSubject, SubjectNotification
from incidents.subjects.services import subjects_notify
from incidents.tests.factories import import_subjects, make_incident
from portal.models import AuditChainHead, AuditEvent
from portal.tests import worker as workers

pytestmark = workers.MARKS

SUBJECTS = 2 * sending.BATCH + 30  # three claims, eleven groups of mail
Status = AffectedSubject.Status


def _queue_notification(officer, employee):
    incident = make_incident(employee)
    import_subjects(officer, incident, SUBJECTS)
    # Enqueued on commit, with no worker running yet: the worker we start takes it.
    notification = subjects_notify(actor=officer, incident=incident, subject="About {reference}", body="Dear {name}")
    return incident, notification


def _statuses(notification) -> Counter:
    return Counter(AffectedSubject.objects.filter(notification=notification).values_list("status", flat=True))


def _mails(outbox) -> Counter:
    addresses = AffectedSubject.objects.values_list("email", flat=True)
    return Counter({address: workers.mails_to(outbox, address) for address in addresses})


def _finished(notification) -> bool:
    return SubjectNotification.objects.filter(pk=notification.pk, finished_at__isnull=False).exists()


@pytest.fixture
def outbox(tmp_path):
    path = tmp_path / "outbox"
    path.mkdir()
    return path


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_between_two_groups_mails_every_subject_once_after_a_restart(
    privacy_officer, employee, outbox, tmp_path
):
    env = {"EMAIL_URL": f"filemail:///{outbox}", "CELERY_VISIBILITY_TIMEOUT": str(workers.KILLED_VISIBILITY_TIMEOUT)}
    log = tmp_path / "worker.log"

    with workers.own_queue() as queue:
        incident, notification = _queue_notification(privacy_officer, employee)
        # After each claim of 200 the worker records one audit event, which takes the audit chain's head
        # row: holding it stops the worker after the first claim's last group, before the next claim's first.
        head = AuditChainHead._meta.db_table
        with workers.row_locked(f"SELECT sequence FROM {head} WHERE id = 1 FOR UPDATE", []):
            first = workers.start(queue, log, **env)
            try:
                workers.wait_for(workers.waiting_for_a_lock, first, "the worker waiting after its first claim")
                assert _statuses(notification) == {Status.SENT: sending.BATCH, Status.PENDING: SUBJECTS - sending.BATCH}
                workers.kill(first)
            finally:
                workers.stop(first)
        assert sum(_mails(outbox).values()) == sending.BATCH

        # The message was never acknowledged: Redis hands it to the new worker, which claims only pending rows.
        second = workers.start(queue, log, **env)
        try:
            workers.wait_for(lambda: _finished(notification), second, "the notification finished")
        finally:
            workers.stop(second)

    assert _mails(outbox) == Counter(dict.fromkeys(AffectedSubject.objects.values_list("email", flat=True), 1))
    assert AffectedSubject.objects.filter(sent_at__isnull=True).count() == 0
    counts = selectors.counts(incident)
    assert counts == {"imported": SUBJECTS, "waiting": 0, "pending": 0, "sending": 0, "sent": SUBJECTS, "failed": 0}
    finished = AuditEvent.objects.get(action="incidents.subjects.notification_finished")
    assert finished.details == {"notification": notification.pk, "sent": SUBJECTS, "failed": 0}
