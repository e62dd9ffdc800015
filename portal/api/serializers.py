from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from portal.models import DataAsset, Sensitivity
from portal.selectors import asset_reviewers


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


class AssetInputSerializer(serializers.Serializer):
    """Shape and types only; business rules live in ``portal.services``."""

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    sensitivity = serializers.ChoiceField(choices=Sensitivity.choices)
    holds_personal_data = serializers.BooleanField(default=True)
    max_grant_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    reviewers = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list)
    data_categories = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)
    purposes = serializers.CharField(required=False, allow_blank=True, default="")
    lawful_basis = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    retention = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    recipients = serializers.CharField(required=False, allow_blank=True, default="")
    source = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (portal.api.exceptions)."""

    detail = serializers.CharField(help_text="One sentence for a person.")
    code = serializers.CharField(help_text="Stable, for programs: invalid, not_found, forbidden, conflict, ...")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False, help_text="Messages per field."
    )
