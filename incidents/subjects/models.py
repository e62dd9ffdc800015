"""Affected data subjects of an incident, how they came (an import) and what they were sent (a notification).

Imported here by ``incidents.models`` so the app label stays "incidents".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

MAX_NAME = 200
MAX_LANGUAGE = 35  # a BCP 47 tag such as "en-GB" or "sr-Latn-RS"
MAX_MAIL_SUBJECT = 200
MAX_MAIL_BODY = 20_000
MAX_ERROR = 1000


class SubjectImport(models.Model):
    """One accepted CSV file: who, when, what (name, size, SHA-256) and how many subjects it added."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="subject_imports")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["imported_at", "pk"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.count} subjects)"


class SubjectNotification(models.Model):
    """A message sent to every subject not yet notified when it was queued."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="subject_notifications")
    subject = models.CharField(max_length=MAX_MAIL_SUBJECT, help_text="Placeholders: {name}, {email}, {reference}.")
    body = models.TextField(max_length=MAX_MAIL_BODY)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    queued = models.PositiveIntegerField(default=0, help_text="Subjects it was queued for.")
    finished_at = models.DateTimeField(null=True, blank=True, help_text="When no recipient was left to try.")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.queued} recipients)"


class AffectedSubject(models.Model):
    """One person to notify, once. ``status`` moves pending → sending (claimed) → sent, or failed.

    ``email`` is normalised (stripped, lower case): one row per incident and address.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="subjects")
    source = models.ForeignKey(SubjectImport, on_delete=models.CASCADE, related_name="subjects")
    notification = models.ForeignKey(
        SubjectNotification, null=True, blank=True, on_delete=models.PROTECT, related_name="recipients"
    )
    email = models.CharField(max_length=254)
    name = models.CharField(max_length=MAX_NAME, blank=True)
    language = models.CharField(max_length=MAX_LANGUAGE, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set by the claim that took the row; a worker only ever writes rows carrying its own token.
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When the mail was handed to the mail server.")
    last_error = models.TextField(max_length=MAX_ERROR, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["incident", "email"], name="incidents_subject_once")]
        indexes = [
            models.Index(fields=["incident", "status"], name="incidents_subject_status"),
            models.Index(fields=["notification", "status", "next_attempt_at"], name="incidents_subject_due"),
            # The sweep's two questions, on the few rows they concern.
            models.Index(
                fields=["claimed_at"], condition=models.Q(claim_token__isnull=False), name="incidents_subject_claimed"
            ),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending", notification__isnull=False),
                name="incidents_subject_retry",
            ),
        ]

    def __str__(self) -> str:
        return self.email


SubjectStatus = AffectedSubject.Status
