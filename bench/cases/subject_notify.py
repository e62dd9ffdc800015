"""Notifying affected subjects: enqueue-and-send of 100,000 mails to Django's in-memory backend vs ``send_mass_mail``.

``subjects_notify()`` queues the notification (one UPDATE of every subject) and,
on commit, the Celery task (eager in the bench) sends it: batches of 200 claimed
by one conditional UPDATE, rows marked sent 50 at a time (a committed UPDATE) before
their messages are handed to the backend and confirmed after, an audit event per batch. The baseline builds
the same 100,000 rendered messages and hands them to ``send_mass_mail`` on one
connection: no claim, no status, nothing that keeps a retry from mailing twice.
The difference is the price of "at most once": about 3 committed writes per 50 mails
(their fsyncs dominate on a slow disk).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.utils import timezone

from bench.core import Case, Context, Figure, analyze, copy_rows, timed_pair
from incidents import services as incident_services
from incidents.subjects import message
from incidents.subjects.models import AffectedSubject, SubjectImport, SubjectNotification
from incidents.subjects.services import subjects_notify
from portal.models import PRIVACY_OFFICERS

NAME = "subject_notify"
SUBJECT = "Important: a data breach affecting your personal data ({reference})"
BODY = "Dear {name},\n\nWe are writing about incident {reference} at {organisation}.\n\n" + "Details. " * 40
COLUMNS = ("incident", "source", "email", "name", "language", "status", "attempts", "last_error")


class _Counter:
    """Counts every statement (``CaptureQueriesContext`` keeps only the last 9,000)."""

    def __init__(self) -> None:
        self.count, self.first = 0, []

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        if len(self.first) < 16:
            self.first.append(sql[:300])
        return execute(sql, params, many, context)


def run(ctx: Context) -> list[Figure]:
    n = ctx.size(100_000, 1_000_000)
    User = get_user_model()
    officer = User.objects.create(username="bench-officer", email="officer@example.com")
    officer.groups.add(Group.objects.get(name=PRIVACY_OFFICERS))
    incident = incident_services.incident_report(
        actor=officer, title="Bench leak", kind="unauthorized_disclosure", detected_at=timezone.now()
    )
    source = SubjectImport.objects.create(incident=incident, imported_by=officer, file_name="b.csv", size=0, sha256="")
    copy_rows(
        AffectedSubject,
        COLUMNS,
        (
            (incident.pk, source.pk, f"customer{i:07d}@example.com", f"Customer {i}", "en", "pending", 0, "")
            for i in range(n)
        ),
    )
    analyze(AffectedSubject)
    backend = "django.core.mail.backends.locmem.EmailBackend"

    def reset() -> tuple:
        mail.outbox = []
        AffectedSubject.objects.update(
            notification=None, status="pending", attempts=0, claim_token=None, claimed_at=None, sent_at=None
        )
        SubjectNotification.objects.all().delete()
        analyze(AffectedSubject)
        return ()

    def enqueue_and_send() -> None:
        subjects_notify(actor=officer, incident=incident, subject=SUBJECT, body=BODY)
        if len(mail.outbox) != n:
            raise AssertionError(f"notify: {len(mail.outbox)} mails, not {n}")

    def mass_mail() -> None:
        rows = AffectedSubject.objects.filter(incident=incident).only("pk", "email", "name", "language")
        stand_in = SubjectNotification(pk=0, subject=SUBJECT, body=BODY)
        datatuple = (
            (m.subject, m.body, m.from_email, m.to)
            for m in (
                message.build(notification=stand_in, subject=row, reference=incident.reference, exercise=False)
                for row in rows.iterator(chunk_size=2000)
            )
        )
        sent = mail.send_mass_mail(datatuple, connection=mail.get_connection(backend))
        if sent != n:
            raise AssertionError(f"send_mass_mail: {sent} mails, not {n}")

    from django.conf import settings

    previous = settings.EMAIL_BACKEND
    settings.EMAIL_BACKEND = backend
    try:
        reset()
        counter = _Counter()
        with connection.execute_wrapper(counter):
            enqueue_and_send()
        repeat = ctx.size(2, 1)
        notified, mass = timed_pair(enqueue_and_send, mass_mail, repeat=repeat, warmup=0, setup=reset)
    finally:
        settings.EMAIL_BACKEND = previous
        mail.outbox = []
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AffectedSubject._meta.db_table}")
    return [
        Figure(
            NAME,
            f"subjects_notify() + sending, {n:,} mails",
            notified.median,
            "s",
            mass.median,
            note=f"vs send_mass_mail of the same {n:,} rendered messages, both to the locmem backend; "
            f"median of {len(notified.runs)}",
            params={"mails": n, "runs_s": list(notified.runs), "baseline_runs_s": list(mass.runs)},
        ),
        Figure(
            NAME,
            f"SQL statements to notify {n:,}",
            counter.count,
            "queries",
            note="claim per batch of 200; mark and confirm per group of 50; an audit event per batch",
            params={"sql": counter.first},
        ),
    ]


CASE = Case(
    name=NAME,
    run=run,
    description="enqueue-and-send of 100,000 subject notifications to locmem vs send_mass_mail",
    needs_postgres=False,
)
