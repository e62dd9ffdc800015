"""Two kinds of admin, never mixed: an ``admin`` grant administers the data system, not the portal's record.

Found by attackers: break-glass (or an approved request) for ``admin`` used to
carry ``portal.admin_dataasset``, which was what changing an asset checked; a
grantee could then name their own reviewers, make the asset public and allow
ten-year grants. Only access admins (a role) change an asset's record.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from access import services
from access.tests.factories import make_break_glass
from access.tests.test_web_support import ask
from portal import permissions
from portal.models import ACCESS_ADMINS, AuditEvent, DataAsset
from portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TAKEOVER = {"reviewers": [], "sensitivity": "public", "max_grant_days": 3650}


@pytest.fixture
def friend(db):
    return UserFactory(username="fred")


def _admin_grant(how, employee, asset, reviewer):
    if how == "break-glass":
        return make_break_glass(employee, asset, scope="admin")
    return services.request_approve(actor=reviewer, request=ask(employee, asset, scope="admin")).grant


def _unchanged(asset, reviewer):
    asset.refresh_from_db()
    assert (asset.sensitivity, asset.max_grant_days) == ("confidential", 90)
    assert list(permissions.holders("portal.review_dataasset", asset)) == [reviewer]
    assert not AuditEvent.objects.filter(action="portal.asset.updated").exists()


@pytest.mark.parametrize("how", ["break-glass", "approved request"])
@pytest.mark.parametrize(
    "change",
    [{"reviewers": "self"}, {"sensitivity": "public"}, {"max_grant_days": 3650}, "all"],
    ids=["reviewers", "sensitivity", "max_grant_days", "all"],
)
def test_an_admin_grant_cannot_change_the_assets_record_through_the_api(
    client_of, employee, friend, reviewer, asset, how, change
):
    grant = _admin_grant(how, employee, asset, reviewer)
    assert grant.scope == "admin"
    assert permissions.has(employee, "portal.admin_dataasset", asset)
    if change == "all":
        body = {**TAKEOVER, "reviewers": [employee.pk, friend.pk]}
    elif change == {"reviewers": "self"}:
        body = {"reviewers": [employee.pk, friend.pk]}
    else:
        body = change

    response = client_of(employee).patch(f"/api/assets/{asset.pk}/", body, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == "Only access admins change data assets."
    _unchanged(asset, reviewer)


@pytest.mark.parametrize("how", ["break-glass", "approved request"])
def test_an_admin_grant_cannot_change_the_assets_record_through_the_web_admin(client, employee, reviewer, asset, how):
    employee.is_staff = True
    employee.save(update_fields=["is_staff"])
    _admin_grant(how, employee, asset, reviewer)
    client.force_login(employee)

    response = client.post(f"/admin/portal/dataasset/{asset.pk}/change/", _admin_form(asset, sensitivity="public"))

    assert response.status_code == 403
    _unchanged(asset, reviewer)


def test_an_access_admin_changes_reviewers_sensitivity_and_maximum(client_of, access_admin, employee, asset, reviewer):
    response = client_of(access_admin).patch(
        f"/api/assets/{asset.pk}/",
        {"reviewers": [employee.pk], "sensitivity": "restricted", "max_grant_days": 14},
        format="json",
    )

    assert response.status_code == 200, response.content
    asset.refresh_from_db()
    assert (asset.sensitivity, asset.max_grant_days) == ("restricted", 14)
    assert list(permissions.holders("portal.review_dataasset", asset)) == [employee]
    [event] = AuditEvent.objects.filter(action="portal.asset.updated")
    assert event.details["reviewers"] == {"added": [employee.pk], "removed": [reviewer.pk]}


def test_an_access_admin_changes_an_asset_through_the_web_admin(client, access_admin, asset):
    access_admin.is_staff = True
    access_admin.save(update_fields=["is_staff"])
    client.force_login(access_admin)

    response = client.post(f"/admin/portal/dataasset/{asset.pk}/change/", _admin_form(asset, sensitivity="restricted"))

    assert response.status_code == 302, response.content.decode()[:2000]
    asset.refresh_from_db()
    assert asset.sensitivity == "restricted"


def _admin_form(asset: DataAsset, **change) -> dict:
    data = {
        "name": asset.name,
        "description": asset.description,
        "sensitivity": asset.sensitivity,
        "holds_personal_data": "on",
        "data_categories": '["contact details"]',
        "max_grant_days": asset.max_grant_days,
        "purposes": "",
        "lawful_basis": "",
        "retention": "",
        "recipients": "",
        "source": "",
    }
    return {**data, **change}


def test_access_admins_hold_no_data_system_right_on_any_asset(access_admin, asset):
    # The role administers the portal's record; administering the data system takes a grant like anyone's.
    role = Group.objects.get(name=ACCESS_ADMINS)
    assert not role.permissions.filter(codename="admin_dataasset").exists()
    assert role.permissions.filter(codename="change_dataasset").exists()
    assert not permissions.has(access_admin, "portal.admin_dataasset", asset)
    assert not permissions.visible(access_admin, "portal.admin_dataasset", DataAsset.objects.all()).exists()


def test_a_hand_assigned_permission_row_gives_no_data_right(employee, asset):
    # Grant rows are the truth: a guardian row nobody's grant explains is drift, not access.
    permissions.assign("portal.admin_dataasset", employee, asset)
    permissions.assign("portal.use_dataasset", employee, asset)

    assert not permissions.has(employee, "portal.admin_dataasset", asset)
    assert not permissions.has(employee, "portal.use_dataasset", asset)
