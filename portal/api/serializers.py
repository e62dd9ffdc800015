from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth import get_user_model
from rest_framework import serializers

from portal.api.fields import IdField, StrictCharField, StrictIntegerField
from portal.models import MAX_ASSET_TEXT, DataAsset, Sensitivity
from portal.selectors import asset_reviewers

UNKNOWN_FIELD = "Unknown field: this operation does not take it."


class InputSerializer(serializers.Serializer):
    """A request body. A field it does not know is a 400 naming that field, never silently dropped:
    a typo (``justifcation``) or a field of another operation must not pass for a default.

    Every operation's body serializer derives from it (``portal/tests/test_api_input.py`` checks).
    """

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = {str(name): [UNKNOWN_FIELD] for name in data if name not in writable}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, Mapping):
                raise serializers.ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class UserRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "name"]


class AssetSerializer(serializers.ModelSerializer):
    """Asset as the spec's API table shows it; ``reviewers`` are user ids."""

    reviewers = serializers.SerializerMethodField()

    class Meta:
        model = DataAsset
        fields = [
            "id",
            "name",
            "description",
            "sensitivity",
            "holds_personal_data",
            "max_grant_days",
            "reviewers",
            "data_categories",
            "purposes",
            "lawful_basis",
            "retention",
            "recipients",
            "source",
            "created_at",
            "updated_at",
        ]

    def get_reviewers(self, asset) -> list[int]:
        return [u.pk for u in asset_reviewers(asset)]


class AssetInputSerializer(InputSerializer):
    """Shape and types only; business rules live in ``portal.services``."""

    name = StrictCharField(max_length=200)
    description = StrictCharField(required=False, allow_blank=True, max_length=MAX_ASSET_TEXT, default="")
    sensitivity = serializers.ChoiceField(choices=Sensitivity.choices)
    holds_personal_data = serializers.BooleanField(default=True)
    max_grant_days = StrictIntegerField(min_value=1, max_value=3650, required=False)
    reviewers = serializers.ListField(child=IdField(), max_length=100, required=False, default=list)
    data_categories = serializers.ListField(
        child=StrictCharField(max_length=100), max_length=50, required=False, default=list
    )
    purposes = StrictCharField(required=False, allow_blank=True, max_length=MAX_ASSET_TEXT, default="")
    lawful_basis = StrictCharField(required=False, allow_blank=True, max_length=200, default="")
    retention = StrictCharField(required=False, allow_blank=True, max_length=200, default="")
    recipients = StrictCharField(required=False, allow_blank=True, max_length=MAX_ASSET_TEXT, default="")
    source = StrictCharField(required=False, allow_blank=True, max_length=200, default="")


class TokenRequestSerializer(InputSerializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(style={"input_type": "password"}, trim_whitespace=False, max_length=4096)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (portal.api.exceptions)."""

    detail = serializers.CharField(help_text="One sentence for a person.")
    code = serializers.CharField(help_text="Stable, for programs: invalid, not_found, forbidden, conflict, ...")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False, help_text="Messages per field."
    )
