"""One definition of an active grant: status active AND not past its expiry, sweep or no sweep.

``Grant.objects.active()`` / ``with_status()`` (SQL) and ``Grant.effective_status()`` (one row)
are the rule; every list, filter, panel, serializer, permission check and reconcile uses them,
so a grant that expired a minute ago gives nothing anywhere even before the sweep runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access import services
from access.models import Grant
from access.tests.factories import GrantFactory, make_break_glass, make_grant
from access.tests.test_web_queries import bulk_assets, bulk_grants, warm
from portal import permissions
from portal.errors import Forbidden
from portal.models import DataAsset
from portal.tests.factories import DataAssetFactory

pytestmark = pytest.mark.django_db

USE = "portal.use_dataasset"


@pytest.fixture
def now(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return timezone.now()


# --- The rule ---------------------------------------------------------------------


def test_effective_status_and_the_status_filter_agree_on_every_kind_of_row(employee, now):
    asset = DataAssetFactory()
    rows = [
        GrantFactory(user=employee, asset=asset, scope="use", expires_at=now + timedelta(days=1)),
        GrantFactory(user=employee, asset=asset, scope="export", expires_at=now - timedelta(minutes=1)),  # unswept
        GrantFactory(user=employee, asset=asset, scope="admin", expires_at=now),  # expires this very instant
        GrantFactory(user=employee, asset=asset, status="expired", expires_at=now - timedelta(days=1)),
        GrantFactory(user=employee, asset=asset, status="revoked", expires_at=now + timedelta(days=1)),
    ]

    assert [g.effective_status() for g in rows] == ["active", "expired", "expired", "expired", "revoked"]
    for status in ("active", "expired", "revoked"):
        expected = {g.pk for g in rows if g.effective_status(now) == status}
        assert set(Grant.objects.with_status(status, now).values_list("pk", flat=True)) == expected, status
    assert list(Grant.objects.active(now)) == [rows[0]]
    assert set(Grant.objects.due(now)) == {rows[1], rows[2]}


T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _held(start, end, **grant) -> bool:
    g = GrantFactory.build(granted_at=T0, expires_at=T0 + 10 * HOUR, **grant)
    g.user.save()
    g.asset.save()
    g.user_id, g.asset_id = g.user.pk, g.asset.pk
    g.save()
    return Grant.objects.held_during(start, end).filter(pk=g.pk).exists()


@pytest.mark.parametrize(
    ("start", "end", "grant", "held"),
    [
        # Granted exactly when the window ends: not held during it; a moment later it is.
        (T0 - 2 * HOUR, T0, {}, False),
        (T0 - 2 * HOUR, T0 + timedelta(seconds=1), {}, True),
        # Still running (never ended): held during any window that overlaps it.
        (T0 + 2 * HOUR, T0 + 3 * HOUR, {}, True),
        # Revoked: ended exactly when the window starts is not held; a second before, it is.
        (T0 + 5 * HOUR, T0 + 6 * HOUR, {"status": "revoked", "ended_at": T0 + 5 * HOUR}, False),
        (T0 + 5 * HOUR, T0 + 6 * HOUR, {"status": "revoked", "ended_at": T0 + 5 * HOUR + timedelta(seconds=1)}, True),
        # Expired at 10h, swept late at 11h: the late sweep does not stretch the grant.
        (T0 + 10 * HOUR, T0 + 12 * HOUR, {"status": "expired", "ended_at": T0 + 11 * HOUR}, False),
        (T0 + 9 * HOUR, T0 + 12 * HOUR, {"status": "expired", "ended_at": T0 + 11 * HOUR}, True),
        # Past its expiry and not swept at all: over at expires_at, like every other reader says.
        (T0 + 10 * HOUR, T0 + 12 * HOUR, {}, False),
        # A window entirely before the grant.
        (T0 - 5 * HOUR, T0 - 4 * HOUR, {}, False),
    ],
)
def test_held_during_is_granted_before_the_end_and_not_ended_before_the_start(start, end, grant, held):
    assert _held(start, end, **grant) is held


# --- Expired a minute ago, not swept: inactive everywhere ------------------------


@pytest.fixture
def unswept(employee, asset, reviewer, time_machine):
    """Emma's one-day grant, a minute past its expiry; the sweep has not run (the row still says active)."""
    time_machine.move_to(timezone.now(), tick=False)
    grant = services.request_approve(
        actor=reviewer,
        request=services.request_create(
            actor=employee,
            asset=asset,
            scope="use",
            justification="Churn analysis for Q3, ticket DATA-1.",
            duration_days=1,
        ),
    ).grant
    time_machine.shift(timedelta(days=1, minutes=1))
    Grant.objects.filter(pk=grant.pk, status="active").get()  # really not swept
    return grant


