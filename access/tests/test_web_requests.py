"""Web pages for access requests: the asset page's form, my requests, a request's page and its actions."""

import pytest
from django.core import mail
from django.test import Client

from access import services
from access.models import AccessRequest, Grant
from access.tests.factories import JUSTIFICATION
from access.tests.test_web_support import ask, restricted_asset, said
from portal.models import AuditEvent
from portal.tests.factories import DataAssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted(reviewer, second_reviewer):
    return restricted_asset(reviewer, second_reviewer)


def form(**change):
    return {"scope": "use", "duration_days": "30", "justification": JUSTIFICATION, "ticket": "DATA-1234", **change}


# --- Asking from the asset page ---------------------------------------------


def test_the_asset_page_offers_a_request_form_and_a_separate_break_glass_form(web_of, employee, asset):
    html = web_of(employee).get(f"/assets/{asset.pk}/").content.decode()

    assert '<h2 id="request-h">Request access</h2>' in html
    assert f'action="/access/assets/{asset.pk}/request/"' in html
    assert "At most 90 days for this asset" in html
    assert 'max="90"' in html
    assert (
        'Break-glass <span class="h-note">(emergency, max 4 hours, reviewers and privacy officers are told at once)'
        in html
    )
    # Break-glass is a second page that says what will happen before anything does.
    assert f'href="/access/assets/{asset.pk}/break-glass/"' in html
    assert f'action="/access/assets/{asset.pk}/break-glass/"' not in html
    assert html.count('name="csrfmiddlewaretoken"') >= 2  # request, sign-out
    assert '<label for="request_justification">' in html


def test_the_asset_page_shows_my_grant_with_its_expiry_and_my_pending_request(web_of, employee, asset, reviewer):
    services.request_approve(actor=reviewer, request=ask(employee, asset, days=10))
    pending = ask(employee, asset, scope="export")

    html = web_of(employee).get(f"/assets/{asset.pk}/").content.decode()

    grant = Grant.objects.get(user=employee)
    assert f'href="/access/grants/{grant.pk}/"' in html
    assert "(1\xa0week, 2\xa0days left)" in html  # 10 days less the seconds since; timeuntil uses no-break spaces
    assert f"Request #{pending.pk}" in html


def test_requesting_access_creates_a_pending_request_and_tells_the_reviewer(
    web_of, employee, asset, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = web_of(employee).post(f"/access/assets/{asset.pk}/request/", form(), follow=True)

    req = AccessRequest.objects.get()
    assert (req.requester, req.asset, req.scope, req.duration_days, req.ticket) == (
        employee,
        asset,
        "use",
        30,
        "DATA-1234",
    )
    assert response.redirect_chain == [(f"/access/requests/{req.pk}/", 302)]
    assert f"Request #{req.pk} sent" in response.content.decode()
    assert [m.to for m in mail.outbox] == [["rita@example.com"]]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"justification": "I need it."}, "justification", "at least 20 characters"),
        ({"justification": ""}, "justification", "at least 20 characters"),
        ({"duration_days": "91"}, "duration_days", "at most 90 days"),
        ({"duration_days": "0"}, "duration_days", "at least one day"),
        ({"duration_days": "a month"}, "duration_days", "Enter a whole number"),
        ({"scope": "root"}, "scope", "Select a valid choice"),
        ({"ticket": "T" * 101}, "ticket", "at most 100 characters"),
    ],
)
def test_a_request_with_bad_input_shows_the_field_error_and_creates_nothing(
    web_of, employee, asset, change, field, message
):
    response = web_of(employee).post(f"/access/assets/{asset.pk}/request/", form(**change))

    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    html = response.content.decode()
    assert f'id="request_{field}_error"' in html  # shown next to its field
    assert 'aria-invalid="true"' in html
    assert "Nothing was saved" in html
    assert AccessRequest.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_several_bad_fields_are_all_reported_at_once(web_of, employee, asset):
    response = web_of(employee).post(
        f"/access/assets/{asset.pk}/request/", form(justification="short", duration_days="365")
    )

    assert set(response.context["form"].errors) == {"justification", "duration_days"}
    assert AccessRequest.objects.count() == 0


def test_a_second_pending_request_for_the_same_access_is_refused_on_the_form(web_of, employee, asset):
    ask(employee, asset)

    response = web_of(employee).post(f"/access/assets/{asset.pk}/request/", form())

    assert response.status_code == 200
    assert "already have a pending request" in str(response.context["form"].non_field_errors())
    assert AccessRequest.objects.count() == 1


def test_the_request_form_has_its_own_page_too(web_of, employee, asset):
    response = web_of(employee).get(f"/access/assets/{asset.pk}/request/")

    assert response.status_code == 200
    assert "Request access to Customer contact database" in response.content.decode()


