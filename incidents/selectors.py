"""Reading incidents: only those the user may see (privacy officers and auditors all; others what they
reported or handle). A missing and an invisible incident are the same :class:`NotFound`.

Decided: auditors see every incident, read-only (``incidents 0002`` gives the role
``view_incident`` only): the spec's auditor "reads everything, exports evidence, changes nothing".
"""

from __future__ import annotations

from datetime import datetime, timedelta

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from access.models import Grant
from incidents.models import (
    EvidenceFile,
    Filing,
    Incident,
    IncidentUserObjectPermission,
    InvolvedUser,
    Obligation,
    Referral,
    Task,
)
from portal import permissions
from portal.errors import Forbidden
from portal.params import BoolFilter, FlagCheckbox, apply_filters

VIEW = "incidents.view_incident"
CHANGE = "incidents.change_incident"


class _UserRefField(forms.CharField):
    def clean(self, value):
        value = (super().clean(value) or "").strip().lower()
        if value and value != "me" and not (value.isascii() and value.isdigit() and len(value) < 19):
            raise forms.ValidationError("A user id, or me.", code="invalid")
        return value


class UserRefFilter(django_filters.CharFilter):
    field_class = _UserRefField


class IncidentFilter(django_filters.FilterSet):
    """The list's filters, for the page and the API alike."""

    q = django_filters.CharFilter(method="filter_q", label="Search", max_length=200)
    status = django_filters.MultipleChoiceFilter(choices=Incident.Status.choices, widget=forms.CheckboxSelectMultiple)
    kind = django_filters.ChoiceFilter(choices=Incident.Kind.choices, empty_label="Any")
    severity = django_filters.ChoiceFilter(choices=Incident.Severity.choices, empty_label="Any")
    breach = BoolFilter(field_name="is_personal_data_breach", label="Personal-data breach")
    exercise = BoolFilter(field_name="is_exercise", label="Exercise")
    overdue = BoolFilter(method="filter_overdue", label="Only with an overdue clock", widget=FlagCheckbox)
    handler = UserRefFilter(method="filter_handler", label="Handler")  # a user id, or "me"

    class Meta:
        model = Incident
        fields = ["q", "status", "kind", "severity", "breach", "exercise", "overdue", "handler"]

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(reference__icontains=value) | Q(title__icontains=value) | Q(description__icontains=value))

    def filter_overdue(self, qs, name, value):
        if not value:
            return qs
        due = Obligation.objects.due_before(timezone.now()).filter(incident=OuterRef("pk"))
        return qs.filter(Exists(due))

    def filter_handler(self, qs, name, value):
        value = value.strip().lower()
        if not value:
            return qs
        # The field lets only "me" and ASCII digits through.
        user_id = getattr(getattr(self.request, "user", None), "pk", None) if value == "me" else int(value)
        if user_id is None:
            return qs.none()
        handles = IncidentUserObjectPermission.objects.filter(
            content_object=OuterRef("pk"), user_id=user_id, permission__codename="change_incident"
        )
        return qs.filter(Exists(handles))


def _obligations() -> Prefetch:
    return Prefetch("obligations", queryset=Obligation.objects.select_related("regime"))


def _visible(user) -> QuerySet[Incident]:
    qs = permissions.visible(user, VIEW, Incident.objects.all())
    return qs.select_related("reported_by").prefetch_related("assets")


def incident_list(*, user, filters=None) -> QuerySet[Incident]:
    """The incidents ``user`` may see, narrowed by :class:`IncidentFilter` (query parameters or a dict)."""
    qs = _visible(user).prefetch_related(_obligations())
    return apply_filters(IncidentFilter, filters, qs, user=user)


def incident_get(*, user, pk) -> Incident:
    qs = (
        _visible(user)
        .select_related("assessed_by", "no_notification_by")
        .prefetch_related(
            Prefetch(
                "obligations",
                queryset=Obligation.objects.select_related("regime").prefetch_related(
                    Prefetch("filings", queryset=Filing.objects.select_related("recorded_by"))
                ),
            ),
            Prefetch("involved", queryset=InvolvedUser.objects.select_related("user", "added_by")),
            "timeline__actor",
            Prefetch("tasks", queryset=Task.objects.select_related("assignee", "done_by")),
            Prefetch("evidence", queryset=EvidenceFile.objects.select_related("uploaded_by")),
            Prefetch("referrals", queryset=Referral.objects.select_related("recorded_by")),
        )
    )
    return permissions.get_visible(qs, pk)


def incident_handlers(incident: Incident) -> list:
    return list(permissions.holders("incidents.change_incident", incident))


