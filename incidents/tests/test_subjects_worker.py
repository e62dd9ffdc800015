"""Notifying affected subjects on a real Celery worker that is killed with SIGKILL mid-way and started
again: nobody is mailed twice, and everyone whose mail surely did not go out gets it after the restart.

Runs with ``CELERY_TEST_BROKER_URL`` on PostgreSQL, like ``portal/tests/test_celery_worker.py`` (CI does).
The file mail backend writes each message to disk as it is handed over, so the mails of a killed worker
can be counted afterwards, per recipient; for a kill *inside* a group, while it hands messages over, the
worker talks to a small SMTP server of the test's own that hangs at a chosen recipient.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

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


def _incident(officer, employee, subjects: int):
    """Made before the test's queue exists, so the report's own notification mail is sent here, not by the worker."""
    incident = make_incident(employee)
    import_subjects(officer, incident, subjects)
    return incident


def _notify(officer, incident):
    # Enqueued on commit, with no worker running yet: the worker we start takes it.
    return subjects_notify(actor=officer, incident=incident, subject="About {reference}", body="Dear {name}")


def _send_task_succeeded(log) -> bool:
    return re.search(r"send_subject_notification_task\[[^]]+\] succeeded", log.read_text()) is not None


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

    incident = _incident(privacy_officer, employee, SUBJECTS)
    with workers.own_queue() as queue:
        notification = _notify(privacy_officer, incident)
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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_inside_a_group_mails_nobody_twice_and_lists_that_group_to_check(
    privacy_officer, employee, tmp_path, monkeypatch
):
    subjects = 2 * sending.GROUP + 30  # one claim: groups of 50, 50 and 30
    people = [f"person{i}@example.com" for i in range(subjects)]
    second_group, third_group = people[sending.GROUP : 2 * sending.GROUP], people[2 * sending.GROUP :]
    hung_at = second_group[9]  # the server hangs there: nine of the second group are handed over
    log = tmp_path / "worker.log"

    incident = _incident(privacy_officer, employee, subjects)
    with workers.MailServer(stall_on=hung_at) as server, workers.own_queue() as queue:
        env = {"EMAIL_URL": server.url, "CELERY_VISIBILITY_TIMEOUT": str(workers.KILLED_VISIBILITY_TIMEOUT)}
        notification = _notify(privacy_officer, incident)
        first = workers.start(queue, log, **env)
        try:
            workers.wait_for(server.stalled.is_set, first, f"the mail server hanging at {hung_at}")
            workers.kill(first)
        finally:
            workers.stop(first)
        server.stall_on = ""
        # The second group was marked sent before its hand-over began; the third is still claimed.
        assert _statuses(notification) == {Status.SENT: 2 * sending.GROUP, Status.SENDING: len(third_group)}
        assert sum(server.received.values()) == sending.GROUP + 9

        second = workers.start(queue, log, **env)
        try:
            # The redelivered task claims only pending rows: none. The dead worker's claim is the sweep's.
            workers.wait_for(lambda: _send_task_succeeded(log), second, "the redelivered task done")
            assert sum(server.received.values()) == sending.GROUP + 9
            monkeypatch.setattr(sending, "SENDING_TIMEOUT", timedelta(0))  # rather than wait 15 minutes
            assert sending.subjects_resume() == 1
            workers.wait_for(lambda: _finished(notification), second, "the notification finished")
        finally:
            workers.stop(second)

    assert max(server.received.values()) == 1
    assert set(server.received) == {*people[: sending.GROUP], *second_group[:9], *third_group}
    failed = AffectedSubject.objects.filter(notification=notification, status=Status.FAILED)
    assert sorted(failed.values_list("email", flat=True)) == sorted(second_group)
    assert all(error == sending.UNKNOWN for error in failed.values_list("last_error", flat=True))
    sent, unknown = sending.GROUP + len(third_group), len(second_group)
    counts = selectors.counts(incident)
    assert counts == {"imported": subjects, "waiting": 0, "pending": 0, "sending": 0, "sent": sent, "failed": unknown}
    finished = AuditEvent.objects.get(action="incidents.subjects.notification_finished")
    assert finished.details == {"notification": notification.pk, "sent": sent, "failed": unknown}
