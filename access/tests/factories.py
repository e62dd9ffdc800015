"""Factories for access/ tests.

Prefer :func:`make_grant` and :func:`make_break_glass`: they go through the
services, so the grant, its guardian permission and its audit event are as
real as in production. :class:`GrantFactory` is for bulk set-ups (query-count
tests, benches) where a service call per row is too slow; it still assigns the
guardian permission an active grant carries, unless built (``build_batch``)
for ``bulk_create``.
"""

from __future__ import annotations

from datetime import timedelta

import factory
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from access import policy
from access.models import SCOPE_PERMISSION, AccessRequest, Decision, Grant, Scope
from access.services.breakglass import break_glass_open
from access.services.grants import grant_issue
from portal import permissions
from portal.tests.factories import DataAssetFactory, UserFactory

JUSTIFICATION = "Quarterly churn analysis for the retention team (ticket DATA-1234)."


class AccessRequestFactory(factory.django.DjangoModelFactory):
    """A pending request; pass ``status`` and ``decided_at`` for a decided one."""

    class Meta:
        model = AccessRequest

    requester = factory.SubFactory(UserFactory)
    asset = factory.SubFactory(DataAssetFactory)
    scope = Scope.USE
    justification = JUSTIFICATION
    ticket = ""
    duration_days = 30
    status = AccessRequest.Status.PENDING
    required_approvals = factory.LazyAttribute(lambda r: policy.required_approvals(r.asset))
    created_at = factory.LazyFunction(timezone.now)


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Decision

    request = factory.SubFactory(AccessRequestFactory)
    reviewer = factory.SubFactory(UserFactory)
    outcome = Decision.Outcome.APPROVE
    comment = ""
    created_at = factory.LazyFunction(timezone.now)


class GrantFactory(factory.django.DjangoModelFactory):
    """An ACTIVE grant (by default) together with the guardian permission it carries."""

    class Meta:
        model = Grant
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    asset = factory.SubFactory(DataAssetFactory)
    scope = Scope.USE
    origin = Grant.Origin.REQUEST
    status = Grant.Status.ACTIVE
    justification = JUSTIFICATION
    granted_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda g: g.granted_at + timedelta(days=30))

    @factory.post_generation
    def permission(self, create, extracted, **kwargs):
        # An active grant *is* the permission; ended grants carry none.
        if create and self.status == Grant.Status.ACTIVE:
            permissions.assign(SCOPE_PERMISSION[self.scope], self.user, self.asset)


def make_grant(user, asset, scope: str = Scope.USE, days: int = 30, *, actor=None, **kw) -> Grant:
    """An active grant issued by the real service (permission and audit event included).

    ``actor`` defaults to ``None`` (the system); ``kw`` goes to ``grant_issue``
    (``request``, ``origin``, ``hours``, ``justification``).
    """
    with transaction.atomic():
        return grant_issue(actor=actor, user=user, asset=asset, scope=scope, days=days, **kw)


def make_break_glass(user, asset, scope: str = Scope.USE, *, justification: str = JUSTIFICATION, **kw) -> Grant:
    """A break-glass grant opened by ``user`` through the real service (awaiting review)."""
    return break_glass_open(actor=user, asset=asset, scope=scope, justification=justification, **kw)


def make_service_token(username: str = "svc-datalake") -> str:
    """An API token for a service user holding the global ``access.check_access`` (the decision point's caller)."""
    service = UserFactory(username=username)
    service.user_permissions.add(permissions.permission("access.check_access"))
    return Token.objects.get_or_create(user=service)[0].key


# --- Recertification campaigns ------------------------------------------------


def make_campaign(actor, *, launch: bool = True, days: int = 14, **kw):
    """A campaign created (and by default launched) through the real services by ``actor`` (an access admin)."""
    from access.campaigns import services as campaign_services

    campaign = campaign_services.campaign_create(
        actor=actor, name=kw.pop("name", "Q4 recertification"), due_at=timezone.now() + timedelta(days=days), **kw
    )
    if launch:
        campaign = campaign_services.campaign_launch(actor=actor, campaign=campaign)
    return campaign
