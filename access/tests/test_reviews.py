"""Reviews people can follow: a reason for every denial, who still has to approve, escalation to the
access admins when too few eligible reviewers are left, a confirmation page before what cannot be
undone, and defaults that ask for no more than is needed.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access import policy, selectors, services
from access.models import AccessRequest
from access.tests.factories import JUSTIFICATION, make_grant
from access.tests.test_web_queries import bulk_assets, bulk_requests, warm
from access.tests.test_web_support import ask, said
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = pytest.mark.django_db

REASON = "Use the anonymised weekly export instead."


@pytest.fixture
def second_admin(db):
    return UserFactory(username="abel", groups=["access-admins"])


def names(users) -> list[str]:
    return sorted(u.username for u in users)


def fresh(req) -> AccessRequest:
    return AccessRequest.objects.get(pk=req.pk)


# --- Who still has to approve --------------------------------------------------------


@pytest.mark.parametrize("sensitivity", ["public", "internal", "confidential"])
def test_one_approval_awaits_the_reviewers_then_nobody(employee, reviewer, second_reviewer, sensitivity):
    asset = DataAssetFactory(sensitivity=sensitivity, reviewers=[reviewer, second_reviewer])
    req = ask(employee, asset)

    assert names(policy.awaiting(fresh(req))) == ["ravi", "rita"]
    services.request_approve(actor=reviewer, request=req)
    assert policy.awaiting(fresh(req)) == []


def test_restricted_awaits_both_reviewers_then_the_other_one(employee, reviewer, second_reviewer):
    asset = DataAssetFactory(sensitivity="restricted", reviewers=[reviewer, second_reviewer])
    req = ask(employee, asset)

    assert names(policy.awaiting(fresh(req))) == ["ravi", "rita"]
    services.request_approve(actor=reviewer, request=req)
    assert names(policy.awaiting(fresh(req))) == ["ravi"]
    services.request_approve(actor=second_reviewer, request=req)
    assert fresh(req).status == "approved"
    assert policy.awaiting(fresh(req)) == []


@pytest.mark.parametrize("sensitivity", ["public", "internal", "confidential", "restricted"])
def test_an_asset_without_reviewers_awaits_the_access_admins(employee, access_admin, second_admin, sensitivity):
    req = ask(employee, DataAssetFactory(sensitivity=sensitivity))

    assert policy.escalated(fresh(req))
    assert names(policy.awaiting(fresh(req))) == ["abel", "adam"]


def test_a_reviewer_who_left_is_not_awaited(employee, reviewer, second_reviewer, access_admin):
    asset = DataAssetFactory(sensitivity="restricted", reviewers=[reviewer, second_reviewer])
    second_reviewer.is_active = False
    second_reviewer.save(update_fields=["is_active"])

    req = fresh(ask(employee, asset))

    assert policy.escalated(req)
    assert names(policy.awaiting(req)) == ["adam", "rita"]


def test_a_denied_request_awaits_nobody(employee, reviewer, asset):
    req = ask(employee, asset)
    services.request_deny(actor=reviewer, request=req, comment=REASON)

    assert policy.awaiting(fresh(req)) == []


def test_the_api_names_who_is_awaited_and_keeps_every_field(client_of, employee, reviewer, asset):
    req = ask(employee, asset)

    body = client_of(employee).get(f"/api/access-requests/{req.pk}").json()

    assert [u["username"] for u in body["awaiting"]] == ["rita"]
    for field in ("id", "requester", "asset", "scope", "status", "approvals", "required_approvals", "decisions"):
        assert field in body
    listed = client_of(employee).get("/api/access-requests/").json()["results"][0]
    assert [u["username"] for u in listed["awaiting"]] == ["rita"]


def test_the_request_page_and_the_queue_name_who_is_awaited(web_of, employee, reviewer, second_reviewer):
    asset = DataAssetFactory(sensitivity="restricted", reviewers=[reviewer, second_reviewer])
    req = ask(employee, asset)
    services.request_approve(actor=reviewer, request=req)

    page = web_of(employee).get(f"/access/requests/{req.pk}/").content.decode()
    assert "Still to approve" in page
    assert "Waiting for Ravi" in page
    queue = web_of(second_reviewer).get("/access/review/").content.decode()
    assert "Waiting for you" in queue


# --- Escalation ----------------------------------------------------------------------


@pytest.fixture
def stuck(employee, reviewer, second_reviewer):
    """A restricted asset reviewed by Rita and Ravi, and Rita's own request for it: only Ravi may approve."""
    asset = DataAssetFactory(
        name="Doorbell video feeds", sensitivity="restricted", reviewers=[reviewer, second_reviewer]
    )
    return asset


