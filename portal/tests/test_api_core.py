import json
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from portal import audit, permissions
from portal.models import AuditEvent, DataAsset
from portal.tests.factories import DataAssetFactory

PASSWORD = "correct-horse-battery"  # UserFactory's


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # The token endpoint is throttled through the cache; each test starts with a clean count.
    cache.clear()
    yield
    cache.clear()


def _audit_actions():
    return list(AuditEvent.objects.values_list("action", flat=True))


# --- Token authentication -------------------------------------------------


@pytest.mark.parametrize("path", ["/api/auth/token/", "/api/auth/token"])
@pytest.mark.django_db
def test_username_and_password_get_a_token_that_authenticates_the_api(employee, asset, path):
    response = APIClient().post(path, {"username": "emma", "password": PASSWORD})
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert set(response.json()) == {"token"}

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listing = api.get("/api/assets/")
    assert listing.status_code == 200
    assert [a["name"] for a in listing.json()["results"]] == ["Customer contact database"]


@pytest.mark.django_db
def test_asking_twice_returns_the_same_token(employee):
    first = APIClient().post("/api/auth/token/", {"username": "emma", "password": PASSWORD}).json()["token"]
    second = APIClient().post("/api/auth/token/", {"username": "emma", "password": PASSWORD}).json()["token"]
    assert first == second


