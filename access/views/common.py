"""What several access pages share: the history of an object and the confirmation page."""

from __future__ import annotations

from django.views.generic import TemplateView

from access.forms import ConfirmForm
from portal import audit
from portal.errors import DomainError, ValidationError
from portal.web import PortalViewMixin, back, on_site, submit

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


def history(obj) -> list:
    """The audit events of ``obj``, oldest first, each with a ``label`` and a ``note`` to show."""
    events = list(audit.history(obj))
    for event in events:
        event.label = ACTION_LABELS.get(event.action, event.action)
        details = event.details or {}
        event.note = details.get("comment") or details.get("reason") or ""
    return events


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

        def confirm(data):
            return self.perform(obj, form), back(request, obj.get_absolute_url(), referer=False)

        done = submit(request, form, confirm, errors=ValidationError)
        return done or self.show(obj, form, next_url=request.POST.get("next", ""))

    def show(self, obj, form, *, next_url: str):
        next_url = on_site(self.request, next_url)  # from the query string, and it becomes a link
        context = {"object": obj, "form": form, self.form_name: form, "next": next_url, **self.describe(obj)}
        return self.render_to_response(self.get_context_data(**context))
