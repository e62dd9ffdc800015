"""The package a subject receives, the link it travels by, and each download.

Imported by ``dsar/models.py`` so they belong to the ``dsar`` app. Rights come
from the request (``dsar.view_request``, ``dsar.change_request``); none of
these is granted on its own.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

MAX_REASON = 1000
MAX_DOWNLOADS = 3


class DeliveryLinkQuerySet(models.QuerySet):
    def live(self, now: datetime | None = None):
        """A link that still opens: not revoked, not expired, not used up. The one spelling of the rule."""
        return self.filter(
            revoked_at__isnull=True, expires_at__gt=now or timezone.now(), downloads__lt=F("max_downloads")
        )


class PackageQuerySet(models.QuerySet):
    def current(self):
        return self.filter(superseded_at__isnull=True)

    def without_manifest(self):
        """What pages and the API read of a package: everything but its manifest."""
        return self.defer("manifest")

    def purgeable(self, now: datetime | None = None):
        """Files still on disk whose every link is dead (expired, used up or revoked), or that were superseded."""
        now = now or timezone.now()
        links = DeliveryLink.objects.filter(package=OuterRef("pk"))
        ended = Exists(links) & ~Exists(links.live(now))
        return self.filter(purged_at__isnull=True).filter(ended | Q(superseded_at__isnull=False))


def package_upload_to(package: Package, filename: str) -> str:
    return f"dsar/{package.request_id}/packages/{filename}"


class Package(models.Model):
    """One ZIP built for a request. Built in review (by a Celery task above the inline limit); a second
    person approves it; it is sent, and sent again when its link ended unused."""

    class State(models.TextChoices):
        BUILDING = "building", "Building"
        BUILT = "built", "Built"
        FAILED = "failed", "Build failed"

    request = models.ForeignKey("dsar.Request", on_delete=models.CASCADE, related_name="packages")
    state = models.CharField(max_length=10, choices=State.choices, default=State.BUILDING)
    built_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    # When the archive was written (the time inside the ZIP); the request time until then.
    built_at = models.DateTimeField(default=timezone.now)
    # The build takes the subject's items up to this id: one arriving later asks for a new build.
    items_up_to = models.PositiveBigIntegerField(default=0)
    items_expected = models.PositiveIntegerField(default=0)
    items_done = models.PositiveIntegerField(default=0)
    build_error = models.TextField(max_length=MAX_REASON, blank=True)
    file = models.FileField(upload_to=package_upload_to, max_length=500, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    item_count = models.PositiveIntegerField(default=0)
    # A row per item, megabytes at 10,000: read only where the whole manifest is due (the misdelivery incident).
    manifest = models.JSONField(default=dict, blank=True)
    # The manifest's per-source summary (asset, source, records, files, bytes), written with it at the build so
    # pages and the API show what the package holds without reading the manifest.
    sources = models.JSONField(default=list, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    purge_reason = models.CharField(max_length=200, blank=True)
    misdelivery_incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = PackageQuerySet.as_manager()

    class Meta:
        ordering = ["-built_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(superseded_at__isnull=True), name="dsar_one_current_package"
            ),
            # Four eyes, kept by the database too: whoever built a package never approves it.
            models.CheckConstraint(condition=~Q(approved_by=F("built_by")), name="dsar_package_four_eyes"),
        ]

    def __str__(self) -> str:
        return f"Package {self.pk} of request {self.request_id}"

    @property
    def is_building(self) -> bool:
        return self.state == self.State.BUILDING

    @property
    def is_built(self) -> bool:
        return self.state == self.State.BUILT

    @property
    def build_percent(self) -> int:
        return min(self.items_done * 100 // self.items_expected, 100) if self.items_expected else 0

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None

    @property
    def is_purged(self) -> bool:
        return self.purged_at is not None


class DeliveryLink(models.Model):
    """The link mailed to the verified address. Only the SHA-256 of its token is stored."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    sent_to = models.EmailField(max_length=254)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    max_downloads = models.PositiveSmallIntegerField(default=MAX_DOWNLOADS)
    downloads = models.PositiveSmallIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(max_length=MAX_REASON, blank=True)

    objects = DeliveryLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(downloads__lte=F("max_downloads")), name="dsar_link_download_cap"),
        ]

    def __str__(self) -> str:
        return f"Link {self.pk} to {self.sent_to}"

    def state(self, now: datetime | None = None) -> str:
        """For pages: which of the rule's conditions ends this link (the query is ``live()``)."""
        now = now or timezone.now()
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        if self.downloads >= self.max_downloads:
            return "used up"
        return "live"


class Download(models.Model):
    link = models.ForeignKey(DeliveryLink, on_delete=models.CASCADE, related_name="download_rows")
    at = models.DateTimeField(default=timezone.now)
    address = models.GenericIPAddressField(null=True, blank=True)
    client = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"Download {self.pk} at {self.at:%Y-%m-%d %H:%M}"
