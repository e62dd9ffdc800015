"""Incidents and personal-data breaches, their legal obligations and their timeline.

Regimes (GDPR, UK GDPR, ...) are rows, seeded by a migration and editable in the
admin, so a new law needs no code. An assessment derives one :class:`Obligation`
per incident, regime and recipient; :class:`Filing` rows are appended to it, and
the first filing fixes whether it was late.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from portal.models import GroupObjectPermissionBase, UserObjectPermissionBase
from portal.references import YearCounter

MAX_TITLE = 200
MAX_TEXT = 10_000
MAX_REASON = 1000


class Regime(models.Model):
    """A law with breach-notification clocks, e.g. GDPR Art. 33/34."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    regulator = models.CharField(max_length=200, help_text="The supervisory authority notified.")
    jurisdictions = models.JSONField(default=list, help_text="Codes an assessment names, e.g. ['EU', 'DE'].")
    regulator_hours = models.PositiveIntegerField(
        default=72, help_text="Hours from awareness to notify the regulator (unless the risk is none)."
    )
    subject_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Hours to notify data subjects of a high-risk breach; empty: without undue delay.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Incident(models.Model):
    class Kind(models.TextChoices):
        UNAUTHORIZED_ACCESS = "unauthorized_access", "Unauthorised access"
        UNAUTHORIZED_DISCLOSURE = "unauthorized_disclosure", "Unauthorised disclosure"
        MISDIRECTED_DELIVERY = "misdirected_delivery", "Misdirected delivery"
        LOSS = "loss", "Loss"
        EXTERNAL_ATTACK = "external_attack", "External attack"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        REPORTED = "reported", "Reported"
        TRIAGE = "triage", "Triage"
        CONTAINED = "contained", "Contained"
        NOTIFYING = "notifying", "Notifying"
        CLOSED = "closed", "Closed"

    class Risk(models.TextChoices):
        NONE = "none", "No risk"
        RISK = "risk", "Risk"
        HIGH_RISK = "high_risk", "High risk"

    reference = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=MAX_TITLE)
    description = models.TextField(max_length=MAX_TEXT, blank=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REPORTED, db_index=True)
    is_exercise = models.BooleanField(default=False, help_text="A drill: runs the workflow, never a legal obligation.")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(default=timezone.now)
    detected_at = models.DateTimeField()
    aware_at = models.DateTimeField(help_text="When the organisation became aware: the legal clocks start here.")
    awareness_gap_reason = models.TextField(max_length=MAX_REASON, blank=True)
    assets = models.ManyToManyField("portal.DataAsset", blank=True, related_name="incidents")

    # Assessment (empty until assessed).
    assessed_at = models.DateTimeField(null=True, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_personal_data_breach = models.BooleanField(null=True, blank=True)
    risk = models.CharField(max_length=10, choices=Risk.choices, blank=True)
    data_categories = models.JSONField(default=list, blank=True)
    subject_count = models.PositiveIntegerField(null=True, blank=True)
    jurisdictions = models.JSONField(default=list, blank=True)

    # Art. 33(5): deciding that no notification is needed is itself recorded.
    no_notification_at = models.DateTimeField(null=True, blank=True)
    no_notification_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    no_notification_reason = models.TextField(max_length=MAX_REASON, blank=True)

    class Meta:
        ordering = ["-reported_at", "-pk"]
        permissions = [("assign_incident", "Assign handlers to the incident")]

    def __str__(self) -> str:
        prefix = "[EXERCISE] " if self.is_exercise else ""
        return f"{prefix}{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:incident-detail", args=[self.pk])


class IncidentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)


class IncidentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)


class ReferenceCounter(YearCounter):
    """Incident reference numbers per year (``portal.references.next_in_year``)."""


class ObligationQuerySet(models.QuerySet):
    def open(self):
        """Not yet met: no filing, no recorded exemption, not withdrawn by a later assessment."""
        return self.filter(done_at__isnull=True, exempt_at__isnull=True, withdrawn_at__isnull=True)

    def due_before(self, moment):
        return self.open().filter(due_at__lte=moment)


