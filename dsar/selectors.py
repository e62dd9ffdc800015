"""Reading requests: only those the user may see (privacy officers and auditors all; handlers theirs).
A missing and an invisible request are the same :class:`NotFound`."""

from __future__ import annotations

from datetime import datetime, timedelta

import django_filters
from django import forms
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from dsar.models import Item, Pause, Request, Task, due_within_q, overdue_q
from portal import audit, permissions
from portal.params import BoolFilter, FlagCheckbox, apply_filters

VIEW = "dsar.view_request"
DUE_SOON_DAYS = 7


class RequestFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Request.Status.choices, widget=forms.CheckboxSelectMultiple)
    type = django_filters.ChoiceFilter(choices=Request.Type.choices, empty_label="Any")
    jurisdiction = django_filters.ChoiceFilter(choices=Request.Jurisdiction.choices, empty_label="Any")
    due_soon = BoolFilter(method="filter_due_soon", label=f"Due in {DUE_SOON_DAYS} days", widget=FlagCheckbox)
    overdue = BoolFilter(method="filter_overdue", label="Overdue", widget=FlagCheckbox)
    mine = BoolFilter(method="filter_mine", label="Only mine", widget=FlagCheckbox)

    class Meta:
        model = Request
        fields = ["status", "type", "jurisdiction", "due_soon", "overdue", "mine"]

    def filter_due_soon(self, qs, name, value):
        return qs.due_within(DUE_SOON_DAYS) if value else qs

    def filter_overdue(self, qs, name, value):
        return qs.overdue() if value else qs

    def filter_mine(self, qs, name, value):
        return qs.filter(handler=self.request.user) if value else qs


def _visible(user) -> QuerySet[Request]:
    open_pause = Pause.objects.filter(request=OuterRef("pk"), ended_at__isnull=True)
    return permissions.visible(user, VIEW, Request.objects.all()).annotate(is_paused=Exists(open_pause))


def request_list(*, user, filters=None) -> QuerySet[Request]:
    qs = _visible(user).select_related("handler").order_by("due_at", "pk")
    return apply_filters(RequestFilter, filters, qs, user=user)


def request_get(*, user, pk) -> Request:
    qs = _visible(user).select_related("handler", "created_by", "verified_by", "extended_by")
    qs = qs.prefetch_related(
        Prefetch("pauses", queryset=Pause.objects.select_related("started_by", "ended_by")),
        Prefetch("tasks", queryset=Task.objects.select_related("asset", "done_by").order_by("kind", "asset__name")),
    )
    return permissions.get_visible(qs, pk)


def task_get(*, user, pk) -> Task:
    """A task of a request the user may see (404 otherwise)."""
    requests = permissions.visible(user, VIEW, Request.objects.all())
    return permissions.get_visible(Task.objects.filter(request__in=requests).select_related("asset", "request"), pk)


def items_by_asset(request: Request) -> dict[int, dict]:
    """Per asset: items and bytes collected (one query)."""
    rows = (
        Item.objects.filter(request=request)
        .values("asset_id")
        .annotate(items=Count("id"), files=Count("id", filter=Q(kind=Item.Kind.FILE)))
    )
    return {row["asset_id"]: dict(row) for row in rows}


# What each step reads as on the request page; an action not listed shows as recorded.
STEP_LABELS = {
    "dsar.request.received": "filed the request",
    "dsar.request.verification_sent": "mailed a verification link",
    "dsar.request.verification_needs_staff": "could not mail a link: the address is not on record",
    "dsar.request.verified": "verified the identity",
    "dsar.request.handler_assigned": "assigned a handler",
    "dsar.request.paused": "paused the clock",
    "dsar.request.resumed": "resumed the clock",
    "dsar.request.extended": "extended the deadline",
    "dsar.request.rejected": "rejected the request",
    "dsar.request.withdrawn": "recorded the withdrawal",
    "dsar.request.collection_started": "started collection",
    "dsar.task.done": "collected with a connector",
    "dsar.task.failed": "could not collect with a connector",
    "dsar.task.retried": "ran a connector again",
    "dsar.task.uploaded": "completed a search by hand",
    "dsar.request.collected": "finished collection",
    "dsar.item.discarded": "took an item out",
    "dsar.package.built": "built the package",
    "dsar.package.approved": "approved the package",
    "dsar.package.sent": "mailed the download link",
    "dsar.package.downloaded": "downloaded the package",
    "dsar.link.revoked": "revoked the link",
    "dsar.package.purged": "purged the package's files",
    "dsar.package.misdelivered": "reported a misdelivery",
}
# Steps with no user that the subject took (the rest without a user are the system's).
BY_THE_SUBJECT = {"dsar.request.received", "dsar.request.verified", "dsar.package.downloaded"}
HISTORY_SHOWN = 100


def request_history(request: Request) -> list:
    """The request's audit events, oldest first (the newest :data:`HISTORY_SHOWN`), each with ``label`` and
    ``note`` to show; one query. Handlers see here what they cannot read in the audit log."""
    events = list(audit.history(request, limit=HISTORY_SHOWN))[::-1]
    for event in events:
        details = event.details or {}
        event.label = STEP_LABELS.get(event.action, event.action)  # type: ignore[attr-defined]
        if event.actor_id is None and event.action in BY_THE_SUBJECT:
            event.actor_repr = "the subject"  # shown only; audit events are never saved again
        where = details.get("asset", "")
        if "found" in details:
            where = f"{where}: {details['found']} found"
        elif "files" in details:
            where = f"{where}: {len(details['files'])} file(s)"
        note = details.get("reason") or details.get("note") or details.get("error") or where
        event.note = note  # type: ignore[attr-defined]
    return events


def clock(request: Request, now: datetime | None = None) -> dict:
    """Days left or overdue, for lists, the detail and the API."""
    if not request.is_open:
        return {"state": "finished", "days": None, "text": request.get_status_display().lower()}
    now = now or timezone.now()
    if getattr(request, "is_paused", False):
        return {"state": "paused", "days": None, "text": "paused"}
    left = request.due_at - now
    if left < timedelta(0):
        days = (-left).days
        return {"state": "overdue", "days": -days, "text": f"overdue by {days} d" if days else "overdue"}
    state = "due_soon" if left <= timedelta(days=DUE_SOON_DAYS) else "running"
    return {"state": state, "days": left.days, "text": f"{left.days} d left" if left.days else "due today"}


def dashboard_counts(user, now: datetime | None = None) -> dict:
    """By status, due in 7 days and overdue, over what ``user`` may see (one query)."""
    now = now or timezone.now()
    qs = permissions.visible(user, VIEW, Request.objects.all())
    totals = qs.aggregate(
        due_soon=Count("pk", filter=due_within_q(DUE_SOON_DAYS, now)),
        overdue=Count("pk", filter=overdue_q(now)),
        **{f"status_{value}": Count("pk", filter=Q(status=value)) for value in Request.Status.values},
    )
    by_status = [(label, value, totals[f"status_{value}"]) for value, label in Request.Status.choices]
    return {"due_soon": totals["due_soon"], "overdue": totals["overdue"], "by_status": by_status}


def near_deadline(user, *, limit: int = 5, now: datetime | None = None) -> list[Request]:
    """Open requests due within a week or overdue, most urgent first (one query)."""
    now = now or timezone.now()
    qs = _visible(user).filter(overdue_q(now) | due_within_q(DUE_SOON_DAYS, now))
    return list(qs.select_related("handler").order_by("due_at", "pk")[:limit])