def _duration(seconds: int) -> str:
    hours, minutes = divmod(abs(seconds) // 60, 60)
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if days else f"{hours} h {minutes} min"


def clock(obligation: Obligation, now: datetime | None = None) -> dict:
    """Time left (or overdue) on an obligation: what the list, the detail and the API show."""
    if not obligation.is_open:
        state = "met" if obligation.done_at else "exempt" if obligation.exempt_at else "withdrawn"
        return {"state": state, "seconds": None, "text": state}
    if obligation.due_at is None:
        return {"state": "without_undue_delay", "seconds": None, "text": "without undue delay"}
    left = int((obligation.due_at - (now or timezone.now())).total_seconds())
    if left >= 0:
        return {"state": "running", "seconds": left, "text": f"{_duration(left)} left"}
    return {"state": "overdue", "seconds": left, "text": f"overdue by {_duration(left)}"}


def next_clock(incident: Incident, now: datetime | None = None) -> dict | None:
    """The most urgent open obligation's clock (from the prefetched obligations), for the list."""
    open_ = [o for o in incident.obligations.all() if o.is_open]
    if not open_:
        return None
    dated = [o for o in open_ if o.due_at is not None]
    first = min(dated, key=lambda o: o.due_at.timestamp() if o.due_at else 0.0) if dated else open_[0]
    return {"obligation": first, **clock(first, now)}


def open_clocks(user, *, limit: int) -> tuple[list[Obligation], int]:
    """Open obligations of the incidents ``user`` works (may change), dated ones first by due time, then
    those "without undue delay"; and how many there are. Two queries, whatever the number of incidents."""
    worked = permissions.visible(user, CHANGE, Incident.objects.all()).values("pk")
    qs = Obligation.objects.open().filter(incident__in=worked)
    rows = list(
        qs.select_related("incident", "regime").order_by(F("due_at").asc(nulls_last=True), "incident__reference")[
            :limit
        ]
    )
    return rows, (qs.count() if len(rows) == limit else len(rows))


def involved_active_grants(incident: Incident) -> dict[int, list[Grant]]:
    """The active grants of each involved user, in one query."""
    users = [i.user_id for i in incident.involved.all()]
    out: dict[int, list[Grant]] = {u: [] for u in users}
    for grant in Grant.objects.active().filter(user_id__in=users).select_related("asset"):
        out[grant.user_id].append(grant)
    return out


def exposure(incident: Incident, *, start: datetime, end: datetime) -> QuerySet[Grant]:
    """Everyone who held a grant on the incident's affected assets during ``[start, end)``, from the grant history."""
    return (
        Grant.objects.held_during(start, end)
        .filter(asset__in=incident.assets.all())
        .select_related("user", "asset")
        .order_by("asset__name", "user__username", "granted_at", "pk")
    )


def exposure_window(incident: Incident, start: datetime | None = None, end: datetime | None = None):
    """The exposure report's window: by default from 30 days before detection until now."""
    return start or incident.detected_at - timedelta(days=30), end or timezone.now()


def involved_user_ids(incident: Incident) -> set[int]:
    return set(incident.involved.values_list("user_id", flat=True))


def _of_visible(model, user, pk):
    """A child row of an incident ``user`` may see: NotFound for a missing one and another's alike."""
    incidents = permissions.visible(user, VIEW, Incident.objects.all())
    return permissions.get_visible(model.objects.filter(incident__in=incidents).select_related("incident"), pk)


def evidence_get(*, user, pk) -> EvidenceFile:
    return _of_visible(EvidenceFile, user, pk)


def task_get(*, user, pk) -> Task:
    return _of_visible(Task, user, pk)


def regulator_obligation_get(*, user, pk) -> Obligation:
    """A regulator obligation (a draft's subject) of an incident ``user`` may see, not withdrawn."""
    incidents = permissions.visible(user, VIEW, Incident.objects.all())
    qs = Obligation.objects.filter(
        incident__in=incidents, recipient=Obligation.Recipient.REGULATOR, withdrawn_at__isnull=True
    ).select_related("incident", "regime")
    return permissions.get_visible(qs, pk)


# --- The breach register --------------------------------------------------------------


def may_read_register(user) -> bool:
    """Privacy officers and auditors: the roles that see every incident."""
    return permissions.has(user, VIEW)


class RegisterFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search", max_length=200)
    kind = django_filters.ChoiceFilter(choices=Incident.Kind.choices, empty_label="Any")
    risk = django_filters.ChoiceFilter(choices=Incident.Risk.choices, empty_label="Any")
    status = django_filters.ChoiceFilter(choices=Incident.Status.choices, empty_label="Any")
    aware_from = django_filters.DateFilter(
        field_name="aware_at", lookup_expr="date__gte", label="Aware from", widget=forms.DateInput({"type": "date"})
    )
    aware_to = django_filters.DateFilter(
        field_name="aware_at", lookup_expr="date__lte", label="Aware until", widget=forms.DateInput({"type": "date"})
    )
    exercises = BoolFilter(method="filter_exercises", label="Include exercises", widget=FlagCheckbox)

    class Meta:
        model = Incident
        fields = ["q", "kind", "risk", "status", "aware_from", "aware_to", "exercises"]

    filter_q = IncidentFilter.filter_q

    def filter_exercises(self, qs, name, value):
        return qs  # the selector excludes exercises unless this is on

    @property
    def qs(self):
        qs = super().qs
        if not self.form.cleaned_data.get("exercises"):
            qs = qs.filter(is_exercise=False)
        return qs


def breach_register(*, user, filters=None) -> QuerySet[Incident]:
    """Every personal-data breach (exercises only when asked, labelled), oldest awareness first.

    Privacy officers and auditors only (403 otherwise): it lists every breach of the organisation.
    """
    if not may_read_register(user):
        raise Forbidden("The breach register is for privacy officers and auditors.")
    qs = (
        Incident.objects.filter(is_personal_data_breach=True)
        .select_related("reported_by")
        .prefetch_related(
            "assets",
            Prefetch(
                "obligations",
                queryset=Obligation.objects.select_related("regime").prefetch_related("filings"),
            ),
            "referrals",
        )
        .order_by("aware_at", "pk")
    )
    return apply_filters(RegisterFilter, filters, qs, user=user)
