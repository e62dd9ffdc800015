"""The admin changes rights only through the audited services; a refusal is a form error, never a 403 page."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token

from access.models import AccessRequest, Grant
from access.tests.factories import AccessRequestFactory, make_grant
from portal import audit, permissions
from portal.models import AuditEvent, DataAsset, User
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chain_holds():
    yield
    assert audit.verify() is None


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def admin_web(client, root):
    client.force_login(root)
    return client


def form_data(response, **changes) -> dict:
    """What the browser would send back for the admin form on ``response``, with ``changes``."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form.initial.get(name, field.initial)
        if isinstance(field, forms.JSONField):
            data[name] = field.prepare_value(value)
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, (list, tuple, set)) or hasattr(value, "all"):
            value = [getattr(v, "pk", v) for v in (value.all() if hasattr(value, "all") else value)]
        elif value is None:
            value = ""
        data[name] = value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        elif value is True:
            data[name] = "on"
        else:
            data[name] = value
    return data


def change(web, url, **changes):
    return web.post(url, form_data(web.get(url), **changes))


def actions_since(mark: int) -> list[str]:
    return list(AuditEvent.objects.filter(sequence__gt=mark).order_by("sequence").values_list("action", flat=True))


def last_sequence() -> int:
    return AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


def errors(response) -> dict:
    return response.context["adminform"].form.errors


# --- Users ------------------------------------------------------------------------------


def test_deactivating_a_user_in_the_admin_offboards_them(admin_web, employee, asset):
    make_grant(employee, asset)
    AccessRequestFactory(requester=employee, asset=DataAssetFactory())
    url = f"/admin/portal/user/{employee.pk}/change/"
    mark = last_sequence()

    response = change(admin_web, url, is_active=False, reason="Left the company on 30 November.")

    assert response.status_code == 302, errors(response)
    employee.refresh_from_db()
    assert not employee.is_active
    assert employee.offboarded_at is not None
    assert set(Grant.objects.values_list("status", flat=True)) == {"revoked"}
    assert set(AccessRequest.objects.values_list("status", flat=True)) == {"cancelled"}
    assert actions_since(mark) == [
        "portal.user.flags_changed",
        "access.request.cancelled",
        "access.grant.revoked",
        "portal.user.offboarded",
    ]


def test_deactivating_without_a_reason_is_a_form_error_and_changes_nothing(admin_web, employee, asset):
    make_grant(employee, asset)
    mark = last_sequence()

    response = change(admin_web, f"/admin/portal/user/{employee.pk}/change/", is_active=False, first_name="Emmy")

    assert response.status_code == 200
    assert "reason" in errors(response)
    employee.refresh_from_db()
    assert (employee.is_active, employee.first_name, employee.offboarded_at) == (True, "Emma", None)
    assert Grant.objects.get().status == "active"
    assert actions_since(mark) == []


def test_adding_a_role_in_the_admin_is_audited(admin_web, employee):
    access_admins = Group.objects.get(name="access-admins")
    mark = last_sequence()

    response = change(admin_web, f"/admin/portal/user/{employee.pk}/change/", groups=[access_admins.pk])

    assert response.status_code == 302, errors(response)
    assert list(employee.groups.values_list("name", flat=True)) == ["access-admins"]
    assert actions_since(mark) == ["portal.user.roles_changed"]


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_flags_set_in_the_admin_are_audited(admin_web, employee, flag):
    mark = last_sequence()
    response = change(admin_web, f"/admin/portal/user/{employee.pk}/change/", **{flag: True})
    assert response.status_code == 302, errors(response)
    [event] = AuditEvent.objects.filter(sequence__gt=mark)
    assert (event.action, event.details["changed"]) == (
        "portal.user.flags_changed",
        {flag: {"from": False, "to": True}},
    )


def test_a_staff_member_who_is_no_superuser_cannot_make_one(client, employee):
    stan = UserFactory(username="stan", is_staff=True)
    stan.user_permissions.add(permissions.permission("portal.change_user"), permissions.permission("portal.view_user"))
    client.force_login(stan)
    mark = last_sequence()

    response = change(client, f"/admin/portal/user/{employee.pk}/change/", is_superuser=True, first_name="Emmy")

    assert response.status_code == 200
    assert "superuser" in str(errors(response))
    employee.refresh_from_db()
    assert (employee.is_superuser, employee.first_name) == (False, "Emma")
    assert actions_since(mark) == []


