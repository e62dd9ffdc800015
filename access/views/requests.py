"""Access requests: the list, a request's page, approving, denying and cancelling."""

from __future__ import annotations

from django.contrib import messages
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import TemplateView

from access import panels, policy, selectors, services
from access.forms import DecisionForm, DenyForm
from access.models import AccessRequest, Decision
from access.views.common import ConfirmView, history
from portal.errors import Conflict, Forbidden, ValidationError
from portal.lists import FilteredListView
from portal.web import PortalViewMixin, back


class RequestListView(FilteredListView):
    template_name = "access/request_list.html"
    context_object_name = "requests"
    filterset_class = selectors.RequestFilter
    shown_filters = ("status", "scope", "mine")

    def select(self, filters):
        return selectors.request_list(user=self.request.user, filters=filters)

    @cached_property
    def sees_others(self) -> bool:
        return panels.sees_others(self.request.user, "access.view_accessrequest")

    def adjust_form(self, form):
        if not self.sees_others and not self.request.GET.get("mine"):
            del form.fields["mine"]  # they see only their own anyway

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        panels.with_approvals(context["object_list"])
        return {**context, "mine": bool(self.cleaned("mine")), "sees_others": self.sees_others}


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
        "history": history(req),
    }


class RequestDetailView(PortalViewMixin, TemplateView):
    template_name = "access/request_detail.html"

    def get_context_data(self, **kwargs):
        req = selectors.request_get(user=self.request.user, pk=self.kwargs["pk"])
        return {**super().get_context_data(**kwargs), **request_page_context(self.request, req)}


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
