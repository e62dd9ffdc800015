"""Access records are history: read-only in the admin; actions go through the services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse

from access import services
from access.models import AccessRequest, Decision, Grant, GrantExtension
from portal.admin import ReadOnlyAdmin
from portal.admin import UserAdmin as PortalUserAdmin
from portal.web import admin_errors


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
    raw_id_fields = ["user", "asset", "request", "revoked_by", "reviewed_by"]
    inlines = [ExtensionInline]
    actions = ["revoke_selected"]
    date_hierarchy = "granted_at"

    @admin.action(description="Revoke the selected grants")
    def revoke_selected(self, request, queryset):
        if "apply" in request.POST:
            form = ReasonForm(request.POST)
            if form.is_valid():
                done = 0
                for grant in queryset.filter(status=Grant.Status.ACTIVE):
                    with admin_errors():
                        services.grant_revoke(actor=request.user, grant=grant, reason=form.cleaned_data["reason"])
                    done += 1
                self.message_user(request, f"Revoked {done} grant(s).", messages.SUCCESS)
                return None
        else:
            form = ReasonForm()
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


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(PortalUserAdmin):
    """The portal's user admin plus offboarding: revoke all access of a user, with a reason."""

    def get_urls(self):
        revoke_all = path(
            "<int:user_id>/revoke-all/", self.admin_site.admin_view(self.revoke_all_view), name="portal_user_revoke_all"
        )
        return [revoke_all, *super().get_urls()]

    def revoke_all_view(self, request, user_id):
        user = get_object_or_404(User, pk=user_id)
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            with admin_errors():
                count = services.user_revoke_all(actor=request.user, user=user, reason=form.cleaned_data["reason"])
            messages.success(request, f"Revoked {count} active grant(s) of {user}.")
            return redirect(reverse("admin:portal_user_change", args=[user.pk]))
        context = {"form": form, "objects": [user], "title": f"Revoke all access of {user}"}
        return render(request, "admin/access/reason_form.html", {**context, **self.admin_site.each_context(request)})
