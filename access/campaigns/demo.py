"""Demo campaigns (part of ``manage.py seed_demo`` through ``access.demo``; idempotent).

A closed quarter with its evidence (one grant certified with a comment, one
revoked by default because nobody decided it) and a running quarter with
decided and undecided items.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from access import services as access_services
from access.campaigns import services
from access.campaigns.models import Campaign, ReviewItem
from access.models import AccessRequest, Grant

CLOSED = "Q3 2026 access recertification"
RUNNING = "Q4 2026 access recertification"


def _granted(people, assets, who, asset, approver, why, *, used_days_ago=None):
    """An active grant through the real request and approval, with a last use the decision point would stamp."""
    grant = Grant.objects.filter(user=people[who], asset=assets[asset], status=Grant.Status.ACTIVE).first()
    if grant is None:
        req = access_services.request_create(
            actor=people[who], asset=assets[asset], scope="use", justification=why, duration_days=30
        )
        req = access_services.request_approve(actor=people[approver], request=req, comment="Needed for the role.")
        grant = AccessRequest.objects.get(pk=req.pk).grant
    if used_days_ago is not None:
        Grant.objects.filter(pk=grant.pk).update(last_used_at=timezone.now() - timedelta(days=used_days_ago))
    return grant


def seed(context: dict) -> None:
    people, assets = context["people"], context["assets"]
    adam = people["adam"]
    if not Campaign.objects.filter(name=CLOSED).exists():
        _granted(people, assets, "emma", "Web analytics", "rita", "Weekly funnel report for the web-shop team.")
        eli_orders = Grant.objects.filter(
            user=people["eli"], asset=assets["Order history"], status=Grant.Status.ACTIVE
        ).first()
        closed = services.campaign_create(
            actor=adam,
            name=CLOSED,
            due_at=timezone.now() + timedelta(days=1),
            assets=[assets["Web analytics"], assets["Order history"]],
        )
        closed = services.campaign_launch(actor=adam, campaign=closed)
        if eli_orders is not None:
            item = ReviewItem.objects.get(campaign=closed, grant=eli_orders)
            services.review_item_decide(
                actor=item.reviewer, item=item, decision="certify", comment="Finance close runs until January."
            )
        services.campaign_close(actor=adam, campaign=closed)  # Emma's undecided grant goes by default
    if not Campaign.objects.filter(name=RUNNING).exists():
        contact = _granted(
            people,
            assets,
            "eli",
            "Customer contact database",
            "rita",
            "Customer-service escalations need delivery addresses of affected orders.",
            used_days_ago=2,
        )
        _granted(
            people,
            assets,
            "hana",
            "Web analytics",
            "rita",
            "Campaign attribution for the spring launch.",
            used_days_ago=120,
        )
        running = services.campaign_create(actor=adam, name=RUNNING, due_at=timezone.now() + timedelta(days=10))
        running = services.campaign_launch(actor=adam, campaign=running)
        item = ReviewItem.objects.filter(campaign=running, grant=contact).first()
        if item is not None and item.reviewer_id:
            services.review_item_decide(actor=item.reviewer, item=item, decision="certify")
