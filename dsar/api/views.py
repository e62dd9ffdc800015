"""The dsar API (SPEC "dsar/"): each view validates, calls one service or selector, answers.

Requests are looked up through the selector, so one the user may not see is
404; the services decide what the user may do (403) and in which state (409).
Intake takes no login, is throttled, and answers the same whoever asks.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from dsar import selectors, services
from dsar.api.serializers import (
    DsarHandlerInputSerializer,
    DsarReasonInputSerializer,
    ExtendInputSerializer,
    IntakeAnswerSerializer,
    IntakeInputSerializer,
    RequestDetailSerializer,
    RequestSerializer,
    VerifyInputSerializer,
)
from dsar.models import Request
from dsar.throttle import IntakeThrottle
from portal.api.lists import FilteredListViewSet
from portal.api.serializers import ErrorSerializer

INTAKE_ANSWER = {
    "detail": "Thank you. If we can match your request, we will e-mail you a link to confirm it is you. "
    "The link is valid for 72 hours."
}

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input: `errors` names each field."),
    403: OpenApiResponse(ErrorSerializer, description="You may see this request but not do this."),
    404: OpenApiResponse(ErrorSerializer, description="No such request, or not one you may see."),
    409: OpenApiResponse(ErrorSerializer, description="Not in a state that allows this."),
}


def _valid(data, serializer_class) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _choices(choices) -> list[str]:
    return [value for value, _ in choices]


class IntakeView(APIView):
    """A subject asks, without signing in."""

    permission_classes = [AllowAny]
    throttle_classes = [IntakeThrottle]

    @extend_schema(
        summary="Make a data-subject request (no login; the same answer whether or not we know you)",
        request=IntakeInputSerializer,
        responses={
            202: IntakeAnswerSerializer,
            400: ERRORS[400],
            429: OpenApiResponse(ErrorSerializer, description="Too many requests."),
        },
    )
    def post(self, request):
        services.request_intake(**_valid(request.data, IntakeInputSerializer))
        return Response(INTAKE_ANSWER, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(
        summary="Data-subject requests you may see",
        parameters=[
            OpenApiParameter("status", str, many=True, enum=_choices(Request.Status.choices), explode=True),
            OpenApiParameter("type", str, enum=_choices(Request.Type.choices)),
            OpenApiParameter("jurisdiction", str, enum=_choices(Request.Jurisdiction.choices)),
            OpenApiParameter("due_soon", bool, description="Open and due within 7 days."),
            OpenApiParameter("overdue", bool, description="Open and past its due date."),
            OpenApiParameter("mine", bool, description="Only requests you handle."),
        ],
        responses={200: RequestSerializer(many=True), 400: ERRORS[400]},
    ),
    retrieve=extend_schema(
        summary="One request with its status, due date (and how it was computed) and tasks",
        responses={200: RequestDetailSerializer, 404: ERRORS[404]},
    ),
)
class DsarRequestViewSet(mixins.RetrieveModelMixin, FilteredListViewSet):
    serializer_class = RequestSerializer
    filterset_class = selectors.RequestFilter
    queryset = Request.objects.none()  # for the schema; get_queryset is what runs

    def select(self, filters):
        return selectors.request_list(user=self.request.user, filters=filters)

    def get_object(self):
        return selectors.request_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_serializer_class(self):
        return RequestDetailSerializer if self.action == "retrieve" else RequestSerializer

    def _out(self, request: Request, code=status.HTTP_200_OK) -> Response:
        fresh = selectors.request_get(user=self.request.user, pk=request.pk)
        return Response(RequestDetailSerializer(fresh).data, status=code)

    @extend_schema(
        summary="Extend the deadline once (GDPR: months; CCPA: days); the reason is mailed to the subject",
        request=ExtendInputSerializer,
        responses={200: RequestDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        obj = self.get_object()
        data = _valid(request.data, ExtendInputSerializer)
        return self._out(services.request_extend(actor=request.user, request=obj, **data))

    @extend_schema(
        summary="Start collection: a task per asset holding personal data; connectors run in the background",
        request=None,
        responses={202: RequestDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def collect(self, request, pk=None):
        obj = self.get_object()
        services.collection_start(actor=request.user, request=obj)
        return self._out(obj, status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Assign the handler (privacy officers)",
        request=DsarHandlerInputSerializer,
        responses={200: RequestDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        obj = self.get_object()
        data = _valid(request.data, DsarHandlerInputSerializer)
        return self._out(services.request_assign_handler(actor=request.user, request=obj, **data))

    @extend_schema(
        summary="Record identity verified another way, and how",
        request=VerifyInputSerializer,
        responses={200: RequestDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        obj = self.get_object()
        data = _valid(request.data, VerifyInputSerializer)
        return self._out(services.request_verify_otherwise(actor=request.user, request=obj, **data))

    @extend_schema(
        summary="Pause: waiting for the subject (stops the clock under UK GDPR)",
        request=DsarReasonInputSerializer,
        responses={200: RequestDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        obj = self.get_object()
        services.request_pause(actor=request.user, request=obj, **_valid(request.data, DsarReasonInputSerializer))
        return self._out(obj)

    @extend_schema(
        summary="Resume after a pause",
        request=None,
        responses={200: RequestDetailSerializer, 403: ERRORS[403], 404: ERRORS[404], 409: ERRORS[409]},
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._out(services.request_resume(actor=request.user, request=self.get_object()))

    @extend_schema(
        summary="Reject, with the reason mailed to the subject",
        request=DsarReasonInputSerializer,
        responses={200: RequestDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        obj = self.get_object()
        data = _valid(request.data, DsarReasonInputSerializer)
        return self._out(services.request_reject(actor=request.user, request=obj, **data))

    @extend_schema(
        summary="Record that the subject withdrew the request",
        request=DsarReasonInputSerializer,
        responses={200: RequestDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        obj = self.get_object()
        data = _valid(request.data, DsarReasonInputSerializer)
        return self._out(services.request_withdraw(actor=request.user, request=obj, **data))
