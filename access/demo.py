"""Demo requests and grants (part of ``manage.py seed_demo``; idempotent)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from access import services
from access.models import AccessRequest, Grant


def _request(people, assets, who, asset, scope, days, why):
    existing = AccessRequest.objects.filter(requester=people[who], asset=assets[asset], scope=scope).first()
    if existing:
        return existing, False
    req = services.request_create(
        actor=people[who], asset=assets[asset], scope=scope, justification=why, duration_days=days, ticket="CS-1042"
    )
    return req, True


def seed(context: dict) -> None:
    people, assets = context["people"], context["assets"]
    # Waiting for Rita: Emma wants to read contact data for a support case.
    _request(
        people,
        assets,
        "emma",
        "Customer contact database",
        "use",
        30,
        "Investigating undelivered parcels for the customer-service escalation queue.",
    )
    # Approved and active: Eli reads order history.
    req, new = _request(
        people,
        assets,
        "eli",
        "Order history",
        "use",
        60,
        "Reconciling returns for the Q4 finance close, needs order status per customer.",
    )
    if new:
        services.request_approve(actor=people["ravi"], request=req, comment="Fine for the quarter close.")
    # Restricted, one of two approvals: video needs two different reviewers.
    req, new = _request(
        people,
        assets,
        "eli",
        "Doorbell video feeds",
        "use",
        7,
        "Customer asked support to check why their doorbell clips are blank (ticket CS-1042).",
    )
    if new:
        services.request_approve(actor=people["rita"], request=req, comment="OK if Ravi agrees.")
    # Denied: bulk export of contact data is exactly the leak story.
    req, new = _request(
        people,
        assets,
        "emma",
        "Customer contact database",
        "export",
        14,
        "Want to send our newsletter partner a list of customer e-mail addresses.",
    )
    if new:
        services.request_deny(
            actor=people["rita"], request=req, comment="Sharing contact data with third parties is not allowed."
        )
    # An expired grant from last quarter: history that recertification and exposure reports read.
    req, new = _request(
        people,
        assets,
        "eli",
        "Web analytics",
        "use",
        30,
        "Funnel analysis for the autumn campaign, pseudonymous visitor ids only.",
    )
    if new:
        req = services.request_approve(actor=people["rita"], request=req)
        past = timezone.now() - timedelta(days=40)
        Grant.objects.filter(pk=req.grant_id).update(granted_at=past, expires_at=past + timedelta(days=30))
        services.grants_expire()
    # A break-glass use waiting for its after-the-fact review.
    if not Grant.objects.filter(user=people["eli"], origin=Grant.Origin.BREAK_GLASS).exists():
        services.break_glass_open(
            actor=people["eli"],
            asset=assets["Voice recordings"],
            scope="use",
            hours=2,
            justification="Production outage: voice requests failing for all customers, need to inspect recordings.",
        )
    # Recertification: a closed quarter with its evidence and a running one.
    from access.campaigns import demo as campaigns_demo

    campaigns_demo.seed(context)
