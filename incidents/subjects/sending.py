"""Sending a subject notification: in batches, at most once per recipient, with backoff on mail errors.

Each row goes pending → sending → sent (or back to pending, or failed):

1. **Claim** a batch of 200: one conditional UPDATE (``status = pending`` and due,
   rows locked with SKIP LOCKED on PostgreSQL) sets ``sending``, a fresh claim
   token and the time, and counts the attempt; it commits before any mail goes out.
2. **Mark sent, then send**, 50 rows at a time: ``UPDATE … SET status = sent WHERE
   claim_token = <ours> AND status = sending`` commits *before* those messages are
   handed to the mail server (a row another worker owns now is not ours to send).
   Once they are handed over, one more UPDATE **confirms** them (clears the token).
3. A **mail error** (``SMTPException``, ``OSError``) puts the row back to pending
   with an exponential backoff, or to failed after ``SUBJECT_MAIL_MAX_ATTEMPTS``.

Why "sent" is written before sending: a worker can die at any point. A row it
claimed but never marked is still ``sending`` and was never handed to the mail
server, so the sweep (:func:`subjects_resume`) safely gives it back to pending once
its claim is older than ``SENDING_TIMEOUT``; a retried or redelivered task only
ever claims pending rows. Rows marked sent but never confirmed may or may not
have gone out (the worker died while handing over their group): the sweep marks
them failed, saying so, and never retries them: a person missed is listed for a
handler to check, while a person mailed twice cannot be undone. Writing "sent"
after sending would instead mail everyone twice whose message the server had
accepted when the worker died. The Message-ID is fixed per recipient, so even a
manual resend can be recognised by the receiving side.

Why groups of 50 and not one row at a time: each mark is a committed, fsynced
write (milliseconds on a busy disk); per row it would cost more than the mail.
A worker's death leaves at most one group undecided.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from smtplib import SMTPException

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from incidents.services.common import record
from incidents.subjects import message
from incidents.subjects.models import MAX_ERROR, AffectedSubject, SubjectNotification
from portal import audit

BATCH = 200
GROUP = 50  # rows marked sent in one commit before they are handed over
SENDING_TIMEOUT = timedelta(minutes=15)  # far longer than one batch takes
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=2)
MAIL_ERRORS = (SMTPException, OSError)
UNKNOWN = (
    "The worker stopped while handing this message to the mail server: it may or may not have been sent. "
    "Not retried, so that nobody is mailed twice; check with the mail server's log."
)
Status = AffectedSubject.Status


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after the attempt that failed, at most two hours."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


@dataclass
class Outcome:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    retry_at: datetime | None = None  # the earliest backoff this run set, if it set any

    def add(self, other: Outcome) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        if other.retry_at and (self.retry_at is None or other.retry_at < self.retry_at):
            self.retry_at = other.retry_at


def _claim(notification: SubjectNotification, now: datetime) -> tuple[uuid.UUID, list[AffectedSubject]]:
    token = uuid.uuid4()
    due = AffectedSubject.objects.filter(notification=notification, status=Status.PENDING, next_attempt_at__lte=now)
    with transaction.atomic():
        # No ORDER BY: the (notification, status, next_attempt_at) index hands out the next 200 at once,
        # where ordering by id would walk past every row already sent, batch after batch.
        ids = list(due.select_for_update(skip_locked=True).order_by().values_list("pk", flat=True)[:BATCH])
        if not ids:
            return token, []
        # Conditional: on SQLite (no SKIP LOCKED) the status test is what keeps two workers apart.
        due.filter(pk__in=ids).update(
            status=Status.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
        )
    rows = AffectedSubject.objects.filter(pk__in=ids, claim_token=token, status=Status.SENDING).only(
        "pk", "email", "name", "language", "attempts"
    )
    return token, list(rows.order_by("pk"))


def _release(rows: list[AffectedSubject], token: uuid.UUID, exc: Exception, now: datetime, *, was: str) -> Outcome:
    """Rows a mail error stopped: back to pending after a backoff, or failed once out of attempts."""
    out = Outcome()
    error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    by_attempts: dict[int, list[int]] = {}
    for row in rows:
        by_attempts.setdefault(row.attempts, []).append(row.pk)
    for attempts, ids in by_attempts.items():
        mine = AffectedSubject.objects.filter(pk__in=ids, claim_token=token, status=was)
        if attempts >= settings.SUBJECT_MAIL_MAX_ATTEMPTS:
            out.failed += mine.update(status=Status.FAILED, sent_at=None, last_error=error, claim_token=None)
        else:
            when = now + backoff(attempts)
            count = mine.update(
                status=Status.PENDING, sent_at=None, last_error=error, claim_token=None, next_attempt_at=when
            )
            out.retrying += count
            if count:
                out.add(Outcome(retry_at=when))
    return out


def _send_group(notification, token: uuid.UUID, rows: list[AffectedSubject], connection) -> Outcome:
    incident, out = notification.incident, Outcome()
    with transaction.atomic():
        mine = set(
            AffectedSubject.objects.select_for_update()
            .filter(pk__in=[r.pk for r in rows], claim_token=token, status=Status.SENDING)
            .values_list("pk", flat=True)
        )
        AffectedSubject.objects.filter(pk__in=mine).update(status=Status.SENT, sent_at=timezone.now(), last_error="")
    handed = []
    for row in rows:
        if row.pk not in mine:
            continue  # taken back by the sweep and claimed by another worker: not ours to send
        email = message.build(
            notification=notification, subject=row, reference=incident.reference, exercise=incident.is_exercise
        )
        try:
            connection.send_messages([email])
        except MAIL_ERRORS as exc:
            out.add(_release([row], token, exc, timezone.now(), was=Status.SENT))
        else:
            handed.append(row.pk)
    out.sent += AffectedSubject.objects.filter(pk__in=handed, claim_token=token).update(claim_token=None)
    return out


def _send_batch(notification: SubjectNotification, token: uuid.UUID, rows: list[AffectedSubject]) -> Outcome:
    out = Outcome()
    connection = mail.get_connection()
    try:
        connection.open()
    except MAIL_ERRORS as exc:
        return _release(rows, token, exc, timezone.now(), was=Status.SENDING)
    try:
        for start in range(0, len(rows), GROUP):
            out.add(_send_group(notification, token, rows[start : start + GROUP], connection))
    finally:
        with contextlib.suppress(*MAIL_ERRORS):
            connection.close()  # the messages were accepted; a failed QUIT changes nothing
    return out


def _audit_batch(notification: SubjectNotification, outcome: Outcome) -> None:
    audit.record(
        actor=None,
        action="incidents.subjects.notification_sent",
        target=notification.incident,
        details={
            "notification": notification.pk,
            "sent": outcome.sent,
            "retrying": outcome.retrying,
            "failed": outcome.failed,
        },
    )


def _finish_if_done(notification: SubjectNotification) -> None:
    """Once no recipient is pending or sending: stamp the notification and say so on the timeline (once)."""
    open_ = AffectedSubject.objects.filter(notification=notification, status__in=[Status.PENDING, Status.SENDING])
    if open_.exists():
        return
    with transaction.atomic():
        now = timezone.now()
        if not SubjectNotification.objects.filter(pk=notification.pk, finished_at__isnull=True).update(finished_at=now):
            return
        counts = {
            s: AffectedSubject.objects.filter(notification=notification, status=s).count()
            for s in (Status.SENT, Status.FAILED)
        }
        record(
            incident=notification.incident,
            actor=None,
            action="incidents.subjects.notification_finished",
            text=f"Notification \u201c{notification.subject}\u201d finished: {counts[Status.SENT]:,} sent, "
            f"{counts[Status.FAILED]:,} failed.",
            details={"notification": notification.pk, **counts},
        )


def notification_send(*, notification_id: int) -> Outcome:
    """Send every due recipient of the notification, batch after batch. Safe to run twice, or twice at once."""
    notification = SubjectNotification.objects.select_related("incident").get(pk=notification_id)
    total = Outcome()
    while True:
        token, rows = _claim(notification, timezone.now())
        if not rows:
            break
        outcome = _send_batch(notification, token, rows)
        _audit_batch(notification, outcome)
        total.add(outcome)
    _finish_if_done(notification)
    return total


def subjects_resume(now: datetime | None = None) -> int:
    """The sweep: free claims older than ``SENDING_TIMEOUT`` (never handed to the mail server, see above),
    fail the rows a dead worker left undecided, and start a send for every notification with recipients
    due. Returns how many notifications it started."""
    from incidents.subjects.tasks import send_subject_notification_task

    now = now or timezone.now()
    in_flight = AffectedSubject.objects.filter(claim_token__isnull=False)  # a small partial index
    stuck = in_flight.filter(status=Status.SENDING, claimed_at__lt=now - SENDING_TIMEOUT)
    unconfirmed = in_flight.filter(status=Status.SENT, claimed_at__lt=now - SENDING_TIMEOUT)
    with transaction.atomic():
        freed = stuck.update(status=Status.PENDING, claim_token=None, next_attempt_at=now)
        unknown = unconfirmed.update(status=Status.FAILED, claim_token=None, last_error=UNKNOWN)
        if freed or unknown:
            audit.record(
                actor=None,
                action="incidents.subjects.claims_freed",
                target=None,
                details={"count": freed, "unknown": unknown},
            )
    # A notification a worker is sending right now (a recent claim) is left to it: no second task piles up.
    busy = in_flight.filter(claimed_at__gte=now - SENDING_TIMEOUT).values("notification_id")
    due = (
        AffectedSubject.objects.filter(status=Status.PENDING, notification__isnull=False, next_attempt_at__lte=now)
        .exclude(notification_id__in=busy)
        .values_list("notification_id", flat=True)
        .distinct()
    )
    ids = list(due.order_by("notification_id"))
    for notification_id in ids:
        send_subject_notification_task.delay(notification_id=notification_id)
    return len(ids)
