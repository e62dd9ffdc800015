"""The Django admin: one more client of the services (STYLE.md §12).

* Every page that changes rights calls the audited services: assets and their
  reviewers (``portal.services``), people's roles, flags and tokens
  (``portal.users``), offboarding (``portal.offboarding``). Nothing here writes
  a permission row; guardian's object-permission pages are not exposed.
* :class:`ServiceAdminMixin`: a service's :class:`~portal.errors.DomainError`
  rolls the admin's whole transaction back and shows the same form again with
  the service's message on it (200), never a 403 page.
* The user page carries *tools* that apps add with :func:`register_user_tool`
  (access adds "Revoke all access"), so no app re-registers the user admin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from rest_framework.authtoken.admin import TokenAdmin as DRFTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from portal import offboarding, permissions, selectors, services, users
from portal.errors import DomainError, ValidationError
from portal.forms import ReasonForm
from portal.models import AuditEvent, DataAsset, SentNotification, User
from portal.web import apply_to_form


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records nobody may add, change or delete from the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceAdminMixin:
    """Add and change pages whose ``save_model`` calls services; a refusal is a form error.

    Django runs the add/change view in one transaction. When a service raises a
    ``DomainError`` the exception leaves that transaction, which rolls back
    everything the save did (the object, its relations, the admin's log entry);
    the view then runs once more on the same POST with a form whose ``clean()``
    carries the service's messages, so the page comes back with the errors and
    the person's input, as any invalid form does.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            if request.method != "POST" or hasattr(request, "_service_refusal"):
                raise
            request._service_refusal = exc
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                apply_to_form(self, refusal)
                return cleaned

        return RefusedForm

    def save_related(self, request, form, formsets, change):
        # Relations that are rights (groups, reviewers) were set by the services in save_model;
        # form.save_m2m() would write them again, raw and unaudited.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


# --- User tools ----------------------------------------------------------------------


@dataclass(frozen=True)
class UserTool:
    name: str
    label: str
    view: Callable  # (model_admin, request, user) -> HttpResponse
    visible: Callable  # (request, user) -> bool
    order: int


_user_tools: dict[str, UserTool] = {}


def register_user_tool(
    name: str, label: str, view: Callable, *, visible: Callable = lambda request, user: True, order: int = 50
) -> None:
    """A button on the admin's user page (e.g. "Revoke all access") leading to ``view``.

    ``view(model_admin, request, user)`` answers GET (a confirmation) and POST (a
    service call); :func:`tool_page` renders the usual reason form. A
    ``DomainError`` it lets through becomes an error message on the user page.
    """
    _user_tools.setdefault(name, UserTool(name, label, view, visible, order))


def tool_page(model_admin, request, user, *, title: str, form, submit: str, sections=(), intro: str = ""):
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "person": user,
        "intro": intro,
        "sections": sections,
        "form": form,
        "submit": submit,
        "opts": model_admin.model._meta,
        "change_url": reverse("admin:portal_user_change", args=[user.pk]),
    }
    return render(request, "admin/portal/user/tool.html", context)


def reason_tool(call: Callable, *, title: str, submit: str, sections: Callable = lambda user: (), intro: str = ""):
    """A tool that asks for a reason and calls ``call(actor, user, reason) -> success message``."""

    def view(model_admin, request, user):
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                message = call(request.user, user, form.cleaned_data["reason"])
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, message)
                return redirect("admin:portal_user_change", user.pk)
        return tool_page(
            model_admin,
            request,
            user,
            title=title.format(user=user),
            form=form,
            submit=submit,
            sections=sections(user),
            intro=intro,
        )

    return view


# --- Users ---------------------------------------------------------------------------


class PortalUserChangeForm(UserChangeForm):
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why you change this person's roles or flags (audit log). Required to deactivate, which offboards.",
    )