@pytest.mark.django_db
def test_a_wrong_password_gets_400_naming_the_password_and_no_token(employee):
    response = APIClient().post("/api/auth/token/", {"username": "emma", "password": "guess"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == {"password": ["Wrong username or password."]}
    assert "token" not in body


@pytest.mark.django_db
def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(employee):
    unknown = APIClient().post("/api/auth/token/", {"username": "nobody", "password": PASSWORD})
    wrong = APIClient().post("/api/auth/token/", {"username": "emma", "password": "guess"})
    assert (unknown.status_code, unknown.json()) == (wrong.status_code, wrong.json())


@pytest.mark.django_db
def test_missing_credentials_get_an_error_for_each_field():
    response = APIClient().post("/api/auth/token/", {})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "password"}


@pytest.mark.django_db
def test_an_inactive_user_gets_no_token(employee):
    employee.is_active = False
    employee.save(update_fields=["is_active"])
    response = APIClient().post("/api/auth/token/", {"username": "emma", "password": PASSWORD})
    assert response.status_code == 400


@pytest.mark.django_db
def test_a_made_up_token_is_refused_with_json():
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = api.get("/api/assets/")
    # 403 rather than 401 because session authentication comes first (no WWW-Authenticate challenge).
    assert response.status_code in (401, 403)
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


# --- Schema and docs ------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_is_valid_openapi_with_the_asset_paths(client_of, employee):
    response = client_of(employee).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert {"get", "post"} <= set(schema["paths"]["/api/assets/"])
    assert {"get", "patch"} <= set(schema["paths"]["/api/assets/{id}/"])
    assert "post" in schema["paths"]["/api/auth/token/"]
    assert {"cookieAuth", "tokenAuth"} <= set(schema["components"]["securitySchemes"])


@pytest.mark.django_db
def test_the_docs_page_renders_with_no_external_urls(client_of, employee):
    api = client_of(employee)
    page = api.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html
    linked = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert linked, "the page links no assets at all"
    assert [url for url in linked if not url.startswith("/")] == []
    # The split view loads its start-up script from the same path.
    script = api.get("/api/docs/?script=")
    assert script.status_code == 200
    assert re.findall(r"https?://", script.content.decode()) == []


# --- Asset list -----------------------------------------------------------


@pytest.mark.django_db
def test_any_signed_in_user_lists_the_catalogue(client_of, outsider, asset, reviewer):
    DataAssetFactory(name="Web analytics")
    response = client_of(outsider).get("/api/assets/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [a["name"] for a in body["results"]] == ["Customer contact database", "Web analytics"]
    assert body["results"][0]["reviewers"] == [reviewer.pk]


@pytest.mark.django_db
def test_the_list_filters_by_sensitivity_and_search(client_of, employee, asset):
    DataAssetFactory(name="Product catalogue", sensitivity="public", description="Prices")
    api = client_of(employee)
    names = lambda query: [a["name"] for a in api.get(f"/api/assets/{query}").json()["results"]]  # noqa: E731
    assert names("?sensitivity=public") == ["Product catalogue"]
    assert names("?q=prices") == ["Product catalogue"]
    assert names("?usable=1") == []


@pytest.mark.parametrize("path", ["/api/assets/", "/api/assets"])
@pytest.mark.django_db
def test_anonymous_users_get_a_json_refusal(asset, path):
    response = APIClient().get(path)
    assert response.status_code in (401, 403)
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("n", [10, 1000])
@pytest.mark.django_db
def test_asset_list_queries_do_not_grow(client_of, employee, reviewer, n, django_assert_num_queries):
    _catalogue(n, reviewer)
    api = client_of(employee)
    # session, user, count, assets page, reviewers of the page (prefetch)
    with django_assert_num_queries(5):
        response = api.get("/api/assets/")
    assert response.json()["count"] == n
    assert all(a["reviewers"] == [reviewer.pk] for a in response.json()["results"])


def _catalogue(n, reviewer):
    assets = DataAsset.objects.bulk_create(DataAssetFactory.build_batch(n))
    permissions.assign_many(DataAsset, [(reviewer.pk, a.pk, "portal.review_dataasset") for a in assets])
    return assets


# --- Creating assets ------------------------------------------------------

NEW_ASSET = {
    "name": "Doorbell video feeds",
    "description": "Video from customers' cameras.",
    "sensitivity": "restricted",
    "data_categories": ["video"],
    "lawful_basis": "Contract",
}


@pytest.mark.parametrize("path", ["/api/assets/", "/api/assets"])
@pytest.mark.django_db
def test_an_access_admin_creates_an_asset_and_it_is_audited(client_of, access_admin, reviewer, path):
    response = client_of(access_admin).post(path, {**NEW_ASSET, "reviewers": [reviewer.pk]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    asset = DataAsset.objects.get(pk=body["id"])
    assert asset.name == "Doorbell video feeds"
    # Restricted data: the shortest default grant.
    assert body["max_grant_days"] == asset.max_grant_days == 30
    assert body["reviewers"] == [reviewer.pk]
    assert permissions.has(reviewer, "portal.review_dataasset", asset)

    [event] = AuditEvent.objects.filter(action="portal.asset.created")
    assert (event.actor_id, event.target_type, event.target_id) == (access_admin.pk, "portal.dataasset", str(asset.pk))
    assert event.details == {"sensitivity": "restricted", "reviewers": [reviewer.pk]}
    assert audit.verify() is None


@pytest.mark.parametrize("persona", ["employee", "reviewer", "privacy_officer", "auditor"])
@pytest.mark.django_db
def test_only_access_admins_create_assets(client_of, persona, request):
    user = request.getfixturevalue(persona)
    response = client_of(user).post("/api/assets/", NEW_ASSET, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not DataAsset.objects.exists()
    assert _audit_actions() == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sensitivity": "top-secret"}, "sensitivity"),
        ({"name": ""}, "name"),
        ({"max_grant_days": 0}, "max_grant_days"),
        ({"data_categories": "video"}, "data_categories"),
        ({"reviewers": ["rita"]}, "reviewers.0"),
    ],
)
@pytest.mark.django_db
def test_bad_input_names_the_field_and_creates_nothing(client_of, access_admin, change, field):
    response = client_of(access_admin).post("/api/assets/", {**NEW_ASSET, **change}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == [field]
    assert not DataAsset.objects.exists()
    assert _audit_actions() == []


@pytest.mark.django_db
def test_a_duplicate_name_is_refused_naming_the_field(client_of, access_admin, asset):
    response = client_of(access_admin).post(
        "/api/assets/", {**NEW_ASSET, "name": "customer CONTACT database"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name"]
    assert DataAsset.objects.count() == 1


@pytest.mark.django_db
def test_an_unknown_reviewer_leaves_nothing_half_done(client_of, access_admin, reviewer):
    # The asset row is written before the reviewers are checked: the whole service must roll back.
    response = client_of(access_admin).post(
        "/api/assets/", {**NEW_ASSET, "reviewers": [reviewer.pk, 99999]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"reviewers": ["No active user with id 99999."]}
    assert not DataAsset.objects.exists()
    assert _audit_actions() == []


@pytest.mark.django_db
def test_an_auditor_cannot_be_made_a_reviewer(client_of, access_admin, auditor, asset):
    # Reviewing decides who gets personal data; auditors read and decide nothing.
    created = client_of(access_admin).post("/api/assets/", {**NEW_ASSET, "reviewers": [auditor.pk]}, format="json")
    changed = client_of(access_admin).patch(f"/api/assets/{asset.pk}", {"reviewers": [auditor.pk]}, format="json")

    assert created.status_code == changed.status_code == 400
    assert "auditors read cases" in created.json()["errors"]["reviewers"][0]
    assert not DataAsset.objects.filter(name=NEW_ASSET["name"]).exists()
    assert not permissions.has(auditor, "portal.review_dataasset", asset)


# --- Changing assets ------------------------------------------------------


@pytest.mark.django_db
def test_an_access_admin_changes_an_asset_and_it_is_audited(client_of, access_admin, asset):
    response = client_of(access_admin).patch(f"/api/assets/{asset.pk}", {"sensitivity": "restricted"}, format="json")
    assert response.status_code == 200, response.content
    asset.refresh_from_db()
    assert asset.sensitivity == "restricted"
    assert asset.max_grant_days == 30  # tightened with the sensitivity
    [event] = AuditEvent.objects.filter(action="portal.asset.updated")
    assert event.details["changed"]["sensitivity"] == {"from": "confidential", "to": "restricted"}


@pytest.mark.parametrize("perm", ["portal.admin_dataasset", "portal.change_dataasset", "portal.review_dataasset"])
@pytest.mark.django_db
def test_no_object_permission_lets_a_non_admin_change_an_asset(client_of, employee, asset, perm):
    # The portal's record of an asset is the access admins' alone (a role), never an object right's.
    permissions.assign(perm, employee, asset)
    response = client_of(employee).patch(f"/api/assets/{asset.pk}/", {"sensitivity": "public"}, format="json")
    assert response.status_code == 403
    asset.refresh_from_db()
    assert asset.sensitivity == "confidential"


@pytest.mark.parametrize("persona", ["employee", "reviewer", "auditor"])
@pytest.mark.django_db
def test_changing_an_asset_without_admin_rights_is_403_and_changes_nothing(client_of, asset, persona, request):
    user = request.getfixturevalue(persona)
    response = client_of(user).patch(f"/api/assets/{asset.pk}", {"sensitivity": "public"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    asset.refresh_from_db()
    assert asset.sensitivity == "confidential"
    assert _audit_actions() == []


@pytest.mark.parametrize("pk", ["99999", "abc"])
@pytest.mark.django_db
def test_changing_an_unknown_asset_is_404(client_of, access_admin, pk):
    response = client_of(access_admin).patch(f"/api/assets/{pk}", {"sensitivity": "public"}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_a_bad_change_names_the_field_and_changes_nothing(client_of, access_admin, asset):
    response = client_of(access_admin).patch(
        f"/api/assets/{asset.pk}", {"description": "New", "max_grant_days": -5}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["max_grant_days"]
    asset.refresh_from_db()
    assert asset.description == "Holds customer data."
    assert _audit_actions() == []


# --- Pages ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/assets/"])
@pytest.mark.django_db
def test_asset_pages_use_the_same_queries_at_10_and_1000_assets(web_of, employee, reviewer, path):
    """Other apps add links to these pages, so compare the two sizes rather than pin a number.

    At the time of writing: session, user, user's roles (navigation), count, page, the page's reviewers.
    ``?usable=1`` answers from access grants: access/tests/test_active_grants.py counts it. The
    dashboard's query count is tested with the panels that fill it (access/tests/test_web_queries.py).
    """
    web = web_of(employee)

    def grow_to(n):
        _catalogue(n - DataAsset.objects.count(), reviewer)

    def queries():
        with CaptureQueriesContext(connection) as context:
            response = web.get(path)
        assert response.status_code == 200
        return len(context), response

    grow_to(10)
    web.get(path)  # warm process-wide caches (content types, templates)
    small, _ = queries()
    grow_to(1000)
    large, response = queries()
    assert large == small
    assert response.context["paginator"].count == 1000
