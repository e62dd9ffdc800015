"""The people pages: who holds which role and access, and offboarding from the portal."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from access.models import AccessRequest, Grant
from access.tests.factories import AccessRequestFactory, make_grant
from access.tests.test_web_queries import bulk_assets, bulk_grants, bulk_requests, warm
from portal import audit
from portal.models import AuditEvent, User
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaver(employee, asset):
    grant = make_grant(employee, asset)
    pending = AccessRequestFactory(requester=employee, asset=DataAssetFactory(name="Order history"))
    decided = AccessRequestFactory(requester=employee, asset=DataAssetFactory(name="Returns"), status="denied")
    return employee, grant, pending, decided


# --- Who sees what ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["access_admin", "privacy_officer", "auditor"])
def test_access_admins_officers_and_auditors_read_the_people_pages(web_of, leaver, persona, request):
    employee, grant, pending, _ = leaver
    web = web_of(request.getfixturevalue(persona))

    listing = web.get("/people/")
    page = web.get(f"/people/{employee.pk}/")

    assert listing.status_code == 200
    assert employee in listing.context["people"]
    assert page.status_code == 200
    html = page.content.decode()
    assert grant.asset.name in html
    assert f"#{pending.pk}" in html
    assert '<a href="/people/">People</a>' in html


@pytest.mark.parametrize("path", ["/people/", "/people/{pk}/", "/people/{pk}/revoke-all/", "/people/99999/"])
def test_employees_get_403_on_every_people_page(web_of, employee, outsider, path):
    response = web_of(employee).get(path.format(pk=outsider.pk))
    assert response.status_code == 403
    assert '<a href="/people/">People</a>' not in web_of(employee).get("/").content.decode()


def test_an_auditor_reads_but_does_not_offboard(web_of, auditor, leaver):
    employee = leaver[0]
    assert "revoke-all" not in web_of(auditor).get(f"/people/{employee.pk}/").content.decode()
    assert web_of(auditor).get(f"/people/{employee.pk}/revoke-all/").status_code == 403
    assert web_of(auditor).post(f"/people/{employee.pk}/revoke-all/", {"reason": "x"}).status_code == 403
    assert Grant.objects.get().status == "active"


@pytest.mark.parametrize("path", ["/people/99999/", "/people/99999/revoke-all/", f"/people/{2**70}/"])
def test_an_unknown_person_is_404(web_of, access_admin, path):
    assert web_of(access_admin).get(path).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get("/people/").status_code == 302


def test_people_can_be_searched(web_of, access_admin, employee, outsider):
    response = web_of(access_admin).get("/people/?q=EMMA@example")
    assert list(response.context["people"]) == [employee]


def test_the_person_page_shows_roles_and_their_history(web_of, access_admin, privacy_officer):
    from portal import offboarding

    offboarding.user_offboard(actor=access_admin, user=privacy_officer, reason="Moved to another company.")
    html = web_of(access_admin).get(f"/people/{privacy_officer.pk}/").content.decode()
    assert "Offboarded" in html
    assert "Moved to another company." in html
    assert "portal.user.offboarded" in html
    assert "Reinstate" in html


# --- Offboarding from the portal ------------------------------------------------------


def test_the_confirmation_page_lists_exactly_what_will_go(web_of, access_admin, leaver):
    employee, grant, pending, decided = leaver
    employee.groups.add(Group.objects.get(name="auditors"))
    other = make_grant(UserFactory(username="zed"), grant.asset)

    response = web_of(access_admin).get(f"/people/{employee.pk}/revoke-all/")

    assert response.status_code == 200
    sections = {s["label"]: [str(i) for i in s["items"]] for s in response.context["sections"]}
    assert sections["Active grants (revoked)"] == [str(grant)]
    assert sections["Pending access requests (cancelled)"] == [str(pending)]
    assert sections["Roles, reviewer duties and API tokens"] == ["Role: auditors"]
    html = response.content.decode()
    assert str(grant) in html
    assert str(pending) in html
    assert str(decided) not in html
    assert str(other) not in html
    assert 'name="reason"' in html
    assert "<script" not in html
    assert Grant.objects.filter(status="active").count() == 2  # a GET changes nothing


def test_offboarding_from_the_portal_needs_a_reason(web_of, access_admin, leaver):
    employee = leaver[0]
    response = web_of(access_admin).post(f"/people/{employee.pk}/revoke-all/", {"reason": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert Grant.objects.get().status == "active"
    assert not AuditEvent.objects.filter(action="portal.user.offboarded").exists()


@pytest.mark.parametrize("persona", ["access_admin", "privacy_officer"])
def test_offboarding_from_the_portal_takes_everything_listed(web_of, leaver, persona, request):
    employee, grant, pending, decided = leaver
    web = web_of(request.getfixturevalue(persona))

    response = web.post(f"/people/{employee.pk}/revoke-all/", {"reason": "Left on 30 November."})

    assert response.status_code == 302
    assert response["Location"] == f"/people/{employee.pk}/"
    grant.refresh_from_db()
    assert grant.status == "revoked"
    assert dict(AccessRequest.objects.values_list("pk", "status")) == {pending.pk: "cancelled", decided.pk: "denied"}
    employee.refresh_from_db()
    assert employee.offboard_reason == "Left on 30 November."
    assert audit.verify() is None


def test_an_access_admin_reinstates_from_the_person_page(web_of, access_admin, privacy_officer, leaver):
    employee = leaver[0]
    web_of(access_admin).post(f"/people/{employee.pk}/revoke-all/", {"reason": "Leaver."})

    refused = web_of(privacy_officer).post(f"/people/{employee.pk}/reinstate/", {"reason": "Back."})
    assert refused.status_code == 403
    done = web_of(access_admin).post(f"/people/{employee.pk}/reinstate/", {"reason": "Rehired."})

    assert done.status_code == 302
    employee.refresh_from_db()
    assert employee.offboarded_at is None


# --- Queries do not grow ------------------------------------------------------------------


@pytest.mark.parametrize("n", [10, 1000])
def test_the_people_list_queries_do_not_grow(web_of, access_admin, n, django_assert_num_queries):
    people = User.objects.bulk_create(User(username=f"person{i:04}", email=f"p{i}@example.com") for i in range(n))
    auditors = Group.objects.get(name="auditors")
    User.groups.through.objects.bulk_create(User.groups.through(user=p, group=auditors) for p in people)
    web = warm(web_of(access_admin), "/people/")

    # session, user, user perms, group perms; count, role groups (context processor), page, the page's groups
    with django_assert_num_queries(8):
        response = web.get("/people/")
    assert len(response.context["people"]) == min(User.objects.count(), 50)


@pytest.mark.parametrize("n", [10, 1000])
def test_the_person_page_queries_do_not_grow(web_of, access_admin, reviewer, n, django_assert_num_queries):
    asker = UserFactory(username="eli")
    assets = bulk_assets(n, "Asset", reviewer=reviewer)
    bulk_grants(asker, assets)
    bulk_requests(asker, assets)
    audit.record_many(actor=asker, entries=[audit.Entry("portal.user.updated", asker) for _ in range(n)])
    web = warm(web_of(access_admin), f"/people/{asker.pk}/")

    # session, user, user perms, group perms; the person, their groups; reviewed assets; history;
    # grants count, requests count, grants page, requests page; role groups (context processor)
    with django_assert_num_queries(13):
        response = web.get(f"/people/{asker.pk}/")
    panel = response.context["panels"][0]
    assert (panel["grant_total"], panel["request_total"]) == (n, n)


@pytest.mark.parametrize("n", [10, 1000])
def test_the_confirmation_page_queries_do_not_grow(web_of, access_admin, reviewer, n, django_assert_num_queries):
    asker = UserFactory(username="eli")
    assets = bulk_assets(n, "Asset", reviewer=reviewer)
    bulk_grants(asker, assets)
    bulk_requests(asker, assets)
    web = warm(web_of(access_admin), f"/people/{asker.pk}/revoke-all/")

    # session, user, user perms, group perms; the person, their groups; pending requests; active grants;
    # incidents handled, DSARs handled; direct permissions, reviewer duties, a token; role groups (context processor)
    with django_assert_num_queries(14):
        response = web.get(f"/people/{asker.pk}/revoke-all/")
    assert [len(s["items"]) for s in response.context["sections"]] == [n, n, 0, 0, 0]
