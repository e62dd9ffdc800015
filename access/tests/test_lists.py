"""Every list, page and API, validates the same FilterSet: a bad filter is a 400 in the API and a visible
message on the page (which then shows the list as it opens); forms come from the FilterSet; pagers keep
the filters; query counts stay constant on the lists that had no such test yet."""

from __future__ import annotations

import pytest

from access.campaigns.models import ReviewItem
from access.tests.factories import GrantFactory, make_campaign, make_grant
from access.tests.test_web_queries import bulk_assets, bulk_grants, bulk_requests, warm
from portal import audit
from portal.lists import BAD_FILTERS
from portal.models import AuditEvent
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = pytest.mark.django_db

# persona, page, a malformed query, the label the message names it by, the list in the context
BAD_FILTER_PAGES = [
    ("employee", "/assets/", "sensitivity=secret", "Sensitivity", "assets"),
    ("employee", "/assets/", "usable=maybe", "Only what I can use now", "assets"),
    ("access_admin", "/people/", "role=boss", "Role", "people"),
    ("access_admin", "/people/", "offboarded=perhaps", "Offboarded", "people"),
    ("employee", "/access/requests/", "status=bogus", "Status", "requests"),
    ("employee", "/access/requests/", "asset=6.5", "Asset id", "requests"),
    ("employee", "/access/grants/", "status=bogus", "Status", "grants"),
    ("access_admin", "/access/grants/", "origin=magic", "Origin", "grants"),
    ("reviewer", "/access/review/", "scope=everything", "Scope", "requests"),
    ("auditor", "/audit/", "since=last+tuesday", "From", "events"),
]


@pytest.mark.parametrize(("persona", "path", "query", "label", "rows"), BAD_FILTER_PAGES)
def test_every_list_page_answers_a_bad_filter_with_a_visible_message(
    request, web_of, asset, persona, path, query, label, rows
):
    user = request.getfixturevalue(persona)
    web = web_of(user)
    opened = web.get(path)

    response = web.get(f"{path}?{query}")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<li class="msg msg-error">{BAD_FILTERS}' in html
    assert f"{label}: " in html.split(BAD_FILTERS, 1)[1].split("</li>", 1)[0]
    assert 'aria-invalid="true"' in html  # and marked on the form's field
    assert list(response.context[rows]) == list(opened.context[rows])  # the list as it opens


def test_a_bogus_grant_status_is_refused_by_the_page_and_the_api_alike(web_of, client_of, reviewer, asset):
    # Rita reviews the asset, so the page could show Emma's grant too; it opens on her own.
    own = make_grant(reviewer, DataAssetFactory(name="Order history"))
    make_grant(UserFactory(username="emma"), asset)

    api = client_of(reviewer).get("/api/grants/?status=bogus&user=")
    page = web_of(reviewer).get("/access/grants/?status=bogus&user=")

    assert api.status_code == 400
    assert list(api.json()["errors"]) == ["status"]
    assert page.status_code == 200
    assert BAD_FILTERS in page.content.decode()
    assert [g.pk for g in page.context["grants"]] == [own.pk]


def test_a_valid_filter_filters_the_page_as_it_filters_the_api(web_of, client_of, employee, asset):
    make_grant(employee, asset)
    revoked = make_grant(employee, DataAssetFactory(name="Order history"))
    revoked.status = "revoked"
    revoked.save(update_fields=["status"])

    page = web_of(employee).get("/access/grants/?status=revoked")
    api = client_of(employee).get("/api/grants/?status=revoked&user=me")

    assert [g.pk for g in page.context["grants"]] == [r["id"] for r in api.json()["results"]] == [revoked.pk]
    assert not any(str(m) for m in page.context["messages"])


def test_the_filter_form_is_the_filtersets_and_shows_what_was_chosen(web_of, reviewer, asset):
    html = web_of(reviewer).get("/access/requests/?status=pending&status=denied&mine=1").content.decode()

    form = html.split('aria-label="Filter requests"', 1)[1].split("</form>", 1)[0]
    for value in ("pending", "approved", "denied", "cancelled", "lapsed"):
        assert f'name="status" value="{value}"' in form
    assert 'value="pending" id="id_status_0" checked' in form
    assert 'value="approved" id="id_status_1">' in form
    assert 'name="mine" value="true" id="id_mine" checked' in form
    assert "<script" not in html.split("<main", 1)[1]  # a plain GET form: no JavaScript needed


def test_an_employee_is_not_offered_filters_that_change_nothing_for_them(web_of, employee):
    requests = web_of(employee).get("/access/requests/").content.decode()
    grants = web_of(employee).get("/access/grants/").content.decode()

    assert 'name="mine"' not in requests  # they only ever see their own
    assert '<input type="hidden" name="user" value="me"' in grants


def test_the_pager_keeps_the_filters(web_of, employee):
    bulk_grants(employee, bulk_assets(60, "Asset"))

    response = web_of(employee).get("/access/grants/?status=active&origin=request")

    html = response.content.decode()
    assert 'href="?status=active&amp;origin=request&amp;user=' not in html  # the default is not written in
    assert 'href="?status=active&amp;origin=request&amp;page=2"' in html
    assert len(web_of(employee).get("/access/grants/?status=active&origin=request&page=2").context["grants"]) == 10


def test_the_break_glass_pager_keeps_the_queue_filter_and_page(web_of, reviewer, asker):
    bulk_grants(asker, bulk_assets(30, "Reviewed", reviewer=reviewer), origin="break_glass")

    html = web_of(reviewer).get("/access/review/?scope=use&page=1").content.decode()

    assert 'href="?scope=use&amp;page=1&amp;uses_page=2"' in html


