"""Every state change of access/ writes its audit event in the same transaction, and the chain holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from access import services
from access.models import BREAK_GLASS_REVIEW_HOURS, LAPSE_AFTER_DAYS, AccessRequest, Grant
from access.tests.factories import make_break_glass, make_grant
from portal import audit, permissions
from portal.errors import DomainError
from portal.models import AuditEvent
from portal.tests.factories import DataAssetFactory

WHY = "Reconciling returns for the quarter close, needs order status per customer."


@pytest.fixture
def audit_chain_verifies(db):
    """Used by every service test module: whatever a test did, the hash chain still verifies."""
    yield
    assert audit.verify() is None


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audit_chain_verifies")]


@dataclass
class People:
    employee: object
    outsider: object
    reviewer: object
    second_reviewer: object
    access_admin: object
    privacy_officer: object
    asset: object
    clock: object

    def ask(self, asset=None, days=30):
        return services.request_create(
            actor=self.employee, asset=asset or self.asset, scope="use", justification=WHY, duration_days=days
        )


@pytest.fixture
def people(employee, outsider, reviewer, second_reviewer, access_admin, privacy_officer, asset, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return People(employee, outsider, reviewer, second_reviewer, access_admin, privacy_officer, asset, time_machine)


# Each case prepares what it needs and returns the state change to make and the events it must write, in order.
Case = Callable[[People], tuple[Callable[[], object], list[str]]]


def request_create(p: People):
    return p.ask, ["access.request.created"]


def request_approve(p: People):
    request = p.ask()
    return (
        lambda: services.request_approve(actor=p.reviewer, request=request),
        ["access.grant.created", "access.request.approved"],
    )


def request_approve_extending(p: People):
    services.request_approve(actor=p.reviewer, request=p.ask(days=10))
    request = p.ask(days=60)
    return (
        lambda: services.request_approve(actor=p.reviewer, request=request),
        ["access.grant.extended", "access.request.approved"],
    )


def request_approve_first_of_two(p: People):
    restricted = DataAssetFactory(sensitivity="restricted", reviewers=[p.reviewer, p.second_reviewer])
    request = p.ask(asset=restricted)
    return lambda: services.request_approve(actor=p.reviewer, request=request), ["access.request.approval_recorded"]


def request_deny(p: People):
    request = p.ask()
    return lambda: services.request_deny(actor=p.reviewer, request=request, comment="Not needed."), [
        "access.request.denied"
    ]


def request_cancel(p: People):
    request = p.ask()
    return lambda: services.request_cancel(actor=p.employee, request=request), ["access.request.cancelled"]


def grant_revoke(p: People):
    grant = make_grant(p.employee, p.asset)
    return (
        lambda: services.grant_revoke(actor=p.reviewer, grant=grant, reason="Left the team."),
        ["access.grant.revoked"],
    )


def user_revoke_all(p: People):
    make_grant(p.employee, p.asset)
    make_grant(p.employee, p.asset, scope="export")
    return (
        lambda: services.user_revoke_all(actor=p.access_admin, user=p.employee, reason="Leaver."),
        ["access.grant.revoked", "access.grant.revoked", "portal.user.offboarded"],
    )


def break_glass_open(p: People):
    return lambda: make_break_glass(p.employee, p.asset), ["access.grant.created", "access.break_glass.opened"]


def break_glass_review_justified(p: People):
    grant = make_break_glass(p.employee, p.asset)
    return (
        lambda: services.break_glass_review(actor=p.reviewer, grant=grant, justified=True),
        ["access.break_glass.reviewed"],
    )


def break_glass_review_unjustified(p: People):
    grant = make_break_glass(p.employee, p.asset)
    return (
        lambda: services.break_glass_review(actor=p.privacy_officer, grant=grant, justified=False, comment="No."),
        ["access.break_glass.reviewed", "access.grant.revoked"],
    )


def grants_expire(p: People):
    make_grant(p.employee, p.asset, days=1)
    p.clock.shift(timedelta(days=1))
    return services.grants_expire, ["access.grants.expired", "access.grant.expired"]


def grants_warn_expiring(p: People):
    make_grant(p.employee, p.asset, days=6)
    return services.grants_warn_expiring, ["access.grants.expiry_warned"]


def requests_lapse(p: People):
    p.ask()
    p.clock.shift(timedelta(days=LAPSE_AFTER_DAYS))
    return services.requests_lapse, ["access.request.lapsed"]


def break_glass_escalate(p: People):
    make_break_glass(p.employee, p.asset)
    p.clock.shift(timedelta(hours=BREAK_GLASS_REVIEW_HOURS))
    return services.break_glass_escalate, ["access.break_glass.escalated"]


def reconcile_permissions_fix(p: People):
    permissions.assign("portal.use_dataasset", p.outsider, p.asset)
    return lambda: services.reconcile_permissions(fix=True), ["access.permissions.reconciled"]


CASES: list[Case] = [
    request_create,
    request_approve,
    request_approve_extending,
    request_approve_first_of_two,
    request_deny,
    request_cancel,
    grant_revoke,
    user_revoke_all,
    break_glass_open,
    break_glass_review_justified,
    break_glass_review_unjustified,
    grants_expire,
    grants_warn_expiring,
    requests_lapse,
    break_glass_escalate,
    reconcile_permissions_fix,
]


def _last_sequence() -> int:
    return AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_every_state_change_writes_its_audit_event(people, case):
    change, expected = case(people)
    since = _last_sequence()

    change()

    written = list(AuditEvent.objects.filter(sequence__gt=since).order_by("sequence"))
    assert [e.action for e in written] == expected
    for event in written:
        # Per-object events name their object; the set-based jobs name theirs in the details.
        assert event.target_id or event.details.get("grants") or event.details.get("assigned") is not None


def test_an_event_names_who_did_it_and_a_job_is_the_system(people):
    request = people.ask()
    services.request_approve(actor=people.reviewer, request=request)
    [approved] = AuditEvent.objects.filter(action="access.request.approved")
    assert (approved.actor_id, approved.actor_repr) == (people.reviewer.pk, "rita")
    assert (approved.target_type, approved.target_id) == ("access.accessrequest", str(request.pk))

    people.clock.shift(timedelta(days=31))
    services.grants_expire()
    [expired] = AuditEvent.objects.filter(action="access.grants.expired")
    assert (expired.actor_id, expired.actor_repr) == (None, "system")


@pytest.mark.parametrize(
    "refused",
    [
        lambda p, r: services.request_approve(actor=p.employee, request=r),
        lambda p, r: services.request_approve(actor=p.access_admin, request=r),
        lambda p, r: services.request_cancel(actor=p.outsider, request=r),
        lambda p, r: services.user_revoke_all(actor=p.reviewer, user=p.employee, reason="No."),
        lambda p, r: services.break_glass_open(actor=p.outsider, asset=p.asset, scope="use", justification="short"),
    ],
    ids=["own-approval", "admin-on-confidential", "cancel-by-other", "revoke-all-by-reviewer", "short-break-glass"],
)
def test_a_refused_change_writes_no_event_and_changes_nothing(people, refused):
    request = people.ask()
    since = _last_sequence()

    with pytest.raises(DomainError):
        refused(people, request)

    assert _last_sequence() == since
    assert AccessRequest.objects.get().status == AccessRequest.Status.PENDING
    assert not Grant.objects.exists()
