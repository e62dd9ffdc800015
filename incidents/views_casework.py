"""Casework pages of an incident: tasks, evidence files, the regulator draft, referrals, the exposure
report, and the breach register. Each action is a POST that calls one service (``views.IncidentActionView``).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import TemplateView

from incidents import exports, forms, selectors, services
from incidents.models import RegulatorDraft
from incidents.services import draft as drafts
from incidents.services.evidence import max_bytes, too_big
from incidents.views import IncidentActionView
from portal import permissions
from portal.errors import DomainError, Forbidden
from portal.lists import FilteredListView
from portal.web import PortalViewMixin, submit

# --- Tasks ---------------------------------------------------------------------------


class TaskCreateView(IncidentActionView):
    form_class, done = forms.TaskForm, "Task added."

    def perform(self, incident, data):
        services.task_create(actor=self.request.user, incident=incident, **data)


class _TaskActionView(PortalViewMixin, View):
    """Complete or reopen a task of an incident the user may see (404 otherwise); a refusal is a message."""

    http_method_names = ["post"]
    done = "Done."

    def post(self, request, pk):
        task = selectors.task_get(user=request.user, pk=pk)
        try:
            self.act(task)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, exc.message)
        else:
            messages.success(request, self.done)
        return redirect(task.incident)

    def act(self, task) -> None:
        raise NotImplementedError


class TaskCompleteView(_TaskActionView):
    done = "Task done."

    def act(self, task):
        services.task_complete(actor=self.request.user, task=task)


class TaskReopenView(_TaskActionView):
    done = "Task reopened."

    def act(self, task):
        services.task_reopen(actor=self.request.user, task=task)


# --- Evidence ------------------------------------------------------------------------


class _LimitHandler(FileUploadHandler):
    """Stops reading an upload at the evidence limit, so an oversized body never fills the temp disk."""

    def __init__(self, limit: int, request=None):
        super().__init__(request)
        self.limit, self.stopped = limit, False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.stopped = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) keeps the file


@method_decorator(csrf_exempt, name="dispatch")  # checked in post(), after the upload handlers are set
class EvidenceUploadView(IncidentActionView):
    form_class, done = forms.EvidenceForm, "Evidence added; its SHA-256 is recorded."

    def post(self, request, pk, **kwargs):
        # Refuse an oversized body from its declared length, before reading any of it.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_bytes() + 64 * 1024:
            incident = selectors.incident_get(user=request.user, pk=pk)
            messages.error(request, f"file: {too_big()}")
            return redirect(incident)
        # CSRF middleware would parse the body before this view; here the limit applies first.
        self.limit = _LimitHandler(max_bytes(), request)
        request.upload_handlers.insert(0, self.limit)
        return csrf_protect(lambda req: IncidentActionView.post(self, req, pk, **kwargs))(request)

    def get_form(self, incident):
        form = self.form_class(self.request.POST, self.request.FILES)
        if self.limit.stopped:
            form.add_error("file", too_big())
        return form

    def perform(self, incident, data):
        services.evidence_upload(
            actor=self.request.user, incident=incident, upload=data["file"], description=data["description"]
        )


class EvidenceDownloadView(PortalViewMixin, View):
    """The file as an attachment, never rendered inline; the download is audited."""

    def get(self, request, pk):
        item = selectors.evidence_get(user=request.user, pk=pk)
        handle = services.evidence_open(actor=request.user, evidence=item)
        response = FileResponse(handle, as_attachment=True, filename=item.name, content_type=item.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response


# --- Referral ------------------------------------------------------------------------


class ReferralView(IncidentActionView):
    form_class, done = forms.ReferralForm, "Referral recorded."

    def perform(self, incident, data):
        services.referral_record(actor=self.request.user, incident=incident, **data)


# --- The regulator notification draft --------------------------------------------------


class _DraftMixin:
    request: object
    kwargs: dict

    def load(self):
        user = self.request.user  # type: ignore[attr-defined]
        obligation = selectors.regulator_obligation_get(user=user, pk=self.kwargs["pk"])
        incident = obligation.incident
        if not services.may_investigate(user, incident):
            raise Forbidden("Only those working the incident (and auditors) read its regulator notification.")
        saved = RegulatorDraft.objects.filter(obligation=obligation).first()
        values = {n: getattr(saved, n) for n in drafts.FIELDS} if saved else drafts.generate(incident)
        return incident, obligation, saved, values


class DraftView(_DraftMixin, PortalViewMixin, TemplateView):
    template_name = "incidents/regulator_draft.html"

    def context(self, form=None, submit_form=None):
        incident, obligation, saved, values = self.load()
        user = self.request.user
        return {
            "incident": incident,
            "obligation": obligation,
            "draft": saved,
            "values": values,
            "rows": [(label, values.get(n)) for n, (label, _l, _r) in drafts.FIELDS.items()],
            "may_work": permissions.has(user, services.CHANGE, incident),
            "form": form or forms.DraftForm(initial=values),
            "submit_form": submit_form or forms.SubmitDraftForm(initial={"authority": obligation.regime.regulator}),
            "filings": list(obligation.filings.all()),
        }

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.context())

    def post(self, request, *args, **kwargs):
        incident, obligation, _saved, _values = self.load()
        if not permissions.has(request.user, services.CHANGE, incident):  # before any form error
            raise Forbidden("Only those working the incident edit its regulator notification.")
        form = forms.DraftForm(request.POST)

        def save(data):
            services.regulator_draft_save(actor=request.user, incident=incident, obligation=obligation, **data)
            return "Draft saved.", request.path

        return submit(request, form, save) or self.render_to_response(self.context(form=form))


class DraftPrintView(_DraftMixin, PortalViewMixin, TemplateView):
    template_name = "incidents/regulator_draft_print.html"

    def get(self, request, *args, **kwargs):
        incident, obligation, saved, values = self.load()
        rows = [(label, values.get(n)) for n, (label, _l, _r) in drafts.FIELDS.items()]
        return self.render_to_response({"incident": incident, "obligation": obligation, "draft": saved, "rows": rows})


class DraftSubmitView(_DraftMixin, PortalViewMixin, View):
    """Record that the draft (as it stands) was submitted: the filing keeps its text."""

    def post(self, request, *args, **kwargs):
        incident, obligation, _saved, values = self.load()
        form = forms.SubmitDraftForm(request.POST)
        page = reverse("incidents:regulator-draft", args=[obligation.pk])
        if not form.is_valid():
            for field, errors in form.errors.items():
                messages.error(request, f"{field}: {' '.join(errors)}")
            return redirect(page)
        try:
            services.regulator_notification_record(
                actor=request.user,
                incident=incident,
                regime=obligation.regime.code,
                notes=drafts.as_text(values),
                **form.cleaned_data,
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            for msg in [f"{f}: {' '.join(m)}" for f, m in exc.fields.items()] or [exc.message]:
                messages.error(request, msg)
            return redirect(page)
        messages.success(request, f"Submission to {form.cleaned_data['authority']} recorded.")
        return redirect(incident)


# --- Exposure report -------------------------------------------------------------------


class _ExposureMixin:
    def window(self, incident):
        form = forms.ExposureForm(self.request.GET or None)  # type: ignore[attr-defined]
        start = end = None
        if form.is_bound and form.is_valid():
            start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
        elif form.is_bound:
            messages.error(self.request, "Some dates are not valid; showing the default window.")  # type: ignore[attr-defined]
        start, end = selectors.exposure_window(incident, start, end)
        if end <= start:
            start, end = selectors.exposure_window(incident)
        if not form.is_bound:  # show the default window in the form
            form = forms.ExposureForm(initial={"start": timezone.localtime(start), "end": timezone.localtime(end)})
        return form, start, end

    def incident(self):
        user = self.request.user  # type: ignore[attr-defined]
        incident = selectors.incident_get(user=user, pk=self.kwargs["pk"])  # type: ignore[attr-defined]
        if not services.may_investigate(user, incident):
            raise Forbidden("Only those working the incident (and auditors) see who held access.")
        return incident


class ExposureView(_ExposureMixin, PortalViewMixin, TemplateView):
    template_name = "incidents/exposure.html"

    def get_context_data(self, **kwargs):
        from django.core.paginator import Paginator

        incident = self.incident()
        form, start, end = self.window(incident)
        rows = selectors.exposure(incident, start=start, end=end)
        page = Paginator(rows, 50).get_page(self.request.GET.get("page"))
        involved = selectors.involved_user_ids(incident)
        for grant in page.object_list:
            grant.involved = grant.user_id in involved
            grant.shown_status = grant.effective_status()
        query = self.request.GET.copy()
        query.pop("page", None)
        return {
            **super().get_context_data(**kwargs),
            "incident": incident,
            "form": form,
            "start": start,
            "end": end,
            "page_obj": page,
            "grants": page.object_list,
            "query": query.urlencode(),
            "may_work": permissions.has(self.request.user, services.CHANGE, incident),
        }


class ExposureCsvView(_ExposureMixin, PortalViewMixin, View):
    def get(self, request, pk):
        incident = self.incident()
        _form, start, end = self.window(incident)
        rows = selectors.exposure(incident, start=start, end=end)
        involved = selectors.involved_user_ids(incident)
        body = exports.lines(exports.EXPOSURE_COLUMNS, exports.exposure_rows(rows, involved))
        response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{exports.filename(incident.reference + "-exposure")}"'
        return response


# --- The breach register ---------------------------------------------------------------


class RegisterView(FilteredListView):
    template_name = "incidents/register.html"
    context_object_name = "incidents"
    filterset_class = selectors.RegisterFilter

    def select(self, filters):
        return selectors.breach_register(user=self.request.user, filters=filters)

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(query=query.urlencode(), **kwargs)


class RegisterCsvView(PortalViewMixin, View):
    def get(self, request):
        incidents = selectors.breach_register(user=request.user, filters=request.GET)
        body = exports.lines(exports.REGISTER_COLUMNS, exports.register_rows(incidents))
        response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{exports.filename("breach-register")}"'
        return response
