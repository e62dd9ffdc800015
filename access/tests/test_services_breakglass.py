"""Break-glass: immediate access for at most four hours, everyone told at once, reviewed within a day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from access import services
from access.models import BREAK_GLASS_MAX_HOURS, BREAK_GLASS_REVIEW_HOURS, Grant
from access.tests.factories import make_break_glass, make_grant
from access.tests.test_services_audit import audit_chain_verifies  # noqa: F401
from portal import permissions
from portal.errors import Conflict, Forbidden, ValidationError
from portal.models import AuditEvent
from portal.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audit_chain_verifies")]

EMERGENCY = "Customer locked out during a fraud investigation, on call for ticket INC-77."


@pytest.fixture
def now(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return timezone.now()


def holds(user, asset) -> bool:
    return permissions.has(get_user_model().objects.get(pk=user.pk), "portal.use_dataasset", asset)


@pytest.mark.parametrize("hours", [1, BREAK_GLASS_MAX_HOURS])
def test_break_glass_opens_a_short_grant_with_a_review_due_a_day_later(employee, asset, now, hours):
    grant = services.break_glass_open(actor=employee, asset=asset, scope="use", justification=EMERGENCY, hours=hours)

    assert (grant.origin, grant.status, grant.user) == (Grant.Origin.BREAK_GLASS, Grant.Status.ACTIVE, employee)
    assert grant.granted_at == now
    assert grant.expires_at == now + timedelta(hours=hours)
    assert grant.expires_at - grant.granted_at <= timedelta(hours=BREAK_GLASS_MAX_HOURS)
    assert grant.review_due_at == now + timedelta(hours=BREAK_GLASS_REVIEW_HOURS)
    assert grant.justification == EMERGENCY
    assert grant.awaits_review
    assert holds(employee, asset)
    assert services.check_access(user=employee.pk, asset=asset.pk, scope="use").grant == grant.pk


def test_reviewers_and_privacy_officers_are_told_at_once(
    employee, asset, reviewer, privacy_officer, mailoutbox, django_capture_on_commit_callbacks
):
    second_officer = UserFactory(username="piet", groups=["privacy-officers"])

    with django_capture_on_commit_callbacks(execute=True):
        make_break_glass(employee, asset, justification=EMERGENCY)

    assert sorted(m.to[0] for m in mailoutbox) == [
        "petra@example.com",
        "piet@example.com",
        "rita@example.com",
    ]
    assert {m.subject for m in mailoutbox} == {"Break-glass access: Emma → Customer contact database"}
    assert all(EMERGENCY in m.body for m in mailoutbox)
    assert second_officer.email in {m.to[0] for m in mailoutbox}


def test_nothing_is_mailed_before_the_transaction_commits(employee, asset, privacy_officer, mailoutbox):
    make_break_glass(employee, asset)

    assert mailoutbox == []


@pytest.mark.parametrize("justification", ["", "urgent!", "x" * 19, " " * 30])
def test_a_short_justification_is_refused_naming_the_field(employee, asset, justification):
    with pytest.raises(ValidationError) as caught:
        services.break_glass_open(actor=employee, asset=asset, scope="use", justification=justification)

    assert list(caught.value.fields) == ["justification"]
    assert not Grant.objects.exists()


@pytest.mark.parametrize(("hours", "field"), [(0, "hours"), (BREAK_GLASS_MAX_HOURS + 1, "hours")])
def test_more_than_four_hours_is_refused(employee, asset, hours, field):
    with pytest.raises(ValidationError) as caught:
        services.break_glass_open(actor=employee, asset=asset, scope="use", justification=EMERGENCY, hours=hours)

    assert field in caught.value.fields


def test_an_inactive_user_cannot_break_the_glass(employee, asset):
    get_user_model().objects.filter(pk=employee.pk).update(is_active=False)
    employee.refresh_from_db()

    with pytest.raises(Conflict):
        make_break_glass(employee, asset)


@pytest.mark.parametrize("held", ["approved grant", "break-glass"])
def test_someone_already_holding_the_access_gets_a_conflict(employee, asset, held):
    existing = make_grant(employee, asset) if held == "approved grant" else make_break_glass(employee, asset)

    with pytest.raises(Conflict, match="already hold"):
        make_break_glass(employee, asset)

    assert list(Grant.objects.values_list("pk", flat=True)) == [existing.pk]


def test_holding_another_scope_is_no_conflict(employee, asset):
    make_grant(employee, asset, scope="use")

    grant = make_break_glass(employee, asset, scope="admin")

    assert grant.scope == "admin"


def test_break_glass_never_gives_export(employee, asset):
    with pytest.raises(ValidationError) as refused:
        make_break_glass(employee, asset, scope="export")

    assert refused.value.fields == {"scope": ["Break-glass gives use or admin access, never export."]}
    assert not Grant.objects.exists()


def test_break_glass_lasts_one_hour_unless_asked_for_longer(employee, asset, now):
    grant = services.break_glass_open(actor=employee, asset=asset, scope="use", justification=EMERGENCY)

    assert grant.expires_at == now + timedelta(hours=1)


def test_a_grant_past_its_expiry_but_not_yet_swept_does_not_block_break_glass(employee, asset, now, time_machine):
    old = make_grant(employee, asset, days=1)
    time_machine.shift(timedelta(days=1, minutes=2))

    grant = make_break_glass(employee, asset)

    assert grant.pk != old.pk
    assert (grant.origin, grant.expires_at) == (Grant.Origin.BREAK_GLASS, timezone.now() + timedelta(hours=1))
    old.refresh_from_db()
    assert old.status == Grant.Status.EXPIRED
    assert old.expires_at == now + timedelta(days=1)
    assert services.check_access(user=employee.pk, asset=asset.pk, scope="use").grant == grant.pk
    assert holds(employee, asset)


# --- The after-the-fact review ---------------------------------------------------------


@pytest.mark.parametrize("who", ["reviewer", "privacy_officer"])
def test_a_justified_use_is_recorded_and_the_access_runs_on(employee, asset, who, request):
    actor = request.getfixturevalue(who)
    grant = make_break_glass(employee, asset)

    reviewed = services.break_glass_review(actor=actor, grant=grant, justified=True, comment="Fraud case confirmed.")

    assert (reviewed.reviewed_by, reviewed.review_outcome, reviewed.review_comment) == (
        actor,
        "justified",
        "Fraud case confirmed.",
    )
    assert reviewed.reviewed_at is not None
    assert reviewed.status == Grant.Status.ACTIVE
    assert holds(employee, asset)


@pytest.mark.parametrize("who", ["reviewer", "privacy_officer"])
def test_an_unjustified_use_ends_the_access_at_once(
    employee, asset, who, request, mailoutbox, django_capture_on_commit_callbacks
):
    actor = request.getfixturevalue(who)
    grant = make_break_glass(employee, asset)

    with django_capture_on_commit_callbacks(execute=True):
        reviewed = services.break_glass_review(actor=actor, grant=grant, justified=False, comment="No fraud case.")

    assert (reviewed.review_outcome, reviewed.status, reviewed.revoked_by) == ("unjustified", "revoked", actor)
    assert reviewed.revoke_reason == "Break-glass use found unjustified: No fraud case."
    assert not holds(employee, asset)
    assert not services.check_access(user=employee.pk, asset=asset.pk, scope="use").allowed
    revoked = [m for m in mailoutbox if m.to == ["emma@example.com"]]
    assert [m.subject for m in revoked] == ["Your access to Customer contact database was revoked"]
    assert "No fraud case." in revoked[0].body


def test_an_unjustified_use_that_already_ended_is_only_recorded(employee, asset, reviewer, now, time_machine):
    grant = make_break_glass(employee, asset)
    time_machine.shift(timedelta(hours=5))
    services.grants_expire()

    reviewed = services.break_glass_review(actor=reviewer, grant=grant, justified=False, comment="No case.")

    assert (reviewed.review_outcome, reviewed.status) == ("unjustified", Grant.Status.EXPIRED)
    assert not AuditEvent.objects.filter(action="access.grant.revoked").exists()


def test_an_unjustified_verdict_needs_a_comment(employee, asset, reviewer):
    grant = make_break_glass(employee, asset)

    with pytest.raises(ValidationError) as caught:
        services.break_glass_review(actor=reviewer, grant=grant, justified=False, comment=" ")

    assert "comment" in caught.value.fields
    grant.refresh_from_db()
    assert (grant.reviewed_at, grant.status) == (None, Grant.Status.ACTIVE)


@pytest.mark.parametrize("who", ["employee", "outsider", "access_admin", "second_reviewer"])
def test_the_grantee_and_people_without_the_right_may_not_review(employee, asset, who, request):
    grant = make_break_glass(employee, asset)

    with pytest.raises(Forbidden):
        services.break_glass_review(actor=request.getfixturevalue(who), grant=grant, justified=True)

    grant.refresh_from_db()
    assert grant.reviewed_at is None


def test_a_reviewer_of_the_asset_who_broke_the_glass_may_not_review_their_own_use(asset, reviewer, second_reviewer):
    permissions.assign("portal.review_dataasset", second_reviewer, asset)
    grant = make_break_glass(reviewer, asset)

    with pytest.raises(Forbidden, match="their own"):
        services.break_glass_review(actor=reviewer, grant=grant, justified=True)

    assert (
        services.break_glass_review(actor=second_reviewer, grant=grant, justified=True).reviewed_by == second_reviewer
    )


def test_a_use_is_reviewed_once(employee, asset, reviewer, privacy_officer):
    grant = make_break_glass(employee, asset)
    services.break_glass_review(actor=reviewer, grant=grant, justified=True)

    with pytest.raises(Conflict, match="already been reviewed"):
        services.break_glass_review(actor=privacy_officer, grant=grant, justified=False, comment="Overrule.")

    grant.refresh_from_db()
    assert (grant.reviewed_by, grant.status) == (reviewer, Grant.Status.ACTIVE)


def test_an_approved_grant_is_not_reviewed_after_the_fact(employee, asset, reviewer):
    grant = make_grant(employee, asset)

    with pytest.raises(Conflict, match="Only break-glass"):
        services.break_glass_review(actor=reviewer, grant=grant, justified=True)


def test_an_approval_ends_the_break_glass_grant_instead_of_stretching_it(employee, asset, reviewer, now):
    emergency = make_break_glass(employee, asset)
    request = services.request_create(
        actor=employee, asset=asset, scope="use", justification=EMERGENCY, duration_days=30
    )

    approved = services.request_approve(actor=reviewer, request=request)

    emergency.refresh_from_db()
    assert (emergency.status, emergency.ended_at) == (Grant.Status.EXPIRED, now)
    assert emergency.expires_at <= now + timedelta(hours=BREAK_GLASS_MAX_HOURS)  # not stretched to 30 days
    assert emergency.awaits_review  # the emergency use is still reviewed
    assert approved.grant.pk != emergency.pk
    assert approved.grant.origin == Grant.Origin.REQUEST
    assert approved.grant.expires_at == now + timedelta(days=30)
    assert holds(employee, asset)
    assert AuditEvent.objects.filter(action="access.grant.superseded", target_id=str(emergency.pk)).exists()

    # An unjustified verdict now only records the verdict: the approved access stands.
    services.break_glass_review(actor=reviewer, grant=emergency, justified=False, comment="Could have waited.")
    assert holds(employee, asset)
