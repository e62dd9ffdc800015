"""Grants: the list, a grant's page, revoking, and reviewing a break-glass use."""

from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import TemplateView

from access import panels, policy, selectors, services
from access.forms import BreakGlassReviewForm, RevokeForm
from access.models import Grant
from access.views.common import ConfirmView, history
from portal import permissions
from portal.errors import Conflict, Forbidden, ValidationError
from portal.lists import FilteredListView
from portal.web import PortalViewMixin, back, submit


class GrantListView(FilteredListView):
    template_name = "access/grant_list.html"
    context_object_name = "grants"
    filterset_class = selectors.GrantFilter
    shown_filters = ("user", "status", "origin")

    def default_filters(self) -> dict:
        # Employees (reviewers too) start with their own grants; roles that see everyone start with everyone.
        return {} if permissions.has(self.request.user, "access.view_grant") else {"user": "me"}

    def select(self, filters):
        return selectors.grant_list(user=self.request.user, filters=filters)

    @cached_property
    def sees_others(self) -> bool:
        return panels.sees_others(self.request.user, "access.view_grant")

    def adjust_form(self, form):
        field = form.fields["user"]
        if not self.sees_others:
            field.widget = forms.HiddenInput()  # they see only their own
            return
        choices = [("me", "Mine"), ("", "Everyone I may see")]
        given = self.filters.get("user") or ""
        if given not in ("me", ""):
            choices.append((given, f"User #{given}"))
        field.widget, field.help_text = forms.Select(choices=choices), ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        panels.mark_grants(context["object_list"])
        return {**context, "sees_others": self.sees_others}


def grant_page_context(request, grant: Grant, *, review_form=None) -> dict:
    """Everything the grant page shows; also used to re-show it with a form's errors."""
    user = request.user
    panels.mark_grants([grant])
    running = grant.shown_status == Grant.Status.ACTIVE
    return {
        "grant": grant,
        "extensions": list(selectors.grant_history(grant=grant)),
        "may_revoke": running and policy.revoke_refusal(user, grant) is None,
        "may_review": grant.awaits_review and policy.break_glass_review_refusal(user, grant) is None,
        "review_form": review_form or BreakGlassReviewForm(),
        "history": history(grant),
        "grants_label": panels.grants_label(user),
    }


class GrantDetailView(PortalViewMixin, TemplateView):
    template_name = "access/grant_detail.html"

    def get_context_data(self, **kwargs):
        grant = selectors.grant_get(user=self.request.user, pk=self.kwargs["pk"])
        return {**super().get_context_data(**kwargs), **grant_page_context(self.request, grant)}


class GrantActionView(PortalViewMixin, View):
    """A POST with a form on one grant the user can see; field errors re-show the grant page."""

    http_method_names = ["post"]
    form_class: type
    form_name: str

    def post(self, request, pk):
        grant = selectors.grant_get(user=request.user, pk=pk)
        form = self.form_class(request.POST)

        def act(data):
            return self.perform(grant, form), back(request, grant.get_absolute_url(), referer=False)

        if done := submit(request, form, act, errors=ValidationError):
            return done
        context = grant_page_context(request, grant, **{self.form_name: form})
        # Keep where the user came from (the queue), so fixing the form leads back there.
        context["next"] = request.POST.get("next", "")
        return render(request, "access/grant_detail.html", context)


class GrantRevokeView(ConfirmView):
    form_class, form_name = RevokeForm, "revoke_form"

    def get_object(self):
        return selectors.grant_get(user=self.request.user, pk=self.kwargs["pk"])

    def refusal(self, grant):
        reason = policy.revoke_refusal(self.request.user, grant)
        if reason:
            return Forbidden(reason)
        if not grant.is_active():
            return Conflict(f"This grant is already {grant.effective_status()}.")
        return None

    def describe(self, grant):
        own = grant.user_id == self.request.user.pk
        return {
            "facts": [
                ("Holder", grant.user),
                ("Asset", grant.asset.name),
                ("Scope", grant.get_scope_display()),
                ("Expires", timezone.localtime(grant.expires_at).strftime("%d %b %Y %H:%M")),
            ],
            "title": f"Give up your {grant.scope} access to {grant.asset}?"
            if own
            else f"Revoke {grant.user}'s {grant.scope} access to {grant.asset}?",
            "consequence": (
                "The access ends at once; to get it back you would have to ask again."
                if own
                else f"The access ends at once and {grant.user} is e-mailed your reason."
            ),
            "button": "Give it up" if own else "Revoke access",
            "back_url": grant.get_absolute_url(),
            "back_label": f"Grant #{grant.pk}",
        }

    def show(self, grant, form, *, next_url: str):
        if grant.user_id == self.request.user.pk:
            # "The grantee is told this" read as if someone else would be.
            form.fields["reason"].help_text = "Recorded in the grant's history."
        return super().show(grant, form, next_url=next_url)

    def perform(self, grant, form):
        grant = services.grant_revoke(actor=self.request.user, grant=grant, **form.cleaned_data)
        return f"Revoked {grant.user}'s {grant.scope} access to {grant.asset}."


class BreakGlassReviewView(GrantActionView):
    form_class, form_name = BreakGlassReviewForm, "review_form"

    def perform(self, grant, form):
        grant = services.break_glass_review(actor=self.request.user, grant=grant, **form.cleaned_data)
        if grant.review_outcome == "justified":
            return f"Recorded: {grant.user}'s emergency access to {grant.asset} was justified."
        return f"Recorded as not justified; {grant.user}'s emergency access to {grant.asset} has ended."
