"""Demo campaigns (part of ``manage.py seed_demo`` through ``access.demo``; idempotent).

Dated from the day the demo is seeded: last quarter's campaign, closed with its
evidence (Hana's contact-database access certified with a comment and since
expired; Emma's unused web-analytics access revoked by default because nobody
decided it), and this quarter's, running and due in two weeks, with decided and
undecided items. Grants are granted before they are used and before the
campaigns that review them; the rows are dated back after the real services ran
(the audit log still says when the demo was seeded: it is append-only).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from access import services as access_services
from access.campaigns import services
from access.campaigns.models import Campaign, Outcome, Reason, ReviewDecision, ReviewItem
from access.models import AccessRequest, Decision, Grant


def quarter_start(moment: datetime) -> datetime:
    """06:00 on the first day of ``moment``'s quarter, when the schedule launches its campaign."""
    local = timezone.localtime(moment)
    return local.replace(month=(local.month - 1) // 3 * 3 + 1, day=1, hour=6, minute=0, second=0, microsecond=0)


def quarter_name(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"Q{(local.month - 1) // 3 + 1} {local.year} access recertification"


def _granted(people, assets, who, asset, approver, why, *, granted_at, expires_at=None, last_used_at=None):
    """An active grant through the real request and approval, then dated back: asked, approved and used in order."""
    grant = Grant.objects.filter(user=people[who], asset=assets[asset], status=Grant.Status.ACTIVE).first()
    if grant is None:
        req = access_services.request_create(
            actor=people[who], asset=assets[asset], scope="use", justification=why, duration_days=30
        )
        req = access_services.request_approve(actor=people[approver], request=req, comment="Needed for the role.")
        grant = AccessRequest.objects.get(pk=req.pk).grant
        asked = granted_at - timedelta(hours=20)
        AccessRequest.objects.filter(pk=req.pk).update(created_at=asked, decided_at=granted_at)
        Decision.objects.filter(request_id=req.pk).update(created_at=granted_at)
    expires_at = expires_at or granted_at + timedelta(days=assets[asset].max_grant_days)
    Grant.objects.filter(pk=grant.pk).update(granted_at=granted_at, expires_at=expires_at, last_used_at=last_used_at)
    return Grant.objects.get(pk=grant.pk)


def _closed_last_quarter(people, assets, now) -> None:
    launched = quarter_start(quarter_start(now) - timedelta(days=1))
    due = launched + timedelta(days=21)
    emma = _granted(
        people,
        assets,
        "emma",
        "Web analytics",
        "rita",
        "Weekly funnel report for the web-shop team.",
        granted_at=launched - timedelta(days=45),
        expires_at=now + timedelta(days=30),  # active while the services run; its real end date is set below
    )
    hana = _granted(
        people,
        assets,
        "hana",
        "Customer contact database",
        "rita",
        "Calling back customers about the returns backlog.",
        granted_at=launched - timedelta(days=30),
        expires_at=now + timedelta(days=30),
        last_used_at=launched - timedelta(days=3),
    )
    adam = people["adam"]
    closed = services.campaign_create(
        actor=adam,
        name=quarter_name(launched),
        due_at=now + timedelta(days=1),
        assets=[assets["Web analytics"], assets["Customer contact database"]],
    )
    closed = services.campaign_launch(actor=adam, campaign=closed)
    item = ReviewItem.objects.get(campaign=closed, grant=hana)
    # What the launch saw then: Hana had used it three days before (today it is months ago).
    ReviewItem.objects.filter(pk=item.pk).update(
        last_used_at=hana.last_used_at, reason=Reason.IN_USE, recommendation=Outcome.CERTIFY
    )
    services.review_item_decide(
        actor=item.reviewer, item=item, decision="certify", comment="The returns backlog runs until the end of term."
    )
    services.campaign_close(actor=adam, campaign=closed)  # Emma's undecided grant goes by default
    # Dated back to last quarter: launched by the schedule, decided in week two, closed on the due date.
    Campaign.objects.filter(pk=closed.pk).update(
        created_at=launched, launched_at=launched, ready_at=launched, due_at=due, closed_at=due
    )
    decided = launched + timedelta(days=9, hours=4)
    ReviewItem.objects.filter(pk=item.pk).update(decided_at=decided)
    ReviewDecision.objects.filter(item=item).update(decided_at=decided)
    ReviewItem.objects.filter(campaign=closed).update(applied_at=due)
    Grant.objects.filter(pk=emma.pk).update(ended_at=due, expires_at=emma.granted_at + timedelta(days=180))
    # Hana's grant then ran out at its end date, as grants do.
    Grant.objects.filter(pk=hana.pk).update(expires_at=hana.granted_at + timedelta(days=60))
    access_services.grants_expire()
    Grant.objects.filter(pk=hana.pk).update(ended_at=hana.granted_at + timedelta(days=60))


def _running_this_quarter(people, assets, now) -> None:
    contact = _granted(
        people,
        assets,
        "eli",
        "Customer contact database",
        "rita",
        "Customer-service escalations need delivery addresses of affected orders.",
        granted_at=now - timedelta(days=30),
        last_used_at=now - timedelta(days=2),
    )
    _granted(
        people,
        assets,
        "hana",
        "Web analytics",
        "rita",
        "Campaign attribution for the spring launch.",
        granted_at=now - timedelta(days=150),
        last_used_at=now - timedelta(days=120),
    )
    adam = people["adam"]
    running = services.campaign_create(actor=adam, name=quarter_name(now), due_at=now + timedelta(days=14))
    running = services.campaign_launch(actor=adam, campaign=running)
    item = ReviewItem.objects.filter(campaign=running, grant=contact).first()
    if item is not None and item.reviewer_id:
        services.review_item_decide(actor=item.reviewer, item=item, decision="certify")


def seed(context: dict) -> None:
    people, assets = context["people"], context["assets"]
    now = timezone.now()
    if not Campaign.objects.filter(status=Campaign.Status.CLOSED).exists():
        _closed_last_quarter(people, assets, now)
    if not Campaign.objects.filter(status=Campaign.Status.RUNNING).exists():
        _running_this_quarter(people, assets, now)
