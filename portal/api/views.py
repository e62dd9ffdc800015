from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from portal import selectors, services, users
from portal.api.lists import FilteredListViewSet
from portal.api.serializers import AssetInputSerializer, AssetSerializer, TokenRequestSerializer, TokenSerializer
from portal.errors import ValidationError


class TokenView(APIView):
    """Trade a username and password for an API token (throttled)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(request=TokenRequestSerializer, responses=TokenSerializer)
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request._request, **data.validated_data)
        if user is None or not user.is_active:
            raise ValidationError(
                "Unable to sign in with these credentials.",
                fields={"password": "Wrong username or password."},  # nosec B105
            )
        # A newly issued key is audited; an existing one is handed back as it is.
        token = users.token_issue(actor=user, user=user)
        return Response({"token": token.key})


@extend_schema(
    parameters=[
        OpenApiParameter("usable", bool, description="Only assets you may use now."),
        OpenApiParameter("q", str, description="Search name and description."),
    ]
)
class AssetViewSet(mixins.RetrieveModelMixin, FilteredListViewSet):
    """The data-asset catalogue. Access admins create and change assets."""

    serializer_class = AssetSerializer
    filterset_class = selectors.AssetFilter

    def select(self, filters):
        return selectors.asset_list(user=self.request.user, filters=filters)

    def get_object(self):
        return selectors.asset_get(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(request=AssetInputSerializer, responses={201: AssetSerializer})
    def create(self, request):
        data = AssetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        asset = services.asset_create(actor=request.user, **data.validated_data)
        return Response(self._out(asset), status=status.HTTP_201_CREATED)

    @extend_schema(request=AssetInputSerializer, responses=AssetSerializer)
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(request=AssetInputSerializer, responses=AssetSerializer)
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial: bool):
        asset = self.get_object()
        data = AssetInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        fields = {k: v for k, v in data.validated_data.items() if k in request.data}
        asset = services.asset_update(actor=request.user, asset=asset, **fields)
        return Response(self._out(asset))

    def _out(self, asset):
        return AssetSerializer(selectors.asset_get(user=self.request.user, pk=asset.pk)).data
