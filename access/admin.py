"""Access records are history: read-only in the admin; actions go through the services."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import render

from access import services
from access.models import AccessRequest, Decision, Grant, GrantExtension
from portal import offboarding, permissions
from portal.admin import ReadOnlyAdmin, reason_tool, register_user_tool
from portal.errors import DomainError
from portal.web import apply_to_form


class HistoryInline(admin.TabularInline):
    """Rows of a record's history, shown and never edited."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class DecisionInline(HistoryInline):
    model = Decision
    readonly_fields = ["reviewer", "outcome", "comment", "created_at"]


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "requester", "asset", "scope", "status", "created_at", "decided_at"]
    list_filter = ["status", "scope", "asset__sensitivity"]
    search_fields = ["requester__username", "asset__name", "justification", "ticket"]
    list_select_related = ["requester", "asset"]
    show_full_result_count = False  # one COUNT of the filtered rows, not a second of the whole table
    raw_id_fields = ["requester", "asset", "grant"]
    inlines = [DecisionInline]
    date_hierarchy = "created_at"


class ExtensionInline(HistoryInline):
    model = GrantExtension
    readonly_fields = ["request", "previous_expires_at", "new_expires_at", "created_at"]


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea, min_length=5, help_text="Recorded in the audit log.")


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "asset", "scope", "origin", "status", "granted_at", "expires_at", "last_used_at"]
    list_filter = ["status", "scope", "origin", "asset__sensitivity"]
    search_fields = ["user__username", "asset__name"]
    list_select_related = ["user", "asset"]
    show_full_result_count = False  # one COUNT of the filtered rows, not a second of the whole table
    raw_id_fields = ["user", "asset", "request", "revoked_by", "reviewed_by"]
    inlines = [ExtensionInline]
    actions = ["revoke_selected"]
    date_hierarchy = "granted_at"

    @admin.action(description="Revoke the selected grants")
    def revoke_selected(self, request, queryset):
        """One bulk service, one transaction: every selected grant is revoked, or none is."""
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                done = services.grants_revoke_many(
                    actor=request.user, grants=list(queryset), reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                apply_to_form(form, exc)
            else:
                self.message_user(request, f"Revoked {done} grant(s).", messages.SUCCESS)
                return None
        return render(
            request,
            "admin/access/reason_form.html",
            {
                "form": form,
                "objects": queryset,
                "action": "revoke_selected",
                "title": "Revoke grants",
                **self.admin_site.each_context(request),
            },
        )


@admin.register(GrantExtension)
class GrantExtensionAdmin(ReadOnlyAdmin):
    list_display = ["grant", "previous_expires_at", "new_expires_at", "created_at"]
    list_select_related = ["grant__user", "grant__asset"]
    raw_id_fields = ["grant", "request"]


def _revoke_all(actor, user, reason):
    done = offboarding.user_offboard(actor=actor, user=user, reason=reason)
    return (
        f"{user} is offboarded: {done['revoked']} grant(s) revoked, {done['cancelled']} pending request(s) cancelled."
    )


# Offboarding from the user's admin page: the same service as the people pages and the API.
register_user_tool(
    "revoke-all",
    "Revoke all access",
    reason_tool(
        _revoke_all,
        title="Revoke all access of {user}",
        submit="Revoke all access",
        sections=offboarding.preview,
        intro="This offboards the person in one step; this is what goes.",
    ),
    visible=lambda request, user: permissions.has(request.user, "portal.offboard_user"),
    order=10,
)
