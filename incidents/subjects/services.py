"""Importing affected subjects and queuing their notification (the sending is in ``sending``).

Only those who may work the incident (its handlers, privacy officers) import and
notify; each change is one audit event and one timeline entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from incidents.models import Filing, Incident, Obligation
from incidents.services.common import CHANGE, bounded_text, lock, record
from incidents.subjects import csvfile, message
from incidents.subjects.models import (
    MAX_MAIL_BODY,
    MAX_MAIL_SUBJECT,
    AffectedSubject,
    SubjectImport,
    SubjectNotification,
)
from portal import permissions
from portal.errors import Conflict, ValidationError, conflict_on_constraint

INSERT_BATCH = 5000
Status = AffectedSubject.Status


class ImportRefused(ValidationError):
    """The file has bad rows: nothing was imported. ``report`` lists them (line and reason)."""

    def __init__(self, report: csvfile.Report):
        self.report = report
        shown = "" if report.bad <= len(report.problems) else f" (the first {len(report.problems)} are listed)"
        noun = "row is" if report.bad == 1 else "rows are"
        super().__init__(
            f"{report.bad} {noun} not valid{shown}; nothing was imported.",
            fields={"file": f"{report.bad} bad {noun.split()[0]}: correct the file and upload it again."},
        )


def _check_open(incident: Incident) -> None:
    if incident.status == Incident.Status.CLOSED:
        raise Conflict("The incident is closed.")


def _existing_addresses(incident: Incident):
    return AffectedSubject.objects.filter(incident=incident).values_list("email", flat=True).iterator(chunk_size=10_000)


def _insert(source: SubjectImport, rows) -> int:
    """Insert the file's rows: ``COPY`` on PostgreSQL, ``bulk_create`` in batches elsewhere. Returns the count."""
    if connection.vendor == "postgresql":
        columns = ("incident_id", "source_id", "email", "name", "language", "status", "attempts", "last_error")
        table = connection.ops.quote_name(AffectedSubject._meta.db_table)
        count = 0
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        # The raw psycopg cursor, wrapped so that a refused row is Django's IntegrityError (a 409) as everywhere.
        with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row((source.incident_id, source.pk, row.email, row.name, row.language, "pending", 0, ""))
                count += 1
        return count
    count, batch = 0, []
    for row in rows:
        batch.append(
            AffectedSubject(
                incident_id=source.incident_id, source=source, email=row.email, name=row.name, language=row.language
            )
        )
        if len(batch) == INSERT_BATCH:
            AffectedSubject.objects.bulk_create(batch)
            count, batch = count + len(batch), []
    if batch:
        AffectedSubject.objects.bulk_create(batch)
        count += len(batch)
    return count


def subjects_import(*, actor, incident: Incident, upload, file_name: str = "") -> SubjectImport:
    """Import every row of a CSV of affected subjects, or none: any bad row raises :class:`ImportRefused`.

    Two passes over the upload, which Django keeps in a temporary file past 2.5 MB:
    the first validates the whole file (outside any transaction, holding only hashed
    addresses), the second inserts in one transaction under the incident's lock. An
    address imported by someone else between the passes trips the unique constraint (409).
    """
    permissions.require(actor, CHANGE, incident)
    _check_open(incident)
    if upload is None:
        raise ValidationError(fields={"file": "Choose a CSV file of affected subjects (email, name, language)."})
    limit = settings.SUBJECT_IMPORT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"The file is larger than {limit:,} bytes; split it and import the parts.",
            fields={"file": f"At most {limit:,} bytes, please (this has {upload.size:,})."},
        )
    name = bounded_text(file_name or getattr(upload, "name", "") or "subjects.csv", "file", 255)
    report = csvfile.validate(upload, existing=_existing_addresses(incident))
    if not report.ok:
        raise ImportRefused(report)
    with transaction.atomic():
        incident = lock(incident)
        permissions.require(actor, CHANGE, incident)
        _check_open(incident)
        source = SubjectImport.objects.create(
            incident=incident, imported_by=actor, file_name=name, size=report.size, sha256=report.sha256
        )
        with conflict_on_constraint(
            "Some of these addresses were imported by someone else meanwhile: upload the file again to see which.",
            fields={"file": "Imported meanwhile by someone else."},
        ):
            source.count = _insert(source, csvfile.subjects(upload))
        source.save(update_fields=["count"])
        details = {"import": source.pk, "file_name": name, "count": source.count, "sha256": source.sha256}
        record(
            incident=incident,
            actor=actor,
            action="incidents.subjects.imported",
            text=f"{source.count:,} affected subjects imported from {name}.",
            details=details,
        )
    return source