def test_asking_for_an_unknown_asset_is_404(web_of, employee):
    assert web_of(employee).post("/access/assets/99999/request/", form()).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, asset):
    for path in ("/access/requests/", f"/access/assets/{asset.pk}/request/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    assert client.post(f"/access/assets/{asset.pk}/request/", form()).status_code == 302
    assert AccessRequest.objects.count() == 0


def test_the_request_form_is_refused_without_its_csrf_token(employee, asset):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(employee)

    assert browser.post(f"/access/assets/{asset.pk}/request/", form()).status_code == 403
    assert AccessRequest.objects.count() == 0


# --- My requests ------------------------------------------------------------


def test_an_employee_sees_only_their_own_requests(web_of, employee, outsider, asset):
    mine = ask(employee, asset)
    theirs = ask(outsider, DataAssetFactory(name="Order history"))

    response = web_of(employee).get("/access/requests/")

    assert response.status_code == 200
    assert list(response.context["requests"]) == [mine]
    html = response.content.decode()
    assert "<h1>My requests</h1>" in html
    assert f"#{theirs.pk}<" not in html
    assert "Only my requests" not in html


def test_my_requests_filter_by_status(web_of, employee, asset, reviewer):
    denied = ask(employee, asset)
    services.request_deny(actor=reviewer, request=denied, comment="No.")
    pending = ask(employee, asset)

    web = web_of(employee)
    assert list(web.get("/access/requests/?status=pending").context["requests"]) == [pending]
    assert list(web.get("/access/requests/?status=denied").context["requests"]) == [denied]
    assert set(web.get("/access/requests/?status=denied&status=pending").context["requests"]) == {denied, pending}


@pytest.mark.parametrize("role", ["access_admin", "privacy_officer", "auditor"])
def test_privileged_roles_see_all_requests_and_can_filter_to_their_own(request, web_of, employee, asset, role):
    person = request.getfixturevalue(role)
    theirs = ask(employee, asset)
    own = ask(person, DataAssetFactory(name="Web analytics"))

    web = web_of(person)
    everyone = web.get("/access/requests/")
    assert set(everyone.context["requests"]) == {theirs, own}
    assert "Only my requests" in everyone.content.decode()
    assert list(web.get("/access/requests/?mine=true").context["requests"]) == [own]


def test_a_reviewer_also_sees_the_requests_for_the_assets_they_review(web_of, employee, reviewer, asset):
    theirs = ask(employee, asset)
    other = ask(employee, DataAssetFactory(name="Order history"))

    response = web_of(reviewer).get("/access/requests/")

    assert list(response.context["requests"]) == [theirs]
    assert other not in response.context["requests"]


# --- A request's page -------------------------------------------------------


def test_the_request_page_shows_facts_approvals_so_far_comments_and_history(
    web_of, employee, reviewer, second_reviewer, restricted
):
    req = ask(employee, restricted, days=7)
    services.request_approve(actor=reviewer, request=req, comment="OK if Ravi agrees.")

    response = web_of(second_reviewer).get(f"/access/requests/{req.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "1 of 2" in html
    assert "OK if Ravi agrees." in html
    assert JUSTIFICATION in html
    assert "DATA-1234" in html
    assert "7 days" in html
    assert "Audit history" in html
    assert "requested access" in html
    assert "approved (more approvals needed)" in html
    # Ravi may still decide; nothing to cancel.
    assert f'action="/access/requests/{req.pk}/approve/"' in html
    assert f'href="/access/requests/{req.pk}/deny/"' in html
    assert "/cancel/" not in html


def test_a_reviewer_who_already_approved_sees_no_decision_buttons(web_of, employee, reviewer, restricted):
    req = ask(employee, restricted)
    services.request_approve(actor=reviewer, request=req)

    html = web_of(reviewer).get(f"/access/requests/{req.pk}/").content.decode()

    assert "/approve/" not in html


def test_the_requester_may_cancel_but_not_decide(web_of, employee, asset):
    req = ask(employee, asset)

    html = web_of(employee).get(f"/access/requests/{req.pk}/").content.decode()

    assert f'href="/access/requests/{req.pk}/cancel/"' in html
    assert "/approve/" not in html


def test_an_approved_request_links_to_its_grant_and_offers_no_actions(web_of, employee, reviewer, asset):
    req = services.request_approve(actor=reviewer, request=ask(employee, asset), comment="Fine.")

    html = web_of(employee).get(f"/access/requests/{req.pk}/").content.decode()

    assert f'href="/access/grants/{req.grant_id}/"' in html
    assert "/approve/" not in html
    assert "/cancel/" not in html


def test_an_auditor_reads_a_request_but_is_offered_no_decision(web_of, employee, auditor, asset):
    req = ask(employee, asset)

    response = web_of(auditor).get(f"/access/requests/{req.pk}/")

    assert response.status_code == 200
    assert "/approve/" not in response.content.decode()


# --- Decisions and cancelling ----------------------------------------------


def test_approving_on_the_request_page_issues_the_grant(web_of, employee, reviewer, asset):
    req = ask(employee, asset)

    response = web_of(reviewer).post(f"/access/requests/{req.pk}/approve/", {"comment": "Fine for the case."})

    assert response.status_code == 302
    assert response["Location"] == f"/access/requests/{req.pk}/"
    req.refresh_from_db()
    assert req.status == "approved"
    assert req.grant is not None
    assert req.decisions.get().comment == "Fine for the case."
    assert "now has use access" in said(response)[0]


def test_the_first_of_two_approvals_leaves_the_request_pending_and_says_so(web_of, employee, reviewer, restricted):
    req = ask(employee, restricted)

    response = web_of(reviewer).post(f"/access/requests/{req.pk}/approve/", {"comment": ""})

    req.refresh_from_db()
    assert req.status == "pending"
    assert "(1 of 2)" in said(response)[0]


def test_denying_with_a_comment_ends_the_request(web_of, employee, reviewer, asset):
    req = ask(employee, asset)

    response = web_of(reviewer).post(f"/access/requests/{req.pk}/deny/", {"comment": "Use the anonymised export."})

    req.refresh_from_db()
    assert req.status == "denied"
    assert req.decisions.get().comment == "Use the anonymised export."
    page = web_of(reviewer).get(response["Location"]).content.decode()
    assert "Use the anonymised export." in page


def test_the_requester_cancels_their_pending_request(web_of, employee, asset):
    req = ask(employee, asset)

    response = web_of(employee).post(f"/access/requests/{req.pk}/cancel/")

    req.refresh_from_db()
    assert req.status == "cancelled"
    assert said(response) == [f"Cancelled request #{req.pk}."]


def test_deciding_a_request_that_is_no_longer_pending_is_a_message_not_an_error_page(web_of, employee, reviewer, asset):
    req = ask(employee, asset)
    services.request_cancel(actor=employee, request=req)

    response = web_of(reviewer).post(
        f"/access/requests/{req.pk}/approve/", {"next": "/access/review/"}, HTTP_REFERER="/access/review/"
    )

    assert response.status_code == 302
    assert response["Location"] == "/access/review/"
    assert said(response) == ["This request is already cancelled."]
    assert not req.decisions.exists()


@pytest.mark.parametrize("action", ["approve", "deny", "cancel"])
def test_an_outsider_gets_404_on_a_request_they_may_not_see(web_of, employee, outsider, asset, action):
    req = ask(employee, asset)
    web = web_of(outsider)

    assert web.get(f"/access/requests/{req.pk}/").status_code == 404
    assert web.post(f"/access/requests/{req.pk}/{action}/").status_code == 404
    req.refresh_from_db()
    assert req.status == "pending"


@pytest.mark.parametrize("action", ["approve", "deny"])
def test_an_auditor_who_can_see_a_request_gets_403_deciding_it(web_of, employee, auditor, asset, action):
    req = ask(employee, asset)

    response = web_of(auditor).post(f"/access/requests/{req.pk}/{action}/")

    assert response.status_code == 403
    assert not req.decisions.exists()


def test_the_requester_gets_403_approving_their_own_request(web_of, employee, reviewer, asset):
    # Even a reviewer of the asset may not approve their own request.
    req = ask(reviewer, asset)

    response = web_of(reviewer).post(f"/access/requests/{req.pk}/approve/")

    assert response.status_code == 403
    assert "Nobody decides their own request." in response.content.decode()
    req.refresh_from_db()
    assert req.status == "pending"


def test_a_reviewer_gets_403_cancelling_someone_elses_request(web_of, employee, reviewer, asset):
    req = ask(employee, asset)

    assert web_of(reviewer).post(f"/access/requests/{req.pk}/cancel/").status_code == 403


def test_an_access_admin_gets_403_approving_a_confidential_request(web_of, employee, access_admin, asset):
    # Confidential and restricted requests are for the asset's own reviewers only.
    req = ask(employee, asset)

    assert web_of(access_admin).post(f"/access/requests/{req.pk}/approve/").status_code == 403


def test_actions_answer_only_post(web_of, employee, reviewer, asset):
    req = ask(employee, asset)

    assert web_of(reviewer).get(f"/access/requests/{req.pk}/approve/").status_code == 405


def test_next_never_leads_to_another_site(web_of, employee, reviewer, asset):
    req = ask(employee, asset)

    response = web_of(reviewer).post(f"/access/requests/{req.pk}/approve/", {"next": "https://evil.example/"})

    assert response["Location"] == f"/access/requests/{req.pk}/"