@pytest.fixture
def asker(db):
    return UserFactory(username="eli")


# --- Constant queries on the lists that had no such test ------------------------------------


@pytest.mark.parametrize("n", [10, 1000])
def test_everyones_grants_queries_do_not_grow_for_an_auditor(web_of, auditor, asker, n, django_assert_num_queries):
    bulk_grants(asker, bulk_assets(n, "Asset"))
    web = warm(web_of(auditor), "/access/grants/?status=active")

    # session, user, user perms, group perms (view_grant: no "me" default); count, page;
    # role groups (context processor); nav: a reviewed asset exists
    with django_assert_num_queries(8):
        response = web.get("/access/grants/?status=active")
    assert len(response.context["grants"]) == min(n, 50)


@pytest.mark.parametrize("n", [10, 1000])
def test_a_page_with_a_bad_filter_does_not_query_more(web_of, asker, n, django_assert_num_queries):
    bulk_grants(asker, bulk_assets(n, "Asset"))
    web = warm(web_of(asker), "/access/grants/?status=bogus")

    # as the page without filters: session, user, user perms, group perms; count, page; nav; role groups
    with django_assert_num_queries(8):
        response = web.get("/access/grants/?status=bogus")
    assert len(response.context["grants"]) == min(n, 50)


@pytest.mark.parametrize("n", [10, 1000])
def test_the_asset_page_queries_do_not_grow(web_of, asker, reviewer, n, django_assert_num_queries):
    assets = bulk_assets(n, "Asset", reviewer=reviewer)
    bulk_grants(asker, assets)
    web = warm(web_of(asker), "/assets/?usable=1")

    # session, user; usable: the user's own perms, their groups' (guardian's global check) — none for
    # an employee; count, page, the page's reviewers; role groups; nav: a reviewed asset exists
    with django_assert_num_queries(9):
        response = web.get("/assets/?usable=1")
    assert len(response.context["assets"]) == min(n, 50)
    assert [p.user for p in response.context["assets"][0].review_perms] == [reviewer]


@pytest.mark.parametrize("n", [10, 1000])
def test_the_break_glass_api_queue_queries_do_not_grow(client_of, reviewer, asker, n, django_assert_num_queries):
    bulk_grants(asker, bulk_assets(n, "Reviewed", reviewer=reviewer), origin="break_glass")
    api = client_of(reviewer)
    api.get("/api/break-glass/")  # warm process-wide caches (content types)

    # session, user, user perms, group perms (review_breakglass), count, page (user and asset joined)
    with django_assert_num_queries(6):
        response = api.get("/api/break-glass/")
    assert response.json()["count"] == n


@pytest.mark.parametrize("n", [10, 1000])
def test_all_requests_api_queries_do_not_grow_for_an_auditor(
    client_of, auditor, asker, reviewer, n, django_assert_num_queries
):
    bulk_requests(asker, bulk_assets(n, "Asset", reviewer=reviewer), approved_by=reviewer)
    api = client_of(auditor)
    api.get("/api/access-requests/")

    # session, user, user perms, group perms, count, page, decisions, their reviewers, the assets' reviewers
    with django_assert_num_queries(9):
        response = api.get("/api/access-requests/?status=pending")
    assert response.json()["count"] == n


def test_the_people_page_filters_by_role_and_offboarding(web_of, access_admin, auditor, employee):
    employee.offboarded_at = employee.date_joined
    employee.save(update_fields=["offboarded_at"])
    web = web_of(access_admin)

    def names(query):
        return [p.username for p in web.get(f"/people/?{query}").context["people"]]

    assert names("role=auditors") == ["audrey"]
    assert names("role=employee") == ["emma"]
    assert names("offboarded=yes") == ["emma"]
    assert "emma" not in names("offboarded=no")
    assert names("q=aud") == ["audrey"]


def test_an_objects_route_reads_no_list_filter(client_of, auditor, asset):
    # Filters are the list's: a malformed one beside a retrieve changes nothing.
    audit.record(actor=auditor, action="portal.asset.viewed", target=asset)
    sequence = AuditEvent.objects.latest("sequence").sequence
    response = client_of(auditor).get(f"/api/audit-events/{sequence}/?since=last+tuesday")

    assert response.status_code == 200


# --- Recertification campaigns' queue ------------------------------------------------------


@pytest.fixture
def running(access_admin, asset, employee):
    GrantFactory(user=employee, asset=asset)
    GrantFactory(asset=asset)
    return make_campaign(access_admin)


def test_the_campaign_queue_answers_a_bad_filter_with_a_message_and_opens_on_the_undecided(
    web_of, client_of, reviewer, running
):
    item = ReviewItem.objects.filter(campaign=running).first()
    item.decision = "certify"
    item.save(update_fields=["decision"])
    path = f"/access/campaigns/{running.pk}/queue/"
    web = web_of(reviewer)

    response = web.get(f"{path}?recommendation=keep-forever")

    assert f'<li class="msg msg-error">{BAD_FILTERS}' in response.content.decode()
    assert item not in response.context["items"]
    assert len(response.context["items"]) == 1
    assert client_of(reviewer).get(f"/api/campaigns/{running.pk}/items/?recommendation=keep-forever").status_code == 400
    assert len(web.get(f"{path}?decided=").context["items"]) == 2  # "All"
    assert list(web.get(f"{path}?decided=true").context["items"]) == [item]
