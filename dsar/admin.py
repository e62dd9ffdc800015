"""Data-subject requests in the admin: read-only history; requests change through the services (pages, API).

An admin action that changes state calls the same service as the pages.
"""

from __future__ import annotations

from django.contrib import admin, messages

from dsar import services
from dsar.models import Item, Pause, ReferenceCounter, Request, Task
from portal.admin import ReadOnlyAdmin
from portal.errors import DomainError


class PauseInline(admin.TabularInline):
    model = Pause
    extra = 0
    can_delete = False
    fields = ["started_at", "ended_at", "reason", "started_by", "ended_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class TaskInline(admin.TabularInline):
    model = Task
    extra = 0
    can_delete = False
    fields = ["asset", "kind", "method", "status", "found", "error", "finished_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Request)
class RequestAdmin(ReadOnlyAdmin):
    list_display = ["reference", "type", "jurisdiction", "status", "email", "handler", "received_at", "due_at"]
    list_filter = ["status", "type", "jurisdiction"]
    list_select_related = ["handler"]
    search_fields = ["reference", "email", "customer_id"]
    raw_id_fields = ["handler", "created_by", "verified_by", "extended_by"]
    exclude = ["verification_nonce"]  # a live link's secret is nobody's business
    inlines = [PauseInline, TaskInline]
    actions = ["send_verification"]

    @admin.action(description="Mail a new verification link")
    def send_verification(self, request, queryset):
        for obj in queryset:
            try:
                services.verification_send(actor=request.user, request=obj)
            except DomainError as exc:
                self.message_user(request, f"{obj.reference}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{obj.reference}: link sent.")


@admin.register(Pause)
class PauseAdmin(ReadOnlyAdmin):
    list_display = ["request", "started_at", "ended_at", "reason"]
    list_select_related = ["request"]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["request", "asset", "kind", "method", "status", "found", "finished_at"]
    list_filter = ["kind", "method", "status"]
    list_select_related = ["request", "asset"]
    raw_id_fields = ["request"]


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = ["request", "asset", "subject_identifier", "source", "kind", "name", "size"]
    list_filter = ["kind"]
    list_select_related = ["request", "asset"]
    raw_id_fields = ["request", "task"]
    exclude = ["data"]  # the subject's data is read in the package, not browsed here


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(ReadOnlyAdmin):
    list_display = ["year", "last"]


# The SQL connector's sources and tables (dsar/connectors/admin.py).
from dsar.connectors import admin as connectors_admin  # noqa: E402, F401

# Packages, links, downloads and erasure records (dsar/package/admin.py).
from dsar.package import admin as package_admin  # noqa: E402, F401
