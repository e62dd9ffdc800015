"""The decision point, POST /api/access/check: how data systems enforce the portal's decisions."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from access import services
from access.models import Grant
from access.tests.factories import GrantFactory, make_grant, make_service_token
from portal import permissions
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def service():
    """An API client authenticated by the token of a service user holding access.check_access."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_service_token()}")
    return api


@pytest.fixture
def grant(employee, asset):
    return make_grant(employee, asset)


def _check(api, path="/api/access/check", **body):
    return api.post(path, body, format="json")


@pytest.mark.parametrize("path", ["/api/access/check", "/api/access/check/"])
@pytest.mark.parametrize("who", ["id", "username"])
def test_a_user_with_an_active_grant_is_allowed(service, employee, asset, grant, path, who):
    user = employee.pk if who == "id" else "emma"

    response = _check(service, path, user=user, asset=asset.pk, scope="use")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["allowed"], body["grant"]) == (True, grant.pk)
    assert datetime.fromisoformat(body["expires_at"]) == grant.expires_at
    grant.refresh_from_db()
    assert grant.last_used_at is not None


@pytest.mark.parametrize("who", ["id", "username"])
def test_a_fresh_grant_is_answered_in_one_query(service, employee, asset, grant, who, django_assert_num_queries):
    Grant.objects.filter(pk=grant.pk).update(last_used_at=timezone.now())
    _check(service, user="nobody", asset=asset.pk, scope="use")  # the permission's id, once per process

    # the token with its user, whether that user holds access.check_access, and the grant: one statement
    with django_assert_num_queries(1):
        response = _check(service, user=employee.pk if who == "id" else "emma", asset=asset.pk, scope="use")

    assert response.json()["allowed"] is True


def test_a_grant_not_used_for_an_hour_is_stamped_with_one_more_query(
    service, employee, asset, grant, django_assert_num_queries
):
    long_ago = timezone.now() - timedelta(hours=2)
    Grant.objects.filter(pk=grant.pk).update(last_used_at=long_ago)
    _check(service, user="nobody", asset=asset.pk, scope="use")  # the permission's id, once per process

    # the token with the grant, the UPDATE of its last use
    with django_assert_num_queries(2):
        response = _check(service, user="emma", asset=asset.pk, scope="use")

    assert response.json()["allowed"] is True
    grant.refresh_from_db()
    assert grant.last_used_at > long_ago


def test_a_refusal_costs_no_more_than_two_queries(service, asset, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = _check(service, user="nobody", asset=asset.pk, scope="use")
    assert response.json()["allowed"] is False


def test_an_expired_grant_is_refused_before_the_sweep_runs(service, employee, asset, grant):
    Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = _check(service, user=employee.pk, asset=asset.pk, scope="use")

    assert response.json() == {"allowed": False, "grant": None, "expires_at": None}
    grant.refresh_from_db()
    assert grant.status == "active"  # not swept yet, and still refused


def test_a_revoked_grant_is_refused_at_once(service, employee, asset, reviewer, grant):
    assert _check(service, user=employee.pk, asset=asset.pk, scope="use").json()["allowed"] is True

    services.grant_revoke(actor=reviewer, grant=grant, reason="Left the team.")

    assert _check(service, user=employee.pk, asset=asset.pk, scope="use").json()["allowed"] is False


def test_a_deleted_token_is_refused_at_once(employee, asset, grant):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_service_token()}")
    assert _check(api, user=employee.pk, asset=asset.pk, scope="use").status_code == 200

    Token.objects.all().delete()

    response = _check(api, user=employee.pk, asset=asset.pk, scope="use")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


def test_a_permission_taken_away_is_refused_at_once(employee, asset, grant):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_service_token('svc-crm')}")
    assert _check(api, user=employee.pk, asset=asset.pk, scope="use").status_code == 200

    get_user_model().objects.get(username="svc-crm").user_permissions.clear()

    response = _check(api, user=employee.pk, asset=asset.pk, scope="use")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("expires", [datetime(2031, 7, 1, 11, 30, tzinfo=UTC), datetime(2031, 1, 6, 9, 0, tzinfo=UTC)])
def test_a_service_and_a_person_get_the_same_answer(client_of, employee, asset, expires):
    # The service's call skips DRF's request cycle; its answer must not show it (British summer time included).
    grant = make_grant(employee, asset)
    Grant.objects.filter(pk=grant.pk).update(expires_at=expires)
    tester = UserFactory(username="tess")
    tester.user_permissions.add(permissions.permission("access.check_access"))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_service_token()}")

    allowed = {"user": employee.pk, "asset": asset.pk, "scope": "use"}
    for body in (allowed, {"user": "olga", "asset": 1, "scope": "use"}):
        by_token, by_session = _check(api, **body), _check(client_of(tester), **body)
        assert (by_token.status_code, by_token["Content-Type"]) == (by_session.status_code, by_session["Content-Type"])
        assert by_token.content == by_session.content
    assert by_token.json()["allowed"] is False
    assert datetime.fromisoformat(_check(api, user="emma", asset=asset.pk, scope="use").json()["expires_at"]) == expires


