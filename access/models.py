"""Least-privilege access: request → decision → grant → use → expiry or revocation.

An active :class:`Grant` *is* a guardian object permission on its asset;
``access.services`` keeps the two in step inside one transaction. Grants and
requests are never deleted: they are the history that recertification, the
incident exposure report and auditors read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from portal.models import DataAsset, Sensitivity


class Scope(models.TextChoices):
    USE = "use", "Use (read)"
    EXPORT = "export", "Export in bulk"
    ADMIN = "admin", "Administer"


# The guardian permission on the asset that a grant of each scope carries.
SCOPE_PERMISSION: dict[str, str] = {
    Scope.USE: "portal.use_dataasset",
    Scope.EXPORT: "portal.export_dataasset",
    Scope.ADMIN: "portal.admin_dataasset",
}

# Approvals a request needs, by the asset's sensitivity.
REQUIRED_APPROVALS = {
    Sensitivity.PUBLIC: 1,
    Sensitivity.INTERNAL: 1,
    Sensitivity.CONFIDENTIAL: 1,
    Sensitivity.RESTRICTED: 2,
}
# Sensitivities whose requests only the asset's own reviewers may approve;
# below that an access admin may approve too (assets without reviewers).
REVIEWER_ONLY = {Sensitivity.CONFIDENTIAL, Sensitivity.RESTRICTED}

MIN_JUSTIFICATION = 20
LAPSE_AFTER_DAYS = 14
EXPIRY_WARNING_DAYS = 7
BREAK_GLASS_MAX_HOURS = 4
# Ask for no more than you need: what the forms and the API offer unless told otherwise.
DEFAULT_REQUEST_DAYS = 14
BREAK_GLASS_DEFAULT_HOURS = 1
# Bulk export is what the contact-data leak was: never taken in an emergency.
BREAK_GLASS_SCOPES = (Scope.USE, Scope.ADMIN)
BREAK_GLASS_SCOPE_CHOICES = [(s.value, s.label) for s in BREAK_GLASS_SCOPES]
BREAK_GLASS_SCOPE_MESSAGE = "Break-glass gives use or admin access, never export."
DENY_REASON_MESSAGE = "Say why you deny this request; the requester is told."
BREAK_GLASS_REVIEW_HOURS = 24
# Bounds of free text: enough for a real explanation, too little to smuggle a data dump into the audit log.
MAX_JUSTIFICATION = 2000
MAX_COMMENT = 1000  # decision comments, revocation reasons, break-glass review comments
# A stored revocation reason may carry a prefix ("Break-glass use found unjustified: ...").
MAX_STORED_REASON = MAX_COMMENT + 100


class AccessRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        CANCELLED = "cancelled", "Cancelled"
        LAPSED = "lapsed", "Lapsed"

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_requests")
    asset = models.ForeignKey(DataAsset, on_delete=models.PROTECT, related_name="access_requests")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    justification = models.TextField(max_length=MAX_JUSTIFICATION)
    ticket = models.CharField(max_length=100, blank=True, help_text="Optional ticket reference.")
    duration_days = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Fixed when the request is made, so a later change of sensitivity cannot loosen it.
    required_approvals = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    grant = models.ForeignKey(
        "Grant", null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="What approval gave."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("decide_accessrequest", "Approve or deny any low-sensitivity access request")]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["requester", "status"]),
            models.Index(fields=["asset", "status"]),
        ]
        constraints = [
            # Two identical requests sent at once: the database keeps one, the other is a 409.
            models.UniqueConstraint(
                fields=["requester", "asset", "scope"],
                condition=Q(status="pending"),
                name="one_pending_request_per_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"Request #{self.pk}: {self.requester} → {self.asset} ({self.scope})"

    def get_absolute_url(self) -> str:
        return reverse("access:request-detail", args=[self.pk])

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class Decision(models.Model):
    """One reviewer's approval or denial of a request; restricted assets need two approvals."""

    class Outcome(models.TextChoices):
        APPROVE = "approve", "Approved"
        DENY = "deny", "Denied"

    request = models.ForeignKey(AccessRequest, on_delete=models.PROTECT, related_name="decisions")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    comment = models.TextField(blank=True, max_length=MAX_COMMENT)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["request", "reviewer"], name="one_decision_per_reviewer")]

    def __str__(self) -> str:
        return f"{self.reviewer}: {self.outcome}"


