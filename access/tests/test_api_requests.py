"""The access-request API: /api/access-requests/ and its approve, deny and cancel actions."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from access.models import AccessRequest, Decision, Grant
from access.tests.factories import (
    JUSTIFICATION,
    AccessRequestFactory,
    DecisionFactory,
    make_grant,
    make_service_token,
)
from portal import audit, permissions
from portal.models import AuditEvent, User
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = pytest.mark.django_db


def _actions():
    return list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))


def _body(on, **change):
    return {
        "asset": on.pk,
        "scope": "use",
        "justification": JUSTIFICATION,
        "duration_days": 30,
        "ticket": "DATA-1234",
        **change,
    }


@pytest.fixture
def restricted(reviewer, second_reviewer):
    return DataAssetFactory(
        name="Doorbell video feeds", sensitivity="restricted", reviewers=[reviewer, second_reviewer]
    )


@pytest.fixture
def pending(employee, asset):
    return AccessRequestFactory(requester=employee, asset=asset)


# --- Asking -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/access-requests/", "/api/access-requests"])
def test_an_employee_asks_for_access_and_gets_the_pending_request(client_of, employee, asset, path):
    response = client_of(employee).post(path, _body(asset), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    request = AccessRequest.objects.get(pk=body["id"])
    assert (request.requester, request.asset, request.scope, request.duration_days) == (employee, asset, "use", 30)
    assert body["status"] == "pending"
    assert body["requester"] == {"id": employee.pk, "username": "emma", "name": "Emma"}
    assert body["asset"] == {"id": asset.pk, "name": "Customer contact database", "sensitivity": "confidential"}
    assert (body["ticket"], body["approvals"], body["required_approvals"]) == ("DATA-1234", 0, 1)
    assert body["decisions"] == []
    assert body["grant"] is None
    assert _actions() == ["access.request.created"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"asset": 99999}, "asset"),
        ({"asset": "contacts"}, "asset"),
        ({"asset": 2**70}, "asset"),
        ({"scope": "root"}, "scope"),
        ({"justification": "I need it."}, "justification"),  # the service's rule: at least 20 characters
        ({"justification": ""}, "justification"),
        ({"duration_days": 91}, "duration_days"),  # over the confidential asset's 90-day cap (the service's rule)
        ({"duration_days": 0}, "duration_days"),
        ({"duration_days": "a month"}, "duration_days"),
        ({"ticket": "T" * 101}, "ticket"),
    ],
)
def test_bad_request_input_names_the_field_and_creates_nothing(client_of, employee, asset, change, field):
    response = client_of(employee).post("/api/access-requests/", _body(asset, **change), format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == [field]
    assert not AccessRequest.objects.exists()
    assert _actions() == []


def test_missing_fields_are_each_named(client_of, employee):
    response = client_of(employee).post("/api/access-requests/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"asset", "scope", "justification", "duration_days"}


def test_a_second_pending_request_for_the_same_access_is_a_conflict(client_of, employee, asset, pending):
    response = client_of(employee).post("/api/access-requests/", _body(asset), format="json")
    assert response.status_code == 409
    assert AccessRequest.objects.count() == 1


def test_anonymous_callers_cannot_ask(asset):
    response = APIClient().post("/api/access-requests/", _body(asset), format="json")
    assert response.status_code in (401, 403)
    assert not AccessRequest.objects.exists()


# --- Reading ------------------------------------------------------------------


def test_the_list_shows_each_user_what_they_may_see(client_of, employee, outsider, reviewer, auditor, asset, pending):
    elsewhere = AccessRequestFactory(requester=outsider, asset=DataAssetFactory(name="Web analytics"))

    def ids(user):
        response = client_of(user).get("/api/access-requests/")
        assert response.status_code == 200
        return {r["id"] for r in response.json()["results"]}

    assert ids(employee) == {pending.pk}  # their own
    assert ids(outsider) == {elsewhere.pk}  # their own only
    assert ids(reviewer) == {pending.pk}  # the assets they review
    assert ids(auditor) == {pending.pk, elsewhere.pk}  # everything, read-only


def test_the_detail_shows_decisions_approvals_and_the_grant(client_of, employee, reviewer, pending):
    client_of(reviewer).post(f"/api/access-requests/{pending.pk}/approve", {"comment": "Fine"}, format="json")

    body = client_of(employee).get(f"/api/access-requests/{pending.pk}").json()

    grant = Grant.objects.get()
    assert (body["status"], body["approvals"], body["required_approvals"], body["grant"]) == (
        "approved",
        1,
        1,
        grant.pk,
    )
    [decision] = body["decisions"]
    assert decision["reviewer"]["username"] == "rita"
    assert (decision["outcome"], decision["comment"]) == ("approve", "Fine")
    assert decision["at"].endswith(("Z", "+00:00", "+01:00"))
    assert body["decided_at"] is not None


@pytest.mark.parametrize("pk", ["99999", "abc", "²", str(2**70)])
def test_an_unknown_request_is_404(client_of, employee, pk):
    response = client_of(employee).get(f"/api/access-requests/{pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("suffix", ["", "/approve", "/deny", "/cancel"])
def test_an_outsider_gets_404_for_a_request_they_may_not_see(client_of, outsider, pending, suffix):
    api = client_of(outsider)
    response = (
        api.get(f"/api/access-requests/{pending.pk}")
        if not suffix
        else api.post(f"/api/access-requests/{pending.pk}{suffix}", {}, format="json")
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert _actions() == []


def test_the_status_filter_takes_several_values(client_of, employee, asset, pending):
    AccessRequestFactory(requester=employee, asset=asset, status="denied")
    AccessRequestFactory(requester=employee, asset=asset, status="cancelled")
    response = client_of(employee).get("/api/access-requests/?status=pending&status=denied")
    assert sorted(r["status"] for r in response.json()["results"]) == ["denied", "pending"]


def test_a_malformed_filter_is_refused_naming_it(client_of, employee):
    response = client_of(employee).get("/api/access-requests/?status=waiting")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]


# --- Deciding ---------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_one_reviewer_approval_grants_a_confidential_asset(client_of, employee, reviewer, asset, pending, slash):
    response = client_of(reviewer).post(
        f"/api/access-requests/{pending.pk}/approve{slash}", {"comment": "Needed for the churn study"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["approvals"]) == ("approved", 1)
    grant = Grant.objects.get(pk=body["grant"])
    assert (grant.user, grant.asset, grant.scope, grant.status) == (employee, asset, "use", "active")
    assert permissions.has(employee, "portal.use_dataasset", asset)
    assert _actions() == ["access.grant.created", "access.request.approved"]
    assert audit.verify() is None

    # The requester sees the grant among their active ones, and the decision point says yes.
    grants = client_of(employee).get("/api/grants/?user=me&status=active").json()["results"]
    assert [g["id"] for g in grants] == [grant.pk]
    service = APIClient()
    service.credentials(HTTP_AUTHORIZATION=f"Token {make_service_token()}")
    check = service.post("/api/access/check", {"user": "emma", "asset": asset.pk, "scope": "use"}, format="json")
    assert check.json()["allowed"] is True
    assert check.json()["grant"] == grant.pk


def test_approving_while_holding_the_access_extends_the_grant(client_of, employee, reviewer, asset, pending):
    held = make_grant(employee, asset, days=10)
    mark = AuditEvent.objects.count()

    response = client_of(reviewer).post(f"/api/access-requests/{pending.pk}/approve", {}, format="json")

    assert response.json()["grant"] == held.pk  # at most one active grant per asset and scope
    held.refresh_from_db()
    assert held.expires_at - held.granted_at > timedelta(days=29)
    assert list(AuditEvent.objects.filter(sequence__gt=mark).values_list("action", flat=True)) == [
        "access.grant.extended",
        "access.request.approved",
    ]


def test_restricted_needs_two_different_reviewers(client_of, employee, reviewer, second_reviewer, restricted):
    created = client_of(employee).post("/api/access-requests/", _body(restricted), format="json").json()
    url = f"/api/access-requests/{created['id']}/approve"
    assert created["required_approvals"] == 2

    first = client_of(reviewer).post(url, {"comment": "OK"}, format="json")
    assert first.status_code == 200
    assert (first.json()["status"], first.json()["approvals"], first.json()["grant"]) == ("pending", 1, None)
    assert not permissions.has(employee, "portal.use_dataasset", restricted)

    again = client_of(reviewer).post(url, {"comment": "Really OK"}, format="json")
    assert again.status_code == 409
    assert Decision.objects.count() == 1

    second = client_of(second_reviewer).post(url, {}, format="json")
    assert second.status_code == 200
    assert (second.json()["status"], second.json()["approvals"]) == ("approved", 2)
    assert [d["reviewer"]["username"] for d in second.json()["decisions"]] == ["rita", "ravi"]
    assert permissions.has(employee, "portal.use_dataasset", restricted)
    assert _actions() == [
        "access.request.created",
        "access.request.approval_recorded",
        "access.grant.created",
        "access.request.approved",
    ]


def test_a_reviewer_may_not_approve_their_own_request(client_of, reviewer, asset):
    own = AccessRequestFactory(requester=reviewer, asset=asset)
    response = client_of(reviewer).post(f"/api/access-requests/{own.pk}/approve", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    own.refresh_from_db()
    assert own.status == "pending"
    assert not own.decisions.exists()


@pytest.mark.parametrize("persona", ["employee", "auditor", "privacy_officer"])
@pytest.mark.parametrize("verb", ["approve", "deny"])
def test_those_who_see_a_request_but_do_not_review_it_get_403(client_of, pending, persona, verb, request):
    # The requester sees their own; auditors and privacy officers see every request. None may decide it.
    user = request.getfixturevalue(persona)
    response = client_of(user).post(f"/api/access-requests/{pending.pk}/{verb}", {"comment": "x"}, format="json")
    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert not pending.decisions.exists()
    assert _actions() == []


def test_an_access_admin_may_not_decide_a_confidential_request(client_of, access_admin, pending):
    response = client_of(access_admin).post(f"/api/access-requests/{pending.pk}/approve", {}, format="json")
    assert response.status_code == 403


def test_an_access_admin_decides_an_internal_request_without_reviewers(client_of, employee, access_admin):
    internal = AccessRequestFactory(requester=employee, asset=DataAssetFactory(sensitivity="internal"))
    response = client_of(access_admin).post(f"/api/access-requests/{internal.pk}/approve", {}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"


@pytest.mark.parametrize("slash", ["", "/"])
def test_a_denial_ends_the_request(client_of, employee, reviewer, asset, pending, slash):
    response = client_of(reviewer).post(
        f"/api/access-requests/{pending.pk}/deny{slash}", {"comment": "Use the aggregated report"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["grant"]) == ("denied", None)
    assert body["decisions"][0]["outcome"] == "deny"
    assert not Grant.objects.exists()
    assert not permissions.has(employee, "portal.use_dataasset", asset)
    assert _actions() == ["access.request.denied"]


def test_one_denial_ends_a_restricted_request_after_an_approval(
    client_of, employee, reviewer, second_reviewer, restricted
):
    req = AccessRequestFactory(requester=employee, asset=restricted)
    client_of(reviewer).post(f"/api/access-requests/{req.pk}/approve", {}, format="json")
    response = client_of(second_reviewer).post(
        f"/api/access-requests/{req.pk}/deny", {"comment": "Not for this project"}, format="json"
    )
    assert response.json()["status"] == "denied"
    assert not Grant.objects.exists()


@pytest.mark.parametrize("status", ["approved", "denied", "cancelled", "lapsed"])
@pytest.mark.parametrize("verb", ["approve", "deny", "cancel"])
def test_acting_on_a_request_that_is_no_longer_pending_is_409(client_of, employee, reviewer, asset, status, verb):
    decided = AccessRequestFactory(requester=employee, asset=asset, status=status)
    user = employee if verb == "cancel" else reviewer
    body = {"comment": "Not any more."}  # a valid decision, just too late
    response = client_of(user).post(f"/api/access-requests/{decided.pk}/{verb}", body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    decided.refresh_from_db()
    assert decided.status == status
    assert _actions() == []


def test_a_decision_comment_must_be_text(client_of, reviewer, pending):
    response = client_of(reviewer).post(
        f"/api/access-requests/{pending.pk}/approve", {"comment": {"x": 1}}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["comment"]
    assert not pending.decisions.exists()


# --- Cancelling ---------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_the_requester_cancels_a_pending_request(client_of, employee, pending, slash):
    response = client_of(employee).post(f"/api/access-requests/{pending.pk}/cancel{slash}")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    pending.refresh_from_db()
    assert pending.status == "cancelled"
    assert _actions() == ["access.request.cancelled"]


@pytest.mark.parametrize("persona", ["reviewer", "auditor"])
def test_only_the_requester_cancels(client_of, pending, persona, request):
    response = client_of(request.getfixturevalue(persona)).post(f"/api/access-requests/{pending.pk}/cancel")
    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == "pending"


# --- The reviewer's queue -----------------------------------------------------


def test_the_queue_holds_only_what_this_reviewer_may_still_decide(
    client_of, employee, reviewer, second_reviewer, asset, restricted, pending
):
    waiting_for_rita = AccessRequestFactory(requester=employee, asset=restricted)
    DecisionFactory(request=waiting_for_rita, reviewer=second_reviewer)
    rita_decided = AccessRequestFactory(requester=second_reviewer, asset=restricted)
    DecisionFactory(request=rita_decided, reviewer=reviewer)
    AccessRequestFactory(requester=reviewer, asset=asset)  # her own
    AccessRequestFactory(requester=employee, asset=asset, scope="export", status="approved")  # decided
    AccessRequestFactory(requester=employee, asset=DataAssetFactory(sensitivity="confidential"))  # not hers

    response = client_of(reviewer).get("/api/access-requests/?status=pending&reviewable=1")

    assert response.status_code == 200
    assert {r["id"] for r in response.json()["results"]} == {pending.pk, waiting_for_rita.pk}
    # "reviewable=true" is the same filter; without it she sees all pending requests on her assets.
    assert response.json() == client_of(reviewer).get("/api/access-requests?status=pending&reviewable=true").json()
    assert client_of(reviewer).get("/api/access-requests/?status=pending").json()["count"] == 4


def test_an_employee_with_no_assets_to_review_has_an_empty_queue(client_of, outsider, pending):
    response = client_of(outsider).get("/api/access-requests/?status=pending&reviewable=1")
    assert response.json()["count"] == 0


@pytest.mark.parametrize("n", [10, 1000])
def test_the_review_queue_queries_do_not_grow(
    client_of, employee, reviewer, second_reviewer, restricted, n, django_assert_num_queries
):
    # One pending request per requester, asset and scope: n requesters.
    requesters = User.objects.bulk_create(UserFactory.build_batch(n))
    requests = AccessRequest.objects.bulk_create(
        AccessRequestFactory.build(requester=requester, asset=restricted) for requester in requesters
    )
    Decision.objects.bulk_create(DecisionFactory.build(request=r, reviewer=second_reviewer) for r in requests)
    api = client_of(reviewer)
    api.get("/api/access-requests/")  # warm process-wide caches (content types, guardian's permission lookup)

    # session, user, the user's global permissions (own, then through groups), count, page of requests
    # (requester and asset joined; reviewed assets, escalation and own decisions as subqueries), its decisions,
    # their reviewers, the assets' reviewers (who is awaited)
    with django_assert_num_queries(9):
        response = api.get("/api/access-requests/?status=pending&reviewable=1")

    assert response.json()["count"] == n
    first = response.json()["results"][0]
    assert (first["approvals"], first["decisions"][0]["reviewer"]["username"]) == (1, "ravi")
    assert [u["username"] for u in first["awaiting"]] == ["rita"]
