"""Hostile input to the API: every answer is a 4xx in the API's JSON error shape and nothing is written."""

import io
import json

import pytest
from django.core.cache import cache
from django.db import IntegrityError
from django.test import RequestFactory
from rest_framework.test import APIClient

from portal import web
from portal.api.exceptions import exception_handler
from portal.api.parsers import MAX_JSON_DEPTH, BoundedJSONParser, PayloadTooLarge, json_depth
from portal.models import AuditEvent, DataAsset
from portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def nested(levels: int, leaf="x") -> str:
    return "[" * levels + json.dumps(leaf) + "]" * levels


def post_raw(client, path: str, raw: str | bytes, content_type="application/json"):
    return client.generic("POST", path, raw, content_type=content_type)


def assert_json_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) >= {"detail", "code"}, body
    if code:
        assert body["code"] == code, body
    return body


# --- Nesting --------------------------------------------------------------


def test_json_nested_1000_deep_is_a_400_before_sign_in():
    body = '{"username": ' + nested(1000) + ', "password": "x"}'
    assert_json_error(post_raw(APIClient(), "/api/auth/token/", body), 400, "parse_error")


def test_json_nested_1000_deep_is_a_400_when_signed_in(client_of, access_admin):
    body = '{"name": "Deep", "sensitivity": "internal", "data_categories": ' + nested(1000) + "}"
    detail = assert_json_error(post_raw(client_of(access_admin), "/api/assets/", body), 400, "parse_error")["detail"]
    assert f"{MAX_JSON_DEPTH} levels" in detail
    assert not DataAsset.objects.exists()
    assert not AuditEvent.objects.exists()


def test_nesting_up_to_the_limit_parses_and_one_more_level_does_not():
    assert BoundedJSONParser().parse(io.BytesIO(nested(MAX_JSON_DEPTH).encode())) is not None
    with pytest.raises(Exception, match="nested deeper"):
        BoundedJSONParser().parse(io.BytesIO(nested(MAX_JSON_DEPTH + 1).encode()))


@pytest.mark.parametrize(
    ("raw", "depth"),
    [
        ('{"a": "[[[[{{{{"}', 1),  # brackets inside strings do not nest
        (r'{"a": "\"[[[", "b": [[1]]}', 3),  # nor after an escaped quote
        ('"unterminated [[[', 0),
        ("[[]][[[]]]", 3),
        ("", 0),
    ],
)
def test_json_depth_counts_only_structure(raw, depth):
    assert json_depth(raw.encode()) == depth


def test_text_full_of_brackets_is_still_accepted(client_of, access_admin):
    response = client_of(access_admin).post(
        "/api/assets/", {"name": "Brackets", "sensitivity": "internal", "description": "[" * 1000}, format="json"
    )
    assert response.status_code == 201, response.content


def test_malformed_json_is_a_400_in_the_error_shape():
    assert_json_error(post_raw(APIClient(), "/api/auth/token/", b'{"username": "\xff'), 400, "parse_error")


# --- Size -----------------------------------------------------------------


def test_a_body_over_the_limit_is_a_413_before_sign_in(settings):
    body = json.dumps({"username": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), "password": "x"})
    assert_json_error(post_raw(APIClient(), "/api/auth/token/", body), 413, "too_large")