class Obligation(models.Model):
    class Recipient(models.TextChoices):
        REGULATOR = "regulator", "Regulator"
        SUBJECTS = "subjects", "Data subjects"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="obligations")
    regime = models.ForeignKey(Regime, on_delete=models.PROTECT, related_name="+")
    recipient = models.CharField(max_length=20, choices=Recipient.choices)
    due_at = models.DateTimeField(null=True, blank=True, help_text="Empty: without undue delay.")
    created_at = models.DateTimeField(default=timezone.now)
    # Fixed by the first filing.
    done_at = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(null=True, blank=True)
    late_reason = models.TextField(max_length=MAX_REASON, blank=True)
    # Art. 34(3): an exemption from notifying, with who and why.
    exempt_at = models.DateTimeField(null=True, blank=True)
    exempt_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    exempt_reason = models.TextField(max_length=MAX_REASON, blank=True)
    # A later assessment no longer needs it (never once filed).
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Clock warnings sent (the stamps of ``incidents.jobs``), so a rerun of the job sends none twice.
    warned_24h_at = models.DateTimeField(null=True, blank=True)
    warned_6h_at = models.DateTimeField(null=True, blank=True)

    objects = ObligationQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "regime", "recipient"], name="incidents_one_obligation"),
        ]

    def __str__(self) -> str:
        return f"{self.incident.reference}: {self.regime.code} {self.recipient}"

    @property
    def kind(self) -> str:
        return f"{self.regime.code}.{self.recipient}"

    @property
    def is_open(self) -> bool:
        return self.done_at is None and self.exempt_at is None and self.withdrawn_at is None


class Filing(models.Model):
    """One notification sent against an obligation: the initial one, then supplements (Art. 33(4))."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial"
        SUPPLEMENT = "supplement", "Supplement"

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="filings")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    authority = models.CharField(max_length=200)
    submitted_at = models.DateTimeField()
    reference = models.CharField(max_length=200, blank=True)
    notes = models.TextField(max_length=MAX_TEXT, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submitted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.authority} at {self.submitted_at:%Y-%m-%d %H:%M}"


class InvolvedUser(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="involved")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(max_length=MAX_REASON, blank=True)
    access_revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["incident", "user"], name="incidents_involved_once")]

    def __str__(self) -> str:
        return f"{self.user} in {self.incident.reference}"


class TimelineEntry(models.Model):
    """Append-only: written by the services for every state change, and as manual notes."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=100)
    text = models.TextField(max_length=MAX_TEXT)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.text[:60]}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Timeline entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Timeline entries are append-only.")


class Task(models.Model):
    """A piece of work on an incident, for a handler or a privacy officer; done and reopened by the services."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=MAX_TITLE)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["done_at", "due_at", "pk"]

    def __str__(self) -> str:
        return f"{self.incident.reference}: {self.title}"


class EvidenceFile(models.Model):
    """An uploaded file kept on the private storage under a random name; its hash proves it unchanged."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="evidence")
    name = models.CharField(max_length=200, help_text="The file name as uploaded (shown, never used as a path).")
    stored_name = models.CharField(max_length=64, unique=True, editable=False)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.TextField(max_length=MAX_REASON, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name_plural = "evidence files"

    def __str__(self) -> str:
        return f"{self.incident.reference}: {self.name}"


class RegulatorDraft(models.Model):
    """The notification to one regulator (one obligation), as edited before it is submitted (Art. 33(3))."""

    obligation = models.OneToOneField(Obligation, on_delete=models.CASCADE, related_name="draft")
    nature = models.TextField(max_length=MAX_TEXT, help_text="Nature of the breach.")
    subject_categories = models.TextField(max_length=MAX_REASON, blank=True)
    subject_count = models.PositiveIntegerField(null=True, blank=True, help_text="Approximate number of subjects.")
    record_categories = models.TextField(max_length=MAX_REASON, blank=True)
    record_count = models.PositiveBigIntegerField(null=True, blank=True, help_text="Approximate number of records.")
    contact_point = models.TextField(max_length=MAX_REASON, help_text="The DPO or other contact point.")
    consequences = models.TextField(max_length=MAX_TEXT, help_text="Likely consequences.")
    measures_taken = models.TextField(max_length=MAX_TEXT, blank=True)
    measures_proposed = models.TextField(max_length=MAX_TEXT, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Draft for {self.obligation}"


class Referral(models.Model):
    """A referral of the incident to law enforcement."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="referrals")
    agency = models.CharField(max_length=200)
    reference = models.CharField(max_length=200, blank=True)
    referred_on = models.DateField()
    note = models.TextField(max_length=MAX_REASON, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["referred_on", "pk"]

    def __str__(self) -> str:
        return f"{self.incident.reference}: {self.agency} {self.reference}".strip()


# Named for the API schema's enums (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
IncidentKind, IncidentStatus, FilingKind = Incident.Kind, Incident.Status, Filing.Kind

# Subject notification lives in its own package; imported here so the app label stays "incidents".
from incidents.subjects.models import AffectedSubject, SubjectImport, SubjectNotification  # noqa: E402, F401
