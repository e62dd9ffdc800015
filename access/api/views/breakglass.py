"""``/api/break-glass``: taking emergency access, and the uses waiting for review."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from access import selectors, services
from access.api.serializers import BreakGlassInputSerializer, GrantSerializer
from access.api.views.common import DECISION_ERRORS, ERRORS, valid_input
from access.models import Grant
from portal.api.lists import FilteredListViewSet


@extend_schema_view(
    list=extend_schema(
        summary="Break-glass uses waiting for your review, most urgent first",
        responses={200: GrantSerializer(many=True)},
    ),
)
class BreakGlassViewSet(FilteredListViewSet):
    """Immediate access for at most four hours, reviewed after the fact within 24 hours."""

    serializer_class = GrantSerializer
    queryset = Grant.objects.none()  # for the schema; get_queryset is what runs

    def select(self, filters):
        return selectors.break_glass_queue(user=self.request.user)  # no filters: the queue is the list

    @extend_schema(
        summary="Take emergency access now",
        request=BreakGlassInputSerializer,
        responses={201: GrantSerializer, 400: ERRORS[400], 409: DECISION_ERRORS[409]},
    )
    def create(self, request):
        grant = services.break_glass_open(actor=request.user, **valid_input(request.data, BreakGlassInputSerializer))
        return Response(
            GrantSerializer(selectors.grant_get(user=request.user, pk=grant.pk)).data, status=status.HTTP_201_CREATED
        )
