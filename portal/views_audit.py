"""The audit log for the people who read it: a filtered page and a streamed CSV export."""

from __future__ import annotations

import csv
import json

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View

from portal import audit, selectors_audit
from portal.errors import ValidationError
from portal.lists import FilteredListView
from portal.web import PortalViewMixin

CSV_COLUMNS = audit.COLUMNS  # every stored field but the row id, so the chain can be re-checked from the file
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class AuditEventListView(FilteredListView):
    template_name = "portal/audit_list.html"
    context_object_name = "events"
    filterset_class = selectors_audit.AuditEventFilter

    def select(self, filters):
        # Forbidden (403) for a non-reader, before any filter is looked at.
        return selectors_audit.audit_event_list(user=self.request.user, filters=filters)

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        context = super().get_context_data(query=query.urlencode(), **kwargs)
        for event in context["events"]:
            event.details_text = json.dumps(event.details, sort_keys=True) if event.details else ""
        return context


class _Echo:
    """A file-like object whose write returns the line, for csv.writer over a stream."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(events):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        row = [getattr(event, column) for column in CSV_COLUMNS]
        row[CSV_COLUMNS.index("created_at")] = event.created_at.isoformat()
        row[CSV_COLUMNS.index("details")] = json.dumps(event.details, sort_keys=True)
        yield writer.writerow([_cell(value) for value in row])


class AuditEventExportView(PortalViewMixin, View):
    """Every matching event as CSV, streamed row by row (never the whole log in memory)."""

    def get(self, request):
        try:
            events = selectors_audit.audit_event_export(actor=request.user, filters=request.GET)
        except ValidationError as exc:
            messages.error(request, f"Not exported: {exc.message}")
            return redirect(f"{reverse('audit-list')}?{request.GET.urlencode()}")
        response = StreamingHttpResponse(csv_lines(events), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.csv"'
        return response