def test_before_it_expires_every_reader_sees_the_grant(client_of, web_of, employee, asset):
    grant = make_grant(employee, asset)

    assert [a["id"] for a in client_of(employee).get("/api/assets/?usable=1").json()["results"]] == [asset.pk]
    assert client_of(employee).get(f"/api/grants/{grant.pk}").json()["status"] == "active"
    assert permissions.has(employee, USE, asset)
    assert list(web_of(employee).get("/assets/?usable=1").context["assets"]) == [asset]


def test_the_usable_filter_leaves_it_out_in_the_api_and_on_the_page(client_of, web_of, employee, unswept):
    assert client_of(employee).get("/api/assets/?usable=1").json()["count"] == 0
    assert list(web_of(employee).get("/assets/?usable=1").context["assets"]) == []


def test_the_api_calls_it_expired_and_filters_it_so(client_of, employee, unswept):
    api = client_of(employee)

    assert api.get(f"/api/grants/{unswept.pk}").json()["status"] == "expired"
    assert api.get("/api/grants/?user=me&status=active").json()["count"] == 0
    assert [g["id"] for g in api.get("/api/grants/?user=me&status=expired").json()["results"]] == [unswept.pk]


def test_permission_checks_refuse_it(employee, asset, unswept):
    assert not permissions.has(employee, USE, asset)
    with pytest.raises(Forbidden):
        permissions.require(employee, USE, asset)
    assert not permissions.visible(employee, USE, DataAsset.objects.all()).exists()


def test_an_expired_admin_grant_passes_no_require(employee, asset, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    make_break_glass(employee, asset, scope="admin", hours=1)
    permissions.require(employee, "portal.admin_dataasset", asset)

    time_machine.shift(timedelta(hours=1, seconds=1))

    with pytest.raises(Forbidden):
        permissions.require(employee, "portal.admin_dataasset", asset)


def test_the_panels_show_it_as_ended(web_of, employee, asset, unswept):
    web = web_of(employee)
    dashboard = {p["template"]: p for p in web.get("/").context["panels"]}
    asset_page = {p["template"]: p for p in web.get(f"/assets/{asset.pk}/").context["panels"]}
    grant_page = web.get(f"/access/grants/{unswept.pk}/")

    assert dashboard["access/panels/my_access.html"]["total"] == 0
    assert asset_page["access/panels/asset_access.html"]["grants"] == []
    assert grant_page.context["grant"].shown_status == "expired"
    assert grant_page.context["may_revoke"] is False


def test_reconcile_counts_its_permission_row_as_drift(employee, asset, unswept):
    drift = services.reconcile_permissions()

    assert drift.missing == []
    assert drift.extra == [(employee.pk, asset.pk, "use_dataasset")]


def test_revoking_it_is_a_conflict_naming_it_expired(client_of, reviewer, unswept):
    response = client_of(reviewer).post(f"/api/grants/{unswept.pk}/revoke", {"reason": "Left."}, format="json")

    assert response.status_code == 409
    assert response.json()["detail"] == "This grant is already expired."


def test_the_sweep_then_ends_it_for_good(employee, asset, unswept):
    assert services.grants_expire() == 1
    unswept.refresh_from_db()
    assert unswept.status == "expired"
    assert services.reconcile_permissions().clean


# --- Constant queries ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/assets/?usable=1", "/assets/?usable=1"])
def test_the_usable_filter_uses_the_same_queries_at_10_and_1000_grants(web_of, employee, path):
    web = warm(web_of(employee), path)

    def queries(n):
        bulk_grants(employee, bulk_assets(n - Grant.objects.count(), f"Held {n}"))
        with CaptureQueriesContext(connection) as context:
            response = web.get(path)
        assert response.status_code == 200
        return len(context)

    assert queries(10) == queries(1000)


def test_offboarding_counts_only_what_is_still_held(access_admin, employee, unswept):
    assert services.user_revoke_all(actor=access_admin, user=employee, reason="Left the company.") == 0
    unswept.refresh_from_db()
    assert unswept.status == "active"  # the sweep's to end; it gives nothing meanwhile
    assert services.grants_expire() == 1
