"""What trying the demo as a new user found: pages that loop, say too little or say the wrong thing."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from access.models import AccessRequest, Grant
from access.tests.factories import AccessRequestFactory, make_grant
from portal import offboarding
from portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- A confirmation page posted twice does not redirect to itself forever ---------------


def test_denying_twice_from_the_confirmation_page_lands_somewhere_that_answers(web_of, reviewer, employee, asset):
    req = AccessRequestFactory(requester=employee, asset=asset)
    url = f"/access/requests/{req.pk}/deny/"
    web = web_of(reviewer)
    first = web.post(url, {"comment": "Use the anonymised export."}, HTTP_REFERER=f"http://testserver{url}")
    assert first.status_code == 302

    # The second submit (double click, or a second tab): browsers keep this page as the referer.
    again = web.post(url, {"comment": "Again."}, HTTP_REFERER=f"http://testserver{url}")
    landing = web.get(again["Location"], HTTP_REFERER=f"http://testserver{url}")

    assert again.status_code == 302
    assert urlsplit(again["Location"]).path != url
    assert landing.status_code == 200
    assert "This request is already denied." in landing.content.decode()
    assert AccessRequest.objects.get().status == "denied"


def test_opening_the_revoke_page_of_a_revoked_grant_from_itself_does_not_loop(web_of, access_admin, employee, asset):
    grant = make_grant(employee, asset)
    url = f"/access/grants/{grant.pk}/revoke/"
    web = web_of(access_admin)
    web.post(url, {"reason": "Project finished."})

    response = web.get(url, HTTP_REFERER=f"http://testserver{url}")

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path != url
    assert Grant.objects.get().status == "revoked"


# --- A refusal on a page without a form says what is wrong --------------------------------


def test_reinstating_without_a_reason_says_a_reason_is_needed(web_of, access_admin, employee):
    offboarding.user_offboard(actor=access_admin, user=employee, reason="Left the company.")
    person = f"/people/{employee.pk}/"

    web = web_of(access_admin)
    response = web.post(f"{person}reinstate/", {"reason": ""}, HTTP_REFERER=f"http://testserver{person}")
    page = web.get(response["Location"]).content.decode()

    assert "Say why this person may have access again." in page
    assert "Some fields are not valid." not in page
    employee.refresh_from_db()
    assert employee.offboarded_at is not None


# --- Wording -----------------------------------------------------------------------------


def test_giving_up_your_own_grant_does_not_say_the_grantee_is_told(web_of, employee, asset):
    grant = make_grant(employee, asset)

    html = web_of(employee).get(f"/access/grants/{grant.pk}/revoke/").content.decode()

    assert "The grantee is told this." not in html
    assert "Recorded in the grant&#x27;s history." in html or "Recorded in the grant's history." in html


def test_revoking_someone_elses_grant_still_says_they_are_told(web_of, access_admin, employee, asset):
    grant = make_grant(employee, asset)
    html = web_of(access_admin).get(f"/access/grants/{grant.pk}/revoke/").content.decode()
    assert "The grantee is told this." in html


def test_an_offboarded_person_is_offered_reinstating_not_revoke_all_again(web_of, access_admin, employee):
    web = web_of(access_admin)
    assert "Revoke all access…" in web.get(f"/people/{employee.pk}/").content.decode()

    offboarding.user_offboard(actor=access_admin, user=employee, reason="Left the company.")
    html = web.get(f"/people/{employee.pk}/").content.decode()

    assert "Revoke all access…" not in html
    assert "Reinstate" in html


# --- Admin pages --------------------------------------------------------------------------


@pytest.fixture
def root_web(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def test_the_reviewers_selector_is_wrapped_so_its_label_stays_first(root_web, asset):
    html = root_web.get(f"/admin/portal/dataasset/{asset.pk}/change/").content.decode()
    # SelectFilter2.js prepends the two boxes to the select's parent: that must not be the row with the label.
    start = html.index('<div class="related-widget-wrapper">')
    assert start < html.index('id="id_reviewers"') < html.index("</div>", start)
    assert html.index('<label for="id_reviewers">') < start


def test_admin_tool_and_bulk_revoke_pages_have_one_heading(root_web, employee, asset):
    tool = root_web.get(f"/admin/portal/user/{employee.pk}/tools/revoke-all/").content.decode()
    grant = make_grant(employee, asset)
    bulk = root_web.post(
        "/admin/access/grant/", {"action": "revoke_selected", "_selected_action": [grant.pk]}
    ).content.decode()

    assert tool.count(f"<h1>Revoke all access of {employee}</h1>") == 1
    assert '<a href="/admin/portal/user/">Users</a>' in tool
    assert bulk.count("<h1>Revoke grants</h1>") == 1


# --- Words a person reads ---------------------------------------------------------------


def test_the_person_page_names_roles_in_words(web_of, access_admin, privacy_officer):
    page = web_of(access_admin).get(f"/people/{privacy_officer.pk}/").content.decode()

    assert "privacy officer" in page
    assert "privacy-officers" not in page


def test_an_offboarded_person_is_told_on_their_dashboard_that_access_was_withdrawn(web_of, access_admin, employee):
    before = web_of(employee).get("/").content.decode()
    offboarding.user_offboard(actor=access_admin, user=employee, reason="Left the company.")

    after = web_of(employee).get("/").content.decode()

    assert "access was withdrawn" not in before
    assert "Your access was withdrawn" in after


def test_a_reviewer_reads_that_a_request_waits_for_them(web_of, reviewer, employee, asset):
    req = AccessRequestFactory(requester=employee, asset=asset)

    as_reviewer = web_of(reviewer).get(f"/access/requests/{req.pk}/").content.decode()
    as_requester = web_of(employee).get(f"/access/requests/{req.pk}/").content.decode()

    assert "Waiting for you" in as_reviewer
    assert f"Waiting for {reviewer}" in as_requester
