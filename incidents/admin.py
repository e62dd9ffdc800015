"""Incidents in the admin: regimes are editable data (audited); everything else is history, read-only.

Incidents change through the services (the incident pages and the API), never here.
"""

from __future__ import annotations

from django.contrib import admin

from incidents.models import Filing, Incident, InvolvedUser, Obligation, Regime, TimelineEntry
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
