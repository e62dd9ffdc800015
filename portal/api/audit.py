"""``GET /api/audit-events/``: the audit log, read-only, for the people who may read it."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.permissions import BasePermission

from portal import audit, selectors_audit
from portal.api.lists import FilteredListViewSet
from portal.api.permissions import IsActiveUser
from portal.models import AuditEvent


class MayReadAuditLog(BasePermission):
    """Checked before the method: a non-reader gets 403 for any verb, a reader 405 for a write."""

    message = selectors_audit.READERS_ONLY

    def has_permission(self, request, view) -> bool:
        return selectors_audit.may_read(request.user)


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = list(audit.COLUMNS)  # every stored column, as the chain hashes them
        read_only_fields = fields


FILTERS = [
    OpenApiParameter("action", str, description="Exact action, e.g. access.grant.revoked."),
    OpenApiParameter("actor", str, description="User id, username, or `system` for periodic jobs."),
    OpenApiParameter("target_type", str, description="Model label, e.g. access.grant."),
    OpenApiParameter("target_id", str, description="Id of the target (with target_type)."),
    OpenApiParameter("since", str, description="ISO 8601 time; events at or after it."),
    OpenApiParameter("until", str, description="ISO 8601 time; events before it."),
]


@extend_schema_view(list=extend_schema(parameters=FILTERS))
class AuditEventViewSet(mixins.RetrieveModelMixin, FilteredListViewSet):
    """Audit events, newest first (the chain's fields included, to check it elsewhere). Nothing here writes."""

    serializer_class = AuditEventSerializer
    permission_classes = [IsActiveUser, MayReadAuditLog]
    filterset_class = selectors_audit.AuditEventFilter
    lookup_field = "sequence"
    lookup_value_regex = "[0-9]{1,18}"

    def select(self, filters):
        return selectors_audit.audit_event_list(user=self.request.user, filters=filters)
