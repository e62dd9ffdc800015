"""Incident pages: report, list with clocks, detail with assessment, obligations, timeline and involved users.

Each action is a POST that calls one service; a refusal is a message on the incident page.
"""

from __future__ import annotations

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from incidents import forms, selectors, services
from portal import permissions
from portal.errors import DomainError
from portal.lists import FilteredListView
from portal.models import PRIVACY_OFFICERS
from portal.web import PortalViewMixin, on_site, submit


class IncidentListView(FilteredListView):
    template_name = "incidents/incident_list.html"
    context_object_name = "incidents"
    filterset_class = selectors.IncidentFilter

    def select(self, filters):
        return selectors.incident_list(user=self.request.user, filters=filters)

    def adjust_form(self, form):
        given = self.request.GET.get("handler", "")
        choices = [("", "Anyone"), ("me", "Me")] + ([(given, f"User #{given}")] if given not in ("", "me") else [])
        form.fields["handler"].widget = django_forms.Select(choices=choices)

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        context = super().get_context_data(query=query.urlencode(), **kwargs)
        for incident in context["object_list"]:
            incident.clock = selectors.next_clock(incident)
        return {**context, "may_read_register": selectors.may_read_register(self.request.user)}


class IncidentReportView(PortalViewMixin, TemplateView):
    template_name = "incidents/incident_form.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response({"form": forms.ReportForm()})

    def post(self, request, *args, **kwargs):
        form = forms.ReportForm(request.POST)

        def report(data):
            incident = services.incident_report(actor=request.user, **data)
            return f"{incident.reference} reported. The privacy team has been told.", incident

        return submit(request, form, report) or self.render_to_response({"form": form})


class IncidentDetailView(PortalViewMixin, TemplateView):
    template_name = "incidents/incident_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        incident = selectors.incident_get(user=user, pk=self.kwargs["pk"])
        obligations = list(incident.obligations.all())
        for obligation in obligations:
            obligation.clock = selectors.clock(obligation)
        grants = selectors.involved_active_grants(incident)
        involved = list(incident.involved.all())
        for row in involved:
            row.grants = grants.get(row.user_id, [])
        may_work = permissions.has(user, services.CHANGE, incident)
        handlers = selectors.incident_handlers(incident)
        assignees = {u.pk: u for u in [*handlers, *permissions.role_members(PRIVACY_OFFICERS)]}.values()
        return {
            **super().get_context_data(**kwargs),
            "incident": incident,
            "obligations": obligations,
            "involved": involved,
            "timeline": list(incident.timeline.all()),
            "handlers": handlers,
            # Casework (tasks, evidence, referrals, drafts, exposure): those who work it and auditors.
            "may_investigate": services.may_investigate(user, incident),
            "tasks": list(incident.tasks.all()),
            "evidence": list(incident.evidence.all()),
            "referrals": list(incident.referrals.all()),
            "evidence_limit_mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024),
            "may_work": may_work,
            "may_assign": permissions.has(user, services.ASSIGN, incident),
            "may_revoke": may_work and permissions.has(user, "portal.offboard_user"),
            "forms": {
                "assess": forms.AssessForm(),
                "status": forms.StatusForm(),
                "note": forms.NoteForm(),
                "involved": forms.UserForm(),
                "handler": forms.HandlerForm(),
                "filing": forms.FilingForm(),
                "task": forms.TaskForm(assignees=sorted(assignees, key=str)),
                "evidence": forms.EvidenceForm(),
                "referral": forms.ReferralForm(initial={"referred_on": timezone.localdate()}),
            },
        }


class IncidentActionView(PortalViewMixin, View):
    """A POST with a form on one incident the user can see (404 otherwise); errors become messages."""

    http_method_names = ["post"]
    form_class: type
    done = "Done."

    def post(self, request, pk, **kwargs):
        incident = selectors.incident_get(user=request.user, pk=pk)
        # Back where the action was offered (e.g. the exposure report), if that is a page of this site.
        after = on_site(request, request.POST.get("next")) or incident.get_absolute_url()
        form = self.get_form(incident)
        if not form.is_valid():
            for field, errors in form.errors.items():
                messages.error(request, f"{field}: {' '.join(errors)}")
            return redirect(after)
        try:
            self.perform(incident, form.cleaned_data)
        except DomainError as exc:
            if exc.status in (403, 404):  # the mixin answers these as pages
                raise
            texts = [f"{f}: {' '.join(m)}" for f, m in exc.fields.items()] or [exc.message]
            for text in texts:
                messages.error(request, text)
        else:
            messages.success(request, self.done)
        return redirect(after)

    def get_form(self, incident):
        return self.form_class(self.request.POST)

    def perform(self, incident, data) -> None:
        raise NotImplementedError


class AssessView(IncidentActionView):
    form_class, done = forms.AssessForm, "Assessment recorded; obligations updated."

    def perform(self, incident, data):
        services.incident_assess(actor=self.request.user, incident=incident, **data)


class StatusView(IncidentActionView):
    form_class, done = forms.StatusForm, "Status changed."

    def perform(self, incident, data):
        services.incident_set_status(actor=self.request.user, incident=incident, **data)


class NoteView(IncidentActionView):
    form_class, done = forms.NoteForm, "Note added to the timeline."

    def perform(self, incident, data):
        services.timeline_note(actor=self.request.user, incident=incident, **data)


class InvolvedAddView(IncidentActionView):
    form_class, done = forms.UserForm, "Linked as involved."

    def perform(self, incident, data):
        services.involved_user_add(actor=self.request.user, incident=incident, **data)


class RevokeAccessView(IncidentActionView):
    form_class, done = forms.RevokeForm, "All access revoked."

    def perform(self, incident, data):
        services.involved_user_revoke_access(actor=self.request.user, incident=incident, **data)


class HandlerView(IncidentActionView):
    form_class, done = forms.HandlerForm, "Handler assigned."

    def perform(self, incident, data):
        services.incident_assign_handler(actor=self.request.user, incident=incident, **data)


class FilingView(IncidentActionView):
    form_class, done = forms.FilingForm, "Regulator notification recorded."

    def perform(self, incident, data):
        services.regulator_notification_record(
            actor=self.request.user, incident=incident, **{**data, "regime": data["regime"] or None}
        )
