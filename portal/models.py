from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

# Group names are part of the contract with operators (spec, "Users and roles").
ACCESS_ADMINS = "access-admins"
PRIVACY_OFFICERS = "privacy-officers"
AUDITORS = "auditors"
ROLE_GROUPS = (ACCESS_ADMINS, PRIVACY_OFFICERS, AUDITORS)
ROLE_LABELS = {ACCESS_ADMINS: "access admin", PRIVACY_OFFICERS: "privacy officer", AUDITORS: "auditor"}


class User(AbstractUser):
    """The portal's user; a custom model from day one so it can grow without a painful swap."""

    # Offboarding (``portal.offboarding``): set once all access was taken away; from then on the
    # user can neither request nor be granted access until an access admin reinstates them.
    offboarded_at = models.DateTimeField(null=True, blank=True)
    offboarded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    offboard_reason = models.TextField(blank=True, max_length=1000)

    class Meta:
        db_table = "portal_user"
        ordering = ["username"]
        permissions = [
            ("offboard_user", "Offboard a user: revoke all access and cancel pending requests"),
            ("reinstate_user", "Reinstate an offboarded user"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_absolute_url(self) -> str:
        return reverse("person-detail", args=[self.pk])

    @property
    def is_offboarded(self) -> bool:
        return self.offboarded_at is not None


class Sensitivity(models.TextChoices):
    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal"
    CONFIDENTIAL = "confidential", "Confidential"
    RESTRICTED = "restricted", "Restricted"

    @classmethod
    def rank(cls, value: str) -> int:
        return list(cls.values).index(value)


# Longest grant an asset of each sensitivity allows unless its owners choose less.
DEFAULT_MAX_GRANT_DAYS: dict[str, int] = {
    Sensitivity.PUBLIC: 365,
    Sensitivity.INTERNAL: 180,
    Sensitivity.CONFIDENTIAL: 90,
    Sensitivity.RESTRICTED: 30,
}


# Bound of the data map's free-text fields (description, purposes, recipients).
MAX_ASSET_TEXT = 5000


class DataAsset(models.Model):
    """A system or data set worth protecting, with the data-map facts DSARs and breaches need."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True, max_length=MAX_ASSET_TEXT)
    sensitivity = models.CharField(max_length=20, choices=Sensitivity.choices, default=Sensitivity.INTERNAL)
    holds_personal_data = models.BooleanField(default=True)
    data_categories = models.JSONField(
        default=list, blank=True, help_text="Personal-data categories, e.g. contact details, video, voice."
    )
    max_grant_days = models.PositiveIntegerField(help_text="Longest grant allowed; defaults by sensitivity.")
    purposes = models.TextField(
        blank=True, max_length=MAX_ASSET_TEXT, help_text="Why the data is processed (GDPR Art. 15(1)(a))."
    )
    lawful_basis = models.CharField(max_length=200, blank=True)
    retention = models.CharField(max_length=200, blank=True, help_text="How long the data is kept.")
    recipients = models.TextField(
        blank=True, max_length=MAX_ASSET_TEXT, help_text="Categories of third parties the data goes to."
    )
    source = models.CharField(max_length=200, blank=True, help_text="Where the data comes from.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("use_dataasset", "Use (read) the data asset"),
            ("export_dataasset", "Export the data asset in bulk"),
            ("admin_dataasset", "Administer the data asset"),
            ("review_dataasset", "Review access to the data asset"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("asset-detail", args=[self.pk])

    @property
    def sensitivity_rank(self) -> int:
        return Sensitivity.rank(self.sensitivity)


# Direct foreign-key permission tables (every app's derive from the two bases imported above, through
# this module, so guardian stays behind portal): guardian's generic tables cannot be
# joined efficiently and migrating to these later loses permissions.
class DataAssetUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(DataAsset, on_delete=models.CASCADE)


class DataAssetGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(DataAsset, on_delete=models.CASCADE)


class AuditEvent(models.Model):
    """One link of the append-only, hash-chained audit log. Written only by ``portal.audit``."""

    sequence = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    # A plain id, not a foreign key: the chain must survive whatever happens to users.
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_repr = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    # Not unique: the chain (sequence, prev_hash, keyed hash) is what proves integrity, and a unique
    # index on random hex cost half the time of storing an expiry sweep's 10,000 events.
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "sequence"]),
            # The log page filters by action, newest first; a plain index, not also a LIKE one.
            models.Index(fields=["action", "sequence"], name="portal_audit_action_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")


class AuditChainHead(models.Model):
    """Single row that serialises appends: locking it means no two writers fork the chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain head at #{self.sequence}"


class SentNotification(models.Model):
    """What was mailed to whom, keyed so that a retried task never mails twice."""

    key = models.CharField(max_length=255, unique=True)
    recipient = models.EmailField()
    subject = models.CharField(max_length=255)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"