def test_creating_a_user_in_the_admin_is_audited(admin_web):
    response = admin_web.post(
        "/admin/portal/user/add/",
        {
            "username": "newbie",
            "password1": "A-long-passphrase-42",
            "password2": "A-long-passphrase-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert newbie.check_password("A-long-passphrase-42")
    assert AuditEvent.objects.filter(action="portal.user.created", target_id=str(newbie.pk)).exists()


def test_users_are_never_deleted_in_the_admin(admin_web, employee):
    assert admin_web.get(f"/admin/portal/user/{employee.pk}/delete/").status_code == 403


# --- User tools ----------------------------------------------------------------------------


def test_the_revoke_all_tool_lists_what_goes_and_offboards(admin_web, employee, asset):
    grant = make_grant(employee, asset)
    pending = AccessRequestFactory(requester=employee, asset=DataAssetFactory(name="Order history"))
    page = admin_web.get(f"/admin/portal/user/{employee.pk}/change/")
    assert f"/admin/portal/user/{employee.pk}/tools/revoke-all/" in page.content.decode()

    confirm = admin_web.get(f"/admin/portal/user/{employee.pk}/tools/revoke-all/")
    assert str(grant) in confirm.content.decode()
    assert str(pending) in confirm.content.decode()
    empty = admin_web.post(f"/admin/portal/user/{employee.pk}/tools/revoke-all/", {"reason": ""})
    assert empty.status_code == 200
    assert Grant.objects.get().status == "active"

    done = admin_web.post(f"/admin/portal/user/{employee.pk}/tools/revoke-all/", {"reason": "Leaver."}, follow=True)

    assert "1 grant(s) revoked, 1 pending request(s) cancelled" in done.content.decode()
    assert Grant.objects.get().status == "revoked"
    employee.refresh_from_db()
    assert employee.offboarded_at is not None


def test_issuing_a_token_from_the_user_page_is_audited(admin_web, employee):
    response = admin_web.post(f"/admin/portal/user/{employee.pk}/tools/issue-token/", {"reason": "Data lake."})
    assert response.status_code == 302
    assert Token.objects.filter(user=employee).exists()
    assert AuditEvent.objects.filter(action="portal.token.issued", target_id=str(employee.pk)).exists()


def test_deleting_tokens_in_the_admin_is_audited(admin_web, employee):
    Token.objects.create(user=employee)
    response = admin_web.post(
        "/admin/authtoken/tokenproxy/", {"action": "delete_tokens", "_selected_action": [employee.pk]}
    )
    assert response.status_code == 302
    assert not Token.objects.exists()
    assert AuditEvent.objects.filter(action="portal.token.deleted", target_id=str(employee.pk)).exists()


def test_tokens_and_groups_are_read_only_in_the_admin(admin_web):
    group = Group.objects.get(name="access-admins")
    assert admin_web.get("/admin/authtoken/tokenproxy/add/").status_code == 403
    response = admin_web.post(f"/admin/auth/group/{group.pk}/change/", {"name": "pwned"})
    assert response.status_code == 403
    group.refresh_from_db()
    assert group.name == "access-admins"


# --- Data assets -------------------------------------------------------------------------


def test_reviewers_are_a_field_of_the_asset_form_and_their_change_is_audited(admin_web, asset, reviewer, outsider):
    url = f"/admin/portal/dataasset/{asset.pk}/change/"
    assert admin_web.get(url).context["adminform"].form["reviewers"].initial == [reviewer.pk]
    mark = last_sequence()

    response = change(admin_web, url, reviewers=[outsider.pk])

    assert response.status_code == 302, errors(response)
    assert [u.username for u in permissions.holders("portal.review_dataasset", asset)] == ["olga"]
    [event] = AuditEvent.objects.filter(sequence__gt=mark)
    assert event.action == "portal.asset.updated"
    assert event.details["reviewers"] == {"added": [outsider.pk], "removed": [reviewer.pk]}


def test_a_duplicate_asset_name_in_another_case_is_a_form_error_not_a_403(admin_web, asset):
    mark, count = last_sequence(), DataAsset.objects.count()
    data = {
        "name": asset.name.upper(),
        "description": "",
        "sensitivity": "internal",
        "holds_personal_data": "on",
        "data_categories": "[]",
        "max_grant_days": "30",
    }

    response = admin_web.post("/admin/portal/dataasset/add/", data)

    assert response.status_code == 200
    assert errors(response)["name"] == ["An asset with this name already exists."]
    assert DataAsset.objects.count() == count
    assert actions_since(mark) == []


def test_a_service_refusal_of_a_change_keeps_everything_as_it_was(admin_web, asset, reviewer):
    other = DataAssetFactory(name="Order history")
    mark = last_sequence()

    response = change(admin_web, f"/admin/portal/dataasset/{other.pk}/change/", name="CUSTOMER contact DATABASE")

    assert response.status_code == 200
    assert "name" in errors(response)
    other.refresh_from_db()
    assert other.name == "Order history"
    assert actions_since(mark) == []


def test_guardian_object_permission_pages_are_gone(admin_web, asset):
    assert admin_web.get(f"/admin/portal/dataasset/{asset.pk}/permissions/").status_code in (302, 404)
    page = admin_web.get(f"/admin/portal/dataasset/{asset.pk}/change/").content.decode()
    assert "/permissions/" not in page


def test_every_admin_list_add_and_change_page_renders(admin_web, asset, employee):
    from django.contrib import admin

    Token.objects.create(user=employee)
    make_grant(employee, asset)
    AccessRequestFactory(requester=employee, asset=asset)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        assert admin_web.get(base).status_code == 200, base
        if model_admin.has_add_permission(_request_of(admin_web)):
            assert admin_web.get(f"{base}add/").status_code == 200, base
        obj = model_admin.get_queryset(_request_of(admin_web)).first()
        if obj is not None:
            assert admin_web.get(f"{base}{obj.pk}/change/").status_code == 200, base


def _request_of(web):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(username="root")
    return request
