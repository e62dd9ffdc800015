"""Grants are guardian permissions: issued, extended, revoked and revoked all at once through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from access import services
from access.models import SCOPE_PERMISSION, AccessRequest, Grant, GrantExtension
from access.tests.factories import make_grant
from access.tests.test_services_audit import audit_chain_verifies  # noqa: F401
from portal import permissions
from portal.errors import Conflict, Forbidden, ValidationError
from portal.models import AuditEvent, DataAssetUserObjectPermission
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audit_chain_verifies")]

WHY = "Investigating undelivered parcels for the support escalation queue."


def ask(requester, asset, scope="use", days=30):
    return services.request_create(actor=requester, asset=asset, scope=scope, justification=WHY, duration_days=days)


def holds(user, perm: str, asset) -> bool:
    """Asked of a freshly loaded user, so no permission cache from earlier in the test answers."""
    return permissions.has(get_user_model().objects.get(pk=user.pk), perm, asset)


def carried(user=None) -> set[tuple[str, int, str]]:
    rows = DataAssetUserObjectPermission.objects.exclude(permission__codename="review_dataasset")
    if user is not None:
        rows = rows.filter(user=user)
    return set(rows.values_list("user__username", "content_object_id", "permission__codename"))


# --- Issue ------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["use", "export", "admin"])
def test_approval_assigns_the_permission_of_the_scope_and_nothing_more(employee, asset, reviewer, scope):
    request = services.request_approve(actor=reviewer, request=ask(employee, asset, scope=scope))

    grant = request.grant
    assert (grant.user, grant.asset, grant.scope, grant.status) == (employee, asset, scope, Grant.Status.ACTIVE)
    assert (grant.origin, grant.request) == (Grant.Origin.REQUEST, request)
    assert grant.expires_at == grant.granted_at + timedelta(days=30)
    assert carried() == {("emma", asset.pk, permissions.codename(SCOPE_PERMISSION[scope]))}
    for other_scope, perm in SCOPE_PERMISSION.items():
        assert holds(employee, perm, asset) == (other_scope == scope)
    assert not holds(employee, SCOPE_PERMISSION[scope], DataAssetFactory())


def test_a_failure_later_in_the_transaction_leaves_neither_grant_nor_permission(employee, asset, reviewer):
    request = ask(employee, asset)

    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012 - the raise inside rolls the transaction back
        services.request_approve(actor=reviewer, request=request)
        assert holds(employee, "portal.use_dataasset", asset)
        raise RuntimeError("the caller failed after the approval")

    request.refresh_from_db()
    assert (request.status, request.grant_id) == (AccessRequest.Status.PENDING, None)
    assert not Grant.objects.exists()
    assert carried() == set()
    assert not holds(employee, "portal.use_dataasset", asset)
    assert not AuditEvent.objects.filter(action__startswith="access.grant").exists()


def test_a_second_approval_extends_the_one_active_grant(employee, asset, reviewer, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    first = services.request_approve(actor=reviewer, request=ask(employee, asset, days=10))
    time_machine.shift(timedelta(days=2))

    second = services.request_approve(actor=reviewer, request=ask(employee, asset, days=60))

    grant = Grant.objects.get()
    assert second.grant == first.grant == grant
    assert grant.status == Grant.Status.ACTIVE
    assert grant.expires_at == timezone.now() + timedelta(days=60)
    [extension] = GrantExtension.objects.all()
    assert (extension.grant, extension.request) == (grant, second)
    assert extension.previous_expires_at == first.grant.expires_at
    assert extension.new_expires_at == grant.expires_at
    assert carried() == {("emma", asset.pk, "use_dataasset")}
    assert AuditEvent.objects.filter(action="access.grant.extended", target_id=str(grant.pk)).count() == 1


def test_an_approval_that_would_shorten_the_grant_leaves_it_as_it_is(employee, asset, reviewer):
    grant = services.request_approve(actor=reviewer, request=ask(employee, asset, days=60)).grant

    second = services.request_approve(actor=reviewer, request=ask(employee, asset, days=5))

    assert second.grant == grant
    assert Grant.objects.get().expires_at == grant.expires_at
    assert not GrantExtension.objects.exists()


def test_each_scope_is_its_own_grant(employee, asset, reviewer):
    services.request_approve(actor=reviewer, request=ask(employee, asset, scope="use"))
    services.request_approve(actor=reviewer, request=ask(employee, asset, scope="export"))

    assert Grant.objects.filter(status=Grant.Status.ACTIVE).count() == 2
    assert carried() == {("emma", asset.pk, "use_dataasset"), ("emma", asset.pk, "export_dataasset")}


def test_the_requester_is_told_of_the_approval(
    employee, asset, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    request = ask(employee, asset)

    with django_capture_on_commit_callbacks(execute=True):
        services.request_approve(actor=reviewer, request=request)

    [message] = mailoutbox
    assert (message.to, message.subject) == (["emma@example.com"], "Access approved: Customer contact database (use)")


# --- Revoke -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["employee", "reviewer", "access_admin"])
def test_the_grantee_a_reviewer_or_an_access_admin_may_revoke(
    employee, asset, who, request, mailoutbox, django_capture_on_commit_callbacks
):
    actor = request.getfixturevalue(who)
    other_asset = DataAssetFactory()
    grant = make_grant(employee, asset)
    make_grant(employee, other_asset)

    with django_capture_on_commit_callbacks(execute=True):
        revoked = services.grant_revoke(actor=actor, grant=grant, reason="  Moved to another team.  ")

    assert revoked.status == Grant.Status.REVOKED
    assert (revoked.revoked_by, revoked.revoke_reason) == (actor, "Moved to another team.")
    assert revoked.ended_at is not None
    assert not holds(employee, "portal.use_dataasset", asset)
    assert holds(employee, "portal.use_dataasset", other_asset), "only the revoked grant's permission goes"
    [event] = AuditEvent.objects.filter(action="access.grant.revoked")
    assert (event.actor_id, event.target_id) == (actor.pk, str(grant.pk))
    assert event.details["reason"] == "Moved to another team."
    [message] = mailoutbox
    assert message.to == ["emma@example.com"]
    assert message.subject == "Your access to Customer contact database was revoked"
    assert "Reason: Moved to another team." in message.body


@pytest.mark.parametrize("who", ["outsider", "second_reviewer", "privacy_officer", "auditor"])
def test_anyone_else_may_not_revoke(employee, asset, who, request):
    grant = make_grant(employee, asset)

    with pytest.raises(Forbidden):
        services.grant_revoke(actor=request.getfixturevalue(who), grant=grant, reason="Because I can.")

    grant.refresh_from_db()
    assert grant.status == Grant.Status.ACTIVE
    assert holds(employee, "portal.use_dataasset", asset)


def test_revoking_a_revoked_grant_is_a_conflict(employee, asset, reviewer):
    grant = make_grant(employee, asset)
    services.grant_revoke(actor=reviewer, grant=grant, reason="Left the team.")

    with pytest.raises(Conflict, match="already revoked"):
        services.grant_revoke(actor=reviewer, grant=grant, reason="Again.")

    assert AuditEvent.objects.filter(action="access.grant.revoked").count() == 1
    assert Grant.objects.get().revoke_reason == "Left the team."


def test_revoking_needs_a_reason(employee, asset, reviewer):
    grant = make_grant(employee, asset)

    with pytest.raises(ValidationError) as caught:
        services.grant_revoke(actor=reviewer, grant=grant, reason="   ")

    assert "reason" in caught.value.fields
    assert Grant.objects.get().status == Grant.Status.ACTIVE


def test_after_revocation_a_new_approval_issues_a_new_grant(employee, asset, reviewer):
    old = make_grant(employee, asset)
    services.grant_revoke(actor=employee, grant=old, reason="Done with it.")

    new = services.request_approve(actor=reviewer, request=ask(employee, asset)).grant

    assert new.pk != old.pk
    assert list(Grant.objects.order_by("pk").values_list("status", flat=True)) == ["revoked", "active"]
    assert holds(employee, "portal.use_dataasset", asset)


# --- Revoke all (offboarding) -----------------------------------------------------------


@pytest.mark.parametrize("who", ["access_admin", "privacy_officer"])
def test_revoke_all_ends_every_active_grant_of_the_user(
    employee, outsider, who, request, mailoutbox, django_capture_on_commit_callbacks
):
    actor = request.getfixturevalue(who)
    assets = DataAssetFactory.create_batch(3)
    grants = [make_grant(employee, assets[0]), make_grant(employee, assets[1], scope="export")]
    grants.append(make_grant(employee, assets[2], scope="admin"))
    ended = make_grant(employee, DataAssetFactory())
    services.grant_revoke(actor=employee, grant=ended, reason="Not needed.")
    kept = make_grant(outsider, assets[0])

    with django_capture_on_commit_callbacks(execute=True):
        count = services.user_revoke_all(actor=actor, user=employee, reason="Leaver: last day 30 November.")

    assert count == 3
    for grant in grants:
        grant.refresh_from_db()
        assert (grant.status, grant.revoked_by, grant.revoke_reason) == (
            Grant.Status.REVOKED,
            actor,
            "Leaver: last day 30 November.",
        )
    assert carried(employee) == set()
    assert carried(outsider) == {("olga", assets[0].pk, "use_dataasset")}
    kept.refresh_from_db()
    assert kept.status == Grant.Status.ACTIVE
    revoked_events = AuditEvent.objects.filter(action="access.grant.revoked", actor_id=actor.pk)
    assert sorted(revoked_events.values_list("target_id", flat=True)) == sorted(str(g.pk) for g in grants)
    [summary] = AuditEvent.objects.filter(action="portal.user.offboarded")
    assert summary.target_id == str(employee.pk)
    assert summary.details["grants"] == [g.pk for g in grants]
    assert [(m.to, m.subject) for m in mailoutbox] == [(["emma@example.com"], "All your data access was revoked")]


def test_revoke_all_of_a_user_without_grants_counts_zero_and_still_records_it(access_admin, employee, mailoutbox):
    assert services.user_revoke_all(actor=access_admin, user=employee, reason="Leaver.") == 0
    assert AuditEvent.objects.filter(action="portal.user.offboarded").count() == 1
    assert mailoutbox == []


@pytest.mark.parametrize("who", ["employee", "reviewer", "auditor"])
def test_revoke_all_is_forbidden_to_everyone_but_admins_and_officers(employee, asset, outsider, who, request):
    grant = make_grant(outsider, asset)

    with pytest.raises(Forbidden):
        services.user_revoke_all(actor=request.getfixturevalue(who), user=outsider, reason="Leaver.")

    grant.refresh_from_db()
    assert grant.status == Grant.Status.ACTIVE
    assert not AuditEvent.objects.filter(action="portal.user.offboarded").exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_revoke_all_needs_a_reason(access_admin, employee, asset, reason):
    make_grant(employee, asset)

    with pytest.raises(ValidationError) as caught:
        services.user_revoke_all(actor=access_admin, user=employee, reason=reason)

    assert "reason" in caught.value.fields
    assert Grant.objects.get().status == Grant.Status.ACTIVE


def test_revoke_all_works_for_an_already_deactivated_account(access_admin, asset):
    leaver = UserFactory(username="leo")
    make_grant(leaver, asset)
    get_user_model().objects.filter(pk=leaver.pk).update(is_active=False)

    assert services.user_revoke_all(actor=access_admin, user=leaver, reason="Deactivated leaver.") == 1
    assert carried(leaver) == set()


def test_an_approval_after_the_grant_ran_out_issues_a_new_one_even_before_the_sweep(
    employee, asset, reviewer, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    old = services.request_approve(actor=reviewer, request=ask(employee, asset, days=10)).grant
    time_machine.shift(timedelta(days=11))
    assert not services.check_access(user=employee.pk, asset=asset.pk, scope="use").allowed

    new = services.request_approve(actor=reviewer, request=ask(employee, asset, days=30)).grant

    # The gap stays visible in the history: no extension of the grant that had already ended.
    assert new.pk != old.pk
    assert not GrantExtension.objects.exists()
    old.refresh_from_db()
    assert (old.status, old.ended_at) == (Grant.Status.EXPIRED, timezone.now())
    assert (new.status, new.granted_at) == (Grant.Status.ACTIVE, timezone.now())
    assert carried() == {("emma", asset.pk, "use_dataasset")}
    assert services.check_access(user=employee.pk, asset=asset.pk, scope="use").grant == new.pk
