"""The decision point's own SQL: it agrees with the ORM's rule, and on PostgreSQL it is prepared and survives a drop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from access import services
from access.models import Grant
from access.tests.factories import make_grant, make_service_token

pytestmark = pytest.mark.django_db


def _orm_active(grant: Grant) -> bool:
    """Whether the ORM calls ``grant`` active (``GrantQuerySet.active()`` if any), its grantee in good standing."""
    grants = Grant.objects.filter(pk=grant.pk, user__is_active=True, user__offboarded_at__isnull=True)
    if hasattr(grants, "active"):
        return grants.active().exists()
    return grants.filter(status=Grant.Status.ACTIVE, expires_at__gt=timezone.now()).exists()


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"expires_at": "past"},
        {"status": Grant.Status.REVOKED},
        {"status": Grant.Status.EXPIRED},
        {"user__is_active": False},
        {"user__offboarded_at": "past"},
    ],
    ids=["active", "past-expiry", "revoked", "expired", "inactive-user", "offboarded-user"],
)
def test_the_decision_point_and_the_orm_agree_on_what_is_active(employee, asset, change):
    grant = make_grant(employee, asset)
    past = timezone.now() - timedelta(seconds=1)
    for field, value in change.items():
        value = past if value == "past" else value
        if field.startswith("user__"):
            get_user_model().objects.filter(pk=employee.pk).update(**{field[6:]: value})
        else:
            Grant.objects.filter(pk=grant.pk).update(**{field: value})
    key = make_service_token()

    by_session = services.check_access(user=employee.pk, asset=asset.pk, scope="use")
    _, by_token = services.check_access_by_token(key=key, user="emma", asset=asset.pk, scope="use")

    assert by_session.allowed is by_token.allowed is _orm_active(grant)


# --- PostgreSQL: prepared once per connection, and a dropped connection replaced -----------------


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("server-side binding and prepared statements are PostgreSQL's")


@pytest.mark.postgres
def test_the_statement_is_prepared_on_the_connection(on_postgres, employee, asset):
    make_grant(employee, asset)
    key = make_service_token()
    for _ in range(3):
        assert services.check_access_by_token(key=key, user=employee.pk, asset=asset.pk, scope="use")[1].allowed

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ["%t.key = $%"])
        prepared = cursor.fetchall()

    assert len(prepared) == 1, "one statement for token, caller, permission and grant"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_dropped_is_replaced_without_an_error(on_postgres, employee, asset):
    # A new request on a kept connection (CONN_MAX_AGE): Django's health check would spend a round trip
    # on it; the decision point sends its statement and, if the connection is dead, sends it again anew.
    import psycopg

    make_grant(employee, asset)
    key = make_service_token()
    assert services.check_access_by_token(key=key, user=employee.pk, asset=asset.pk, scope="use")[1].allowed
    connection.close_if_unusable_or_obsolete()  # what the start of a request does
    dead_pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    admin_params = {k: params[k] for k in ("dbname", "user", "host", "port", "password") if k in params}
    with psycopg.connect(**admin_params) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [dead_pid])

    caller, decision = services.check_access_by_token(key=key, user=employee.pk, asset=asset.pk, scope="use")

    assert caller.may_check
    assert decision.allowed
    assert connection.connection.info.backend_pid != dead_pid