@transaction.atomic
def subjects_notify(*, actor, incident: Incident, subject: str, body: str) -> SubjectNotification:
    """Queue ``subject``/``body`` for every subject not yet notified; Celery sends the mail in batches."""
    from incidents.subjects.tasks import send_subject_notification_task

    incident = lock(incident)
    permissions.require(actor, CHANGE, incident)
    _check_open(incident)
    subject = bounded_text(subject, "subject", MAX_MAIL_SUBJECT, required=True)
    body = bounded_text(body, "body", MAX_MAIL_BODY, required=True)
    errors = {
        f: e for f, e in (("subject", message.template_errors(subject)), ("body", message.template_errors(body))) if e
    }
    if errors:
        raise ValidationError(fields=errors)
    waiting = AffectedSubject.objects.filter(incident=incident, notification__isnull=True)
    if not waiting.exists():
        raise Conflict("Every imported subject has already been notified: import the people still to tell first.")
    notification = SubjectNotification.objects.create(incident=incident, subject=subject, body=body, created_by=actor)
    notification.queued = waiting.update(
        notification=notification, status=Status.PENDING, next_attempt_at=timezone.now()
    )
    notification.save(update_fields=["queued"])
    met = _file_with_subjects_obligations(actor, incident, notification)
    record(
        incident=incident,
        actor=actor,
        action="incidents.subjects.notification_queued",
        text=f"Notification \u201c{subject}\u201d queued for {notification.queued:,} subjects."
        + (f" Met: notifying the data subjects ({', '.join(met)})." if met else ""),
        details={"notification": notification.pk, "queued": notification.queued, "subject": subject, "met": met},
    )
    transaction.on_commit(lambda: send_subject_notification_task.delay(notification_id=notification.pk))
    return notification


def _file_with_subjects_obligations(actor, incident: Incident, notification: SubjectNotification) -> list[str]:
    """Sending is the filing against the Art. 34 obligations (``<regime>.subjects``): the first notification
    meets each open one, later ones (people imported since) are supplements. Returns the regimes met now."""
    obligations = list(
        Obligation.objects.select_for_update()
        .filter(incident=incident, recipient=Obligation.Recipient.SUBJECTS, exempt_at__isnull=True)
        .filter(withdrawn_at__isnull=True)
        .select_related("regime")
    )
    now = notification.created_at
    Filing.objects.bulk_create(
        Filing(
            obligation=o,
            kind=Filing.Kind.SUPPLEMENT if o.done_at else Filing.Kind.INITIAL,
            authority="The data subjects, by e-mail",
            submitted_at=now,
            reference=f"notification {notification.pk}",
            notes=f"{notification.queued:,} subjects: {notification.subject}",
            recorded_by=actor,
        )
        for o in obligations
    )
    met = [o for o in obligations if o.done_at is None]
    for o in met:
        o.done_at, o.late = now, False  # "without undue delay" has no due time to be late against
    Obligation.objects.bulk_update(met, ["done_at", "late"])
    return [o.regime.code for o in met]


def preview(*, incident: Incident, subject: str, body: str) -> dict:
    """The message as the first subject waiting would get it (or a sample person): for the form's preview."""
    errors = {
        f: e for f, e in (("subject", message.template_errors(subject)), ("body", message.template_errors(body))) if e
    }
    if errors:
        raise ValidationError(fields=errors)
    first = AffectedSubject.objects.filter(incident=incident, notification__isnull=True).order_by("pk").first()
    person = first or AffectedSubject(pk=0, email="jane.doe@example.com", name="Jane Doe")
    mail = message.build(
        notification=SubjectNotification(pk=0, subject=subject, body=body),
        subject=person,
        reference=incident.reference,
        exercise=incident.is_exercise,
    )
    return {"to": person.email, "subject": mail.subject, "body": mail.body, "sample": first is None}
