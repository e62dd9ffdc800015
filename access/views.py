"""The access pages: requests, the reviewer queue, grants, break-glass.

Reads go through ``access.selectors`` (404 for what the user may not see);
every POST calls exactly one service, which decides whether the user may act
(403) and whether the input is valid. A service's field errors are shown on
the form that was sent, on the page that holds it; any other refusal
(e.g. "already decided") becomes a message on the page the user came from.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import ListView, TemplateView

from access import panels, policy, selectors, services
from access.forms import (
    BreakGlassForm,
    BreakGlassReviewForm,
    ConfirmForm,
    DecisionForm,
    DenyForm,
    RequestForm,
    RevokeForm,
)
from access.models import AccessRequest, Decision, Grant
from portal import audit, permissions
from portal import selectors as portal_selectors
from portal.errors import Conflict, DomainError, Forbidden, ValidationError
from portal.web import PortalViewMixin, apply_to_form, back, on_site, query_bool

# What each audit action reads as on a page; unknown actions show as recorded.
ACTION_LABELS = {
    "access.request.created": "requested access",
    "access.request.approval_recorded": "approved (more approvals needed)",
    "access.request.approved": "approved",
    "access.request.denied": "denied",
    "access.request.cancelled": "cancelled",
    "access.request.lapsed": "lapsed (nobody decided in time)",
    "access.grant.created": "granted access",
    "access.grant.extended": "extended the grant",
    "access.grant.revoked": "revoked",
    "access.grant.expired": "expired",
    "access.break_glass.opened": "broke the glass",
    "access.break_glass.reviewed": "reviewed the emergency access",
}


def _history(obj) -> list:
    events = list(audit.history(obj))
    for event in events:
        event.label = ACTION_LABELS.get(event.action, event.action)
        details = event.details or {}
        event.note = details.get("comment") or details.get("reason") or ""
    return events


# --- Requests ---------------------------------------------------------------


class RequestListView(PortalViewMixin, ListView):
    template_name = "access/request_list.html"
    context_object_name = "requests"
    paginate_by = 50

    def get_queryset(self):
        return selectors.request_list(user=self.request.user, filters=self.request.GET)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        panels.with_approvals(context["object_list"])
        return {
            **context,
            "statuses": AccessRequest.Status.choices,
            "chosen": self.request.GET.getlist("status"),
            "mine": query_bool(self.request, "mine"),
            "sees_others": panels.sees_others(self.request.user, "access.view_accessrequest"),
        }


def request_page_context(request, req: AccessRequest) -> dict:
    """Everything the request page shows."""
    user = request.user
    decisions = list(req.decisions.all())
    panels.with_approvals([req])
    policy.with_awaiting([req])
    return {
        "req": req,
        "decisions": decisions,
        "may_decide": policy.may_decide(user, req),
        "may_cancel": req.is_pending and req.requester_id == user.pk,
        "decision_form": DecisionForm(),
        "history": _history(req),
    }


class RequestDetailView(PortalViewMixin, TemplateView):
    template_name = "access/request_detail.html"

    def get_context_data(self, **kwargs):
        req = selectors.request_get(user=self.request.user, pk=self.kwargs["pk"])
        return {**super().get_context_data(**kwargs), **request_page_context(self.request, req)}


class AssetActionView(PortalViewMixin, TemplateView):
    """GET shows the form on its own page; POST calls the service; field errors re-show the form."""

    template_name: str

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.asset = None

    def get_asset(self):
        if self.asset is None:
            self.asset = portal_selectors.asset_get(user=self.request.user, pk=self.kwargs["asset_pk"])
        return self.asset

    def make_form(self, data=None):
        raise NotImplementedError

    def perform(self, form):
        """Call the one service; return ``(object, success message)``."""
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        return self.show(self.make_form())

    def post(self, request, *args, **kwargs):
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                obj, message = self.perform(form)
            except (ValidationError, Conflict) as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, message)
                return redirect(obj)
        return self.show(form)

    def show(self, form):
        asset = self.get_asset()
        return self.render_to_response(
            {"asset": asset, "form": form, "reviewers": portal_selectors.asset_reviewers(asset)}
        )


class RequestCreateView(AssetActionView):
    template_name = "access/request_form.html"

    def make_form(self, data=None):
        return RequestForm(data, asset=self.get_asset())

    def perform(self, form):
        req = services.request_create(actor=self.request.user, asset=self.get_asset(), **form.cleaned_data)
        return req, f"Request #{req.pk} sent. You will get an e-mail when it is decided."


class BreakGlassView(AssetActionView):
    template_name = "access/break_glass_form.html"

    def make_form(self, data=None):
        return BreakGlassForm(data)

    def perform(self, form):
        grant = services.break_glass_open(actor=self.request.user, asset=self.get_asset(), **form.cleaned_data)
        return grant, (
            f"Emergency access to {grant.asset} until {timezone.localtime(grant.expires_at):%H:%M %Z}. "
            "Its reviewers and the privacy officers have been told and will review it within 24 hours."
        )


class RequestActionView(PortalViewMixin, View):
    """A POST on one request the user can see (404 otherwise); the service answers 403 or 409."""

    http_method_names = ["post"]

    def post(self, request, pk):
        req = selectors.request_get(user=request.user, pk=pk)
        message = self.perform(req)
        messages.success(request, message)
        return back(request, req.get_absolute_url(), referer=False)

    def comment(self) -> str:
        form = DecisionForm(self.request.POST)
        if not form.is_valid():
            # Say why and decide nothing, rather than drop a comment the reviewer meant to give.
            errors = {name: list(msgs) for name, msgs in form.errors.items()}
            raise ValidationError(" ".join(m for msgs in errors.values() for m in msgs), fields=errors)
        return form.cleaned_data["comment"]


class RequestApproveView(RequestActionView):
    def perform(self, req):
        req = services.request_approve(actor=self.request.user, request=req, comment=self.comment())
        if req.status == AccessRequest.Status.APPROVED:
            return f"Approved request #{req.pk}: {req.requester} now has {req.scope} access to {req.asset}."
        approvals = req.decisions.filter(outcome=Decision.Outcome.APPROVE).count()
        return (
            f"Your approval of request #{req.pk} is recorded ({approvals} of {req.required_approvals}); "
            "it waits for another reviewer."
        )


class ConfirmView(PortalViewMixin, TemplateView):
    """A second page before an action that cannot be undone, usable without JavaScript.

    GET shows what will happen, with the form; POST acts (and is what older pages and
    scripts post to directly). The service decides who may act (403) and in which state
    (409, shown as a message); its field errors re-show this page with the form.
    """

    template_name = "access/confirm.html"
    form_class: type = ConfirmForm
    form_name = "form"

    def get_object(self):
        raise NotImplementedError

    def refusal(self, obj) -> DomainError | None:
        """Why the user may not act (shown on GET, as POST would answer), or ``None``."""
        return None

    def describe(self, obj) -> dict:
        """``title``, ``consequence``, ``button``, ``back_url`` and ``back_label`` of the page."""
        raise NotImplementedError

    def perform(self, obj, form) -> str:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        refused = self.refusal(obj)
        if refused is not None:
            raise refused
        return self.show(obj, self.form_class(), next_url=request.GET.get("next", ""))

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                message = self.perform(obj, form)
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, message)
                return back(request, obj.get_absolute_url(), referer=False)
        return self.show(obj, form, next_url=request.POST.get("next", ""))

    def show(self, obj, form, *, next_url: str):
        next_url = on_site(self.request, next_url)  # from the query string, and it becomes a link
        context = {"object": obj, "form": form, self.form_name: form, "next": next_url, **self.describe(obj)}
        return self.render_to_response(self.get_context_data(**context))


class RequestConfirmView(ConfirmView):
    def get_object(self):
        return selectors.request_get(user=self.request.user, pk=self.kwargs["pk"])

    def facts(self, req) -> dict:
        return {
            "facts": [
                ("Requester", req.requester),
                ("Asset", req.asset.name),
                ("Scope", req.get_scope_display()),
                ("Duration", f"{req.duration_days} days"),
            ],
            "quote": req.justification,
            "back_url": req.get_absolute_url(),
            "back_label": f"Request #{req.pk}",
        }


class RequestDenyView(RequestConfirmView):
    form_class = DenyForm

    def refusal(self, req):
        reason = policy.decide_refusal(self.request.user, req)
        if reason:
            return Forbidden(reason)
        if not req.is_pending:
            return Conflict(f"This request is already {req.get_status_display().lower()}.")
        return None

    def describe(self, req):
        return {
            **self.facts(req),
            "title": f"Deny request #{req.pk}?",
            "consequence": (
                f"One denial ends the request: {req.requester} gets no {req.scope} access to {req.asset} "
                "and is e-mailed your reason."
            ),
            "button": "Deny the request",
        }

    def perform(self, req, form):
        req = services.request_deny(actor=self.request.user, request=req, comment=form.cleaned_data["comment"])
        return f"Denied request #{req.pk}. {req.requester} has been told why."


class RequestCancelView(RequestConfirmView):
    def refusal(self, req):
        if req.requester_id != self.request.user.pk:
            return Forbidden("Only the requester may cancel a request.")
        if not req.is_pending:
            return Conflict(f"This request is already {req.get_status_display().lower()}.")
        return None

    def describe(self, req):
        return {
            **self.facts(req),
            "title": f"Cancel request #{req.pk}?",
            "consequence": (
                f"Your request for {req.scope} access to {req.asset} is withdrawn and leaves its reviewers' "
                "queue. You may ask again later."
            ),
            "button": "Cancel the request",
        }

    def perform(self, req, form):
        req = services.request_cancel(actor=self.request.user, request=req)
        return f"Cancelled request #{req.pk}."


# --- Reviewer queue ---------------------------------------------------------


class ReviewQueueView(PortalViewMixin, ListView):
    template_name = "access/review_queue.html"
    context_object_name = "requests"
    paginate_by = 50

    def get_queryset(self):
        return selectors.review_queue(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        panels.with_approvals(context["object_list"])
        policy.with_awaiting(context["object_list"])
        uses = Paginator(selectors.break_glass_queue(user=self.request.user), 25).get_page(
            self.request.GET.get("uses_page")
        )
        panels.mark_grants(uses.object_list)
        return {**context, "uses": uses}


# --- Grants -----------------------------------------------------------------


class GrantListView(PortalViewMixin, ListView):
    template_name = "access/grant_list.html"
    context_object_name = "grants"
    paginate_by = 50

    def get_filters(self) -> dict:
        filters = self.request.GET.dict()
        user = self.request.user
        # Employees (reviewers too) start with their own grants; roles that see everyone start with everyone.
        if "user" not in filters and not permissions.has(user, "access.view_grant"):
            filters["user"] = "me"
        return filters

    def get_queryset(self):
        self.filters = self.get_filters()
        return selectors.grant_list(user=self.request.user, filters=self.filters)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        panels.mark_grants(context["object_list"])
        return {
            **context,
            "filters": self.filters,
            "statuses": Grant.Status.choices,
            "origins": Grant.Origin.choices,
            "sees_others": panels.sees_others(self.request.user, "access.view_grant"),
        }


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
        "history": _history(grant),
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
        if form.is_valid():
            try:
                message = self.perform(grant, form)
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, message)
                return back(request, grant.get_absolute_url(), referer=False)
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
