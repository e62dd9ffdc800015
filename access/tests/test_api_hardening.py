"""Hostile input to the access API: wrong types, over-long text and deep JSON are 4xx, and nothing is written."""

import json

import pytest
from rest_framework.test import APIClient

from access import services
from access.models import AccessRequest, Decision, Grant
from access.tests.factories import JUSTIFICATION, AccessRequestFactory, make_grant, make_service_token
from portal.errors import Conflict, ValidationError
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


def _events() -> int:
    return AuditEvent.objects.count()


def _request(on, **change) -> dict:
    return {"asset": on.pk, "scope": "use", "justification": JUSTIFICATION, "duration_days": 30, **change}


def _refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert field in response.json()["errors"], response.json()


# --- Ids and numbers: no float, bool or non-ASCII digits -------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("asset", "+0.5"),  # added to the asset's id below: 6.5 where asset 6 exists
        ("asset", True),
        ("asset", "arabic"),  # the asset's id in Arabic-Indic digits
        ("asset", "6.0"),
        ("asset", [1]),
        ("asset", 2**63),
        ("asset", -1),
        ("duration_days", 30.5),
        ("duration_days", 30.0),
        ("duration_days", True),
        ("duration_days", "٣٠"),
        ("justification", 10**30),
        ("ticket", 1234),
    ],
)
def test_a_request_with_a_wrong_type_is_a_400_naming_the_field_and_writes_nothing(
    client_of, employee, asset, field, value
):
    if value == "+0.5":
        value = asset.pk + 0.5
    elif value == "arabic":
        value = str(asset.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = client_of(employee).post("/api/access-requests/", _request(asset, **{field: value}), format="json")
    _refused(response, field)
    assert not AccessRequest.objects.exists()
    assert _events() == 0


def test_an_asset_id_given_as_ascii_digits_in_a_string_is_accepted(client_of, employee, asset):
    response = client_of(employee).post("/api/access-requests/", _request(asset, asset=str(asset.pk)), format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(("field", "value"), [("asset", 1.5), ("asset", True), ("hours", 2.5), ("hours", "٢")])
def test_break_glass_with_a_wrong_type_is_a_400_and_grants_nothing(client_of, employee, asset, field, value):
    body = {"asset": asset.pk, "scope": "use", "justification": JUSTIFICATION, field: value}
    _refused(client_of(employee).post("/api/break-glass/", body, format="json"), field)
    assert not Grant.objects.exists()
    assert _events() == 0


@pytest.mark.parametrize("value", [1.5, True, "٦", "1.0"])
def test_the_decision_point_refuses_an_asset_that_is_not_an_integer(asset, value):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_service_token()}")
    response = api.post("/api/access/check", {"user": "emma", "asset": value, "scope": "use"}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["asset"]


@pytest.mark.parametrize("value", ["1.5", "٦", "true", "1e3"])
@pytest.mark.parametrize("path", ["/api/access-requests/", "/api/grants/"])
def test_a_list_filtered_by_a_malformed_asset_id_is_a_400(client_of, auditor, path, value):
    response = client_of(auditor).get(path, {"asset": value})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["asset"]


@pytest.mark.parametrize("pk", ["٦", "6.5", "x"])
@pytest.mark.parametrize(
    "path", ["/api/access-requests/{}/approve", "/api/grants/{}/revoke", "/api/users/{}/revoke-all"]
)
def test_an_object_id_that_is_not_ascii_digits_is_a_json_404(client_of, access_admin, path, pk):
    response = client_of(access_admin).post(path.format(pk), {"reason": "x", "comment": ""}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- Bounded text ---------------------------------------------------------------


@pytest.mark.parametrize(("field", "limit"), [("justification", 2000), ("ticket", 100)])
def test_an_over_long_request_field_is_a_400_and_writes_nothing(client_of, employee, asset, field, limit):
    api = client_of(employee)
    response = api.post("/api/access-requests/", _request(asset, **{field: "x" * (limit + 1)}), format="json")
    _refused(response, field)
    assert not AccessRequest.objects.exists()
    assert _events() == 0
    assert api.post("/api/access-requests/", _request(asset, **{field: "x" * limit}), format="json").status_code == 201


def test_a_2_4_megabyte_justification_never_reaches_the_audit_log(client_of, employee, asset):
    body = json.dumps(_request(asset, justification="x" * 2_400_000))
    response = client_of(employee).generic("POST", "/api/access-requests/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not AccessRequest.objects.exists()
    assert _events() == 0


@pytest.mark.parametrize("verb", ["approve", "deny"])
def test_an_over_long_decision_comment_is_a_400_and_decides_nothing(client_of, employee, reviewer, asset, verb):
    pending = AccessRequestFactory(requester=employee, asset=asset)
    response = client_of(reviewer).post(
        f"/api/access-requests/{pending.pk}/{verb}", {"comment": "x" * 1001}, format="json"
    )
    _refused(response, "comment")
    pending.refresh_from_db()
    assert pending.status == AccessRequest.Status.PENDING
    assert not Decision.objects.exists()
    assert _events() == 0


def test_an_over_long_revocation_reason_is_a_400_and_revokes_nothing(client_of, employee, asset):
    grant = make_grant(employee, asset)
    before = _events()
    _refused(
        client_of(employee).post(f"/api/grants/{grant.pk}/revoke", {"reason": "x" * 1001}, format="json"), "reason"
    )
    grant.refresh_from_db()
    assert grant.status == Grant.Status.ACTIVE
    assert _events() == before


def test_an_over_long_break_glass_justification_is_a_400_and_grants_nothing(client_of, employee, asset):
    body = {"asset": asset.pk, "scope": "use", "justification": "x" * 2001}
    _refused(client_of(employee).post("/api/break-glass/", body, format="json"), "justification")
    assert not Grant.objects.exists()
    assert _events() == 0


def test_deep_json_on_an_access_endpoint_is_a_400_and_writes_nothing(client_of, employee, asset):
    deep = "[" * 1000 + "]" * 1000
    body = f'{{"asset": {asset.pk}, "scope": "use", "justification": {deep}}}'
    response = client_of(employee).generic("POST", "/api/access-requests/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert not AccessRequest.objects.exists()


# The services bound the text themselves, so the pages, the admin and any later client get the same rule.


def test_the_services_refuse_over_long_text_naming_the_field(employee, reviewer, asset):
    with pytest.raises(ValidationError) as refused:
        services.request_create(
            actor=employee, asset=asset, scope="use", justification="x" * 2001, duration_days=30, ticket="t" * 101
        )
    assert set(refused.value.fields) == {"justification", "ticket"}
    with pytest.raises(ValidationError) as refused:
        services.break_glass_open(actor=employee, asset=asset, scope="use", justification="x" * 2001)
    assert set(refused.value.fields) == {"justification"}
    pending = AccessRequestFactory(requester=employee, asset=asset)
    with pytest.raises(ValidationError) as refused:
        services.request_deny(actor=reviewer, request=pending, comment="x" * 1001)
    assert set(refused.value.fields) == {"comment"}
    assert _events() == 0


def test_the_service_refuses_a_second_pending_request_for_the_same_access(employee, asset):
    services.request_create(actor=employee, asset=asset, scope="use", justification=JUSTIFICATION, duration_days=30)
    with pytest.raises(Conflict):
        services.request_create(actor=employee, asset=asset, scope="use", justification=JUSTIFICATION, duration_days=30)


def test_the_database_keeps_one_pending_request_per_user_asset_and_scope(employee, asset):
    # What stops two identical requests sent at the same moment, when both pass the service's check.
    from django.db import IntegrityError, transaction

    AccessRequestFactory(requester=employee, asset=asset)
    AccessRequestFactory(requester=employee, asset=asset, status=AccessRequest.Status.DENIED)
    AccessRequestFactory(requester=employee, asset=asset, scope="export")
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessRequestFactory(requester=employee, asset=asset)


# --- Schema -----------------------------------------------------------------------


def test_the_schema_shows_every_text_bound(client_of, employee):
    schemas = client_of(employee).get("/api/schema/?format=json").json()["components"]["schemas"]
    assert schemas["AccessRequestInputRequest"]["properties"]["justification"]["maxLength"] == 2000
    assert schemas["AccessRequestInputRequest"]["properties"]["ticket"]["maxLength"] == 100
    assert schemas["BreakGlassInputRequest"]["properties"]["justification"]["maxLength"] == 2000
    assert schemas["CommentInputRequest"]["properties"]["comment"]["maxLength"] == 1000
    assert schemas["RevokeInputRequest"]["properties"]["reason"]["maxLength"] == 1000
    assert schemas["BreakGlassReviewInputRequest"]["properties"]["comment"]["maxLength"] == 1000
