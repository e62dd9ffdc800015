"""The grant API: /api/grants/ with revoke and the break-glass review, and /api/break-glass/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from access.models import Grant
from access.tests.factories import GrantFactory, make_break_glass, make_grant
from portal import audit, permissions
from portal.models import AuditEvent, DataAsset
from portal.tests.factories import DataAssetFactory

pytestmark = pytest.mark.django_db

REASON = {"reason": "Moved to the finance team."}
EMERGENCY = "Production outage: customers cannot log in, need the contact table (INC-77)."


def _actions(after: int = 0):
    return list(AuditEvent.objects.filter(sequence__gt=after).order_by("sequence").values_list("action", flat=True))


def _mark() -> int:
    """The audit log's last sequence now: a test's own events are those after it."""
    return AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


@pytest.fixture
def grant(employee, asset):
    return make_grant(employee, asset)


@pytest.fixture
def break_glass(employee, asset):
    return make_break_glass(employee, asset, justification=EMERGENCY)


# --- Reading ------------------------------------------------------------------


def test_my_active_grants_leave_out_ended_and_overdue_ones(client_of, employee, asset, grant):
    other_asset = DataAssetFactory(name="Order history")
    overdue = make_grant(employee, other_asset, scope="export")
    Grant.objects.filter(pk=overdue.pk).update(expires_at=timezone.now() - timedelta(minutes=1))  # sweep not run
    GrantFactory(user=employee, asset=other_asset, status="revoked")
    GrantFactory(asset=asset)  # someone else's

    response = client_of(employee).get("/api/grants/?user=me&status=active")

    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["id"] == grant.pk
    assert item["user"] == {"id": employee.pk, "username": "emma", "name": "Emma"}
    assert item["asset"] == {"id": asset.pk, "name": "Customer contact database", "sensitivity": "confidential"}
    assert (item["scope"], item["origin"], item["status"]) == ("use", "request", "active")
    assert item["expires_at"]
    assert item["revoked_by"] is None
    # Past its expiry a grant reads as expired, even before the sweep.
    overdue_item = client_of(employee).get(f"/api/grants/{overdue.pk}").json()
    assert overdue_item["status"] == "expired"


def test_the_grant_list_shows_each_user_what_they_may_see(
    client_of, employee, outsider, reviewer, auditor, asset, grant
):
    elsewhere = GrantFactory(user=outsider, asset=DataAssetFactory(name="Web analytics"))

    def ids(user, query=""):
        response = client_of(user).get(f"/api/grants/{query}")
        assert response.status_code == 200
        return {g["id"] for g in response.json()["results"]}

    assert ids(employee) == {grant.pk}
    assert ids(outsider) == {elsewhere.pk}
    assert ids(reviewer) == {grant.pk}  # grants on the assets she reviews
    assert ids(reviewer, "?user=me") == set()
    assert ids(auditor) == {grant.pk, elsewhere.pk}
    assert ids(auditor, f"?user={outsider.pk}") == {elsewhere.pk}


def test_a_malformed_grant_filter_is_refused_naming_it(client_of, employee):
    response = client_of(employee).get("/api/grants/?status=forever")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]


@pytest.mark.parametrize("query", ["user=²", "user=99999999999999999999999", "user=abc"])
def test_an_odd_user_filter_matches_nothing(client_of, auditor, grant, query):
    response = client_of(auditor).get(f"/api/grants/?{query}")
    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize("path", ["/api/grants/", "/api/access-requests/"])
@pytest.mark.parametrize("value", ["99999999999999999999999", "0", "contacts"])
def test_an_asset_filter_out_of_range_is_400(client_of, auditor, path, value):
    response = client_of(auditor).get(f"{path}?asset={value}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["asset"]


@pytest.mark.parametrize("pk", ["99999", "abc", "²", str(2**70)])
def test_an_unknown_grant_is_404(client_of, employee, pk):
    assert client_of(employee).get(f"/api/grants/{pk}").status_code == 404


@pytest.mark.parametrize(
    ("suffix", "body"),
    [("", None), ("/revoke", {"reason": "x"}), ("/review", {"justified": False, "comment": "x"})],
)
def test_an_outsider_gets_404_for_a_grant_they_may_not_see(client_of, outsider, grant, suffix, body):
    api = client_of(outsider)
    url = f"/api/grants/{grant.pk}{suffix}"
    response = api.post(url, body, format="json") if suffix else api.get(url)
    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.status == "active"


@pytest.mark.parametrize("n", [10, 1000])
def test_the_grant_list_queries_do_not_grow(client_of, employee, access_admin, n, django_assert_num_queries):
    assets = DataAsset.objects.bulk_create(DataAssetFactory.build_batch(n))
    revoked_by = access_admin
    Grant.objects.bulk_create(
        GrantFactory.build(user=employee, asset=a, status="revoked", revoked_by=revoked_by) for a in assets
    )
    api = client_of(employee)
    api.get("/api/grants/")  # warm process-wide caches (content types)

    # session, user, the user's global permissions (own, then through groups: view_grant), count,
    # page of grants (user, asset, revoked_by and reviewed_by joined; reviewed assets as a subquery)
    with django_assert_num_queries(6):
        response = api.get("/api/grants/?user=me")

    assert response.json()["count"] == n
    assert response.json()["results"][0]["revoked_by"]["username"] == "adam"


# --- Revoking -----------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize("persona", ["employee", "reviewer", "access_admin"])
def test_the_grantee_a_reviewer_or_an_admin_revokes_a_grant(client_of, asset, grant, persona, slash, request):
    user = request.getfixturevalue(persona)
    mark = _mark()

    response = client_of(user).post(f"/api/grants/{grant.pk}/revoke{slash}", REASON, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["revoke_reason"]) == ("revoked", "Moved to the finance team.")
    assert body["revoked_by"]["id"] == user.pk
    assert body["ended_at"]
    assert not permissions.has(grant.user, "portal.use_dataasset", asset)
    assert _actions(after=mark) == ["access.grant.revoked"]
    assert audit.verify() is None


@pytest.mark.parametrize("persona", ["auditor", "privacy_officer"])
def test_those_who_see_a_grant_but_may_not_revoke_it_get_403(client_of, asset, grant, persona, request):
    response = client_of(request.getfixturevalue(persona)).post(f"/api/grants/{grant.pk}/revoke", REASON)
    assert response.status_code == 403
    grant.refresh_from_db()
    assert grant.status == "active"
    assert permissions.has(grant.user, "portal.use_dataasset", asset)


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_revoking_needs_a_reason(client_of, employee, grant, body):
    response = client_of(employee).post(f"/api/grants/{grant.pk}/revoke", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]
    grant.refresh_from_db()
    assert grant.status == "active"


@pytest.mark.parametrize("status", ["revoked", "expired"])
def test_revoking_an_ended_grant_is_409(client_of, employee, asset, status):
    ended = GrantFactory(user=employee, asset=asset, status=status)
    response = client_of(employee).post(f"/api/grants/{ended.pk}/revoke", REASON, format="json")
    assert response.status_code == 409


# --- Break-glass ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/break-glass/", "/api/break-glass"])
def test_break_glass_gives_one_hour_of_access_at_once_by_default(client_of, employee, asset, path):
    before = timezone.now()
    response = client_of(employee).post(
        path, {"asset": asset.pk, "scope": "use", "justification": EMERGENCY}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    grant = Grant.objects.get(pk=body["id"])
    assert (body["origin"], body["status"], body["justification"]) == ("break_glass", "active", EMERGENCY)
    assert before + timedelta(hours=1) <= grant.expires_at <= timezone.now() + timedelta(hours=1)
    assert grant.review_due_at == grant.granted_at + timedelta(hours=24)
    assert body["review_due_at"]
    assert body["reviewed_at"] is None
    assert permissions.has(employee, "portal.use_dataasset", asset)
    assert _actions() == ["access.grant.created", "access.break_glass.opened"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"justification": "Outage."}, "justification"),
        ({"asset": 99999}, "asset"),
        ({"scope": "everything"}, "scope"),
        ({"hours": 5}, "hours"),
    ],
)
def test_bad_break_glass_input_names_the_field_and_grants_nothing(client_of, employee, asset, change, field):
    body = {"asset": asset.pk, "scope": "use", "justification": EMERGENCY, **change}
    response = client_of(employee).post("/api/break-glass/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Grant.objects.exists()
    assert not permissions.has(employee, "portal.use_dataasset", asset)
    assert _actions() == []


@pytest.mark.parametrize("path", ["/api/break-glass/", "/api/break-glass"])
def test_break_glass_for_export_is_refused_naming_the_scope(client_of, employee, asset, path):
    body = {"asset": asset.pk, "scope": "export", "justification": EMERGENCY}
    response = client_of(employee).post(path, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"scope": ["Break-glass gives use or admin access, never export."]}
    assert not Grant.objects.exists()
    assert not permissions.has(employee, "portal.export_dataasset", asset)
    assert _actions() == []


def test_break_glass_over_an_active_grant_is_409(client_of, employee, asset, grant):
    body = {"asset": asset.pk, "scope": "use", "justification": EMERGENCY}
    response = client_of(employee).post("/api/break-glass/", body, format="json")
    assert response.status_code == 409
    assert Grant.objects.count() == 1


def test_the_break_glass_queue_lists_what_waits_for_review(client_of, employee, privacy_officer, reviewer, break_glass):
    assert [g["id"] for g in client_of(privacy_officer).get("/api/break-glass/").json()["results"]] == [break_glass.pk]
    assert [g["id"] for g in client_of(reviewer).get("/api/break-glass").json()["results"]] == [break_glass.pk]
    assert client_of(employee).get("/api/break-glass/").json()["count"] == 0  # nobody reviews their own


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize("persona", ["reviewer", "privacy_officer"])
def test_a_justified_break_glass_is_recorded_and_keeps_running(
    client_of, employee, asset, break_glass, persona, slash, request
):
    user, mark = request.getfixturevalue(persona), _mark()
    response = client_of(user).post(
        f"/api/grants/{break_glass.pk}/review{slash}", {"justified": True, "comment": "Real outage"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["review_outcome"], body["review_comment"], body["status"]) == ("justified", "Real outage", "active")
    assert body["reviewed_by"]["id"] == user.pk
    assert body["reviewed_at"]
    assert permissions.has(employee, "portal.use_dataasset", asset)
    assert _actions(after=mark) == ["access.break_glass.reviewed"]


def test_an_unjustified_break_glass_ends_at_once(client_of, employee, asset, reviewer, break_glass):
    mark = _mark()
    response = client_of(reviewer).post(
        f"/api/grants/{break_glass.pk}/review", {"justified": False, "comment": "No incident"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["review_outcome"], response.json()["status"]) == ("unjustified", "revoked")
    assert not permissions.has(employee, "portal.use_dataasset", asset)
    assert _actions(after=mark) == ["access.break_glass.reviewed", "access.grant.revoked"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"justified": False}, "comment"), ({"comment": "ok"}, "justified"), ({"justified": "maybe"}, "justified")],
)
def test_a_bad_review_names_the_field_and_changes_nothing(client_of, reviewer, break_glass, body, field):
    mark = _mark()
    response = client_of(reviewer).post(f"/api/grants/{break_glass.pk}/review", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    break_glass.refresh_from_db()
    assert (break_glass.reviewed_at, break_glass.status) == (None, "active")
    assert _actions(after=mark) == []


@pytest.mark.parametrize("persona", ["employee", "auditor"])
def test_the_grantee_and_auditors_may_not_review_a_break_glass(client_of, break_glass, persona, request):
    response = client_of(request.getfixturevalue(persona)).post(
        f"/api/grants/{break_glass.pk}/review", {"justified": True}, format="json"
    )
    assert response.status_code == 403
    break_glass.refresh_from_db()
    assert break_glass.reviewed_at is None


def test_reviewing_twice_or_reviewing_a_normal_grant_is_409(client_of, reviewer, employee, break_glass):
    url = f"/api/grants/{break_glass.pk}/review"
    assert client_of(reviewer).post(url, {"justified": True}, format="json").status_code == 200
    assert client_of(reviewer).post(url, {"justified": True}, format="json").status_code == 409

    normal = make_grant(employee, DataAssetFactory(reviewers=[reviewer]))
    response = client_of(reviewer).post(f"/api/grants/{normal.pk}/review", {"justified": True}, format="json")
    assert response.status_code == 409
