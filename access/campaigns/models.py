"""A campaign snapshots the active grants in its scope into review items, one accountable reviewer each.

Items copy what they were launched with (grantee, asset, scope, sensitivity,
last use): the evidence must say what the reviewer saw, whatever happens to the
grant afterwards.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

# access.models imports this module at its end, after defining the bound (comments of every review).
from access.models import MAX_COMMENT
from portal.models import DataAsset, Sensitivity

# Reviewers are reminded this many days before the due date, once each.
REMINDER_DAYS = (7, 3, 1)
# The decision point's last use older than this makes the recommendation "revoke".
UNUSED_DAYS = 90


class Outcome(models.TextChoices):
    CERTIFY = "certify", "Certify (keep)"
    REVOKE = "revoke", "Revoke"


class Reason(models.TextChoices):
    """Why the launch recommended what it did; shown beside each item and in the evidence."""

    IN_USE = "in_use", "Used in the last 90 days"
    NEVER_USED = "never_used", "Never used"
    UNUSED = "unused_90_days", "Not used for 90 days"
    GRANTEE_INACTIVE = "grantee_inactive", "The grantee's account is inactive"
    GRANTEE_OFFBOARDED = "grantee_offboarded", "The grantee has been offboarded"


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    min_sensitivity = models.CharField(
        max_length=20, choices=Sensitivity.choices, blank=True, help_text="Every asset at least this sensitive."
    )
    assets = models.ManyToManyField(
        DataAsset, blank=True, related_name="campaigns", help_text="Or exactly these assets."
    )
    due_at = models.DateTimeField()
    default_decision = models.CharField(
        max_length=10, choices=Outcome.choices, default=Outcome.REVOKE, help_text="Applied to undecided items."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    launched_at = models.DateTimeField(null=True, blank=True)
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The launch snapshots in batches: expected is counted first, item_count grows, ready_at ends it.
    items_expected = models.PositiveIntegerField(default=0)
    item_count = models.PositiveIntegerField(default=0)
    ready_at = models.DateTimeField(null=True, blank=True)
    # The smallest of REMINDER_DAYS already sent; the stamp that makes the job a no-op on a re-run.
    reminded_days = models.PositiveSmallIntegerField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # A large close runs as a task in batches: closing_started_at marks it (the status stays running,
    # nobody decides any more), applied_count grows batch by batch, closed_at ends it.
    closing_started_at = models.DateTimeField(null=True, blank=True)
    applied_count = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("manage_campaign", "Create, launch, close and reassign recertification campaigns")]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("access:campaign-detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.RUNNING

    @property
    def is_closing(self) -> bool:
        return self.status == self.Status.RUNNING and self.closing_started_at is not None

    @property
    def state(self) -> str:
        """What the badge says: the status, or "closing" while a close task applies it."""
        return "closing" if self.is_closing else self.status

    @property
    def state_label(self) -> str:
        return "Closing" if self.is_closing else self.get_status_display()

    @property
    def is_open(self) -> bool:
        """Running and not closing: items may still be decided, delegated, reassigned."""
        return self.is_running and self.closing_started_at is None

    @property
    def close_percent(self) -> int:
        if self.status == self.Status.CLOSED:
            return 100
        return min(99, self.applied_count * 100 // self.item_count) if self.item_count else 0

    @property
    def is_ready(self) -> bool:
        return self.ready_at is not None

    @property
    def launch_percent(self) -> int:
        if self.is_ready:
            return 100
        return min(99, self.item_count * 100 // self.items_expected) if self.items_expected else 0

    def scope_label(self) -> str:
        if self.min_sensitivity:
            return f"{self.get_min_sensitivity_display()} and above"
        return "Chosen assets" if self.pk and self.assets.exists() else "Every asset"


class ReviewItem(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="items")
    grant = models.ForeignKey("access.Grant", on_delete=models.PROTECT, related_name="review_items")
    # Snapshot of the grant at launch (filters, evidence and the rules read these, not the live grant).
    grantee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey(DataAsset, on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=10)
    sensitivity = models.CharField(max_length=20, choices=Sensitivity.choices)
    granted_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="review_items"
    )
    recommendation = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    decision = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    comment = models.TextField(blank=True, max_length=MAX_COMMENT)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # What close applied: the decision, or the campaign's default for an undecided item.
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["campaign", "grant"], name="one_item_per_grant")]
        indexes = [
            models.Index(fields=["campaign", "reviewer", "decision"]),
            models.Index(fields=["campaign", "asset"]),
            models.Index(fields=["reviewer", "decision"]),
        ]

    def __str__(self) -> str:
        return f"Item #{self.pk}: {self.grantee_id} → {self.asset_id} ({self.scope})"

    def get_absolute_url(self) -> str:
        return reverse("access:review-item", args=[self.pk])

    @property
    def is_decided(self) -> bool:
        return bool(self.decision)

    def comment_required_for(self, decision: str) -> str | None:
        """Why certifying this item needs a comment, or ``None``."""
        if decision != Outcome.CERTIFY:
            return None
        if self.recommendation == Outcome.REVOKE:
            return "Say why this access should stay: the recommendation is to revoke it."
        if self.sensitivity == Sensitivity.RESTRICTED:
            return "Say why this access to restricted data should stay."
        return None


class ReviewDecision(models.Model):
    """Every decision an item received, one row each, so the item's history shows bulk decisions too.

    A bulk decision is one audit event naming every item; its rows are written by one
    ``INSERT … SELECT`` (constant queries at any count) and point at that event by sequence.
    """

    item = models.ForeignKey(ReviewItem, on_delete=models.PROTECT, related_name="decisions")
    decision = models.CharField(max_length=10, choices=Outcome.choices)
    comment = models.TextField(blank=True, max_length=MAX_COMMENT)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    # The audit event that recorded it (``portal.AuditEvent.sequence``): a bulk one targets the campaign.
    event_sequence = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["item", "event_sequence"])]

    def __str__(self) -> str:
        return f"Item #{self.item_id}: {self.decision} by {self.decided_by_id}"
