"""The incidents API (SPEC "incidents/"): each view validates, calls one service or selector, answers.

Incidents are looked up through the selector, so one the user may not see is
404; the services decide what the user may do (403) and in which state (409).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents import selectors, services
from incidents.api.serializers import (
    AssessInputSerializer,
    ExposureQuerySerializer,
    ExposureRowSerializer,
    FilingSerializer,
    HandlerInputSerializer,
    IncidentDetailSerializer,
    IncidentInputSerializer,
    IncidentSerializer,
    InvolvedUserInputSerializer,
    InvolvedUserSerializer,
    ReasonInputSerializer,
    ReferralInputSerializer,
    ReferralSerializer,
    RegulatorNotificationInputSerializer,
    RevokeAccessInputSerializer,
    RevokedSerializer,
    StatusInputSerializer,
    TaskInputSerializer,
    TaskSerializer,
)
from incidents.models import Incident
from portal.api.lists import FilteredListViewSet
from portal.api.serializers import ErrorSerializer
from portal.errors import Forbidden, ValidationError

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input: `errors` names each field."),
    403: OpenApiResponse(ErrorSerializer, description="You may see this incident but not do this."),
    404: OpenApiResponse(ErrorSerializer, description="No such incident, or not one you may see."),
    409: OpenApiResponse(ErrorSerializer, description="Not in a state that allows this."),
}


def _valid(data, serializer_class) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    list=extend_schema(summary="Incidents you may see", responses={200: IncidentSerializer(many=True)}),
    retrieve=extend_schema(
        summary="One incident with obligations, timeline and involved users",
        responses={200: IncidentDetailSerializer, 404: ERRORS[404]},
    ),
)
class IncidentViewSet(mixins.RetrieveModelMixin, FilteredListViewSet):
    serializer_class = IncidentSerializer
    filterset_class = selectors.IncidentFilter
    queryset = Incident.objects.none()  # for the schema; get_queryset is what runs

    def select(self, filters):
        return selectors.incident_list(user=self.request.user, filters=filters)

    def get_object(self):
        return selectors.incident_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_serializer_class(self):
        return IncidentDetailSerializer if self.action == "retrieve" else IncidentSerializer

    def _out(self, incident: Incident, code=status.HTTP_200_OK) -> Response:
        fresh = selectors.incident_get(user=self.request.user, pk=incident.pk)
        return Response(IncidentDetailSerializer(fresh).data, status=code)

    @extend_schema(
        summary="Report an incident (any employee)",
        request=IncidentInputSerializer,
        responses={201: IncidentDetailSerializer, 400: ERRORS[400]},
    )
    def create(self, request):
        incident = services.incident_report(actor=request.user, **_valid(request.data, IncidentInputSerializer))
        return self._out(incident, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Assess: derives the obligations and their clocks",
        request=AssessInputSerializer,
        responses={200: IncidentDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def assess(self, request, pk=None):
        incident = self.get_object()
        done = services.incident_assess(
            actor=request.user, incident=incident, **_valid(request.data, AssessInputSerializer)
        )
        return self._out(done)

    @extend_schema(
        summary="Link an involved user",
        request=InvolvedUserInputSerializer,
        responses={201: InvolvedUserSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="involved-users")
    def involved_users(self, request, pk=None):
        incident = self.get_object()
        involved = services.involved_user_add(
            actor=request.user, incident=incident, **_valid(request.data, InvolvedUserInputSerializer)
        )
        return Response(InvolvedUserSerializer(involved).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke all access of an involved user, with the incident as the reason",
        request=RevokeAccessInputSerializer,
        responses={200: RevokedSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="revoke-access")
    def revoke_access(self, request, pk=None):
        incident = self.get_object()
        done = services.involved_user_revoke_access(
            actor=request.user, incident=incident, **_valid(request.data, RevokeAccessInputSerializer)
        )
        return Response({"revoked": done.get("revoked", 0), "cancelled": done.get("cancelled", 0)})

    @extend_schema(
        summary="Record a notification submitted to the regulator (initial, then supplements)",
        request=RegulatorNotificationInputSerializer,
        responses={201: FilingSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="regulator-notifications")
    def regulator_notifications(self, request, pk=None):
        incident = self.get_object()
        data = _valid(request.data, RegulatorNotificationInputSerializer)
        data["regime"] = data["regime"] or None
        filing = services.regulator_notification_record(actor=request.user, incident=incident, **data)
        return Response(FilingSerializer(filing).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record that no notification is needed (Art. 33(5)): who, when, why",
        request=ReasonInputSerializer,
        responses={200: IncidentDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="no-notification")
    def no_notification(self, request, pk=None):
        incident = self.get_object()
        reason = _valid(request.data, ReasonInputSerializer)["reason"]
        return self._out(services.incident_decide_no_notification(actor=request.user, incident=incident, reason=reason))

    @extend_schema(
        summary="Assign a handler (privacy officers)",
        request=HandlerInputSerializer,
        responses={200: IncidentDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def handlers(self, request, pk=None):
        incident = self.get_object()
        handler = _valid(request.data, HandlerInputSerializer)["handler"]
        return self._out(services.incident_assign_handler(actor=request.user, incident=incident, handler=handler))

    @extend_schema(
        summary="Move the incident forward (reported → triage → contained → notifying → closed)",
        request=StatusInputSerializer,
        responses={200: IncidentDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        incident = self.get_object()
        data = _valid(request.data, StatusInputSerializer)
        return self._out(services.incident_set_status(actor=request.user, incident=incident, **data))

    @extend_schema(
        summary="Exposure report: who held a grant on the affected assets during a window",
        parameters=[ExposureQuerySerializer],
        responses={200: ExposureRowSerializer(many=True), 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
    )
    @action(detail=True, methods=["get"])
    def exposure(self, request, pk=None):
        incident = self.get_object()
        if not services.may_investigate(request.user, incident):
            raise Forbidden("Only those working the incident (and auditors) see who held access.")
        window = _valid(request.query_params, ExposureQuerySerializer)
        start, end = selectors.exposure_window(incident, window.get("start"), window.get("end"))
        if end <= start:
            raise ValidationError(fields={"end": "The end must come after the start."})
        rows = selectors.exposure(incident, start=start, end=end)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ExposureRowSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a task for a handler or a privacy officer",
        request=TaskInputSerializer,
        responses={201: TaskSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def tasks(self, request, pk=None):
        incident = self.get_object()
        task = services.task_create(actor=request.user, incident=incident, **_valid(request.data, TaskInputSerializer))
        return Response(TaskSerializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record a referral to law enforcement",
        request=ReferralInputSerializer,
        responses={201: ReferralSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def referrals(self, request, pk=None):
        incident = self.get_object()
        data = _valid(request.data, ReferralInputSerializer)
        referral = services.referral_record(actor=request.user, incident=incident, **data)
        return Response(ReferralSerializer(referral).data, status=status.HTTP_201_CREATED)
