from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from dsar import selectors
from dsar.models import MAX_NAME, MAX_REASON, MAX_TEXT, Pause, Request, Task
from dsar.services.clock import MAX_EXTENSION_DAYS, MAX_EXTENSION_MONTHS
from dsar.services.intake import MAX_CUSTOMER_ID
from portal.api.fields import StrictCharField, StrictIntegerField, StrictPrimaryKeyRelatedField
from portal.api.serializers import InputSerializer, UserRefSerializer


@extend_schema_serializer(component_name="DsarTask")
class TaskSerializer(serializers.ModelSerializer):
    asset = serializers.IntegerField(source="asset_id", read_only=True)
    asset_name = serializers.CharField(source="asset.name", read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "asset",
            "asset_name",
            "kind",
            "method",
            "status",
            "found",
            "error",
            "started_at",
            "finished_at",
        ]


class PauseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pause
        fields = ["id", "started_at", "ended_at", "reason"]


CLOCK_STATES = ["running", "due_soon", "overdue", "paused", "finished"]  # what selectors.clock gives


@extend_schema_serializer(component_name="DsarClock")
class ClockSerializer(serializers.Serializer):
    """Where the request stands against its deadline."""

    state = serializers.ChoiceField(choices=CLOCK_STATES)
    days = serializers.IntegerField(
        allow_null=True, help_text="Days left (negative: overdue); null when paused or finished."
    )
    text = serializers.CharField()


class RequestSerializer(serializers.ModelSerializer):
    handler = UserRefSerializer(read_only=True, allow_null=True)
    clock = serializers.SerializerMethodField()

    class Meta:
        model = Request
        fields = [
            "id",
            "reference",
            "type",
            "email",
            "customer_id",
            "name",
            "jurisdiction",
            "status",
            "status_reason",
            "received_at",
            "due_at",
            "extended_at",
            "verified_at",
            "handler",
            "clock",
        ]

    @extend_schema_field(ClockSerializer)
    def get_clock(self, request) -> dict:
        return selectors.clock(request)


class RequestDetailSerializer(RequestSerializer):
    tasks = TaskSerializer(many=True, read_only=True)
    pauses = PauseSerializer(many=True, read_only=True)
    due_trace = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(RequestSerializer.Meta):
        fields = [
            *RequestSerializer.Meta.fields,
            "details",
            "due_trace",
            "extension_reason",
            "verification_method",
            "pauses",
            "tasks",
        ]


# --- Input ----------------------------------------------------------------


class IntakeInputSerializer(InputSerializer):
    type = serializers.ChoiceField(choices=Request.Type.choices)
    email = serializers.EmailField(max_length=254)
    jurisdiction = serializers.ChoiceField(choices=Request.Jurisdiction.choices)
    customer_id = StrictCharField(max_length=MAX_CUSTOMER_ID, required=False, allow_blank=True, default="")
    name = StrictCharField(max_length=MAX_NAME, required=False, allow_blank=True, default="")
    details = StrictCharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class IntakeAnswerSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ExtendInputSerializer(InputSerializer):
    months = StrictIntegerField(
        min_value=1, max_value=MAX_EXTENSION_MONTHS, required=False, help_text="GDPR: further months (1 or 2)."
    )
    days = StrictIntegerField(
        min_value=1, max_value=MAX_EXTENSION_DAYS, required=False, help_text="CCPA: further days (up to 45)."
    )
    reason = StrictCharField(max_length=MAX_REASON, help_text="Told to the subject.")

    def validate(self, attrs):
        if "months" in attrs and "days" in attrs:
            raise serializers.ValidationError({"days": "Give months or days, not both."})
        return attrs


class DsarReasonInputSerializer(InputSerializer):
    reason = StrictCharField(max_length=MAX_REASON)


class DsarHandlerInputSerializer(InputSerializer):
    handler = StrictPrimaryKeyRelatedField(queryset=get_user_model().objects.all(), help_text="User id.")


class VerifyInputSerializer(InputSerializer):
    method = serializers.ChoiceField(choices=[c for c in Request.Verification.choices if c[0] != "link"])
    note = StrictCharField(max_length=MAX_REASON, help_text="How the identity was checked.")
