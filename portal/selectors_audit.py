"""Reading the audit log: who may, the filters, and the audited CSV export.

Auditors, access admins and privacy officers hold the global permission
``portal.view_auditevent`` (data migrations); everyone else gets 403. Nobody
can change an event anywhere: these functions only read, and the export writes
an event of its own.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from portal import audit, permissions
from portal.models import AuditEvent
from portal.params import apply_filters
from portal.selectors import is_id

READ_PERMISSION = "portal.view_auditevent"
READERS_ONLY = "Only auditors, access admins and privacy officers read the audit log."


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(label="Action", help_text="Exact, e.g. access.grant.revoked")
    actor = django_filters.CharFilter(method="by_actor", label="Actor", help_text="User id, username, or system")
    target_type = django_filters.CharFilter(label="Target type", help_text="e.g. access.grant")
    target_id = django_filters.CharFilter(label="Target id")
    since = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label="From", help_text="e.g. 2026-01-31 or 2026-01-31T09:00"
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label="Before", help_text="e.g. 2026-01-31 or 2026-01-31T09:00"
    )

    class Meta:
        model = AuditEvent
        fields = ["action", "actor", "target_type", "target_id", "since", "until"]

    def by_actor(self, qs, name, value):
        value = value.strip()
        if value.lower() == "system":
            return qs.filter(actor_id__isnull=True)
        if value.isdecimal():
            return qs.filter(actor_id=int(value)) if is_id(value) else qs.none()
        return qs.filter(actor_repr=value)


def may_read(user) -> bool:
    return permissions.has(user, READ_PERMISSION)


def audit_event_list(*, user, filters=None) -> QuerySet[AuditEvent]:
    """The events matching ``filters``, newest first; 403 for anyone who may not read the log."""
    permissions.require(user, READ_PERMISSION, message=READERS_ONLY)
    return apply_filters(AuditEventFilter, filters, AuditEvent.objects.order_by("-sequence"), user=user)


def audit_event_export(*, actor, filters=None) -> QuerySet[AuditEvent]:
    """The events to export, oldest first; the export itself is an audit event naming its filters."""
    events = audit_event_list(user=actor, filters=filters).order_by("sequence")
    used = {k: v for k, v in (filters or {}).items() if k in AuditEventFilter.base_filters and v not in ("", None)}
    audit.record(actor=actor, action="portal.audit.exported", details={"filters": used})
    return events
