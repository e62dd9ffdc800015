"""The subject-notification page of an incident: counts, imports, notifications, the subjects, and the two forms.

The import and notify views post to their own URLs and, when the input is refused,
render the same page with the errors (a table of bad rows for a CSV).
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.shortcuts import redirect

from incidents.services.common import CHANGE
from incidents.subjects import forms, selectors, services
from incidents.subjects.models import AffectedSubject
from portal import permissions
from portal.errors import DomainError
from portal.lists import FilteredListView
from portal.web import apply_to_form


class SubjectsView(FilteredListView):
    template_name = "incidents/subjects.html"
    filterset_class = selectors.SubjectFilter
    context_object_name = "subjects"

    def dispatch(self, request, *args, **kwargs):
        self.incident = None
        return super().dispatch(request, *args, **kwargs)

    def get_incident(self):
        if self.incident is None:
            self.incident = selectors.incident_get(user=self.request.user, pk=self.kwargs["pk"])
            self.may_read = selectors.may_read_subjects(self.request.user, self.incident)
        return self.incident

    def select(self, filters) -> QuerySet:
        incident = self.get_incident()
        if not self.may_read:
            return AffectedSubject.objects.none()  # counts only
        return selectors.subject_list(user=self.request.user, incident=incident, filters=filters)

    def get_context_data(self, **kwargs):
        incident = self.get_incident()
        may_work = permissions.has(self.request.user, CHANGE, incident)
        return super().get_context_data(
            incident=incident,
            counts=selectors.counts(incident),
            imports=list(selectors.imports(incident)),
            notifications=list(selectors.notifications(incident)),
            may_work=may_work,
            may_read=self.may_read,
            import_form=forms.ImportForm(),
            notify_form=kwargs.pop("notify_form", None) or forms.NotifyForm(),
            **kwargs,
        )

    def page(self, **context):
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(**context))


class SubjectImportView(SubjectsView):
    http_method_names = ["post"]

    def post(self, request, pk):
        incident = self.get_incident()
        # The service decides who may import (403) before it looks at the file, and refuses a missing one.
        try:
            source = services.subjects_import(actor=request.user, incident=incident, upload=request.FILES.get("file"))
        except services.ImportRefused as exc:
            return self.page(import_errors=[exc.message], bad_rows=exc.report.problems, bad_count=exc.report.bad)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            return self.page(import_errors=[m for msgs in exc.fields.values() for m in msgs] or [exc.message])
        messages.success(request, f"{source.count:,} subjects imported from {source.file_name}.")
        return redirect("incidents:incident-subjects", pk=incident.pk)


class SubjectNotifyView(SubjectsView):
    http_method_names = ["post"]

    def post(self, request, pk):
        incident = self.get_incident()
        form = forms.NotifyForm(request.POST)
        if not form.is_valid():
            return self.page(notify_form=form)
        try:
            if "preview" in request.POST:
                permissions.require(request.user, CHANGE, incident)
                return self.page(notify_form=form, preview=services.preview(incident=incident, **form.cleaned_data))
            notification = services.subjects_notify(actor=request.user, incident=incident, **form.cleaned_data)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            apply_to_form(form, exc)
            return self.page(notify_form=form)
        messages.success(request, f"Notification queued for {notification.queued:,} subjects; it goes out in batches.")
        return redirect("incidents:incident-subjects", pk=incident.pk)
