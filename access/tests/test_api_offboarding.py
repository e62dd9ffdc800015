"""Offboarding through the API: POST /api/users/{id}/revoke-all."""

import pytest
from rest_framework.test import APIClient

from access.models import Grant
from access.tests.factories import GrantFactory, make_grant
from portal import permissions
from portal.models import AuditEvent
from portal.tests.factories import DataAssetFactory

pytestmark = pytest.mark.django_db

REASON = {"reason": "Left the company on 30 November."}


def _actions(after: int = 0):
    return list(AuditEvent.objects.filter(sequence__gt=after).order_by("sequence").values_list("action", flat=True))


@pytest.fixture
def grants(employee, asset):
    return [make_grant(employee, asset), make_grant(employee, DataAssetFactory(name="Order history"), scope="export")]


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize("persona", ["access_admin", "privacy_officer"])
def test_revoke_all_ends_every_active_grant_of_a_user(client_of, employee, asset, grants, persona, slash, request):
    ended = GrantFactory(user=employee, status="expired")
    someone_else = make_grant(request.getfixturevalue("outsider"), asset)
    mark = AuditEvent.objects.count()

    response = client_of(request.getfixturevalue(persona)).post(
        f"/api/users/{employee.pk}/revoke-all{slash}", REASON, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json() == {"revoked": 2, "cancelled": 0}
    assert set(Grant.objects.filter(user=employee).values_list("status", flat=True)) == {"revoked", "expired"}
    assert not permissions.has(employee, "portal.use_dataasset", asset)
    ended.refresh_from_db()
    someone_else.refresh_from_db()
    assert (ended.status, someone_else.status) == ("expired", "active")
    assert _actions(after=mark) == ["access.grant.revoked", "access.grant.revoked", "portal.user.offboarded"]


def test_revoking_all_of_a_user_without_grants_answers_zero(client_of, access_admin, outsider):
    response = client_of(access_admin).post(f"/api/users/{outsider.pk}/revoke-all", REASON, format="json")
    assert response.json() == {"revoked": 0, "cancelled": 0}
    assert _actions() == ["portal.user.offboarded"]


def test_a_deactivated_user_is_offboarded_too(client_of, access_admin, employee, grants):
    employee.is_active = False
    employee.save(update_fields=["is_active"])
    response = client_of(access_admin).post(f"/api/users/{employee.pk}/revoke-all", REASON, format="json")
    assert response.json() == {"revoked": 2, "cancelled": 0}


@pytest.mark.parametrize("persona", ["employee", "reviewer", "auditor"])
def test_only_access_admins_and_privacy_officers_revoke_all(client_of, employee, grants, persona, request):
    mark = AuditEvent.objects.count()
    response = client_of(request.getfixturevalue(persona)).post(
        f"/api/users/{employee.pk}/revoke-all", REASON, format="json"
    )
    assert response.status_code == 403
    assert set(Grant.objects.values_list("status", flat=True)) == {"active"}
    assert _actions(after=mark) == []


@pytest.mark.parametrize("pk", ["99999", "abc", "²", str(2**70)])
def test_revoking_all_of_an_unknown_user_is_404(client_of, access_admin, pk):
    response = client_of(access_admin).post(f"/api/users/{pk}/revoke-all", REASON, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_without_the_right_an_unknown_user_is_403_too(client_of, auditor):
    # The right is checked first, so probing ids tells nobody which users exist.
    response = client_of(auditor).post("/api/users/99999/revoke-all", REASON, format="json")
    assert response.status_code == 403


def test_anonymous_callers_are_refused(employee, grants):
    response = APIClient().post(f"/api/users/{employee.pk}/revoke-all", REASON, format="json")
    assert response.status_code in (401, 403)
    assert set(Grant.objects.values_list("status", flat=True)) == {"active"}


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "  "}])
def test_revoke_all_needs_a_reason(client_of, access_admin, employee, grants, body):
    mark = AuditEvent.objects.count()
    response = client_of(access_admin).post(f"/api/users/{employee.pk}/revoke-all", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]
    assert set(Grant.objects.values_list("status", flat=True)) == {"active"}
    assert _actions(after=mark) == []
