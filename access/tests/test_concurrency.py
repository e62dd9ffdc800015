"""Decisions made at the same moment by two reviewers, in two threads on two connections (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from access import services
from access.models import AccessRequest, Decision, Grant
from access.tests.factories import make_grant
from portal import audit
from portal.errors import Conflict
from portal.models import AuditEvent
from portal.tests.factories import DataAssetFactory, UserFactory

WHY = "Investigating undelivered parcels for the support escalation queue."

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")


def race(*calls) -> list[object]:
    """Start every call at the same moment, each in its own thread and connection; return results or errors."""
    start = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            start.wait(timeout=10)
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a decision never finished (deadlock?)"
    return results


@pytest.mark.parametrize("repeat", range(3))
@pytest.mark.parametrize(
    ("first", "second"),
    [("approve", "approve"), ("approve", "deny"), ("deny", "approve"), ("deny", "deny")],
)
def test_two_reviewers_deciding_one_confidential_request_at_once_make_one_outcome(first, second, repeat):
    requester, rita, ravi = UserFactory(username="emma"), UserFactory(username="rita"), UserFactory(username="ravi")
    asset = DataAssetFactory(sensitivity="confidential", reviewers=[rita, ravi])
    request = services.request_create(actor=requester, asset=asset, scope="use", justification=WHY, duration_days=30)

    # A denial needs a reason; an approval takes the same comment.
    results = race(
        lambda: getattr(services, f"request_{first}")(actor=rita, request=request, comment="Rita's view."),
        lambda: getattr(services, f"request_{second}")(actor=ravi, request=request, comment="Ravi's view."),
    )

    conflicts = [r for r in results if isinstance(r, Conflict)]
    winners = [r for r in results if isinstance(r, AccessRequest)]
    assert (len(winners), len(conflicts)) == (1, 1), results
    request.refresh_from_db()
    assert request.status == winners[0].status
    assert request.status in {AccessRequest.Status.APPROVED, AccessRequest.Status.DENIED}
    assert Decision.objects.filter(request=request).count() == 1
    active = Grant.objects.filter(user=requester, asset=asset, status=Grant.Status.ACTIVE)
    assert active.count() == (1 if request.status == AccessRequest.Status.APPROVED else 0)
    assert audit.verify() is None


@pytest.mark.parametrize("repeat", range(3))
def test_two_restricted_approvals_at_once_approve_once_with_one_grant(repeat):
    requester, rita, ravi = UserFactory(username="emma"), UserFactory(username="rita"), UserFactory(username="ravi")
    asset = DataAssetFactory(sensitivity="restricted", reviewers=[rita, ravi])
    request = services.request_create(actor=requester, asset=asset, scope="use", justification=WHY, duration_days=30)

    results = race(
        lambda: services.request_approve(actor=rita, request=request),
        lambda: services.request_approve(actor=ravi, request=request),
    )

    assert all(isinstance(r, AccessRequest) for r in results), results
    # The one that waited for the other's lock saw its approval and completed the request.
    assert sorted(r.status for r in results) == ["approved", "pending"]
    request.refresh_from_db()
    assert request.status == AccessRequest.Status.APPROVED
    assert Decision.objects.filter(request=request, outcome="approve").count() == 2
    [grant] = Grant.objects.filter(user=requester, asset=asset)
    assert (grant.status, request.grant_id) == (Grant.Status.ACTIVE, grant.pk)
    assert services.reconcile_permissions().clean
    assert audit.verify() is None


def test_a_revocation_racing_the_sweep_ends_the_grant_once(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    rita = UserFactory(username="rita")
    asset = DataAssetFactory(sensitivity="confidential", reviewers=[rita])
    grant = make_grant(UserFactory(username="emma"), asset, days=1)
    time_machine.shift(timedelta(days=1))

    results = race(
        lambda: services.grant_revoke(actor=rita, grant=grant, reason="Left the team."),
        services.grants_expire,
    )

    # The grant is past its expiry, so by the one rule it is already expired: the revocation refuses
    # (Conflict) whether the sweep ended it first (1) or skipped the row the revocation had locked (0).
    assert isinstance(results[0], Conflict), results
    assert results[1] in (0, 1)
    if results[1] == 0:
        assert services.grants_expire() == 1  # the next sweep ends it
    grant.refresh_from_db()
    assert grant.status == Grant.Status.EXPIRED
    assert services.reconcile_permissions().clean
    assert audit.verify() is None


def test_two_sweeps_at_once_expire_each_grant_once(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    users = [UserFactory(username=f"user{i}") for i in range(10)]
    assets = DataAssetFactory.create_batch(3)
    grants = [make_grant(u, a, scope=s, days=1) for u in users for a in assets for s in ("use", "export")]
    time_machine.shift(timedelta(days=1))

    results = race(lambda: services.grants_expire(batch_size=7), lambda: services.grants_expire(batch_size=7))

    assert sum(results) == len(grants), results
    named = [pk for e in AuditEvent.objects.filter(action="access.grants.expired") for pk in e.details["grants"]]
    assert sorted(named) == sorted(g.pk for g in grants)
    assert not Grant.objects.filter(status=Grant.Status.ACTIVE).exists()
    assert services.reconcile_permissions().clean
    assert audit.verify() is None


@pytest.mark.parametrize("repeat", range(3))
@pytest.mark.parametrize("order", ["approve-first", "offboard-first"])
def test_an_approval_racing_an_offboarding_never_leaves_the_leaver_with_access(order, repeat):
    from portal import offboarding

    leaver, rita = UserFactory(username="emma"), UserFactory(username="rita")
    adam = UserFactory(username="adam", is_superuser=True)  # role groups do not survive the flush
    asset = DataAssetFactory(sensitivity="confidential", reviewers=[rita])
    request = services.request_create(actor=leaver, asset=asset, scope="use", justification=WHY, duration_days=30)
    calls = [
        lambda: services.request_approve(actor=rita, request=request),
        lambda: offboarding.user_offboard(actor=adam, user=leaver, reason="Leaver."),
    ]

    results = race(*(calls if order == "approve-first" else reversed(calls)))

    # Both finish (no deadlock); whichever went first, the leaver ends with no access and nothing pending.
    assert not any(isinstance(r, Exception) and not isinstance(r, Conflict) for r in results), results
    assert not Grant.objects.filter(user=leaver, status=Grant.Status.ACTIVE).exists()
    assert not AccessRequest.objects.filter(requester=leaver, status=AccessRequest.Status.PENDING).exists()
    assert audit.verify() is None


# --- Races that a constraint settles: a 409, never a 500 ---------------------------


def _api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(user)
    return client


def _statuses(results) -> list[int]:
    assert all(hasattr(r, "status_code") for r in results), results
    return sorted(r.status_code for r in results)


@pytest.mark.parametrize("repeat", range(3))
def test_two_break_glass_calls_at_once_give_one_grant_and_one_409(repeat):
    emma = UserFactory(username="emma")
    asset = DataAssetFactory(sensitivity="confidential", reviewers=[UserFactory(username="rita")])
    body = {"asset": asset.pk, "scope": "use", "justification": WHY}
    first, second = _api(emma), _api(emma)

    results = race(
        lambda: first.post("/api/break-glass/", body, format="json"),
        lambda: second.post("/api/break-glass/", body, format="json"),
    )

    assert _statuses(results) == [201, 409], [r.content for r in results]
    refused = next(r for r in results if r.status_code == 409).json()
    assert refused["code"] == "conflict"
    assert refused["detail"]
    assert Grant.objects.filter(user=emma, asset=asset, status=Grant.Status.ACTIVE).count() == 1
    assert services.reconcile_permissions().clean
    assert audit.verify() is None


@pytest.mark.parametrize("repeat", range(3))
def test_an_approval_racing_a_break_glass_never_fails_and_leaves_nothing_half_done(repeat):
    emma, rita = UserFactory(username="emma"), UserFactory(username="rita")
    asset = DataAssetFactory(sensitivity="confidential", reviewers=[rita])
    request = services.request_create(actor=emma, asset=asset, scope="use", justification=WHY, duration_days=30)
    breaking, approving = _api(emma), _api(rita)

    broke, approved = race(
        lambda: breaking.post(
            "/api/break-glass/", {"asset": asset.pk, "scope": "use", "justification": WHY}, format="json"
        ),
        lambda: approving.post(f"/api/access-requests/{request.pk}/approve", {}, format="json"),
    )

    assert broke.status_code in {201, 409}, broke.content
    assert approved.status_code in {200, 409}, approved.content
    assert (broke.status_code, approved.status_code) != (409, 409)
    request.refresh_from_db()
    if approved.status_code == 409:
        # Refused as a whole: still pending, no decision recorded, so the reviewer can simply approve again.
        assert request.status == AccessRequest.Status.PENDING
        assert not Decision.objects.filter(request=request).exists()
        retried = approving.post(f"/api/access-requests/{request.pk}/approve", {}, format="json")
        assert retried.status_code == 200, retried.content
        request.refresh_from_db()
    assert request.status == AccessRequest.Status.APPROVED
    # Whatever the order, the approval's grant is the one running (it supersedes a break-glass one).
    [active] = Grant.objects.filter(user=emma, asset=asset, status=Grant.Status.ACTIVE)
    assert (active.origin, request.grant_id) == (Grant.Origin.REQUEST, active.pk)
    assert services.reconcile_permissions().clean
    assert audit.verify() is None


@pytest.mark.parametrize("repeat", range(3))
def test_two_identical_requests_at_once_leave_one_pending_request(repeat):
    emma = UserFactory(username="emma")
    asset = DataAssetFactory(sensitivity="confidential", reviewers=[UserFactory(username="rita")])
    body = {"asset": asset.pk, "scope": "use", "justification": WHY, "duration_days": 30}
    first, second = _api(emma), _api(emma)

    results = race(
        lambda: first.post("/api/access-requests/", body, format="json"),
        lambda: second.post("/api/access-requests/", body, format="json"),
    )

    assert _statuses(results) == [201, 409], [r.content for r in results]
    assert "already have a pending request" in next(r for r in results if r.status_code == 409).json()["detail"]
    assert AccessRequest.objects.filter(requester=emma, asset=asset, status="pending").count() == 1
    assert AuditEvent.objects.filter(action="access.request.created").count() == 1


def test_two_expiry_warning_runs_at_once_warn_each_grant_once(time_machine, mailoutbox):
    """The job helper's SKIP LOCKED: a second run takes other rows, never the same one."""
    time_machine.move_to(timezone.now(), tick=False)
    asset = DataAssetFactory()
    grants = [make_grant(UserFactory(username=f"user{i}"), asset, days=6) for i in range(20)]

    results = race(
        lambda: services.grants_warn_expiring(batch_size=3), lambda: services.grants_warn_expiring(batch_size=3)
    )

    assert sum(results) == len(grants), results
    named = [pk for e in AuditEvent.objects.filter(action="access.grants.expiry_warned") for pk in e.details["grants"]]
    assert sorted(named) == sorted(g.pk for g in grants)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(g.user.email for g in grants)
    assert audit.verify() is None
