"""People's rights change only through audited services: roles, flags, API tokens (portal/users.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal import audit, permissions, users
from portal.errors import Conflict, Forbidden, ValidationError
from portal.models import AuditEvent
from portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # UserFactory's


@pytest.fixture(autouse=True)
def _chain_holds_and_fresh_throttle():
    cache.clear()
    yield
    cache.clear()
    assert audit.verify() is None


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def staff_admin(db):
    """Staff who may change accounts but is no superuser."""
    user = UserFactory(username="stan", is_staff=True)
    user.user_permissions.add(permissions.permission("portal.change_user"), permissions.permission("portal.add_user"))
    return user


def events(action):
    return list(AuditEvent.objects.filter(action=action))


def test_setting_roles_is_audited_with_what_was_added_and_removed(root, employee):
    employee.groups.add(Group.objects.get(name="auditors"))

    users.user_set_roles(actor=root, user=employee, groups=[Group.objects.get(name="access-admins")], reason="New job.")

    assert set(employee.groups.values_list("name", flat=True)) == {"access-admins"}
    [event] = events("portal.user.roles_changed")
    assert event.details["added"] == ["access-admins"]
    assert event.details["removed"] == ["auditors"]
    assert (event.actor_id, event.target_id, event.details["reason"]) == (root.pk, str(employee.pk), "New job.")


def test_setting_the_same_roles_again_changes_and_records_nothing(root, access_admin):
    users.user_set_roles(actor=root, user=access_admin, groups=list(access_admin.groups.all()))
    assert events("portal.user.roles_changed") == []


def test_direct_permissions_are_roles_too(root, employee):
    check = permissions.permission("access.check_access")
    users.user_set_roles(actor=root, user=employee, groups=[], direct_permissions=[check])
    [event] = events("portal.user.roles_changed")
    assert event.details["permissions_added"] == ["access.check_access"]


def test_flags_are_audited(root, employee):
    users.user_set_flags(actor=root, user=employee, is_staff=True)
    [event] = events("portal.user.flags_changed")
    assert event.details["changed"] == {"is_staff": {"from": False, "to": True}}


def test_only_a_superuser_makes_a_superuser(staff_admin, employee, root):
    with pytest.raises(Forbidden, match="superuser"):
        users.user_set_flags(actor=staff_admin, user=employee, is_superuser=True)
    employee.refresh_from_db()
    assert not employee.is_superuser
    users.user_set_flags(actor=root, user=employee, is_superuser=True)
    employee.refresh_from_db()
    assert employee.is_superuser


def test_nobody_but_a_superuser_changes_their_own_rights(staff_admin):
    with pytest.raises(Forbidden):
        users.user_set_roles(actor=staff_admin, user=staff_admin, groups=[Group.objects.get(name="access-admins")])
    assert not staff_admin.groups.exists()


@pytest.mark.parametrize("who", ["access_admin", "employee"])
def test_without_change_user_nobody_changes_rights(outsider, who, request):
    with pytest.raises(Forbidden):
        users.user_set_flags(actor=request.getfixturevalue(who), user=outsider, is_staff=True)


def test_deactivating_offboards_and_needs_a_reason(root, employee):
    with pytest.raises(ValidationError) as caught:
        users.user_set_flags(actor=root, user=employee, is_active=False)
    assert "reason" in caught.value.fields
    employee.refresh_from_db()
    assert employee.is_active

    users.user_set_flags(actor=root, user=employee, is_active=False, reason="Left on 30 November.")

    employee.refresh_from_db()
    assert (employee.is_active, employee.offboard_reason) == (False, "Left on 30 November.")
    assert [e.action for e in AuditEvent.objects.order_by("sequence")] == [
        "portal.user.flags_changed",
        "portal.user.offboarded",
    ]


def test_an_offboarded_person_gets_no_new_role_until_reinstated(root, access_admin, employee):
    from portal import offboarding

    offboarding.user_offboard(actor=access_admin, user=employee, reason="Leaver.")
    with pytest.raises(Conflict, match="Reinstate"):
        users.user_set_roles(actor=root, user=employee, groups=[Group.objects.get(name="auditors")])


def test_a_token_issued_by_signing_in_is_audited_once(employee):
    api = APIClient()
    first = api.post("/api/auth/token/", {"username": "emma", "password": PASSWORD}).json()["token"]
    again = api.post("/api/auth/token/", {"username": "emma", "password": PASSWORD}).json()["token"]

    assert first == again
    [event] = events("portal.token.issued")
    assert (event.actor_id, event.target_id) == (employee.pk, str(employee.pk))
    assert first not in str(event.details)  # the key itself never reaches the log


def test_rotating_and_deleting_tokens_are_audited(root, employee):
    old = users.token_issue(actor=root, user=employee).key
    new = users.token_issue(actor=root, user=employee, rotate=True)
    assert new.key != old
    assert Token.objects.filter(user=employee).count() == 1

    assert users.tokens_delete(actor=root, tokens=[new]) == 1

    assert [e.action for e in AuditEvent.objects.order_by("sequence")] == [
        "portal.token.issued",
        "portal.token.issued",
        "portal.token.deleted",
    ]
    assert not Token.objects.exists()


def test_nobody_issues_a_token_for_someone_else_without_change_user(access_admin, employee):
    with pytest.raises(Forbidden):
        users.token_issue(actor=access_admin, user=employee)
    assert not Token.objects.exists()
