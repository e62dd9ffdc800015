"""``/api/access-requests``: asking for access, deciding, withdrawing."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from access import selectors, services
from access.api.serializers import (
    AccessRequestInputSerializer,
    AccessRequestSerializer,
    CommentInputSerializer,
    DenyInputSerializer,
)
from access.api.views.common import DECISION_ERRORS, ERRORS, enum_values, valid_input
from access.models import AccessRequest, Scope
from portal.api.lists import FilteredListViewSet


@extend_schema_view(
    list=extend_schema(
        summary="Access requests you may see",
        parameters=[
            OpenApiParameter("status", str, many=True, enum=enum_values(AccessRequest.Status.choices), explode=True),
            OpenApiParameter("scope", str, enum=enum_values(Scope.choices)),
            OpenApiParameter("asset", int, description="Data asset id."),
            OpenApiParameter("mine", bool, description="Only your own requests."),
            OpenApiParameter("reviewable", bool, description="Only requests you may decide now (1 or true)."),
        ],
        responses={200: AccessRequestSerializer(many=True), 400: ERRORS[400]},
    ),
    retrieve=extend_schema(summary="One access request with its decisions", responses={200: AccessRequestSerializer}),
)
class AccessRequestViewSet(mixins.RetrieveModelMixin, FilteredListViewSet):
    """Request → decision. A restricted asset needs two approvals by two different reviewers."""

    serializer_class = AccessRequestSerializer
    filterset_class = selectors.RequestFilter
    queryset = AccessRequest.objects.none()  # for the schema; get_queryset is what runs

    def select(self, filters):
        return selectors.request_list(user=self.request.user, filters=filters)

    def get_object(self):
        return selectors.request_get(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(
        summary="Ask for access",
        request=AccessRequestInputSerializer,
        responses={201: AccessRequestSerializer, 400: ERRORS[400], 409: DECISION_ERRORS[409]},
    )
    def create(self, request):
        access_request = services.request_create(
            actor=request.user, **valid_input(request.data, AccessRequestInputSerializer)
        )
        return Response(self._out(access_request), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Approve (stays pending until the policy's approvals are in)",
        request=CommentInputSerializer,
        responses={200: AccessRequestSerializer, **DECISION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        comment = valid_input(request.data, CommentInputSerializer)["comment"]
        decided = services.request_approve(actor=request.user, request=self.get_object(), comment=comment)
        return Response(self._out(decided))

    @extend_schema(
        summary="Deny with a reason (one denial ends the request; the requester is told why)",
        request=DenyInputSerializer,
        responses={200: AccessRequestSerializer, **DECISION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def deny(self, request, pk=None):
        access_request = self.get_object()  # 404 before 400: nothing said about requests one may not see
        comment = valid_input(request.data, DenyInputSerializer)["comment"]
        decided = services.request_deny(actor=request.user, request=access_request, comment=comment)
        return Response(self._out(decided))

    @extend_schema(
        summary="Withdraw your own pending request",
        request=None,
        responses={200: AccessRequestSerializer, **DECISION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        cancelled = services.request_cancel(actor=request.user, request=self.get_object())
        return Response(self._out(cancelled))

    def _out(self, access_request: AccessRequest) -> dict:
        # Read back through the selector: decisions and grant as every other reader sees them.
        return AccessRequestSerializer(selectors.request_get(user=self.request.user, pk=access_request.pk)).data
