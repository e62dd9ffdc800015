"""Incidents in the admin: regimes are editable data (audited); everything else is history, read-only.

Incidents change through the services (the incident pages and the API), never here.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from incidents.models import (
    EvidenceFile,
    Filing,
    Incident,
    InvolvedUser,
    Obligation,
    Referral,
    Regime,
    RegulatorDraft,
    Task,
    TimelineEntry,
)
from portal import audit
from portal.admin import ReadOnlyAdmin


@admin.register(Regime)
class RegimeAdmin(admin.ModelAdmin):
    """A new law's clocks are a row here, not code."""

    list_display = ["code", "name", "regulator", "regulator_hours", "subject_hours", "active"]

    def has_delete_permission(self, request, obj=None):
        return False  # obligations point at it; deactivate instead

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action="incidents.regime.changed" if change else "incidents.regime.created",
            target=obj,
            details={name: form.cleaned_data.get(name) for name in form.changed_data},
        )


class ObligationInline(admin.TabularInline):
    model = Obligation
    extra = 0
    can_delete = False
    fields = ["regime", "recipient", "due_at", "done_at", "late", "late_reason", "exempt_at", "withdrawn_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "title", "status", "severity", "is_exercise", "risk", "reported_by", "aware_at"]
    list_filter = ["status", "severity", "is_exercise", "risk"]
    list_select_related = ["reported_by"]
    search_fields = ["reference", "title"]
    inlines = [ObligationInline]


@admin.register(Obligation)
class ObligationAdmin(ReadOnlyAdmin):
    list_display = ["incident", "regime", "recipient", "due_at", "done_at", "late"]
    list_select_related = ["incident", "regime"]


@admin.register(Filing)
class FilingAdmin(ReadOnlyAdmin):
    list_display = ["obligation", "kind", "authority", "submitted_at", "reference"]
    list_select_related = ["obligation__incident", "obligation__regime"]


@admin.register(InvolvedUser)
class InvolvedUserAdmin(ReadOnlyAdmin):
    list_display = ["incident", "user", "added_at", "access_revoked_at"]
    list_select_related = ["incident", "user"]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ["incident", "at", "actor", "text"]
    list_select_related = ["incident", "actor"]


# Casework: changed on the incident's page through the services (audited, on the timeline); read here.


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["incident", "title", "assignee", "due_at", "done_at", "done_by"]
    list_select_related = ["incident", "assignee", "done_by"]
    list_filter = ["done_at"]
    search_fields = ["title", "incident__reference"]


@admin.register(EvidenceFile)
class EvidenceFileAdmin(ReadOnlyAdmin):
    """The file itself only through the audited download, never a storage path."""

    list_display = ["incident", "name", "size", "sha256", "uploaded_by", "uploaded_at", "download"]
    list_select_related = ["incident", "uploaded_by"]
    search_fields = ["name", "sha256", "incident__reference"]
    fields = ["incident", "name", "content_type", "size", "sha256", "description", "uploaded_by", "uploaded_at"]
    fields += ["download"]
    readonly_fields = fields

    @admin.display(description="File")
    def download(self, obj):
        return format_html('<a href="{}">download (audited)</a>', reverse("incidents:evidence-download", args=[obj.pk]))


@admin.register(RegulatorDraft)
class RegulatorDraftAdmin(ReadOnlyAdmin):
    list_display = ["obligation", "updated_by", "updated_at"]
    list_select_related = ["obligation__incident", "obligation__regime", "updated_by"]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ["incident", "agency", "reference", "referred_on", "recorded_by"]
    list_select_related = ["incident", "recorded_by"]
    search_fields = ["agency", "reference", "incident__reference"]