def test_a_body_over_the_limit_is_a_413_when_signed_in_and_writes_nothing(client_of, access_admin):
    body = json.dumps({"name": "Big", "sensitivity": "internal", "description": "x" * (2 * MIB)})
    assert_json_error(post_raw(client_of(access_admin), "/api/assets/", body), 413, "too_large")
    assert not DataAsset.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_limit_is_one_mebibyte_by_default(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == MIB


def test_the_parser_stops_reading_at_the_limit_when_no_length_was_sent(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    stream = io.BytesIO(json.dumps({"a": "x" * 1000}).encode())
    with pytest.raises(PayloadTooLarge):
        BoundedJSONParser().parse(stream)
    assert stream.tell() == 101


def test_a_form_encoded_body_over_the_limit_is_a_413_too():
    response = post_raw(
        APIClient(), "/api/auth/token/", "username=" + "x" * (2 * MIB), "application/x-www-form-urlencoded"
    )
    assert_json_error(response, 413, "too_large")


# --- Paths, methods, server errors ------------------------------------------


@pytest.mark.parametrize("path", ["/api/nope/", "/api/nope", "/api/assets/1/nope/", "/api/", "/api/assets/x/"])
def test_an_unknown_api_path_is_a_json_404_signed_in_or_not(client_of, employee, path):
    assert_json_error(APIClient().get(path), 404, "not_found")
    assert_json_error(client_of(employee).post(path, {}, format="json"), 404, "not_found")


def test_an_unknown_api_path_is_json_even_with_debug_on(settings, client_of, employee):
    settings.DEBUG = True  # `make demo` runs so; Django's own 404 page would be HTML
    assert_json_error(client_of(employee).get("/api/nope/"), 404, "not_found")
    assert_json_error(APIClient().get("/api"), 404, "not_found")


def test_a_post_to_an_unknown_api_path_without_csrf_is_still_a_json_404(employee):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(employee)
    assert_json_error(browser.post("/api/nope/", {}, format="json"), 404, "not_found")


def test_a_csrf_failure_under_the_api_is_json():
    response = web.csrf_failure(RequestFactory().post("/api/anything/"), reason="CSRF cookie not set.")
    assert_json_error(response, 403, "csrf_failed")


@pytest.mark.parametrize("pk", ["٦", "6.5", "-1", "+6", "1e3"])
def test_an_id_that_is_not_ascii_digits_is_no_such_path(client_of, employee, pk):
    assert_json_error(client_of(employee).get(f"/api/assets/{pk}/"), 404)


def test_an_unknown_page_outside_the_api_is_still_the_html_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_method_the_endpoint_does_not_take_is_a_json_405(client_of, employee):
    assert_json_error(client_of(employee).delete("/api/assets/"), 405, "method_not_allowed")


def test_a_server_error_under_the_api_is_json_and_elsewhere_the_page():
    assert_json_error(web.server_error(RequestFactory().get("/api/assets/")), 500, "server_error")
    assert web.server_error(RequestFactory().get("/assets/"))["Content-Type"].startswith("text/html")


def test_a_constraint_refusal_that_reaches_the_handler_is_a_409():
    response = exception_handler(IntegrityError("duplicate key value violates unique constraint"), {})
    assert response.status_code == 409
    assert response.data["code"] == "conflict"
    assert "same moment" in response.data["detail"]


# --- Strict types -----------------------------------------------------------


def _asset(**change):
    return {"name": "Typed", "sensitivity": "internal", **change}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_grant_days", 6.5),
        ("max_grant_days", 30.0),
        ("max_grant_days", True),
        ("max_grant_days", "٣٠"),
        ("max_grant_days", "30.5"),
        ("reviewers", [1.5]),
        ("reviewers", [True]),
        ("reviewers", ["٦"]),
        ("reviewers", [2**63]),
        ("name", 12345),
        ("description", False),
        ("data_categories", [7]),
    ],
)
def test_a_wrong_type_is_a_400_naming_the_field_and_writes_nothing(client_of, access_admin, field, value):
    response = client_of(access_admin).post("/api/assets/", _asset(**{field: value}), format="json")
    body = assert_json_error(response, 400, "invalid")
    assert any(key.split(".")[0] == field for key in body["errors"]), body
    assert not DataAsset.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_reviewer_id_in_ascii_digits_is_accepted(client_of, access_admin):
    rita = UserFactory(username="rita")
    response = client_of(access_admin).post("/api/assets/", _asset(reviewers=[str(rita.pk)]), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["reviewers"] == [rita.pk]


# --- Bounded text -------------------------------------------------------------


@pytest.mark.parametrize(("field", "limit"), [("description", 5000), ("purposes", 5000), ("recipients", 5000)])
def test_over_long_asset_text_is_a_400_and_writes_nothing(client_of, access_admin, field, limit):
    api = client_of(access_admin)
    response = api.post("/api/assets/", _asset(**{field: "x" * (limit + 1)}), format="json")
    assert str(limit) in assert_json_error(response, 400)["errors"][field][0]
    assert not DataAsset.objects.exists()
    assert not AuditEvent.objects.exists()
    assert api.post("/api/assets/", _asset(**{field: "x" * limit}), format="json").status_code == 201


def test_the_asset_service_bounds_text_for_every_client(access_admin):
    from portal import services
    from portal.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.asset_create(actor=access_admin, name="Long", sensitivity="internal", description="x" * 5001)
    assert set(refused.value.fields) == {"description"}
    assert not AuditEvent.objects.exists()


def test_the_schema_shows_the_text_bounds(client_of, employee):
    schema = client_of(employee).get("/api/schema/?format=json").json()
    asset_input = schema["components"]["schemas"]["AssetInputRequest"]["properties"]
    assert asset_input["description"]["maxLength"] == 5000
    assert asset_input["name"]["maxLength"] == 200


def test_a_constraint_refusal_in_a_savepoint_is_a_conflict_and_the_transaction_goes_on():
    from django.db import transaction

    from portal.errors import Conflict, conflict_on_constraint
    from portal.tests.factories import DataAssetFactory

    DataAssetFactory(name="Voice recordings")
    with transaction.atomic():
        with pytest.raises(Conflict, match="already exists"), conflict_on_constraint("It already exists."):
            DataAsset.objects.create(name="Voice recordings", max_grant_days=30)
        assert DataAsset.objects.count() == 1  # still usable: only the savepoint rolled back
