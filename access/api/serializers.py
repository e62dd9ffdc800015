"""Shapes of the access API. Input serializers check types only; the services own the rules.

Output serializers read only what the selectors fetched (``select_related`` /
``prefetch_related``), so a page of any size costs the same queries.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from access import policy
from access.models import (
    BREAK_GLASS_DEFAULT_HOURS,
    BREAK_GLASS_MAX_HOURS,
    BREAK_GLASS_SCOPE_CHOICES,
    BREAK_GLASS_SCOPE_MESSAGE,
    DENY_REASON_MESSAGE,
    MAX_COMMENT,
    MAX_JUSTIFICATION,
    AccessRequest,
    Decision,
    Grant,
    Scope,
)
from portal import permissions
from portal.api.fields import IdField, StrictCharField, StrictIntegerField, StrictPrimaryKeyRelatedField
from portal.api.serializers import ErrorSerializer as ErrorSerializer  # the one error shape, shared
from portal.api.serializers import InputSerializer, UserRefSerializer
from portal.models import ACCESS_ADMINS, DataAsset
from portal.selectors import MAX_ID

# Ids are 64-bit (BigAutoField): anything larger is a bad request, not a database error.


class AssetRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = DataAsset
        fields = ["id", "name", "sensitivity"]


# --- Output ---------------------------------------------------------------


class DecisionSerializer(serializers.ModelSerializer):
    reviewer = UserRefSerializer(read_only=True)
    at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Decision
        fields = ["reviewer", "outcome", "comment", "at"]


class AccessRequestSerializer(serializers.ModelSerializer):
    requester = UserRefSerializer(read_only=True)
    asset = AssetRefSerializer(read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)
    approvals = serializers.SerializerMethodField()
    awaiting = serializers.SerializerMethodField(
        help_text="Who still has to approve (empty once decided); the access admins too when escalated."
    )
    grant = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "requester",
            "asset",
            "scope",
            "justification",
            "ticket",
            "duration_days",
            "status",
            "approvals",
            "required_approvals",
            "awaiting",
            "decisions",
            "grant",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields

    def get_approvals(self, request: AccessRequest) -> int:
        # Counted from the prefetched decisions: no query per row.
        return sum(1 for d in request.decisions.all() if d.outcome == Decision.Outcome.APPROVE)

    @extend_schema_field(UserRefSerializer(many=True))
    def get_awaiting(self, request: AccessRequest) -> list:
        # From the prefetched decisions and reviewers; the access admins once per response, if needed.
        admins = self.context.get("access_admins")
        if admins is None and policy.escalated(request):
            admins = self.context["access_admins"] = list(permissions.role_members(ACCESS_ADMINS))
        return UserRefSerializer(policy.awaiting(request, admins=admins or []), many=True).data


class GrantSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)
    asset = AssetRefSerializer(read_only=True)
    status = serializers.SerializerMethodField()
    request = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    revoked_by = UserRefSerializer(read_only=True, allow_null=True)
    reviewed_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Grant
        fields = [
            "id",
            "user",
            "asset",
            "scope",
            "origin",
            "status",
            "request",
            "justification",
            "granted_at",
            "expires_at",
            "ended_at",
            "revoked_by",
            "revoke_reason",
            "last_used_at",
            "review_due_at",
            "reviewed_at",
            "reviewed_by",
            "review_outcome",
            "review_comment",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=Grant.Status.choices))
    def get_status(self, grant: Grant) -> str:
        return grant.effective_status()


class CheckResultSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    grant = serializers.IntegerField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)


class RevokedCountSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="How many active grants were revoked.")
    cancelled = serializers.IntegerField(help_text="How many pending requests were cancelled.")


# --- Input ----------------------------------------------------------------


class AccessRequestInputSerializer(InputSerializer):
    asset = StrictPrimaryKeyRelatedField(queryset=DataAsset.objects.all(), help_text="Data asset id.")
    scope = serializers.ChoiceField(choices=Scope.choices)
    justification = StrictCharField(
        max_length=MAX_JUSTIFICATION, help_text="Why you need this access (at least 20 characters)."
    )
    duration_days = StrictIntegerField(min_value=1, max_value=3650, help_text="Never above the asset's max_grant_days.")
    ticket = StrictCharField(max_length=100, required=False, allow_blank=True, default="")


class CommentInputSerializer(InputSerializer):
    comment = StrictCharField(required=False, allow_blank=True, max_length=MAX_COMMENT, default="")


class DenyInputSerializer(InputSerializer):
    comment = StrictCharField(
        max_length=MAX_COMMENT,
        error_messages={"required": DENY_REASON_MESSAGE, "blank": DENY_REASON_MESSAGE},
        help_text="Why the request is denied; the requester is told.",
    )


class RevokeInputSerializer(InputSerializer):
    reason = StrictCharField(
        max_length=MAX_COMMENT, help_text="Why this access ends; told to the grantee and kept in the audit log."
    )


class BreakGlassReviewInputSerializer(InputSerializer):
    justified = serializers.BooleanField(help_text="Was this emergency access justified? If not, it ends now.")
    comment = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=MAX_COMMENT,
        default="",
        help_text="Required when the use was not justified.",
    )


class BreakGlassInputSerializer(InputSerializer):
    asset = StrictPrimaryKeyRelatedField(queryset=DataAsset.objects.all(), help_text="Data asset id.")
    scope = serializers.ChoiceField(
        choices=BREAK_GLASS_SCOPE_CHOICES,
        error_messages={"invalid_choice": BREAK_GLASS_SCOPE_MESSAGE},
        help_text="`use` or `admin`; never `export`.",
    )
    justification = StrictCharField(max_length=MAX_JUSTIFICATION, help_text="The emergency, in at least 20 characters.")
    hours = StrictIntegerField(min_value=1, max_value=BREAK_GLASS_MAX_HOURS, default=BREAK_GLASS_DEFAULT_HOURS)


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "minLength": 1}]})
class UserIdOrUsernameField(serializers.Field):
    """A JSON number is a user id; a JSON string is a username."""

    default_error_messages = {
        "invalid": "Give a user id (a number) or a username (a string).",
        "range": f"A user id is a whole number from 1 to {MAX_ID}.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        if isinstance(data, int):
            if not 1 <= data <= MAX_ID:
                self.fail("range")
            return data
        data = data.strip()
        if not data or "\x00" in data or len(data) > 150:
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class CheckInputSerializer(InputSerializer):
    user = UserIdOrUsernameField(help_text="A user id (JSON number) or a username (JSON string).")
    # A plain id rather than a related field: an unknown asset is "not allowed", not a 400, and costs no query.
    asset = IdField()
    scope = serializers.ChoiceField(choices=Scope.choices)
