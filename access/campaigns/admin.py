"""Campaigns in the admin: created, launched and closed through the services; items are read-only history."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model

from access.campaigns import services
from access.campaigns.models import Campaign, ReviewDecision, ReviewItem
from portal.admin import ReadOnlyAdmin, ServiceAdminMixin
from portal.errors import DomainError


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "min_sensitivity", "assets", "due_at", "default_decision"]


@admin.register(Campaign)
class CampaignAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = CampaignForm
    list_display = ["id", "name", "status", "due_at", "item_count", "revoked_count", "created_at", "closed_at"]
    list_filter = ["status"]
    search_fields = ["name"]
    filter_horizontal = ["assets"]
    actions = ["launch_selected", "close_selected"]
    readonly_fields = [
        "status",
        "created_by",
        "created_at",
        "launched_at",
        "launched_by",
        "items_expected",
        "item_count",
        "ready_at",
        "reminded_days",
        "escalated_at",
        "closed_at",
        "closed_by",
        "revoked_count",
    ]

    def has_change_permission(self, request, obj=None):
        # A campaign changes only through its actions (launch, close); the add form creates it.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # A refusal becomes a form error (ServiceAdminMixin); the service sets the assets too.
        obj.pk = services.campaign_create(actor=request.user, **form.cleaned_data).pk

    def _each(self, request, queryset, service, done: str):
        count = 0
        for campaign in queryset:
            try:
                service(actor=request.user, campaign=campaign)
            except DomainError as exc:
                self.message_user(request, f"{campaign}: {exc.message}", messages.ERROR)
            else:
                count += 1
        self.message_user(request, f"{done} {count} campaign(s).", messages.SUCCESS)

    @admin.action(description="Launch the selected campaigns")
    def launch_selected(self, request, queryset):
        self._each(request, queryset, services.campaign_launch, "Launched")

    @admin.action(description="Close the selected campaigns (applies every revoke)")
    def close_selected(self, request, queryset):
        # A large campaign is closed by a task: its page shows the progress.
        self._each(request, queryset, services.campaign_close, "Closed (or began closing)")


class ReassignForm(ActionForm):
    to = forms.CharField(required=False, max_length=150, label="Reassign to (username)")


def _refusal(exc: DomainError) -> str:
    fields = [m for msgs in exc.fields.values() for m in msgs]
    return " ".join(fields) or exc.message


@admin.register(ReviewItem)
class ReviewItemAdmin(ReadOnlyAdmin):
    """Items are history; the one change offered is the audited reassignment (access admins)."""

    action_form = ReassignForm
    actions = ["reassign_selected"]
    list_display = [
        "id",
        "campaign",
        "grantee",
        "asset",
        "scope",
        "reviewer",
        "recommendation",
        "reason",
        "decision",
        "decided_at",
        "outcome",
        "applied_at",
    ]
    list_filter = ["campaign", "recommendation", "decision", "outcome", "sensitivity"]
    search_fields = ["grantee__username", "reviewer__username", "asset__name"]
    list_select_related = ["campaign", "grantee", "asset", "reviewer"]
    raw_id_fields = ["campaign", "grant", "grantee", "asset", "reviewer", "decided_by"]

    @admin.action(description="Reassign the selected items to the user named beside the action")
    def reassign_selected(self, request, queryset):
        username = (request.POST.get("to") or "").strip()
        to = get_user_model().objects.filter(username=username).first() if username else None
        if to is None:
            self.message_user(request, "Name the user to reassign the items to (their username).", messages.ERROR)
            return
        count = 0
        for item in queryset.select_related("asset"):
            try:
                services.review_item_reassign(actor=request.user, item=item, to=to)
            except DomainError as exc:
                self.message_user(request, f"Item #{item.pk}: {_refusal(exc)}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, f"Reassigned {count} item(s) to {to}.", messages.SUCCESS)


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ReadOnlyAdmin):
    """Every decision each item received (bulk ones included), as its history shows them."""

    list_display = ["id", "item", "decision", "decided_by", "decided_at", "event_sequence"]
    list_filter = ["decision"]
    list_select_related = ["item", "decided_by"]
    raw_id_fields = ["item", "decided_by"]
