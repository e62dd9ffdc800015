from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from access import mail, policy
from access.models import (
    BREAK_GLASS_DEFAULT_HOURS,
    BREAK_GLASS_MAX_HOURS,
    BREAK_GLASS_REVIEW_HOURS,
    BREAK_GLASS_SCOPE_MESSAGE,
    BREAK_GLASS_SCOPES,
    MAX_COMMENT,
    MAX_JUSTIFICATION,
    MIN_JUSTIFICATION,
    Grant,
)
from access.services.grants import grant_issue, revoke_locked
from portal import audit, jobs, notifications, offboarding, permissions
from portal.errors import Conflict, Forbidden, ValidationError
from portal.limits import too_long
from portal.models import PRIVACY_OFFICERS, DataAsset, User


def _reviewers_and_officers(asset: DataAsset) -> list:
    reviewers = list(permissions.holders("portal.review_dataasset", asset))
    return reviewers + list(permissions.role_members(PRIVACY_OFFICERS))


@transaction.atomic
def break_glass_open(
    *, actor: User, asset: DataAsset, scope: str, justification: str, hours: int = BREAK_GLASS_DEFAULT_HOURS
):
    """Immediate ``use`` or ``admin`` access (never export) for at most four hours; reviewers and
    privacy officers are told at once."""
    offboarding.require_may_hold_access(offboarding.lock_user(actor.pk))
    errors = {}
    if scope not in BREAK_GLASS_SCOPES:
        errors["scope"] = BREAK_GLASS_SCOPE_MESSAGE
    if len((justification or "").strip()) < MIN_JUSTIFICATION:
        errors["justification"] = f"Explain the emergency in at least {MIN_JUSTIFICATION} characters."
    elif message := too_long(justification, MAX_JUSTIFICATION):
        errors["justification"] = message
    if not 1 <= hours <= BREAK_GLASS_MAX_HOURS:
        errors["hours"] = f"Break-glass access lasts at most {BREAK_GLASS_MAX_HOURS} hours."
    if errors:
        raise ValidationError(fields=errors)
    # A grant past its expiry is no access, swept or not (grant_issue ends it).
    held = Grant.objects.active().filter(user=actor, asset=asset, scope=scope).first()
    if held is not None:
        raise Conflict(f"You already hold {scope} access to {asset} until {held.expires_at:%Y-%m-%d %H:%M} UTC.")
    grant = grant_issue(
        actor=actor,
        user=actor,
        asset=asset,
        scope=scope,
        days=0,
        hours=hours,
        origin=Grant.Origin.BREAK_GLASS,
        justification=justification.strip(),
    )
    grant.review_due_at = grant.granted_at + timedelta(hours=BREAK_GLASS_REVIEW_HOURS)
    grant.save(update_fields=["review_due_at"])
    audit.record(
        actor=actor,
        action="access.break_glass.opened",
        target=grant,
        details={"asset": asset.pk, "scope": scope, "hours": hours, "justification": grant.justification},
    )
    notifications.notify(
        key=f"access-break-glass:{grant.pk}",
        to=_reviewers_and_officers(asset),
        template="access/break_glass_opened",
        context=mail.grant_context(grant),
    )
    return grant


@transaction.atomic
def break_glass_review(*, actor: User, grant: Grant, justified: bool, comment: str = "") -> Grant:
    """The after-the-fact review. An unjustified use ends the access at once if it still runs."""
    grant = Grant.objects.select_for_update(of=("self",)).select_related("asset", "user").get(pk=grant.pk)
    if not grant.is_break_glass:
        raise Conflict("Only break-glass access is reviewed after the fact.")
    refusal = policy.break_glass_review_refusal(actor, grant)
    if refusal:
        raise Forbidden(refusal)
    if grant.reviewed_at is not None:
        raise Conflict("This break-glass access has already been reviewed.")
    if not justified and not comment.strip():
        raise ValidationError(fields={"comment": "Say what was wrong with this use."})
    if message := too_long(comment, MAX_COMMENT):
        raise ValidationError(fields={"comment": message})
    grant.reviewed_at, grant.reviewed_by = timezone.now(), actor
    grant.review_outcome = "justified" if justified else "unjustified"
    grant.review_comment = comment.strip()
    grant.save(update_fields=["reviewed_at", "reviewed_by", "review_outcome", "review_comment"])
    audit.record(
        actor=actor,
        action="access.break_glass.reviewed",
        target=grant,
        details={"outcome": grant.review_outcome, "comment": grant.review_comment},
    )
    if not justified and grant.is_active():
        # The grant is locked above and the reviewer authorised to judge it: ending it needs no other right.
        revoke_locked(actor=actor, grant=grant, reason=f"Break-glass use found unjustified: {grant.review_comment}")
    return grant


def break_glass_escalate(*, now=None, batch_size: int = jobs.BATCH_SIZE) -> int:
    """Tell the privacy officers about every break-glass review that is overdue (periodic job)."""
    now = now or timezone.now()
    overdue = Grant.objects.filter(
        origin=Grant.Origin.BREAK_GLASS,
        reviewed_at__isnull=True,
        review_due_at__lte=now,
        review_escalated_at__isnull=True,
    ).select_related("user", "asset")

    def escalate(batch: list[Grant]) -> None:
        audit.record(actor=None, action="access.break_glass.escalated", details={"grants": [g.pk for g in batch]})
        officers = list(permissions.role_members(PRIVACY_OFFICERS))
        for grant in batch:
            notifications.notify(
                key=f"access-break-glass-overdue:{grant.pk}",
                to=officers,
                template="access/break_glass_overdue",
                context=mail.grant_context(grant),
            )

    return jobs.run_batches(due=overdue, stamp={"review_escalated_at": now}, effect=escalate, batch_size=batch_size)
