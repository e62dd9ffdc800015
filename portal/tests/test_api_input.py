"""Request bodies, one rule for every operation: a field the operation does not take is a 400 naming it.

Every body serializer is a ``portal.api.serializers.InputSerializer``, and the schema says so
(``additionalProperties: false``); an operation whose body does not is named here.
"""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from portal.api.serializers import UNKNOWN_FIELD, InputSerializer
from portal.models import AuditEvent, DataAsset


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _bodies(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                yield f"{method.upper()} {path} ({media})", content["schema"]


def _resolve(schema, ref_or_schema):
    ref = ref_or_schema.get("$ref", "")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else ref_or_schema


def test_every_request_body_refuses_unknown_fields(schema):
    bodies = list(_bodies(schema))
    open_bodies = [name for name, body in bodies if _resolve(schema, body).get("additionalProperties") is not False]
    assert bodies, "the schema has no request bodies"
    assert not open_bodies, (
        "these operations would silently drop an unknown field; make their body serializer a "
        f"portal.api.serializers.InputSerializer: {open_bodies}"
    )


class Point(InputSerializer):
    x = serializers.IntegerField()
    y = serializers.IntegerField(required=False)
    label = serializers.CharField(read_only=True)


def test_unknown_fields_are_named_together_with_other_errors():
    data = Point(data={"x": "not a number", "colour": "red", "label": "sent anyway"})
    assert not data.is_valid()
    assert data.errors["colour"] == [UNKNOWN_FIELD]
    assert data.errors["label"] == [UNKNOWN_FIELD]  # read-only: not something a caller may send
    assert "x" in data.errors


def test_known_fields_alone_pass():
    data = Point(data={"x": 1})
    assert data.is_valid(), data.errors


@pytest.mark.django_db
def test_an_unknown_field_is_a_400_naming_it_and_nothing_is_written(client_of, access_admin):
    response = client_of(access_admin).post(
        "/api/assets/", {"name": "Typo", "sensitivity": "internal", "descripton": "misspelt"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"descripton": [UNKNOWN_FIELD]}
    assert not DataAsset.objects.exists()
    assert not AuditEvent.objects.exists()
