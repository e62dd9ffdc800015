"""Notifying affected subjects: at most once per recipient, whatever the workers and the mail server do."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from smtplib import SMTPRecipientsRefused

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from incidents.subjects import selectors, sending
from incidents.subjects.models import AffectedSubject, SubjectNotification
from incidents.subjects.services import subjects_notify
from incidents.subjects.tasks import send_subject_notification_task
from incidents.tests.factories import import_subjects, make_incident
from portal.errors import Conflict, Forbidden, ValidationError
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db

SUBJECT = "About {reference}"
BODY = "Dear {name}, your address {email} was in {reference}. {organisation}"


class FlakyBackend(EmailBackend):
    """The in-memory backend, refusing the addresses in ``refuse`` and failing to connect while ``down``."""

    refuse: set[str] = set()
    down = False
    die_on: set[str] = set()

    def open(self):
        if FlakyBackend.down:
            raise ConnectionRefusedError("mail server down")
        return super().open()

    def send_messages(self, messages):
        for message in messages:
            if set(message.to) & FlakyBackend.die_on:
                raise WorkerDied()
            if set(message.to) & FlakyBackend.refuse:
                raise SMTPRecipientsRefused({message.to[0]: (550, b"mailbox unavailable")})
        return super().send_messages(messages)


class WorkerDied(BaseException):
    """The process ends mid-send (SIGKILL, OOM): nothing after this point runs."""


@pytest.fixture(autouse=True)
def flaky(settings):
    settings.EMAIL_BACKEND = "incidents.tests.test_subjects_sending.FlakyBackend"
    FlakyBackend.refuse, FlakyBackend.down, FlakyBackend.die_on = set(), False, set()
    return FlakyBackend


@pytest.fixture
def incident(employee):
    return make_incident(employee)


def _notify(officer, incident, capture, **kw):
    with capture(execute=True):
        return subjects_notify(actor=officer, incident=incident, subject=SUBJECT, body=BODY, **kw)


def _sent_to() -> Counter:
    return Counter(address for message in mail.outbox for address in message.to)


def _statuses() -> Counter:
    return Counter(AffectedSubject.objects.values_list("status", flat=True))


def test_every_subject_gets_the_templated_message_once(
    privacy_officer, incident, django_capture_on_commit_callbacks, settings
):
    import_subjects(privacy_officer, incident, 450)  # three batches

    notification = _notify(privacy_officer, incident, django_capture_on_commit_callbacks)

    assert notification.queued == 450
    assert len(mail.outbox) == 450
    assert max(_sent_to().values()) == 1
    first = next(m for m in mail.outbox if m.to == ["person0@example.com"])
    assert first.subject == f"About {incident.reference}"
    assert first.body == (
        f"Dear Person 0, your address person0@example.com was in {incident.reference}. {settings.ORGANISATION_NAME}"
    )
    assert first.extra_headers["Content-Language"] == "en"
    assert first.extra_headers["Message-ID"].startswith(f"<subject-notification-{notification.pk}-")
    assert _statuses() == {"sent": 450}
    notification.refresh_from_db()
    assert notification.finished_at is not None
    assert incident.timeline.filter(action="incidents.subjects.notification_finished").count() == 1
    assert AuditEvent.objects.filter(action="incidents.subjects.notification_sent").count() == 3


def test_running_the_task_again_sends_nothing_twice(privacy_officer, incident, django_capture_on_commit_callbacks):
    import_subjects(privacy_officer, incident, 5)
    notification = _notify(privacy_officer, incident, django_capture_on_commit_callbacks)

    send_subject_notification_task.delay(notification_id=notification.pk)
    send_subject_notification_task.apply(kwargs={"notification_id": notification.pk}, retries=3)  # a redelivered one
    sending.subjects_resume()

    assert len(mail.outbox) == 5
    assert incident.timeline.filter(action="incidents.subjects.notification_finished").count() == 1


def test_notifying_again_reaches_only_the_subjects_imported_since(
    privacy_officer, incident, django_capture_on_commit_callbacks
):
    import_subjects(privacy_officer, incident, 3)
    _notify(privacy_officer, incident, django_capture_on_commit_callbacks)
    import_subjects(privacy_officer, incident, 2, start=3)

    second = _notify(privacy_officer, incident, django_capture_on_commit_callbacks)

    assert second.queued == 2
    assert len(mail.outbox) == 5
    assert max(_sent_to().values()) == 1
    with pytest.raises(Conflict):
        _notify(privacy_officer, incident, django_capture_on_commit_callbacks)


def test_a_worker_dying_between_claim_and_send_leaves_rows_retried_only_after_the_timeout(privacy_officer, incident):
    import_subjects(privacy_officer, incident, 4)
    notification = subjects_notify(actor=privacy_officer, incident=incident, subject=SUBJECT, body=BODY)  # not sent
    # A worker claims a batch and dies before sending anything.
    sending._claim(notification, timezone.now())
    assert _statuses() == {"sending": 4}

    # The redelivered task, and the sweep before the timeout, leave claimed rows alone.
    send_subject_notification_task.apply(kwargs={"notification_id": notification.pk})
    sending.subjects_resume()
    assert mail.outbox == []

    with time_machine.travel(timezone.now() + sending.SENDING_TIMEOUT + timedelta(seconds=1)):
        sending.subjects_resume()

    assert len(mail.outbox) == 4
    assert max(_sent_to().values()) == 1
    assert _statuses() == {"sent": 4}
    assert AuditEvent.objects.get(action="incidents.subjects.claims_freed").details == {"count": 4, "unknown": 0}


def test_a_worker_dying_while_sending_never_mails_anyone_twice(privacy_officer, incident, flaky, monkeypatch):
    monkeypatch.setattr(sending, "GROUP", 2)  # rows marked sent per commit
    import_subjects(privacy_officer, incident, 4)
    notification = subjects_notify(actor=privacy_officer, incident=incident, subject=SUBJECT, body=BODY)
    flaky.die_on = {"person1@example.com"}

    with pytest.raises(WorkerDied):
        send_subject_notification_task.apply(kwargs={"notification_id": notification.pk})

    # person0 went out; person1's group was marked sent just before the hand-off and never confirmed;
    # person2 and person3 are still claimed by the dead worker, never handed over.
    statuses = dict(AffectedSubject.objects.values_list("email", "status"))
    assert statuses == {
        "person0@example.com": "sent",
        "person1@example.com": "sent",
        "person2@example.com": "sending",
        "person3@example.com": "sending",
    }
    flaky.die_on = set()
    send_subject_notification_task.apply(kwargs={"notification_id": notification.pk})  # the redelivery
    assert len(mail.outbox) == 1
    with time_machine.travel(timezone.now() + sending.SENDING_TIMEOUT + timedelta(seconds=1)):
        sending.subjects_resume()

    assert _sent_to() == {"person0@example.com": 1, "person2@example.com": 1, "person3@example.com": 1}
    # The group the worker died in is listed as failed, saying delivery is unknown: a person to check, not to re-mail.
    undecided = AffectedSubject.objects.filter(status="failed").order_by("email")
    assert [s.email for s in undecided] == ["person0@example.com", "person1@example.com"]
    assert all("may or may not have been sent" in s.last_error for s in undecided)
    assert AuditEvent.objects.get(action="incidents.subjects.claims_freed").details == {"count": 2, "unknown": 2}
    # What the incident's page counts, and the one "finished" entry: nobody pending, two to check by hand.
    assert selectors.counts(incident) == {
        "imported": 4,
        "waiting": 0,
        "pending": 0,
        "sending": 0,
        "sent": 2,
        "failed": 2,
    }
    finished = AuditEvent.objects.get(action="incidents.subjects.notification_finished")
    assert finished.details == {"notification": notification.pk, "sent": 2, "failed": 2}


def test_two_workers_never_claim_the_same_rows(privacy_officer, incident):
    import_subjects(privacy_officer, incident, 3)
    notification = subjects_notify(actor=privacy_officer, incident=incident, subject=SUBJECT, body=BODY)
    now = timezone.now()

    first_token, first = sending._claim(notification, now)
    second_token, second = sending._claim(notification, now)

    assert len(first) == 3
    assert second == []
    # A worker whose claim was taken back writes nothing: its token no longer matches.
    AffectedSubject.objects.update(claim_token=second_token)
    assert sending._send_batch(notification, first_token, first).sent == 0
    assert mail.outbox == []


def test_a_refused_recipient_is_retried_with_backoff_then_marked_failed(
    privacy_officer, incident, flaky, settings, django_capture_on_commit_callbacks
):
    settings.SUBJECT_MAIL_MAX_ATTEMPTS = 3
    import_subjects(privacy_officer, incident, 3)
    flaky.refuse = {"person1@example.com"}
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        notification = _notify(privacy_officer, incident, django_capture_on_commit_callbacks)
    row = AffectedSubject.objects.get(email="person1@example.com")
    assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)
    assert "SMTPRecipientsRefused" in row.last_error
    assert row.next_attempt_at == start + timedelta(minutes=1)
    assert _sent_to() == {"person0@example.com": 1, "person2@example.com": 1}

    # Not before the backoff; then one more try, two minutes later the last one.
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        sending.subjects_resume()
    assert AffectedSubject.objects.get(email="person1@example.com").attempts == 1
    with time_machine.travel(start + timedelta(minutes=1, seconds=1), tick=False):
        sending.subjects_resume()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 2, start + timedelta(minutes=3, seconds=1))
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        sending.subjects_resume()

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 3)
    assert len(mail.outbox) == 2
    notification.refresh_from_db()
    assert notification.finished_at is not None
    finished = incident.timeline.get(action="incidents.subjects.notification_finished")
    assert finished.details["failed"] == 1
    assert finished.details["sent"] == 2


def test_a_mail_server_that_is_down_puts_the_batch_back_and_it_goes_out_later(
    privacy_officer, incident, flaky, django_capture_on_commit_callbacks
):
    import_subjects(privacy_officer, incident, 3)
    flaky.down = True
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        _notify(privacy_officer, incident, django_capture_on_commit_callbacks)
    assert _statuses() == {"pending": 3}
    assert set(AffectedSubject.objects.values_list("last_error", flat=True)) == {
        "ConnectionRefusedError: mail server down"
    }

    flaky.down = False
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        sending.subjects_resume()

    assert _statuses() == {"sent": 3}
    assert len(mail.outbox) == 3


def test_the_backoff_doubles_and_is_capped():
    assert [sending.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert sending.backoff(30) == sending.BACKOFF_MAX


def test_an_exercise_says_so_in_every_subject_line(employee, privacy_officer, django_capture_on_commit_callbacks):
    drill = make_incident(employee, is_exercise=True)
    import_subjects(privacy_officer, drill, 1)

    _notify(privacy_officer, drill, django_capture_on_commit_callbacks)

    assert mail.outbox[0].subject.startswith("[EXERCISE] ")


def test_a_reporter_may_not_notify_and_unknown_placeholders_are_refused(employee, privacy_officer, incident):
    import_subjects(privacy_officer, incident, 1)

    with pytest.raises(Forbidden):
        subjects_notify(actor=employee, incident=incident, subject=SUBJECT, body=BODY)
    with pytest.raises(ValidationError) as caught:
        subjects_notify(
            actor=privacy_officer, incident=incident, subject="{name.__class__}", body="Hi {name:>99999999}"
        )

    assert set(caught.value.fields) == {"subject", "body"}
    assert "Unknown placeholder {name.__class__}" in caught.value.fields["subject"][0]
    assert not SubjectNotification.objects.exists()


def test_nothing_to_notify_is_a_conflict(privacy_officer, incident):
    with pytest.raises(Conflict):
        subjects_notify(actor=privacy_officer, incident=incident, subject=SUBJECT, body=BODY)


def test_the_demo_imports_and_notifies_1000_customers_once(
    privacy_officer, incident, django_capture_on_commit_callbacks
):
    from incidents.subjects.demo import seed_subjects

    with django_capture_on_commit_callbacks(execute=True):
        assert seed_subjects(incident=incident, officer=privacy_officer) == 1000
    assert seed_subjects(incident=incident, officer=privacy_officer) == 0

    assert len(mail.outbox) == 1000
    assert _statuses() == {"sent": 1000}
