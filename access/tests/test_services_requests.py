"""Requests and their decisions: the approval policy of the spec, through the real services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from access import services
from access.models import LAPSE_AFTER_DAYS, AccessRequest, Decision, Grant
from access.tests.test_services_audit import audit_chain_verifies  # noqa: F401
from portal import permissions
from portal.errors import Conflict, Forbidden, ValidationError
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audit_chain_verifies")]

WHY = "Investigating undelivered parcels for the support escalation queue."


def ask(requester, asset, scope="use", days=30):
    return services.request_create(actor=requester, asset=asset, scope=scope, justification=WHY, duration_days=days)


@pytest.fixture
def deciders(reviewer, second_reviewer, access_admin):
    """Two people of each kind who might decide a request; ``requester`` is filled in per test."""
    return {
        "reviewer": [reviewer, second_reviewer],
        "access_admin": [access_admin, UserFactory(username="abel", groups=["access-admins"])],
    }


APPROVED, PENDING = AccessRequest.Status.APPROVED, AccessRequest.Status.PENDING

# (sensitivity, who approves, how many of them approve in turn) -> resulting status, or the error.
# After one approval has approved a request, a second approval finds it decided: Conflict.
POLICY = [
    ("public", "reviewer", 1, APPROVED),
    ("public", "reviewer", 2, Conflict),
    ("public", "access_admin", 1, APPROVED),
    ("public", "access_admin", 2, Conflict),
    ("public", "requester", 1, Forbidden),
    ("public", "requester", 2, Forbidden),
    ("internal", "reviewer", 1, APPROVED),
    ("internal", "reviewer", 2, Conflict),
    ("internal", "access_admin", 1, APPROVED),
    ("internal", "access_admin", 2, Conflict),
    ("internal", "requester", 1, Forbidden),
    ("internal", "requester", 2, Forbidden),
    ("confidential", "reviewer", 1, APPROVED),
    ("confidential", "reviewer", 2, Conflict),
    ("confidential", "access_admin", 1, Forbidden),
    ("confidential", "access_admin", 2, Forbidden),
    ("confidential", "requester", 1, Forbidden),
    ("confidential", "requester", 2, Forbidden),
    ("restricted", "reviewer", 1, PENDING),
    ("restricted", "reviewer", 2, APPROVED),
    ("restricted", "access_admin", 1, Forbidden),
    ("restricted", "access_admin", 2, Forbidden),
    ("restricted", "requester", 1, Forbidden),
    ("restricted", "requester", 2, Forbidden),
]


@pytest.mark.parametrize(("sensitivity", "kind", "approvals", "expected"), POLICY)
def test_the_approval_policy(deciders, employee, reviewer, second_reviewer, sensitivity, kind, approvals, expected):
    asset = DataAssetFactory(sensitivity=sensitivity, reviewers=[reviewer, second_reviewer])
    # "Nobody approves their own request", not even a reviewer of the asset.
    requester = reviewer if kind == "requester" else employee
    approvers = [requester, requester] if kind == "requester" else deciders[kind]
    request = ask(requester, asset)

    outcome = None
    for approver in approvers[:approvals]:
        try:
            request = services.request_approve(actor=approver, request=request)
        except (Forbidden, Conflict) as exc:
            outcome = type(exc)
            break
    request.refresh_from_db()

    if isinstance(expected, str):
        assert outcome is None
        assert request.status == expected
    else:
        assert outcome is expected
    holds = Grant.objects.filter(user=requester, asset=asset, status=Grant.Status.ACTIVE).exists()
    assert holds == (request.status == APPROVED)
    assert (request.grant_id is not None) == (request.status == APPROVED)


def test_an_approval_of_a_restricted_request_says_how_many_it_still_needs(employee, reviewer, second_reviewer):
    asset = DataAssetFactory(sensitivity="restricted", reviewers=[reviewer, second_reviewer])
    request = ask(employee, asset)

    request = services.request_approve(actor=reviewer, request=request, comment="Fine by me.")

    assert (request.status, request.required_approvals) == (PENDING, 2)
    assert list(request.decisions.values_list("reviewer__username", "outcome")) == [("rita", "approve")]


def test_the_same_reviewer_cannot_approve_a_restricted_request_twice(employee, reviewer, second_reviewer):
    asset = DataAssetFactory(sensitivity="restricted", reviewers=[reviewer, second_reviewer])
    request = ask(employee, asset)
    services.request_approve(actor=reviewer, request=request)

    with pytest.raises(Conflict, match="already decided"):
        services.request_approve(actor=reviewer, request=request)

    request.refresh_from_db()
    assert request.status == PENDING
    assert request.decisions.count() == 1
    assert not Grant.objects.exists()


@pytest.mark.parametrize("sensitivity", ["public", "internal", "confidential", "restricted"])
def test_a_denial_by_a_reviewer_ends_the_request(
    employee, reviewer, sensitivity, mailoutbox, django_capture_on_commit_callbacks
):
    asset = DataAssetFactory(sensitivity=sensitivity, reviewers=[reviewer])
    request = ask(employee, asset)

    with django_capture_on_commit_callbacks(execute=True):
        request = services.request_deny(actor=reviewer, request=request, comment="Use the reporting view instead.")

    assert request.status == AccessRequest.Status.DENIED
    assert request.decided_at is not None
    assert not Grant.objects.exists()
    assert [m.subject for m in mailoutbox if m.to == ["emma@example.com"]] == [f"Access denied: {asset.name} (use)"]


def test_a_denial_after_one_of_two_restricted_approvals_still_ends_it(employee, reviewer, second_reviewer):
    asset = DataAssetFactory(sensitivity="restricted", reviewers=[reviewer, second_reviewer])
    request = ask(employee, asset)
    services.request_approve(actor=reviewer, request=request)

    request = services.request_deny(actor=second_reviewer, request=request, comment="Not for video feeds.")

    assert request.status == AccessRequest.Status.DENIED
    assert request.grant_id is None
    assert not Grant.objects.exists()
    assert sorted(request.decisions.values_list("outcome", flat=True)) == ["approve", "deny"]
    # And nobody can approve it back to life.
    with pytest.raises(Conflict):
        services.request_approve(actor=reviewer, request=request)


@pytest.mark.parametrize("decide", ["approve", "deny"])
def test_an_access_admin_may_not_decide_a_confidential_request(employee, asset, access_admin, decide):
    request = ask(employee, asset)

    with pytest.raises(Forbidden, match="reviewer"):
        getattr(services, f"request_{decide}")(actor=access_admin, request=request)

    request.refresh_from_db()
    assert request.status == PENDING
    assert not Decision.objects.exists()


@pytest.mark.parametrize("decide", ["approve", "deny"])
def test_an_outsider_may_not_decide_even_a_public_request(employee, outsider, decide):
    request = ask(employee, DataAssetFactory(sensitivity="public"))

    with pytest.raises(Forbidden):
        getattr(services, f"request_{decide}")(actor=outsider, request=request)


def _approved(request, reviewer, clock):
    services.request_approve(actor=reviewer, request=request)


def _denied(request, reviewer, clock):
    services.request_deny(actor=reviewer, request=request, comment="Use the monthly report.")


def _cancelled(request, reviewer, clock):
    services.request_cancel(actor=request.requester, request=request)


def _lapsed(request, reviewer, clock):
    clock.shift(timedelta(days=LAPSE_AFTER_DAYS))
    assert services.requests_lapse() == 1


@pytest.mark.parametrize("close", [_approved, _denied, _cancelled, _lapsed], ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("decide", ["approve", "deny"])
def test_a_decision_on_a_request_that_is_no_longer_pending_is_a_conflict(
    employee, asset, reviewer, second_reviewer, close, decide, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    permissions.assign("portal.review_dataasset", second_reviewer, asset)
    request = ask(employee, asset)
    close(request, reviewer, time_machine)
    status = AccessRequest.objects.get(pk=request.pk).status

    with pytest.raises(Conflict, match=f"already {status}"):
        getattr(services, f"request_{decide}")(actor=second_reviewer, request=request)

    assert AccessRequest.objects.get(pk=request.pk).status == status


def test_the_requester_may_cancel_a_pending_request(employee, asset):
    request = ask(employee, asset)

    request = services.request_cancel(actor=employee, request=request)

    assert request.status == AccessRequest.Status.CANCELLED
    with pytest.raises(Conflict):
        services.request_cancel(actor=employee, request=request)


@pytest.mark.parametrize("who", ["reviewer", "access_admin", "outsider"])
def test_nobody_but_the_requester_may_cancel(employee, asset, who, request):
    pending = ask(employee, asset)

    with pytest.raises(Forbidden, match="requester"):
        services.request_cancel(actor=request.getfixturevalue(who), request=pending)

    pending.refresh_from_db()
    assert pending.status == PENDING


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("justification", {"justification": "because"}),
        ("duration_days", {"duration_days": 91}),
        ("duration_days", {"duration_days": 0}),
        ("scope", {"scope": "delete"}),
    ],
)
def test_a_request_is_validated_and_nothing_is_saved_when_it_is_invalid(employee, asset, field, overrides):
    values = {"scope": "use", "justification": WHY, "duration_days": 30, **overrides}

    with pytest.raises(ValidationError) as caught:
        services.request_create(actor=employee, asset=asset, **values)

    assert field in caught.value.fields
    assert not AccessRequest.objects.exists()


def test_a_second_pending_request_for_the_same_access_is_a_conflict(employee, asset):
    ask(employee, asset)

    with pytest.raises(Conflict, match="pending request"):
        ask(employee, asset)


def test_the_reviewers_are_told_a_request_waits(employee, asset, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = ask(employee, asset)

    assert request.required_approvals == 1
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["rita@example.com"], "Access request waiting for you: Customer contact database (use)")
    ]
