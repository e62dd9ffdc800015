from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from incidents import selectors
from incidents.models import (
    MAX_REASON,
    MAX_TEXT,
    MAX_TITLE,
    Filing,
    Incident,
    InvolvedUser,
    Obligation,
    Referral,
    Task,
    TimelineEntry,
)
from portal.api.fields import (
    BoundedDateTimeField,
    StrictCharField,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
)
from portal.api.serializers import InputSerializer, UserRefSerializer
from portal.models import DataAsset


class FilingSerializer(serializers.ModelSerializer):
    recorded_by = UserRefSerializer(read_only=True)

    class Meta:
        model = Filing
        fields = ["id", "kind", "authority", "submitted_at", "reference", "notes", "recorded_by", "recorded_at"]


class ObligationSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="`<regime>.<recipient>`, e.g. `gdpr.regulator`.")
    regime = serializers.CharField(source="regime.code", read_only=True)
    clock = serializers.SerializerMethodField(help_text="`state` (running, overdue, met, ...) and `seconds` left.")

    class Meta:
        model = Obligation
        fields = [
            "id",
            "kind",
            "regime",
            "recipient",
            "due_at",
            "done_at",
            "late",
            "late_reason",
            "exempt_at",
            "exempt_reason",
            "withdrawn_at",
            "clock",
        ]

    def get_clock(self, obligation) -> dict:
        return selectors.clock(obligation)


class IncidentSerializer(serializers.ModelSerializer):
    reported_by = UserRefSerializer(read_only=True)
    assets = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    obligations = ObligationSerializer(many=True, read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "title",
            "description",
            "kind",
            "severity",
            "status",
            "is_exercise",
            "reported_by",
            "reported_at",
            "detected_at",
            "aware_at",
            "awareness_gap_reason",
            "assets",
            "assessed_at",
            "is_personal_data_breach",
            "risk",
            "data_categories",
            "subject_count",
            "jurisdictions",
            "no_notification_at",
            "no_notification_reason",
            "obligations",
        ]


class TimelineEntrySerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(read_only=True, allow_null=True)  # null: the system (a deadline, a job)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "actor", "action", "text"]


class InvolvedUserSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)

    class Meta:
        model = InvolvedUser
        fields = ["id", "user", "note", "added_at", "access_revoked_at"]


class IncidentDetailSerializer(IncidentSerializer):
    timeline = TimelineEntrySerializer(many=True, read_only=True)
    involved_users = InvolvedUserSerializer(source="involved", many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "timeline", "involved_users"]


# --- Input ----------------------------------------------------------------


class IncidentInputSerializer(InputSerializer):
    title = StrictCharField(max_length=MAX_TITLE)
    description = StrictCharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Incident.Kind.choices)
    severity = serializers.ChoiceField(choices=Incident.Severity.choices, required=False, default="medium")
    detected_at = BoundedDateTimeField()
    aware_at = BoundedDateTimeField(required=False, help_text="Defaults to now.")
    awareness_gap_reason = StrictCharField(max_length=MAX_REASON, required=False, allow_blank=True, default="")
    assets = StrictPrimaryKeyRelatedField(queryset=DataAsset.objects.all(), many=True, required=False, default=list)
    is_exercise = serializers.BooleanField(required=False, default=False)


class AssessInputSerializer(InputSerializer):
    is_personal_data_breach = serializers.BooleanField()
    risk = serializers.ChoiceField(choices=Incident.Risk.choices, required=False, allow_blank=True, default="")
    data_categories = serializers.ListField(child=StrictCharField(max_length=100), required=False, default=list)
    subject_count = StrictIntegerField(min_value=0, required=False, allow_null=True, default=None)
    jurisdictions = serializers.ListField(child=StrictCharField(max_length=10), required=False, default=list)


class UserInputSerializer(InputSerializer):
    user = StrictPrimaryKeyRelatedField(queryset=get_user_model().objects.all(), help_text="User id.")


class InvolvedUserInputSerializer(UserInputSerializer):
    note = StrictCharField(max_length=MAX_REASON, required=False, allow_blank=True, default="")


class RevokeAccessInputSerializer(UserInputSerializer):
    reason = StrictCharField(max_length=MAX_REASON - 100, required=False, allow_blank=True, default="")


class RevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="How many active grants were revoked.")
    cancelled = serializers.IntegerField(help_text="How many pending requests were cancelled.")


class HandlerInputSerializer(InputSerializer):
    handler = StrictPrimaryKeyRelatedField(queryset=get_user_model().objects.all(), help_text="User id.")


class StatusInputSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=Incident.Status.choices)
    note = StrictCharField(max_length=MAX_REASON, required=False, allow_blank=True, default="")


class ReasonInputSerializer(InputSerializer):
    reason = StrictCharField(max_length=MAX_REASON)


class RegulatorNotificationInputSerializer(InputSerializer):
    authority = StrictCharField(max_length=200)
    submitted_at = BoundedDateTimeField()
    reference = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    delay_reason = StrictCharField(max_length=MAX_REASON, required=False, allow_blank=True, default="")
    notes = StrictCharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")
    regime = StrictCharField(max_length=30, required=False, allow_blank=True, default="", help_text="e.g. `gdpr`.")


class ExposureQuerySerializer(serializers.Serializer):
    # Optional, as on the page: by default 30 days before detection until now.
    start = BoundedDateTimeField(required=False, help_text="Window start (ISO 8601); default detection - 30 days.")
    end = BoundedDateTimeField(required=False, help_text="End of the window (ISO 8601), after the start; default now.")

    def validate(self, attrs):
        if "start" in attrs and "end" in attrs and attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": "The end must come after the start."})
        return attrs


class ExposureRowSerializer(serializers.Serializer):
    user = UserRefSerializer(read_only=True)
    asset = serializers.IntegerField(source="asset_id", read_only=True)
    asset_name = serializers.CharField(source="asset.name", read_only=True)
    scope = serializers.CharField(read_only=True)
    origin = serializers.CharField(read_only=True)
    granted_at = serializers.DateTimeField(read_only=True)
    ended_at = serializers.DateTimeField(read_only=True, allow_null=True)
    expires_at = serializers.DateTimeField(read_only=True)
    last_used_at = serializers.DateTimeField(read_only=True, allow_null=True)


# --- Casework: tasks, referrals, evidence ---------------------------------------------


class TaskSerializer(serializers.ModelSerializer):
    assignee = UserRefSerializer(read_only=True)
    done_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Task
        fields = ["id", "title", "assignee", "due_at", "created_at", "done_at", "done_by"]


class TaskInputSerializer(InputSerializer):
    title = StrictCharField(max_length=MAX_TITLE)
    assignee = StrictPrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), help_text="User id: a handler of the incident or a privacy officer."
    )
    due_at = BoundedDateTimeField(required=False, allow_null=True, default=None)


class ReferralSerializer(serializers.ModelSerializer):
    class Meta:
        model = Referral
        fields = ["id", "agency", "reference", "referred_on", "note", "recorded_at"]


class ReferralInputSerializer(InputSerializer):
    agency = StrictCharField(max_length=200)
    reference = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    referred_on = serializers.DateField()
    note = StrictCharField(max_length=MAX_REASON, required=False, allow_blank=True, default="")
