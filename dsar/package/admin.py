"""Packages, links, downloads and erasure records in the admin: read-only; revoking and resending call the services.

Registered from ``dsar/admin.py``. The manifest (one row per item) and the token hash are left out:
the package page in the portal shows what a package holds, and a hash opens nothing.
"""

from __future__ import annotations

from django.contrib import admin, messages

from dsar.delivery import services as delivery
from dsar.models import DeliveryLink, Download, ErasureRecord, Package
from portal.admin import ReadOnlyAdmin
from portal.errors import DomainError


class DeliveryLinkInline(admin.TabularInline):
    model = DeliveryLink
    extra = 0
    can_delete = False
    fields = ["sent_to", "sent_by", "created_at", "expires_at", "downloads", "max_downloads", "revoked_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Package)
class PackageAdmin(ReadOnlyAdmin):
    list_display = ["request", "state", "built_by", "built_at", "item_count", "size", "approved_by", "purged_at"]
    list_filter = ["state", "purge_reason"]
    list_select_related = ["request", "built_by", "approved_by"]
    search_fields = ["request__reference"]
    raw_id_fields = ["request", "built_by", "approved_by", "misdelivery_incident"]
    exclude = ["manifest", "sources"]
    readonly_fields = ["holds"]
    inlines = [DeliveryLinkInline]
    actions = ["revoke_links", "resend_links"]

    @admin.display(description="Sources")
    def holds(self, obj):
        return "; ".join(
            f"{s['asset']} / {s['source']}: {s['records']} records, {s['files']} files" for s in obj.sources
        )

    def get_queryset(self, request):
        return super().get_queryset(request).without_manifest()

    @admin.action(description="Revoke the live download links")
    def revoke_links(self, request, queryset):
        for package in queryset.select_related("request"):
            try:
                n = delivery.link_revoke(actor=request.user, request=package.request, reason="Revoked in the admin.")
            except DomainError as exc:
                self.message_user(request, f"{package.request.reference}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{package.request.reference}: {n} link(s) revoked.")

    @admin.action(description="Send a new link (the last one ended)")
    def resend_links(self, request, queryset):
        for package in queryset.select_related("request"):
            try:
                link = delivery.package_resend(actor=request.user, request=package.request)
            except DomainError as exc:
                self.message_user(request, f"{package.request.reference}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{package.request.reference}: a new link was mailed to {link.sent_to}.")


@admin.register(DeliveryLink)
class DeliveryLinkAdmin(ReadOnlyAdmin):
    list_display = ["package", "sent_to", "created_at", "expires_at", "downloads", "max_downloads", "revoked_at"]
    list_select_related = ["package"]
    search_fields = ["sent_to", "package__request__reference"]
    raw_id_fields = ["package", "sent_by", "revoked_by"]
    exclude = ["token_hash"]


@admin.register(Download)
class DownloadAdmin(ReadOnlyAdmin):
    list_display = ["link", "at", "address", "client"]
    list_select_related = ["link"]
    raw_id_fields = ["link"]


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdmin):
    list_display = ["request", "completed_by", "completed_at", "sent_to"]
    list_select_related = ["request", "completed_by"]
    raw_id_fields = ["request", "completed_by"]
