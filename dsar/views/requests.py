"""Staff pages: the list with deadlines, a request's page with its actions, staff entry."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from dsar import forms, sections, selectors, services
from dsar.models import Request, Task
from portal import permissions
from portal.errors import DomainError
from portal.lists import FilteredListView
from portal.web import PortalViewMixin, submit


def with_clocks(requests) -> list[Request]:
    rows = list(requests)
    for row in rows:
        row.clock = selectors.clock(row)
    return rows


class RequestListView(FilteredListView):
    template_name = "dsar/request_list.html"
    context_object_name = "requests"
    filterset_class = selectors.RequestFilter

    def select(self, filters):
        return selectors.request_list(user=self.request.user, filters=filters)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object_list"] = context["requests"] = with_clocks(context["object_list"])
        return {**context, "may_add": permissions.has(self.request.user, services.ADD)}


class RequestCreateView(PortalViewMixin, TemplateView):
    template_name = "dsar/request_form.html"

    def get(self, request, *args, **kwargs):
        permissions.require(request.user, services.ADD, message="Only privacy officers enter requests.")
        return self.render_to_response({"form": forms.StaffEntryForm()})

    def post(self, request, *args, **kwargs):
        form = forms.StaffEntryForm(request.POST)

        def create(data):
            created = services.request_create(actor=request.user, **data)
            return f"{created.reference} entered; due {created.due_at:%d %b %Y}.", created

        return submit(request, form, create) or self.render_to_response({"form": form})


class RequestDetailView(PortalViewMixin, TemplateView):
    template_name = "dsar/request_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        req = selectors.request_get(user=user, pk=self.kwargs["pk"])
        pauses = list(req.pauses.all())
        req.is_paused = any(p.ended_at is None for p in pauses)
        counts = selectors.items_by_asset(req)
        tasks = list(req.tasks.all())
        may_work = permissions.has(user, services.CHANGE, req)
        identifiers = req.subject_identifiers()
        for task in tasks:
            task.counts = counts.get(task.asset_id, {"items": 0, "files": 0})
            uploadable = task.method == Task.Method.MANUAL and task.status == Task.Status.PENDING
            if may_work and uploadable and req.status == Request.Status.COLLECTING:
                task.upload_form = forms.UploadForm(identifiers=identifiers, auto_id=f"upload{task.pk}_%s")
        return {
            **super().get_context_data(**kwargs),
            "req": req,
            "clock": selectors.clock(req),
            "pauses": pauses,
            "tasks": tasks,
            "item_total": sum(c["items"] for c in counts.values()),
            "may_work": may_work and req.is_open,
            "may_assign": permissions.has(user, services.ASSIGN, req) and req.is_open,
            "verifiable": req.status in (Request.Status.RECEIVED, Request.Status.VERIFYING),
            "forms": {
                "handler": forms.HandlerForm(),
                "pause": forms.PauseForm(),
                "reject": forms.RejectForm(),
                "extend": forms.ExtendForm(jurisdiction=req.jurisdiction),
                "withdraw": forms.WithdrawForm(),
                "verify": forms.VerifyForm(),
            },
            "history": selectors.request_history(req),
            # Extension points for the package and erasure steps (their templates, their context).
            "sections": sections.render(self.request, req),
        }

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        if any(section.get("refresh") for section in context["sections"]):
            # Progress without JavaScript, as on a launching campaign: the browser reloads until the work is done.
            response["Refresh"] = "3"
        return response


class RequestActionView(PortalViewMixin, View):
    """A POST on one request the user can see (404 otherwise); the service answers 403 or 409 as a message."""

    http_method_names = ["post"]
    form_class: type | None = None
    done = "Done."

    def post(self, request, pk, **kwargs):
        req = selectors.request_get(user=request.user, pk=pk)
        data = {}
        if self.form_class is not None:
            form = self.make_form(req)
            if not form.is_valid():
                for field, errors in form.errors.items():
                    messages.error(request, f"{field}: {' '.join(errors)}")
                return redirect(req)
            data = form.cleaned_data
        try:
            self.perform(req, data, **kwargs)
        except DomainError as exc:
            if exc.status in (403, 404):  # the mixin answers these as pages
                raise
            texts = [f"{f}: {' '.join(m)}" for f, m in exc.fields.items()] or [exc.message]
            for text in texts:
                messages.error(request, text)
        else:
            messages.success(request, self.done)
        return redirect(req)

    def make_form(self, req):
        if self.form_class is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a form_class or its own make_form().")
        return self.form_class(self.request.POST)

    def perform(self, req, data, **kwargs) -> None:
        raise NotImplementedError


class AssignView(RequestActionView):
    form_class, done = forms.HandlerForm, "Handler assigned."

    def perform(self, req, data, **kwargs):
        services.request_assign_handler(actor=self.request.user, request=req, **data)


class SendVerificationView(RequestActionView):
    done = "A new verification link was mailed to the subject's address on record."

    def perform(self, req, data, **kwargs):
        services.verification_send(actor=self.request.user, request=req)


class VerifyOtherwiseView(RequestActionView):
    form_class, done = forms.VerifyForm, "Identity verification recorded."

    def perform(self, req, data, **kwargs):
        services.request_verify_otherwise(actor=self.request.user, request=req, **data)


class PauseView(RequestActionView):
    form_class, done = forms.ReasonForm, "Paused: waiting for the subject."

    def perform(self, req, data, **kwargs):
        services.request_pause(actor=self.request.user, request=req, **data)


class ResumeView(RequestActionView):
    done = "Resumed; the due date is recomputed."

    def perform(self, req, data, **kwargs):
        services.request_resume(actor=self.request.user, request=req)


class ExtendView(RequestActionView):
    form_class, done = forms.ExtendForm, "Deadline extended; the subject is told why."

    def perform(self, req, data, **kwargs):
        services.request_extend(
            actor=self.request.user,
            request=req,
            reason=data["reason"],
            months=data.get("months"),
            days=data.get("days"),
        )


class RejectView(RequestActionView):
    form_class, done = forms.ReasonForm, "Rejected; the subject is told why."

    def perform(self, req, data, **kwargs):
        services.request_reject(actor=self.request.user, request=req, **data)


class WithdrawView(RequestActionView):
    form_class, done = forms.ReasonForm, "Recorded as withdrawn."

    def perform(self, req, data, **kwargs):
        services.request_withdraw(actor=self.request.user, request=req, **data)


class CollectView(RequestActionView):
    done = "Collection started: connectors run in the background; manual tasks wait for uploads."

    def perform(self, req, data, **kwargs):
        services.collection_start(actor=self.request.user, request=req)


class TaskActionView(RequestActionView):
    """A POST on one task of a request the user can see (404 otherwise)."""

    def post(self, request, pk, **kwargs):
        self.task = selectors.task_get(user=request.user, pk=pk)
        return super().post(request, self.task.request_id)


class TaskUploadView(TaskActionView):
    form_class, done = forms.UploadForm, "Files stored; the task is done."

    def make_form(self, req):
        return forms.UploadForm(self.request.POST, self.request.FILES, identifiers=req.subject_identifiers())

    def perform(self, req, data, **kwargs):
        services.task_upload(actor=self.request.user, task=self.task, **data)


class TaskRetryView(TaskActionView):
    done = "The task runs again."

    def perform(self, req, data, **kwargs):
        services.task_retry(actor=self.request.user, task=self.task)
