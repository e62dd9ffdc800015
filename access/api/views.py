"""The access API: requests, decisions, grants, break-glass, the decision point and offboarding.

Each view validates the shape of its input with a serializer, calls ONE
service or selector and answers with an output serializer. Objects are looked
up through the selectors, so an object the user may not see is 404; the
services decide what the user may do with it (403) and in which state (409).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from access import selectors, services
from access.api.authentication import CheckTokenAuthentication, MayCheckAccess
from access.api.check import ServicePath
from access.api.serializers import (
    AccessRequestInputSerializer,
    AccessRequestSerializer,
    BreakGlassInputSerializer,
    BreakGlassReviewInputSerializer,
    CheckInputSerializer,
    CheckResultSerializer,
    CommentInputSerializer,
    DenyInputSerializer,
    ErrorSerializer,
    GrantSerializer,
    RevokedCountSerializer,
    RevokeInputSerializer,
)
from access.models import AccessRequest, Grant, Scope
from portal import offboarding, permissions
from portal.api.permissions import IsActiveUser
from portal.errors import NotFound
from portal.params import check_filters

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input: `errors` names each field."),
    403: OpenApiResponse(ErrorSerializer, description="You may see this object but not do this."),
    404: OpenApiResponse(ErrorSerializer, description="No such object, or not one you may see."),
}
DECISION_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(ErrorSerializer, description="Not in a state that allows this (e.g. no longer pending)."),
}


def _valid(data, serializer_class) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _choices(choices) -> list[str]:
    return [value for value, _label in choices]


# --- Requests ---------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Access requests you may see",
        parameters=[
            OpenApiParameter("status", str, many=True, enum=_choices(AccessRequest.Status.choices), explode=True),
            OpenApiParameter("scope", str, enum=_choices(Scope.choices)),
            OpenApiParameter("asset", int, description="Data asset id."),
            OpenApiParameter("mine", bool, description="Only your own requests."),
            OpenApiParameter("reviewable", bool, description="Only requests you may decide now (1 or true)."),
        ],
        responses={200: AccessRequestSerializer(many=True), 400: ERRORS[400]},
    ),
    retrieve=extend_schema(summary="One access request with its decisions", responses={200: AccessRequestSerializer}),
)
class AccessRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Request → decision. A restricted asset needs two approvals by two different reviewers."""

    serializer_class = AccessRequestSerializer
    filter_backends: list = []  # the selector applies RequestFilter itself
    queryset = AccessRequest.objects.none()  # for the schema; get_queryset is what runs

    def get_queryset(self):
        filters = check_filters(self.request.query_params, selectors.RequestFilter)
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
            actor=request.user, **_valid(request.data, AccessRequestInputSerializer)
        )
        return Response(self._out(access_request), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Approve (stays pending until the policy's approvals are in)",
        request=CommentInputSerializer,
        responses={200: AccessRequestSerializer, **DECISION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        comment = _valid(request.data, CommentInputSerializer)["comment"]
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
        comment = _valid(request.data, DenyInputSerializer)["comment"]
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


# --- Grants -----------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Grants you may see",
        parameters=[
            OpenApiParameter("user", str, description="A user id, or `me`."),
            OpenApiParameter(
                "status",
                str,
                enum=_choices(Grant.Status.choices),
                description="`active` excludes grants past their expiry, swept or not.",
            ),
            OpenApiParameter("scope", str, enum=_choices(Scope.choices)),
            OpenApiParameter("origin", str, enum=_choices(Grant.Origin.choices)),
            OpenApiParameter("asset", int, description="Data asset id."),
            OpenApiParameter("awaiting_review", bool, description="Break-glass uses not reviewed yet."),
        ],
        responses={200: GrantSerializer(many=True), 400: ERRORS[400]},
    ),
    retrieve=extend_schema(summary="One grant", responses={200: GrantSerializer}),
)
class GrantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Grants: each active one is a guardian permission on its asset."""

    serializer_class = GrantSerializer
    filter_backends: list = []  # the selector applies GrantFilter itself
    queryset = Grant.objects.none()  # for the schema; get_queryset is what runs

    def get_queryset(self):
        filters = check_filters(self.request.query_params, selectors.GrantFilter)
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
        reason = _valid(request.data, RevokeInputSerializer)["reason"]
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
            actor=request.user, grant=self.get_object(), **_valid(request.data, BreakGlassReviewInputSerializer)
        )
        return Response(self._out(grant))

    def _out(self, grant: Grant) -> dict:
        return GrantSerializer(selectors.grant_get(user=self.request.user, pk=grant.pk)).data


@extend_schema_view(
    list=extend_schema(
        summary="Break-glass uses waiting for your review, most urgent first",
        responses={200: GrantSerializer(many=True)},
    ),
)
class BreakGlassViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Immediate access for at most four hours, reviewed after the fact within 24 hours."""

    serializer_class = GrantSerializer
    filter_backends: list = []
    queryset = Grant.objects.none()  # for the schema; get_queryset is what runs

    def get_queryset(self):
        return selectors.break_glass_queue(user=self.request.user)

    @extend_schema(
        summary="Take emergency access now",
        request=BreakGlassInputSerializer,
        responses={201: GrantSerializer, 400: ERRORS[400], 409: DECISION_ERRORS[409]},
    )
    def create(self, request):
        grant = services.break_glass_open(actor=request.user, **_valid(request.data, BreakGlassInputSerializer))
        return Response(
            GrantSerializer(selectors.grant_get(user=request.user, pk=grant.pk)).data, status=status.HTTP_201_CREATED
        )


# --- Decision point -----------------------------------------------------------


class CheckAccessView(ServicePath, APIView):
    """The decision point: may this user use this asset with this scope right now?

    For services holding ``access.check_access`` (token auth). A service's
    call is answered by ``access.api.check`` in ONE SQL statement (token,
    caller, permission and grant; at most once an hour per grant an UPDATE of
    its last use); sessions and refusals come here.
    """

    authentication_classes = [CheckTokenAuthentication, SessionAuthentication]
    permission_classes = [MayCheckAccess]

    @extend_schema(
        summary="Decision point",
        request=CheckInputSerializer,
        responses={
            200: CheckResultSerializer,
            400: ERRORS[400],
            403: OpenApiResponse(ErrorSerializer, description="The caller does not hold access.check_access."),
        },
    )
    def post(self, request):
        decision = services.check_access(**_valid(request.data, CheckInputSerializer))
        return Response(CheckResultSerializer(decision).data)


# --- Offboarding ------------------------------------------------------------


class MayRevokeAll(BasePermission):
    # Checked before the user is looked up, so nobody without the right learns which user ids exist.
    message = "Only access admins and privacy officers may revoke all access of a user."

    def has_permission(self, request, view) -> bool:
        return permissions.has(request.user, "portal.offboard_user")


class UserRevokeAllView(APIView):
    """Offboarding: revoke every active grant of a user and cancel their pending requests, in one step."""

    permission_classes = [IsActiveUser, MayRevokeAll]

    @extend_schema(
        summary="Revoke all access of a user",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="User id.")],
        request=RevokeInputSerializer,
        responses={200: RevokedCountSerializer, **ERRORS},
    )
    def post(self, request, pk):
        # Inactive users too: offboarding often follows the deactivation of the account.
        user = get_user_model().objects.filter(pk=pk).first() if str(pk).isdecimal() else None
        if user is None:
            raise NotFound()
        reason = _valid(request.data, RevokeInputSerializer)["reason"]
        done = offboarding.user_offboard(actor=request.user, user=user, reason=reason)
        return Response({"revoked": done["revoked"], "cancelled": done["cancelled"]})
