"""``/api/grants``: grants you may see, revoking one, reviewing a break-glass use."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from access import selectors, services
from access.api.serializers import BreakGlassReviewInputSerializer, GrantSerializer, RevokeInputSerializer
from access.api.views.common import DECISION_ERRORS, ERRORS, enum_values, valid_input
from access.models import Grant, Scope
from portal.api.lists import FilteredListViewSet


@extend_schema_view(
    list=extend_schema(
        summary="Grants you may see",
        parameters=[
            OpenApiParameter("user", str, description="A user id, or `me`."),
            OpenApiParameter(
                "status",
                str,
                enum=enum_values(Grant.Status.choices),
                description="`active` excludes grants past their expiry, swept or not.",
            ),
            OpenApiParameter("scope", str, enum=enum_values(Scope.choices)),
            OpenApiParameter("origin", str, enum=enum_values(Grant.Origin.choices)),
            OpenApiParameter("asset", int, description="Data asset id."),
            OpenApiParameter("awaiting_review", bool, description="Break-glass uses not reviewed yet."),
        ],
        responses={200: GrantSerializer(many=True), 400: ERRORS[400]},
    ),
    retrieve=extend_schema(summary="One grant", responses={200: GrantSerializer}),
)
class GrantViewSet(mixins.RetrieveModelMixin, FilteredListViewSet):
    """Grants: each active one is a guardian permission on its asset."""

    serializer_class = GrantSerializer
    filterset_class = selectors.GrantFilter
    queryset = Grant.objects.none()  # for the schema; get_queryset is what runs

    def select(self, filters):
        return selectors.grant_list(user=self.request.user, filters=filters)

    def get_object(self):
        return selectors.grant_get(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(
        summary="Revoke (the grantee, a reviewer of the asset or an access admin)",
        request=RevokeInputSerializer,
        responses={200: GrantSerializer, **DECISION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        reason = valid_input(request.data, RevokeInputSerializer)["reason"]
        grant = services.grant_revoke(actor=request.user, grant=self.get_object(), reason=reason)
        return Response(self._out(grant))

    @extend_schema(
        summary="Review a break-glass use after the fact (an unjustified one ends at once)",
        request=BreakGlassReviewInputSerializer,
        responses={200: GrantSerializer, **DECISION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        grant = services.break_glass_review(
            actor=request.user, grant=self.get_object(), **valid_input(request.data, BreakGlassReviewInputSerializer)
        )
        return Response(self._out(grant))

    def _out(self, grant: Grant) -> dict:
        return GrantSerializer(selectors.grant_get(user=self.request.user, pk=grant.pk)).data
