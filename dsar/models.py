"""Data-subject requests: the request and its clock, pauses, collection tasks and collected items.

Handlers hold ``view_request`` and ``change_request`` on their own requests
(guardian direct tables); privacy officers hold the ``dsar`` permissions
globally through their role (migration 0002); auditors read everything.
Tasks and items are reached through their request, never granted on their own.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from portal.models import GroupObjectPermissionBase, UserObjectPermissionBase
from portal.references import YearCounter

MAX_NAME = 200
MAX_TEXT = 10_000
MAX_REASON = 1000


def open_q() -> models.Q:
    """Still owed to the subject: not delivered, closed, rejected or withdrawn."""
    return ~models.Q(status__in=Request.FINISHED)


def overdue_q(now=None) -> models.Q:
    return open_q() & models.Q(due_at__lt=now or timezone.now())


def due_within_q(days: int, now=None) -> models.Q:
    """Open and due in the next ``days`` days (not yet overdue)."""
    now = now or timezone.now()
    return open_q() & models.Q(due_at__gte=now, due_at__lt=now + timedelta(days=days))


class RequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(open_q())

    def overdue(self, now=None):
        return self.filter(overdue_q(now))

    def due_within(self, days: int, now=None):
        return self.filter(due_within_q(days, now))


class Request(models.Model):
    class Type(models.TextChoices):
        ACCESS = "access", "Access"
        ERASURE = "erasure", "Erasure"
        RECTIFICATION = "rectification", "Rectification"
        PORTABILITY = "portability", "Portability"
        RESTRICTION = "restriction", "Restriction"
        OBJECTION = "objection", "Objection"

    class Jurisdiction(models.TextChoices):
        GDPR = "gdpr", "GDPR"
        UK_GDPR = "uk_gdpr", "UK GDPR"
        CCPA = "ccpa", "CCPA"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        VERIFYING = "verifying", "Verifying"
        VERIFIED = "verified", "Verified"
        COLLECTING = "collecting", "Collecting"
        REVIEW = "review", "Review"
        READY = "ready", "Ready"
        DELIVERED = "delivered", "Delivered"
        CLOSED = "closed", "Closed"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Verification(models.TextChoices):
        LINK = "link", "Signed link"
        DOCUMENT = "document", "Identity document"
        ACCOUNT = "account", "Signed-in account"
        OTHER = "other", "Other"

    FINISHED = (Status.DELIVERED, Status.CLOSED, Status.REJECTED, Status.WITHDRAWN)

    reference = models.CharField(max_length=20, unique=True)
    type = models.CharField(max_length=20, choices=Type.choices)
    email = models.EmailField(max_length=254)
    customer_id = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=MAX_NAME, blank=True)
    details = models.TextField(max_length=MAX_TEXT, blank=True)
    jurisdiction = models.CharField(max_length=10, choices=Jurisdiction.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    status_reason = models.TextField(max_length=MAX_REASON, blank=True)

    received_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(db_index=True)
    due_trace = models.JSONField(default=list, blank=True, help_text="How the due date was computed, step by step.")
    extended_at = models.DateTimeField(null=True, blank=True)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    extension_reason = models.TextField(max_length=MAX_REASON, blank=True)
    # What the one extension added: further months (GDPR) or days (CCPA).
    extension_months = models.PositiveSmallIntegerField(null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField(null=True, blank=True)

    # Verification: the nonce of the one link that is valid now, cleared when it is used.
    verification_nonce = models.CharField(max_length=64, blank=True)
    verification_sent_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_method = models.CharField(max_length=20, choices=Verification.choices, blank=True)
    verification_note = models.TextField(max_length=MAX_REASON, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = RequestQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        permissions = [("assign_request", "Assign handlers to the request")]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_type_display()}"

    def get_absolute_url(self) -> str:
        return reverse("dsar:request-detail", args=[self.pk])

    def subject_identifiers(self) -> set[str]:
        """The identifiers collected items may carry: the verified subject's, nothing else."""
        identifiers = {f"email:{self.email.strip().lower()}"}
        if self.customer_id.strip():
            identifiers.add(f"customer:{self.customer_id.strip()}")
        return identifiers

    @property
    def is_open(self) -> bool:
        return self.status not in self.FINISHED

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class RequestUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Request, on_delete=models.CASCADE)


class RequestGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Request, on_delete=models.CASCADE)


class ReferenceCounter(YearCounter):
    """DSAR request numbers per year (``portal.references.next_in_year``)."""


class Pause(models.Model):
    """Time spent waiting for the subject (identity, clarification); stops the clock where the law allows."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(max_length=MAX_REASON)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["started_at", "pk"]
        constraints = [
            # At most one open pause per request: a race to pause twice is a 409, not two clocks.
            models.UniqueConstraint(
                fields=["request"], condition=models.Q(ended_at__isnull=True), name="dsar_one_open_pause"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request.reference} paused {self.started_at:%Y-%m-%d}"


class Task(models.Model):
    class Kind(models.TextChoices):
        COLLECT = "collect", "Collect"
        ERASE = "erase", "Erase"

    class Method(models.TextChoices):
        CONNECTOR = "connector", "Connector"
        MANUAL = "manual", "Manual (upload)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        EXCEPTION = "exception", "Exception (legal hold)"

    FINISHED = (Status.DONE, Status.EXCEPTION)

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="tasks")
    asset = models.ForeignKey("portal.DataAsset", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COLLECT)
    method = models.CharField(max_length=10, choices=Method.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    found = models.PositiveIntegerField(default=0)
    error = models.TextField(max_length=MAX_REASON, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hold_reason = models.TextField(max_length=MAX_REASON, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "kind", "asset__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "asset", "kind"], name="dsar_one_task_per_asset_and_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.request.reference}: {self.kind} {self.asset}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


def item_upload_to(item: Item, filename: str) -> str:
    # Grouped by request so a purge removes one folder; the name never comes from the uploader alone.
    return f"dsar/{item.request_id}/items/{filename}"


class Item(models.Model):
    class Kind(models.TextChoices):
        RECORD = "record", "Record"
        FILE = "file", "File"

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="items")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="items")
    asset = models.ForeignKey("portal.DataAsset", on_delete=models.PROTECT, related_name="+")
    subject_identifier = models.CharField(max_length=300)
    source = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    data = models.JSONField(null=True, blank=True)
    file = models.FileField(upload_to=item_upload_to, max_length=500, blank=True)
    name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["request", "pk"]
        indexes = [models.Index(fields=["request", "id"], name="dsar_item_request_id")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.source} {self.name or self.pk}"


# The SQL connector's configuration lives beside its code (dsar/connectors/models.py); imported here so
# Django counts it among this app's models.
from dsar.connectors.models import SqlSource, SqlTable  # noqa: E402, F401

# The package, its delivery and the erasure record live beside their services; imported here so they
# belong to this app (and its migrations).
from dsar.erasure.models import ErasureRecord  # noqa: E402, F401
from dsar.package.models import DeliveryLink, Download, Package  # noqa: E402, F401

# Named for the API schema's enums (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
RequestStatus = Request.Status
TaskStatus = Task.Status
TaskMethod = Task.Method
