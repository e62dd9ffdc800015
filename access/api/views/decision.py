"""``/api/access/check``: the decision point (a service's token call is answered by ``access.api.check``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from access import services
from access.api.authentication import CheckTokenAuthentication, MayCheckAccess
from access.api.check import ServicePath
from access.api.serializers import CheckInputSerializer, CheckResultSerializer, ErrorSerializer
from access.api.views.common import ERRORS, valid_input


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
        decision = services.check_access(**valid_input(request.data, CheckInputSerializer))
        return Response(CheckResultSerializer(decision).data)
