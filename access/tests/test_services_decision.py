"""The decision point (``access.services.check_access``): what data systems are told, and what it costs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from access import services
from access.models import Grant
from access.services.decision import STAMP_EVERY
from access.tests.factories import make_grant
from access.tests.test_services_audit import audit_chain_verifies  # noqa: F401
from portal.tests.factories import DataAssetFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audit_chain_verifies")]


@pytest.fixture
def grant(employee, asset, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return make_grant(employee, asset)


def test_a_user_with_an_active_grant_is_allowed_with_its_id_and_expiry(employee, asset, grant):
    decision = services.check_access(user=employee.pk, asset=asset.pk, scope="use")

    assert (decision.allowed, decision.grant, decision.expires_at) == (True, grant.pk, grant.expires_at)


def test_a_username_works_as_well_as_an_id(employee, asset, grant):
    assert services.check_access(user="emma", asset=asset.pk, scope="use").grant == grant.pk


@pytest.mark.parametrize("scope", ["export", "admin"])
def test_a_grant_of_another_scope_does_not_allow(employee, asset, grant, scope):
    decision = services.check_access(user=employee.pk, asset=asset.pk, scope=scope)

    assert (decision.allowed, decision.grant, decision.expires_at) == (False, None, None)


def test_another_asset_or_another_user_is_not_allowed(employee, outsider, asset, grant):
    assert not services.check_access(user=employee.pk, asset=DataAssetFactory().pk, scope="use").allowed
    assert not services.check_access(user=outsider.pk, asset=asset.pk, scope="use").allowed
    assert not services.check_access(user=10**9, asset=asset.pk, scope="use").allowed


def test_an_inactive_user_is_not_allowed_even_with_an_active_grant(employee, asset, grant):
    get_user_model().objects.filter(pk=employee.pk).update(is_active=False)

    assert not services.check_access(user=employee.pk, asset=asset.pk, scope="use").allowed
    grant.refresh_from_db()
    assert grant.status == Grant.Status.ACTIVE
    assert grant.last_used_at is None, "a refused check is not a use"


def test_a_revoked_grant_is_not_allowed(employee, asset, reviewer, grant):
    services.grant_revoke(actor=reviewer, grant=grant, reason="Left the team.")

    assert not services.check_access(user=employee.pk, asset=asset.pk, scope="use").allowed


def test_an_expired_grant_is_refused_at_once_without_waiting_for_the_sweep(employee, asset, grant, time_machine):
    time_machine.move_to(grant.expires_at - timedelta(seconds=1), tick=False)
    assert services.check_access(user=employee.pk, asset=asset.pk, scope="use").allowed

    time_machine.move_to(grant.expires_at, tick=False)
    assert not services.check_access(user=employee.pk, asset=asset.pk, scope="use").allowed
    assert Grant.objects.get().status == Grant.Status.ACTIVE, "the sweep has not run"


def test_the_first_use_is_stamped_and_not_rewritten_within_the_hour(employee, asset, grant, time_machine):
    first = timezone.now()
    services.check_access(user=employee.pk, asset=asset.pk, scope="use")
    grant.refresh_from_db()
    assert grant.last_used_at == first

    time_machine.shift(STAMP_EVERY - timedelta(seconds=1))
    services.check_access(user=employee.pk, asset=asset.pk, scope="use")
    grant.refresh_from_db()
    assert grant.last_used_at == first

    time_machine.shift(timedelta(seconds=1))
    services.check_access(user=employee.pk, asset=asset.pk, scope="use")
    grant.refresh_from_db()
    assert grant.last_used_at == timezone.now()


def test_a_freshly_stamped_grant_costs_one_query(employee, asset, grant, django_assert_num_queries):
    services.check_access(user=employee.pk, asset=asset.pk, scope="use")

    # the grant (joined to its user for is_active)
    with django_assert_num_queries(1):
        assert services.check_access(user=employee.pk, asset=asset.pk, scope="use").allowed


@pytest.mark.parametrize("last_use", [None, timedelta(hours=2)], ids=["never-used", "used-two-hours-ago"])
def test_a_stale_grant_costs_two_queries(employee, asset, grant, last_use, django_assert_num_queries):
    if last_use is not None:
        Grant.objects.filter(pk=grant.pk).update(last_used_at=timezone.now() - last_use)

    # the grant; the UPDATE of last_used_at
    with django_assert_num_queries(2):
        assert services.check_access(user=employee.pk, asset=asset.pk, scope="use").allowed


def test_a_refusal_costs_one_query(employee, asset, django_assert_num_queries):
    # the grant, not found
    with django_assert_num_queries(1):
        assert not services.check_access(user=employee.pk, asset=asset.pk, scope="use").allowed


# --- A service caller: token, permission and grant in one statement ------------------------------


@pytest.fixture
def service_key(db):
    from access.tests.factories import make_service_token

    return make_service_token()


def test_a_service_gets_the_decision_with_its_standing(employee, asset, grant, service_key):
    caller, decision = services.check_access_by_token(key=service_key, user="emma", asset=asset.pk, scope="use")

    assert (caller.is_active, caller.may_check) == (True, True)
    assert (decision.allowed, decision.grant, decision.expires_at) == (True, grant.pk, grant.expires_at)
    grant.refresh_from_db()
    assert grant.last_used_at == timezone.now()


def test_an_unknown_token_is_no_caller(employee, asset, grant):
    caller, decision = services.check_access_by_token(key="0" * 40, user=employee.pk, asset=asset.pk, scope="use")

    assert caller is None
    assert not decision.allowed


@pytest.mark.parametrize("case", ["no permission", "inactive"])
def test_a_caller_that_may_not_ask_learns_nothing_and_stamps_nothing(employee, asset, grant, service_key, case):
    service = get_user_model().objects.get(username="svc-datalake")
    if case == "no permission":
        service.user_permissions.clear()
    else:
        get_user_model().objects.filter(pk=service.pk).update(is_active=False)

    caller, decision = services.check_access_by_token(key=service_key, user=employee.pk, asset=asset.pk, scope="use")

    assert caller.may_check is False
    assert caller.is_active is (case != "inactive")
    assert (decision.allowed, decision.grant) == (False, None)
    grant.refresh_from_db()
    assert grant.last_used_at is None


def test_a_service_check_costs_one_query_and_a_stale_grant_one_more(
    employee, asset, grant, service_key, django_assert_num_queries
):
    services.check_access_by_token(key=service_key, user=employee.pk, asset=asset.pk, scope="use")

    # token, caller, permission and grant
    with django_assert_num_queries(1):
        assert services.check_access_by_token(key=service_key, user=employee.pk, asset=asset.pk, scope="use")[1].allowed

    Grant.objects.filter(pk=grant.pk).update(last_used_at=timezone.now() - STAMP_EVERY)
    # the same statement; the UPDATE of last_used_at
    with django_assert_num_queries(2):
        assert services.check_access_by_token(key=service_key, user="emma", asset=asset.pk, scope="use")[1].allowed


def test_an_offboarded_user_is_not_allowed_even_with_an_active_grant(employee, asset, grant, service_key):
    get_user_model().objects.filter(pk=employee.pk).update(offboarded_at=timezone.now())

    assert not services.check_access(user=employee.pk, asset=asset.pk, scope="use").allowed
    assert not services.check_access_by_token(key=service_key, user="emma", asset=asset.pk, scope="use")[1].allowed
