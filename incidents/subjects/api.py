"""The subject-notification API (SPEC "incidents/"): import a CSV, queue the notification, read counts and rows.

The incident is looked up through the incidents selector (404 for one the user may
not see); the services answer 403 (only those who work the incident import and
notify) and 409.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.api.views import ERRORS
from incidents.subjects import selectors, services
from incidents.subjects.models import (
    MAX_MAIL_BODY,
    MAX_MAIL_SUBJECT,
    AffectedSubject,
    SubjectImport,
    SubjectNotification,
)
from portal.api.fields import StrictCharField
from portal.api.serializers import ErrorSerializer, InputSerializer, UserRefSerializer


class SubjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = AffectedSubject
        fields = [
            "id",
            "email",
            "name",
            "language",
            "status",
            "notification",
            "attempts",
            "next_attempt_at",
            "sent_at",
            "last_error",
        ]
        read_only_fields = fields


class SubjectImportSerializer(serializers.ModelSerializer):
    imported_by = UserRefSerializer(read_only=True)

    class Meta:
        model = SubjectImport
        fields = ["id", "file_name", "size", "sha256", "count", "imported_by", "imported_at"]
        read_only_fields = fields


class SubjectNotificationSerializer(serializers.ModelSerializer):
    created_by = UserRefSerializer(read_only=True)

    class Meta:
        model = SubjectNotification
        fields = ["id", "subject", "body", "queued", "created_by", "created_at", "finished_at"]
        read_only_fields = fields


class ImportInputSerializer(InputSerializer):
    # An empty or missing file is the import's own report ("choose a file", "the file is empty").
    file = serializers.FileField(
        required=False, allow_empty_file=True, help_text="CSV, UTF-8: a header with email and name (language optional)."
    )


class NotifyInputSerializer(InputSerializer):
    subject = StrictCharField(max_length=MAX_MAIL_SUBJECT)
    body = StrictCharField(max_length=MAX_MAIL_BODY)


CountsSerializer = inline_serializer(
    "SubjectCounts",
    {
        "imported": serializers.IntegerField(),
        "waiting": serializers.IntegerField(help_text="Imported, not yet queued for a notification."),
        **{s: serializers.IntegerField() for s in AffectedSubject.Status.values},
    },
)
BadRowsSerializer = inline_serializer(
    "SubjectImportRefused",
    {
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        # Only when the file was read: a missing file or an unknown field is the plain error body.
        "bad_rows": serializers.IntegerField(required=False, help_text="Every bad row, counted."),
        "rows": inline_serializer(
            "SubjectImportBadRow",
            {"line": serializers.IntegerField(), "reason": serializers.CharField()},
            many=True,
            required=False,
        ),
    },
)


def refused(exc: services.ImportRefused) -> Response:
    report = exc.report
    return Response(
        {
            "detail": exc.message,
            "code": exc.code,
            "errors": exc.fields,
            "bad_rows": report.bad,
            "rows": [{"line": p.line, "reason": p.reason} for p in report.problems],
        },
        status=status.HTTP_400_BAD_REQUEST,
    )


class SubjectImportView(APIView):
    # The default parsers: a JSON body is "choose a file" (400) after the rights are checked, not a 415 before.

    @extend_schema(
        summary="Import affected subjects from a CSV: all rows or none",
        request={"multipart/form-data": ImportInputSerializer},
        responses={
            201: SubjectImportSerializer,
            400: OpenApiResponse(BadRowsSerializer, description="Nothing imported: every bad row, line and reason."),
            403: ERRORS[403],
            404: ERRORS[404],
            409: ERRORS[409],
            413: OpenApiResponse(ErrorSerializer, description="The file is over SUBJECT_IMPORT_MAX_BYTES."),
        },
    )
    def post(self, request, pk):
        incident = selectors.incident_get(user=request.user, pk=pk)
        serializer = ImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)  # an unknown field is named, not ignored
        upload = serializer.validated_data.get("file")
        try:
            source = services.subjects_import(actor=request.user, incident=incident, upload=upload)
        except services.ImportRefused as exc:
            return refused(exc)
        return Response(SubjectImportSerializer(source).data, status=status.HTTP_201_CREATED)


class SubjectNotifyView(APIView):
    @extend_schema(
        summary="Queue the notification of every subject not yet notified ({name}, {email}, {reference})",
        request=NotifyInputSerializer,
        responses={202: SubjectNotificationSerializer, **ERRORS},
    )
    def post(self, request, pk):
        incident = selectors.incident_get(user=request.user, pk=pk)
        serializer = NotifyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notification = services.subjects_notify(actor=request.user, incident=incident, **serializer.validated_data)
        return Response(SubjectNotificationSerializer(notification).data, status=status.HTTP_202_ACCEPTED)


class SubjectSummaryView(APIView):
    @extend_schema(
        summary="Counts of the incident's subjects per status, its imports and notifications",
        responses={
            200: inline_serializer(
                "SubjectSummary",
                {
                    "counts": CountsSerializer,
                    "imports": SubjectImportSerializer(many=True),
                    "notifications": SubjectNotificationSerializer(many=True),
                },
            ),
            404: ERRORS[404],
        },
    )
    def get(self, request, pk):
        incident = selectors.incident_get(user=request.user, pk=pk)
        return Response(
            {
                "counts": selectors.counts(incident),
                "imports": SubjectImportSerializer(selectors.imports(incident), many=True).data,
                "notifications": SubjectNotificationSerializer(selectors.notifications(incident), many=True).data,
            }
        )


class SubjectListView(generics.ListAPIView):
    serializer_class = SubjectSerializer
    filter_backends: list = []
    queryset = AffectedSubject.objects.none()  # for the schema

    @extend_schema(
        summary="The incident's subjects (handlers, privacy officers, auditors), filtered by status",
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=["waiting", *AffectedSubject.Status.values], description="State"
            ),
            OpenApiParameter("email", OpenApiTypes.STR, description="E-mail address contains"),
        ],
        responses={200: SubjectSerializer(many=True), 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        incident = selectors.incident_get(user=self.request.user, pk=self.kwargs["pk"])
        return selectors.subject_list(user=self.request.user, incident=incident, filters=self.request.query_params)