def test_a_body_that_is_not_json_is_400_for_a_service(service, grant):
    response = service.post("/api/access/check", b'{"user": "emma", ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"user": "emma", "asset": 1, "scope": "use", "x": ' + b"[" * 40 + b"]" * 40 + b"}",
        b'{"user": "emma", "asset": 1, "scope": "use", "x": NaN}',
    ],
    ids=["nested-too-deep", "nan"],
)
def test_a_service_body_the_api_parser_refuses_is_refused_the_same_way(service, grant, raw):
    # The service path reads JSON with the API's own parser, so it accepts nothing the API refuses.
    response = service.post("/api/access/check", raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_session_still_needs_its_csrf_token(employee, asset, grant):
    tester = UserFactory(username="tess")
    tester.user_permissions.add(permissions.permission("access.check_access"))
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(tester)

    response = _check(browser, user=employee.pk, asset=asset.pk, scope="use")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.parametrize(
    "case",
    ["revoked", "other scope", "other asset", "inactive user", "unknown user id", "unknown username", "unknown asset"],
)
def test_no_active_grant_means_not_allowed(service, employee, asset, grant, case):
    body = {"user": employee.pk, "asset": asset.pk, "scope": "use"}
    if case == "revoked":
        Grant.objects.filter(pk=grant.pk).update(status="revoked")
    elif case == "other scope":
        body["scope"] = "export"
    elif case == "other asset":
        body["asset"] = DataAssetFactory().pk
    elif case == "inactive user":
        employee.is_active = False
        employee.save(update_fields=["is_active"])
    elif case == "unknown user id":
        body["user"] = 99999
    elif case == "unknown username":
        body["user"] = "nobody"
    else:
        body["asset"] = 99999

    response = _check(service, **body)

    # Unknown users and assets are a "no", not a 404: the caller learns nothing more.
    assert response.status_code == 200
    assert response.json() == {"allowed": False, "grant": None, "expires_at": None}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"asset": 1, "scope": "use"}, "user"),
        ({"user": True, "asset": 1, "scope": "use"}, "user"),
        ({"user": 0, "asset": 1, "scope": "use"}, "user"),
        ({"user": 2**64, "asset": 1, "scope": "use"}, "user"),
        ({"user": "", "asset": 1, "scope": "use"}, "user"),
        ({"user": ["emma"], "asset": 1, "scope": "use"}, "user"),
        ({"user": "emma", "scope": "use"}, "asset"),
        ({"user": "emma", "asset": "contacts", "scope": "use"}, "asset"),
        ({"user": "emma", "asset": 2**64, "scope": "use"}, "asset"),
        ({"user": "emma", "asset": 1}, "scope"),
        ({"user": "emma", "asset": 1, "scope": "read"}, "scope"),
    ],
)
def test_missing_or_invalid_fields_are_400_naming_the_field(service, grant, body, field):
    response = _check(service, **body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == [field]
    grant.refresh_from_db()
    assert grant.last_used_at is None


# --- Who may ask ----------------------------------------------------------------


def test_a_signed_in_employee_may_not_ask(client_of, employee, asset, grant):
    response = _check(client_of(employee), user=employee.pk, asset=asset.pk, scope="use")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("persona", ["employee", "access_admin", "auditor"])
def test_a_token_without_the_permission_may_not_ask(persona, asset, grant, request):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=request.getfixturevalue(persona)).key}")
    response = _check(api, user="emma", asset=asset.pk, scope="use")
    assert response.status_code == 403
    grant.refresh_from_db()
    assert grant.last_used_at is None


def test_anonymous_and_made_up_tokens_may_not_ask(asset, grant):
    anonymous = _check(APIClient(), user="emma", asset=asset.pk, scope="use")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    assert anonymous.json()["code"] == "not_authenticated"
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = _check(api, user="emma", asset=asset.pk, scope="use")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


def test_an_inactive_service_is_refused(asset, grant):
    key = make_service_token("svc-retired")
    get_user_model().objects.filter(username="svc-retired").update(is_active=False)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert _check(api, user="emma", asset=asset.pk, scope="use").status_code == 401


def test_the_permission_may_come_through_a_group(employee, asset, grant):
    services = Group.objects.create(name="decision-point-callers")
    services.permissions.add(permissions.permission("access.check_access"))
    caller = UserFactory(username="svc-crm", groups=["decision-point-callers"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=caller).key}")
    assert _check(api, user="emma", asset=asset.pk, scope="use").json()["allowed"] is True


def test_a_superuser_token_may_ask_as_has_perm_says(asset, grant):
    owner = UserFactory(username="owner", is_superuser=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=owner).key}")
    assert _check(api, user="emma", asset=asset.pk, scope="use").json()["allowed"] is True


def test_a_person_holding_the_permission_may_try_it_in_the_browser(client_of, employee, asset, grant):
    tester = UserFactory(username="tess")
    tester.user_permissions.add(permissions.permission("access.check_access"))
    response = _check(client_of(tester), user="emma", asset=asset.pk, scope="use")
    assert response.status_code == 200
    assert response.json()["allowed"] is True


def test_a_grant_made_by_the_factory_is_checked_like_a_real_one(service, employee):
    # GrantFactory's grants carry their permission; the decision point reads the grant itself.
    grant = GrantFactory(user=employee)
    assert permissions.has(employee, "portal.use_dataasset", grant.asset)
    assert _check(service, user=employee.pk, asset=grant.asset_id, scope="use").json()["grant"] == grant.pk
