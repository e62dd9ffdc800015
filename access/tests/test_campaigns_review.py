"""Deciding, delegating, closing: the rules a reviewer and an auditor would notice."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from access.campaigns import insight, jobs, services
from access.campaigns.models import Campaign, Outcome, ReviewItem
from access.models import Grant
from access.tests.factories import DecisionFactory, GrantFactory, make_campaign
from portal import audit, permissions
from portal.errors import Conflict, Forbidden, ValidationError
from portal.models import AuditEvent, DataAssetUserObjectPermission
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = pytest.mark.django_db


def item_for(campaign, grant):
    return ReviewItem.objects.get(campaign=campaign, grant=grant)


@pytest.fixture
def used(asset, employee):
    return GrantFactory(user=employee, asset=asset, last_used_at=timezone.now())


@pytest.fixture
def unused(asset, outsider):
    return GrantFactory(user=outsider, asset=asset, last_used_at=None)


# --- Comments -----------------------------------------------------------------


def test_certifying_against_a_revoke_recommendation_needs_a_comment(access_admin, reviewer, unused):
    item = item_for(make_campaign(access_admin), unused)

    with pytest.raises(ValidationError) as exc:
        services.review_item_decide(actor=reviewer, item=item, decision="certify", comment="  ")
    assert "comment" in exc.value.fields

    item = services.review_item_decide(actor=reviewer, item=item, decision="certify", comment="On-call rota.")
    assert (item.decision, item.decided_by, item.comment) == ("certify", reviewer, "On-call rota.")
    assert AuditEvent.objects.filter(action="access.review_item.decided", target_id=str(item.pk)).exists()


def test_certifying_a_restricted_grant_needs_a_comment(access_admin, reviewer, employee):
    grant = GrantFactory(
        user=employee,
        asset=DataAssetFactory(sensitivity="restricted", reviewers=[reviewer]),
        last_used_at=timezone.now(),
    )
    item = item_for(make_campaign(access_admin), grant)
    assert item.recommendation == Outcome.CERTIFY

    with pytest.raises(ValidationError):
        services.review_item_decide(actor=reviewer, item=item, decision="certify")
    services.review_item_decide(actor=reviewer, item=item, decision="revoke")  # revoking needs no comment


def test_certifying_a_used_grant_needs_no_comment(access_admin, reviewer, used):
    item = services.review_item_decide(
        actor=reviewer, item=item_for(make_campaign(access_admin), used), decision="certify"
    )
    assert item.decision == "certify"


def test_bulk_certify_refuses_the_lot_when_one_needs_a_comment(access_admin, reviewer, used, unused):
    campaign = make_campaign(access_admin)

    with pytest.raises(ValidationError) as exc:
        services.review_items_decide(actor=reviewer, campaign=campaign, decision="certify", match={})
    assert "1 of these items" in exc.value.fields["comment"][0]
    assert not ReviewItem.objects.exclude(decision="").exists()  # all or nothing


def test_a_comment_is_at_most_1000_characters(access_admin, reviewer, used):
    item = item_for(make_campaign(access_admin), used)
    with pytest.raises(ValidationError):
        services.review_item_decide(actor=reviewer, item=item, decision="revoke", comment="x" * 1001)


# --- Who decides ------------------------------------------------------------------


def test_only_the_accountable_reviewer_decides(access_admin, reviewer, second_reviewer, auditor, used):
    item = item_for(make_campaign(access_admin), used)
    for other in (second_reviewer, auditor, access_admin):
        with pytest.raises(Forbidden):
            services.review_item_decide(actor=other, item=item, decision="revoke")


def test_bulk_decision_only_touches_the_actors_items(access_admin, reviewer, second_reviewer, used, unused):
    campaign = make_campaign(access_admin)
    theirs = item_for(campaign, unused)
    services.review_item_reassign(actor=access_admin, item=theirs, to=UserFactory(groups=["privacy-officers"]))

    with pytest.raises(ValidationError):
        services.review_items_decide(actor=reviewer, campaign=campaign, decision="revoke", items=[theirs.pk])
    assert services.review_items_decide(actor=reviewer, campaign=campaign, decision="revoke", match={}) == 1
    theirs.refresh_from_db()
    assert theirs.decision == ""


def test_bulk_decision_by_filter_and_audit(access_admin, reviewer, used, unused):
    campaign = make_campaign(access_admin)

    count = services.review_items_decide(
        actor=reviewer, campaign=campaign, decision="revoke", match={"recommendation": "revoke"}
    )

    assert count == 1
    assert item_for(campaign, unused).decision == "revoke"
    assert item_for(campaign, used).decision == ""
    event = AuditEvent.objects.get(action="access.review_items.decided")
    assert event.details["items"] == [item_for(campaign, unused).pk]


# --- Delegation -----------------------------------------------------------------


@pytest.fixture
def shared(reviewer, second_reviewer):
    return DataAssetFactory(reviewers=[reviewer, second_reviewer])


def test_a_reviewer_delegates_to_another_reviewer_of_the_asset(
    access_admin, reviewer, second_reviewer, employee, shared
):
    grant = GrantFactory(user=employee, asset=shared)
    item = item_for(make_campaign(access_admin), grant)

    item = services.review_item_delegate(actor=reviewer, item=item, to=second_reviewer)

    assert item.reviewer == second_reviewer
    assert AuditEvent.objects.filter(action="access.review_item.delegated", target_id=str(item.pk)).exists()


def test_delegation_never_to_the_grantee_an_outsider_or_by_someone_else(
    access_admin, reviewer, second_reviewer, employee, outsider, privacy_officer, shared
):
    grant = GrantFactory(user=second_reviewer, asset=shared)  # the other reviewer's own grant
    item = item_for(make_campaign(access_admin), grant)
    assert item.reviewer == reviewer

    for to in (second_reviewer, outsider, privacy_officer):  # grantee, not a reviewer, officers only by admins
        with pytest.raises(ValidationError):
            services.review_item_delegate(actor=reviewer, item=item, to=to)
    with pytest.raises(Forbidden):
        services.review_item_delegate(actor=employee, item=item, to=reviewer)


def test_a_decided_item_is_not_delegated(access_admin, reviewer, second_reviewer, employee, shared):
    grant = GrantFactory(user=employee, asset=shared)
    item = item_for(make_campaign(access_admin), grant)
    services.review_item_decide(actor=reviewer, item=item, decision="revoke")
    with pytest.raises(Conflict):
        services.review_item_delegate(actor=reviewer, item=item, to=second_reviewer)


def test_admins_reassign_to_officers_but_never_to_the_grantee(access_admin, reviewer, privacy_officer, employee, used):
    item = item_for(make_campaign(access_admin), used)
    with pytest.raises(Forbidden):
        services.review_item_reassign(actor=reviewer, item=item, to=privacy_officer)
    with pytest.raises(ValidationError):
        services.review_item_reassign(actor=access_admin, item=item, to=employee)
    assert services.review_item_reassign(actor=access_admin, item=item, to=privacy_officer).reviewer == privacy_officer


# --- Close ------------------------------------------------------------------------


def test_close_revokes_grants_removes_permissions_and_applies_the_default(
    access_admin, reviewer, asset, employee, outsider, second_reviewer
):
    decided_revoke = GrantFactory(user=employee, asset=asset, last_used_at=timezone.now())
    undecided = GrantFactory(user=outsider, asset=asset, last_used_at=timezone.now())
    certified = GrantFactory(user=second_reviewer, asset=asset, last_used_at=timezone.now())
    campaign = make_campaign(access_admin)
    services.review_item_decide(actor=reviewer, item=item_for(campaign, decided_revoke), decision="revoke")
    services.review_item_decide(actor=reviewer, item=item_for(campaign, certified), decision="certify")

    campaign = services.campaign_close(actor=access_admin, campaign=campaign)

    assert campaign.status == Campaign.Status.CLOSED
    assert campaign.revoked_count == 2
    for grant, status in ((decided_revoke, "revoked"), (undecided, "revoked"), (certified, "active")):
        grant.refresh_from_db()
        assert grant.status == status
        assert permissions.has(grant.user, "portal.use_dataasset", asset) is (status == "active")
        held = DataAssetUserObjectPermission.objects.filter(user=grant.user, content_object=asset)
        assert held.exists() is (status == "active")  # the guardian row went with the grant
    assert item_for(campaign, undecided).outcome == Outcome.REVOKE
    assert not ReviewItem.objects.filter(campaign=campaign, applied_at__isnull=True).exists()
    [event] = AuditEvent.objects.filter(action="access.grants.revoked")
    assert sorted(event.details["grants"]) == sorted([decided_revoke.pk, undecided.pk])
    for grant in (decided_revoke, undecided):  # each grant's own history shows it
        assert [e.action for e in audit.history(grant)][:1] == ["access.grant.revoked"]
    assert AuditEvent.objects.filter(action="access.campaign.closed").count() == 1


def test_a_certify_default_keeps_undecided_grants(access_admin, asset, used):
    campaign = services.campaign_close(
        actor=access_admin, campaign=make_campaign(access_admin, default_decision="certify")
    )
    used.refresh_from_db()
    assert used.status == Grant.Status.ACTIVE
    assert campaign.revoked_count == 0
    assert item_for(campaign, used).outcome == Outcome.CERTIFY


def test_close_is_idempotent(access_admin, reviewer, unused):
    campaign = make_campaign(access_admin)
    services.campaign_close(actor=access_admin, campaign=campaign)
    events = AuditEvent.objects.count()

    again = services.campaign_close(actor=access_admin, campaign=campaign)

    assert again.status == Campaign.Status.CLOSED
    assert AuditEvent.objects.count() == events


def test_close_skips_grants_that_ended_meanwhile(access_admin, reviewer, unused):
    campaign = make_campaign(access_admin)
    Grant.objects.filter(pk=unused.pk).update(status=Grant.Status.EXPIRED)

    assert services.campaign_close(actor=access_admin, campaign=campaign).revoked_count == 0


def test_a_closed_campaign_is_frozen(access_admin, reviewer, unused):
    campaign = make_campaign(access_admin)
    item = item_for(campaign, unused)
    services.campaign_close(actor=access_admin, campaign=campaign)
    with pytest.raises(Conflict):
        services.review_item_decide(actor=reviewer, item=item, decision="revoke")
    with pytest.raises(Conflict):
        services.review_items_decide(actor=reviewer, campaign=campaign, decision="revoke", match={})


def test_only_admins_close_and_drafts_cannot_be_closed(access_admin, auditor, reviewer):
    draft = make_campaign(access_admin, launch=False)
    with pytest.raises(Forbidden):
        services.campaign_close(actor=auditor, campaign=draft)
    with pytest.raises(Conflict):
        services.campaign_close(actor=access_admin, campaign=draft)


# --- Reminders and escalation ---------------------------------------------------------


def test_reminders_7_3_1_days_before_due_each_once(
    access_admin, reviewer, unused, django_capture_on_commit_callbacks, time_machine
):
    campaign = make_campaign(access_admin, days=10)
    due = campaign.due_at
    mail.outbox.clear()
    sent = []
    for days_left in (8, 6.9, 6, 2.9, 2.5, 0.9, 0.5):
        time_machine.move_to(due - timedelta(days=days_left))
        with django_capture_on_commit_callbacks(execute=True):
            jobs.campaigns_remind()
            jobs.campaigns_remind()  # a retried task sends nothing more
        sent.append(len(mail.outbox))

    assert sent == [0, 1, 1, 2, 2, 3, 3]
    assert all(m.to == [reviewer.email] for m in mail.outbox)
    assert "due in 7 days" in mail.outbox[0].subject
    assert "due in 1 day" in mail.outbox[2].subject


def test_no_reminder_once_everything_is_decided(
    access_admin, reviewer, unused, django_capture_on_commit_callbacks, time_machine
):
    campaign = make_campaign(access_admin, days=10)
    services.review_items_decide(actor=reviewer, campaign=campaign, decision="revoke", match={})
    mail.outbox.clear()
    time_machine.move_to(campaign.due_at - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        jobs.campaigns_remind()
    assert mail.outbox == []


def test_escalation_on_the_due_date_once(
    access_admin, reviewer, privacy_officer, unused, django_capture_on_commit_callbacks, time_machine
):
    campaign = make_campaign(access_admin, days=3)
    mail.outbox.clear()
    time_machine.move_to(campaign.due_at - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.campaigns_escalate() == 0
    time_machine.move_to(campaign.due_at + timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.campaigns_escalate() == 1
        assert jobs.campaigns_escalate() == 0

    assert [m.to for m in mail.outbox] == [[privacy_officer.email]]
    assert "1 undecided" in mail.outbox[0].subject


def test_the_quarterly_job_launches_one_campaign_per_quarter(asset, used, privacy_officer):
    first = jobs.campaign_launch_quarterly()
    assert first is not None
    assert first.status == Campaign.Status.RUNNING
    assert first.item_count == 1
    assert jobs.campaign_launch_quarterly() is None
    assert Campaign.objects.count() == 1


# --- Insight ------------------------------------------------------------------------


def test_rubber_stamping_reviewers_are_flagged(access_admin, reviewer, second_reviewer, employee):
    asset = DataAssetFactory(reviewers=[reviewer])
    grants = [GrantFactory(asset=asset, last_used_at=None) for _ in range(insight.FAST_MIN_ITEMS)]
    # Ravi approved one of Rita's requests; Rita now certifies Ravi's grant.
    DecisionFactory(reviewer=second_reviewer, request__requester=reviewer)
    grants.append(GrantFactory(user=second_reviewer, asset=asset, last_used_at=timezone.now()))
    campaign = make_campaign(access_admin)

    services.review_items_decide(
        actor=reviewer, campaign=campaign, decision="certify", comment="All fine.", items=[
            i.pk for i in ReviewItem.objects.filter(campaign=campaign)
        ]
    )  # fmt: skip

    flags = insight.reviewer_flags(campaign)[reviewer.pk]
    assert any("s each" in f for f in flags)
    assert any("recommended for revocation" in f for f in flags)
    assert any("approved or certified their own" in f for f in flags)


def test_a_careful_reviewer_is_not_flagged(access_admin, reviewer, used, unused):
    campaign = make_campaign(access_admin)
    services.review_item_decide(actor=reviewer, item=item_for(campaign, used), decision="certify")
    services.review_item_decide(actor=reviewer, item=item_for(campaign, unused), decision="revoke")
    assert insight.reviewer_flags(campaign) == {}
