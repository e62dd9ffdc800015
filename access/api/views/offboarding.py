"""``/api/users/{id}/revoke-all``: offboarding in one step."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api.serializers import RevokedCountSerializer, RevokeInputSerializer
from access.api.views.common import ERRORS, valid_input
from portal import offboarding, permissions
from portal.api.permissions import IsActiveUser
from portal.errors import NotFound


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
        reason = valid_input(request.data, RevokeInputSerializer)["reason"]
        done = offboarding.user_offboard(actor=request.user, user=user, reason=reason)
        return Response({"revoked": done["revoked"], "cancelled": done["cancelled"]})
