"""Reading affected subjects: the counts anyone who sees the incident reads, the rows (addresses) only
those who work it and auditors."""

from __future__ import annotations

import django_filters
from django.db.models import Count, Q, QuerySet

from incidents.models import Incident
from incidents.services.common import CHANGE
from incidents.subjects.models import AffectedSubject, SubjectImport, SubjectNotification
from portal import permissions
from portal.errors import Forbidden
from portal.params import apply_filters

Status = AffectedSubject.Status
QUEUED = Q(notification__isnull=False)


def incident_get(*, user, pk) -> Incident:
    """The incident (404 if the user may not see it), without the detail page's prefetches."""
    return permissions.get_visible(permissions.visible(user, "incidents.view_incident", Incident.objects.all()), pk)


def counts(incident: Incident) -> dict[str, int]:
    """Subjects per state, in one query: ``imported``, ``waiting`` (not yet queued), and per status once queued."""
    return AffectedSubject.objects.filter(incident=incident).aggregate(
        imported=Count("pk"),
        waiting=Count("pk", filter=Q(notification__isnull=True)),
        **{s.value: Count("pk", filter=QUEUED & Q(status=s)) for s in Status},
    )


def may_read_subjects(user, incident: Incident) -> bool:
    """The addresses themselves: handlers and privacy officers (who may change the incident), and auditors."""
    return permissions.has(user, CHANGE, incident) or permissions.is_auditor(user)


def require_read_subjects(user, incident: Incident) -> None:
    if not may_read_subjects(user, incident):
        raise Forbidden("Only the incident's handlers, privacy officers and auditors see the affected subjects.")


class SubjectFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[("waiting", "Not yet queued"), *Status.choices], method="filter_status", label="Status"
    )
    email = django_filters.CharFilter(lookup_expr="icontains", label="E-mail contains")

    class Meta:
        model = AffectedSubject
        fields = ["status", "email"]

    def filter_status(self, qs, name, value):
        if value == "waiting":
            return qs.filter(notification__isnull=True)
        return qs.filter(QUEUED, status=value)


def subject_list(*, user, incident: Incident, filters=None) -> QuerySet[AffectedSubject]:
    require_read_subjects(user, incident)
    qs = AffectedSubject.objects.filter(incident=incident)
    return apply_filters(SubjectFilter, filters, qs, user=user).order_by("pk")


def imports(incident: Incident) -> QuerySet[SubjectImport]:
    return SubjectImport.objects.filter(incident=incident).select_related("imported_by").order_by("imported_at", "pk")


def notifications(incident: Incident) -> QuerySet[SubjectNotification]:
    return (
        SubjectNotification.objects.filter(incident=incident).select_related("created_by").order_by("created_at", "pk")
    )