def test_a_reviewers_own_request_goes_to_the_access_admins_who_give_the_missing_approval(
    client_of,
    web_of,
    reviewer,
    second_reviewer,
    access_admin,
    second_admin,
    stuck,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        req = ask(reviewer, stuck)

    # Created escalated: the other reviewer and the access admins are mailed, told why.
    assert sorted(m.to[0] for m in mailoutbox) == ["abel@example.com", "adam@example.com", "ravi@example.com"]
    assert all("access admins" in m.body for m in mailoutbox)
    assert names(policy.awaiting(fresh(req))) == ["abel", "adam", "ravi"]
    admin_api = client_of(access_admin)
    assert [r["id"] for r in admin_api.get("/api/access-requests/?reviewable=1").json()["results"]] == [req.pk]
    assert list(web_of(access_admin).get("/access/review/").context["requests"]) == [req]

    second = client_of(second_reviewer).post(f"/api/access-requests/{req.pk}/approve", {}, format="json").json()
    assert second["status"] == "pending"
    assert sorted(u["username"] for u in second["awaiting"]) == ["abel", "adam"]

    done = admin_api.post(f"/api/access-requests/{req.pk}/approve", {"comment": "Second pair of eyes."}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "approved"
    assert done.json()["awaiting"] == []
    assert fresh(req).grant.user == reviewer


def test_an_admin_may_give_only_the_missing_approvals(
    client_of, reviewer, second_reviewer, access_admin, second_admin, stuck
):
    req = ask(reviewer, stuck)
    client_of(access_admin).post(f"/api/access-requests/{req.pk}/approve", {}, format="json")

    # One approval was missing; Ravi can still give the other, so the admins are no longer awaited.
    assert names(policy.awaiting(fresh(req))) == ["ravi"]
    refused = client_of(second_admin).post(f"/api/access-requests/{req.pk}/approve", {}, format="json")
    assert refused.status_code == 403
    assert client_of(second_admin).get("/api/access-requests/?reviewable=1").json()["count"] == 0


def test_without_escalation_admins_still_may_not_decide_a_restricted_request(client_of, employee, access_admin, stuck):
    req = ask(employee, stuck)

    assert not policy.escalated(fresh(req))
    response = client_of(access_admin).post(f"/api/access-requests/{req.pk}/approve", {}, format="json")
    assert response.status_code == 403


def _every_kind_of_request(employee, reviewer, second_reviewer, access_admin, second_admin, outsider):
    left = UserFactory(username="lena")
    left.is_active = False
    left.save(update_fields=["is_active"])
    assets = {
        s: DataAssetFactory(sensitivity=s, reviewers=[reviewer, second_reviewer])
        for s in ("public", "internal", "confidential", "restricted")
    }
    bare = {s: DataAssetFactory(sensitivity=s) for s in ("internal", "restricted")}
    gone = DataAssetFactory(sensitivity="restricted", reviewers=[reviewer, left])
    reqs = []
    for requester in (employee, reviewer, second_reviewer, access_admin):
        for asset in [*assets.values(), *bare.values(), gone]:
            reqs.append(ask(requester, asset))
    # Some decided part-way, some decided for good.
    for req in reqs[::3]:
        deciders = [u for u in (reviewer, second_reviewer, access_admin) if policy.may_decide(u, fresh(req))]
        if deciders:
            services.request_approve(actor=deciders[0], request=req)
    for req in reqs[1::7]:
        if fresh(req).is_pending and policy.may_decide(second_admin, fresh(req)):
            services.request_deny(actor=second_admin, request=req, comment=REASON)
    return [fresh(r) for r in reqs]


def test_the_python_rule_and_the_sql_queue_agree(
    employee, reviewer, second_reviewer, access_admin, second_admin, outsider, auditor
):
    reqs = _every_kind_of_request(employee, reviewer, second_reviewer, access_admin, second_admin, outsider)
    assert any(policy.escalated(r) for r in reqs)
    assert any(not policy.escalated(r) for r in reqs if r.is_pending)

    for user in (employee, reviewer, second_reviewer, access_admin, second_admin, outsider, auditor):
        in_python = {r.pk for r in reqs if policy.may_decide(user, r)}
        in_sql = set(selectors.decidable_by(user, AccessRequest.objects.all()).values_list("pk", flat=True))
        assert in_sql == in_python, user.username
    escalated_sql = set(AccessRequest.objects.filter(policy.escalated_q()).values_list("pk", flat=True))
    assert escalated_sql == {r.pk for r in reqs if policy.escalated(r)}


@pytest.mark.parametrize("n", [10, 1000])
def test_an_admins_queue_of_escalated_requests_uses_the_same_queries_at_any_size(web_of, access_admin, employee, n):
    bulk_requests(employee, bulk_assets(10, "Small", sensitivity="restricted"), required=2)
    web = warm(web_of(access_admin), "/access/review/")

    def queries():
        with CaptureQueriesContext(connection) as context:
            response = web.get("/access/review/")
        return len(context), response

    small, _ = queries()
    bulk_requests(employee, bulk_assets(n, "More", sensitivity="restricted"), required=2)
    large, response = queries()
    assert large == small
    assert response.context["paginator"].count == 10 + n
    assert names(response.context["requests"][0].awaiting) == ["adam"]


# --- A reason for every denial --------------------------------------------------------


def test_denying_without_a_reason_is_400_naming_the_field(client_of, employee, reviewer, asset):
    req = ask(employee, asset)

    for body in ({}, {"comment": "   "}):
        response = client_of(reviewer).post(f"/api/access-requests/{req.pk}/deny", body, format="json")
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["comment"]
    assert fresh(req).status == "pending"
    assert not fresh(req).decisions.exists()


def test_the_service_refuses_a_denial_without_a_reason(employee, reviewer, asset):
    from portal.errors import ValidationError

    req = ask(employee, asset)
    with pytest.raises(ValidationError) as refused:
        services.request_deny(actor=reviewer, request=req, comment=" ")
    assert refused.value.fields == {"comment": ["Say why you deny this request; the requester is told."]}


def test_the_requester_reads_the_reason_on_the_page_and_in_the_mail(
    web_of, employee, reviewer, asset, mailoutbox, django_capture_on_commit_callbacks
):
    req = ask(employee, asset)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_deny(actor=reviewer, request=req, comment=REASON)

    [message] = mailoutbox
    assert message.to == ["emma@example.com"]
    assert REASON in message.body
    assert "Rita" in message.body
    page = web_of(employee).get(f"/access/requests/{req.pk}/").content.decode()
    assert REASON in page
    assert "Why:" in page


# --- Confirmation pages ----------------------------------------------------------------


def test_deny_shows_what_will_happen_then_needs_a_reason_then_denies(web_of, employee, reviewer, asset):
    req = ask(employee, asset)
    web = web_of(reviewer)

    page = web.get(f"/access/requests/{req.pk}/deny/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "One denial ends the request" in html
    assert JUSTIFICATION in html
    assert f'action="/access/requests/{req.pk}/deny/"' in html
    assert "<script" not in html
    assert fresh(req).status == "pending"

    blank = web.post(f"/access/requests/{req.pk}/deny/", {"comment": ""})
    assert blank.status_code == 200
    assert "Say why you deny this request" in str(blank.context["form"].errors["comment"])
    assert fresh(req).status == "pending"

    done = web.post(f"/access/requests/{req.pk}/deny/", {"comment": REASON})
    assert done.status_code == 302
    assert done["Location"] == f"/access/requests/{req.pk}/"
    assert fresh(req).status == "denied"


@pytest.mark.parametrize("target", ["javascript:alert(1)", "https://evil.example/"])
def test_the_confirmation_page_links_back_only_within_the_site(web_of, employee, reviewer, asset, target):
    req = ask(employee, asset)

    html = web_of(reviewer).get(f"/access/requests/{req.pk}/deny/", {"next": target}).content.decode()

    assert target not in html
    assert f'href="/access/requests/{req.pk}/">Go back' in html


def test_the_deny_page_is_403_to_who_may_not_decide_and_404_to_who_may_not_see(
    web_of, employee, auditor, outsider, asset
):
    req = ask(employee, asset)

    assert web_of(auditor).get(f"/access/requests/{req.pk}/deny/").status_code == 403
    assert web_of(outsider).get(f"/access/requests/{req.pk}/deny/").status_code == 404


def test_cancel_asks_first_then_cancels(web_of, employee, reviewer, asset):
    req = ask(employee, asset)
    web = web_of(employee)

    page = web.get(f"/access/requests/{req.pk}/cancel/")
    assert page.status_code == 200
    assert "withdrawn" in page.content.decode()
    assert fresh(req).status == "pending"
    assert web_of(reviewer).get(f"/access/requests/{req.pk}/cancel/").status_code == 403

    done = web_of(employee).post(f"/access/requests/{req.pk}/cancel/")
    assert done.status_code == 302
    assert said(done) == [f"Cancelled request #{req.pk}."]
    assert fresh(req).status == "cancelled"


def test_revoke_asks_first_then_revokes(web_of, employee, reviewer, asset):
    grant = make_grant(employee, asset)
    web = web_of(reviewer)

    page = web.get(f"/access/grants/{grant.pk}/revoke/")
    assert page.status_code == 200
    assert "Emma is e-mailed your reason" in page.content.decode()
    grant.refresh_from_db()
    assert grant.status == "active"

    done = web.post(f"/access/grants/{grant.pk}/revoke/", {"reason": "Moved to another team."})
    assert done.status_code == 302
    grant.refresh_from_db()
    assert (grant.status, grant.revoke_reason) == ("revoked", "Moved to another team.")


def test_break_glass_says_who_is_told_offers_no_export_then_acts(web_of, employee, reviewer, asset):
    web = web_of(employee)

    page = web.get(f"/access/assets/{asset.pk}/break-glass/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Rita" in html
    assert "privacy officers" in html
    assert "one hour" in html
    assert [value for value, _ in page.context["form"].fields["scope"].choices] == ["use", "admin"]
    assert page.context["form"]["hours"].value() == 1
    assert not asset.grants.exists()

    export = web.post(
        f"/access/assets/{asset.pk}/break-glass/", {"scope": "export", "hours": "1", "justification": JUSTIFICATION}
    )
    assert "scope" in export.context["form"].errors
    assert not asset.grants.exists()

    done = web.post(
        f"/access/assets/{asset.pk}/break-glass/", {"scope": "use", "hours": "1", "justification": JUSTIFICATION}
    )
    assert done.status_code == 302
    assert asset.grants.get().origin == "break_glass"


# --- Defaults ----------------------------------------------------------------------------


@pytest.mark.parametrize(("max_days", "shown"), [(90, 14), (30, 14), (7, 7)])
def test_a_request_asks_for_the_shorter_of_two_weeks_and_the_assets_maximum(web_of, employee, max_days, shown):
    asset = DataAssetFactory(max_grant_days=max_days)

    page = web_of(employee).get(f"/access/assets/{asset.pk}/request/")

    assert page.context["form"]["duration_days"].value() == shown