@admin.register(User)
class UserAdmin(ServiceAdminMixin, BaseUserAdmin):
    """People. Roles, flags and tokens change only through ``portal.users`` (audited)."""

    form = PortalUserChangeForm
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_staff", "offboarded_at"]
    list_filter = ["is_active", "is_staff", "groups", ("offboarded_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["last_login", "date_joined", "offboarded_at", "offboarded_by", "offboard_reason"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        (
            "Rights (each change is audited)",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions", "reason")},
        ),
        ("Offboarding", {"fields": ("offboarded_at", "offboarded_by", "offboard_reason")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )

    def has_delete_permission(self, request, obj=None):
        # Accounts are history (grants, decisions, audit); deactivate instead, which offboards.
        return False

    def save_model(self, request, obj, form, change):
        data, actor = form.cleaned_data, request.user
        if not change:
            password = data.get("password1") if data.get("set_usable_password", True) else None
            obj.pk = users.user_create(actor=actor, username=data["username"], password=password).pk
            return
        changed = set(form.changed_data)
        profile = {f: data[f] for f in users.PROFILE_FIELDS if f in changed}
        if profile:
            users.user_update_profile(actor=actor, user=obj, **profile)
        # Roles before flags: a deactivation then offboards whatever roles the form left.
        if changed & {"groups", "user_permissions"}:
            users.user_set_roles(
                actor=actor,
                user=obj,
                groups=data["groups"] if "groups" in data else obj.groups.all(),
                direct_permissions=data.get("user_permissions") if "user_permissions" in data else None,
                reason=data.get("reason", ""),
            )
        flags = {f: data[f] for f in users.FLAG_FIELDS if f in changed}
        if flags:
            users.user_set_flags(actor=actor, user=obj, reason=data.get("reason", ""), **flags)

    # Tools

    def get_urls(self):
        tool = path(
            "<path:object_id>/tools/<slug:tool>/",
            self.admin_site.admin_view(self.tool_view),
            name="portal_user_tool",
        )
        return [tool, *super().get_urls()]

    def tool_view(self, request, object_id, tool):
        user = self.get_object(request, unquote(object_id))
        found = _user_tools.get(tool)
        if user is None or found is None:
            raise Http404
        if not self.has_view_or_change_permission(request, user) or not found.visible(request, user):
            raise PermissionDenied
        try:
            return found.view(self, request, user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("admin:portal_user_change", user.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = self.get_object(request, unquote(object_id))
        tools = []
        if user is not None:
            shown = sorted((t for t in _user_tools.values() if t.visible(request, user)), key=lambda t: t.order)
            tools = [
                {"label": t.label, "url": reverse("admin:portal_user_tool", args=[user.pk, t.name])} for t in shown
            ]
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "user_tools": tools})


def _reinstate(actor, user, reason):
    offboarding.user_reinstate(actor=actor, user=user, reason=reason)
    return f"{user} is reinstated and may request access again."


def _issue_token(actor, user, reason):
    token = users.token_issue(actor=actor, user=user, rotate=True)
    return f"New API token for {user}: {token.key} (copy it now; any older token no longer works)."


register_user_tool(
    "reinstate",
    "Reinstate",
    reason_tool(_reinstate, title="Reinstate {user}", submit="Reinstate"),
    visible=lambda request, user: user.is_offboarded and permissions.has(request.user, "portal.reinstate_user"),
    order=80,
)
register_user_tool(
    "issue-token",
    "Issue API token",
    reason_tool(
        _issue_token,
        title="Issue an API token for {user}",
        submit="Issue token",
        intro="A new token replaces any token the person has; the old one stops working at once.",
    ),
    visible=lambda request, user: permissions.has(request.user, "portal.change_user"),
    order=90,
)


# --- Roles and tokens: read here, changed through the user page's services -------------

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin):
    """Role groups and their global permissions come from migrations; membership is set on each user."""

    list_display = ["name"]
    search_fields = ["name"]


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(ReadOnlyAdmin, DRFTokenAdmin):
    """API tokens: issued from the user page ("Issue API token"); deleted here, audited. Keys are not listed."""

    list_display = ["user", "created"]
    list_select_related = ["user"]
    fields = ["user", "created"]
    autocomplete_fields: list = []
    actions = ["delete_tokens"]

    @admin.action(description="Delete the selected tokens (audited)")
    def delete_tokens(self, request, queryset):
        if request.POST.get("select_across") != "1":
            # DRF's proxy shows the user's id as each row's pk, so the admin's own pk filter finds nothing.
            ids = [v for v in request.POST.getlist(ACTION_CHECKBOX_NAME) if selectors.is_id(v)]
            queryset = TokenProxy.objects.filter(user_id__in=ids)
        try:
            count = users.tokens_delete(actor=request.user, tokens=list(queryset))
        except DomainError as exc:
            self.message_user(request, f"Nothing deleted: {exc.message}", messages.ERROR)
        else:
            self.message_user(request, f"Deleted {count} token(s).", messages.SUCCESS)


# --- Data assets ---------------------------------------------------------------------


class _WrappedSelectFilter(FilteredSelectMultiple):
    """Django's selector script puts itself first in the select's parent; without a wrapper of its
    own (a model field gets RelatedFieldWidgetWrapper) that parent is the row, and the label ended
    up after the widget."""

    def render(self, *args, **kwargs):
        return format_html('<div class="related-widget-wrapper">{}</div>', super().render(*args, **kwargs))


class DataAssetForm(forms.ModelForm):
    reviewers = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        widget=_WrappedSelectFilter("reviewers", is_stacked=False),
        help_text="Who approves requests for this asset and reviews its grants.",
    )

    class Meta:
        model = DataAsset
        fields = [*services.ASSET_FIELDS, "reviewers"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["reviewers"].initial = [u.pk for u in selectors.asset_reviewers(self.instance)]


@admin.register(DataAsset)
class DataAssetAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Assets and their reviewers, saved through ``asset_create``/``asset_update`` (audited)."""

    form = DataAssetForm
    list_display = ["name", "sensitivity", "holds_personal_data", "max_grant_days"]
    list_filter = ["sensitivity", "holds_personal_data"]
    search_fields = ["name", "description"]

    def has_delete_permission(self, request, obj=None):
        # Grants, requests and the audit log point at assets: they are never deleted.
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {f: data[f] for f in services.ASSET_FIELDS if f in data}
        reviewers = [u.pk for u in data["reviewers"]] if "reviewers" in data else None
        if change:
            services.asset_update(actor=request.user, asset=obj, reviewers=reviewers, **fields)
        else:
            obj.pk = services.asset_create(actor=request.user, reviewers=reviewers, **fields).pk


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "created_at", "actor_repr", "action", "target_repr"]
    list_filter = ["action", "target_type"]
    search_fields = ["action", "actor_repr", "target_repr", "target_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # the log grows without end: one COUNT a page, not two


@admin.register(SentNotification)
class SentNotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "subject", "sent_at"]
    search_fields = ["recipient", "subject", "key"]