class GrantQuerySet(models.QuerySet):
    """What "active" means, in one place: status active AND not past its expiry, sweep or no sweep.

    :meth:`Grant.effective_status` is the same rule for one loaded row; a test keeps the two in step.
    """

    def active(self, now=None):
        return self.filter(status=Grant.Status.ACTIVE, expires_at__gt=now or timezone.now())

    def due(self, now=None):
        """Rows still marked active whose time has passed: what the expiry sweep ends."""
        return self.filter(status=Grant.Status.ACTIVE, expires_at__lte=now or timezone.now())

    def with_status(self, status: str, now=None):
        """Grants whose effective status is ``status`` (the lists' ``?status=`` filter)."""
        now = now or timezone.now()
        if status == Grant.Status.ACTIVE:
            return self.active(now)
        if status == Grant.Status.EXPIRED:
            return self.filter(Q(status=status) | Q(status=Grant.Status.ACTIVE, expires_at__lte=now))
        return self.filter(status=status)

    def held_during(self, start, end):
        """Grants someone held at some moment in ``[start, end)``: granted before ``end``, not ended by ``start``.

        A grant ends at its revocation (``ended_at``) or its expiry, whichever came first: a sweep
        that ran late does not stretch it, and an unswept grant past ``expires_at`` has ended.
        """
        not_ended = Q(expires_at__gt=start) & (Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        return self.filter(not_ended, granted_at__lt=end)


class Grant(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    class Origin(models.TextChoices):
        REQUEST = "request", "Approved request"
        BREAK_GLASS = "break_glass", "Break-glass"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grants")
    asset = models.ForeignKey(DataAsset, on_delete=models.PROTECT, related_name="grants")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.REQUEST)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    request = models.ForeignKey(
        AccessRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="First request."
    )
    justification = models.TextField(blank=True, max_length=MAX_JUSTIFICATION)
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(blank=True, max_length=MAX_STORED_REASON)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    # Break-glass only: the after-the-fact review.
    review_due_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_outcome = models.CharField(max_length=12, blank=True)
    review_comment = models.TextField(blank=True, max_length=MAX_COMMENT)
    review_escalated_at = models.DateTimeField(null=True, blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at", "-pk"]
        permissions = [
            ("check_access", "Ask the decision point whether a user may use an asset"),
            ("revoke_grant", "Revoke any grant"),
            ("revoke_all_access", "Revoke all access of a user (offboarding, incidents)"),
            ("review_breakglass", "Review any break-glass access after the fact"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "asset", "scope"], condition=Q(status="active"), name="one_active_grant_per_scope"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["user", "asset", "scope", "status"]),
            models.Index(fields=["asset", "status"]),
        ]

    def __str__(self) -> str:
        return f"Grant #{self.pk}: {self.user} → {self.asset} ({self.scope})"

    def get_absolute_url(self) -> str:
        return reverse("access:grant-detail", args=[self.pk])

    @property
    def permission(self) -> str:
        return SCOPE_PERMISSION[self.scope]

    @property
    def is_break_glass(self) -> bool:
        return self.origin == self.Origin.BREAK_GLASS

    def effective_status(self, now=None) -> str:
        """The status every reader sees: past its expiry a grant is expired, whether or not the sweep ran."""
        if self.status == self.Status.ACTIVE and self.expires_at <= (now or timezone.now()):
            return self.Status.EXPIRED
        return self.status

    def is_active(self, now=None) -> bool:
        return self.effective_status(now) == self.Status.ACTIVE

    @property
    def awaits_review(self) -> bool:
        return self.is_break_glass and self.reviewed_at is None


class GrantExtension(models.Model):
    """Each time an approval extended an active grant: the history of who held what until when."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="extensions")
    request = models.ForeignKey(AccessRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    previous_expires_at = models.DateTimeField()
    new_expires_at = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.grant} extended to {self.new_expires_at:%Y-%m-%d}"


# Recertification campaigns live in their own package; imported here so the app label stays "access".
from access.campaigns.models import Campaign, ReviewDecision, ReviewItem  # noqa: E402, F401
