"""The rules every campaign step shares: active grants in scope, recommendations, who may review, comments."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import (
    Case,
    CharField,
    QuerySet,
    Value,
    When,
)

from access.campaigns.models import MAX_COMMENT, UNUSED_DAYS, Campaign, Outcome, Reason, ReviewItem
from access.models import Grant
from access.services.grants import _carried_permission, _permission_ids
from portal import audit, permissions
from portal.errors import ValidationError
from portal.models import DataAsset

MANAGE = "access.manage_campaign"


# --- The rules every launch, close and check shares ----------------------------------
# Kept here, once, so adopting the shared definitions (Grant.objects.active, offboarding,
# the bulk revocation service) is a change of these few lines.


def active_grants(now) -> QuerySet[Grant]:
    return Grant.objects.active(now)


def _grantee_gone() -> list[When]:
    """SQL: the grantee can no longer hold access, with the reason the reviewer sees."""
    return [
        When(user__offboarded_at__isnull=False, then=Value(Reason.GRANTEE_OFFBOARDED)),
        When(user__is_active=False, then=Value(Reason.GRANTEE_INACTIVE)),
    ]


def _revoke_grants(ids: list[int], *, actor, campaign: Campaign, reason: str, now) -> None:
    """End a locked batch of active grants in one UPDATE and audit it as the expiry sweep does.

    Unlike ``grants._end`` (which loads each grant to name it, and runs a
    permission DELETE per batch that scans the whole permission table) a
    100,000-grant close stays linear; :func:`_remove_revoked_permissions` then
    removes every permission at once.
    """
    Grant.objects.filter(pk__in=ids).update(
        status=Grant.Status.REVOKED, ended_at=now, revoked_by=actor, revoke_reason=reason
    )
    # One INSERT: the batch's summary, and one event per grant (named by id, not read back) for its history.
    batch = audit.Entry("access.grants.revoked", campaign, {"grants": ids, "count": len(ids), "reason": reason})
    each = (
        audit.Entry("access.grant.revoked", audit.Ref(Grant, pk, f"Grant #{pk}"), {"campaign": campaign.pk})
        for pk in ids
    )
    audit.record_many(actor=actor, entries=[batch, *each])


def _remove_revoked_permissions(revoked: QuerySet[Grant]) -> int:
    """One DELETE of the guardian rows the ``revoked`` grants carried (a semi-join, no id list)."""
    ended = revoked.annotate(carried=_carried_permission(_permission_ids()))
    return permissions.remove_carried(DataAsset, ended, user="user_id", obj="asset_id", permission_id="carried")


def reason_sql(now) -> Case:
    """SQL: why the launch recommends what it does (the recommendation follows from the reason)."""
    return Case(
        *_grantee_gone(),
        When(last_used_at__isnull=True, then=Value(Reason.NEVER_USED)),
        When(last_used_at__lt=now - timedelta(days=UNUSED_DAYS), then=Value(Reason.UNUSED)),
        default=Value(Reason.IN_USE),
        output_field=CharField(),
    )


def recommendation_for(reason: str) -> str:
    return Outcome.CERTIFY if reason == Reason.IN_USE else Outcome.REVOKE


def eligible_refusal(user, item: ReviewItem, *, officers_too: bool) -> str | None:
    """Why ``user`` may not be the accountable reviewer of ``item``, or ``None``."""
    if user is None or not user.is_active:
        return "Choose an active user."
    if user.pk == item.grantee_id:
        return "Nobody reviews their own access."
    if permissions.has(user, "portal.review_dataasset", item.asset):
        return None
    if officers_too and permissions.is_privacy_officer(user):
        return None
    who = "a reviewer of the asset or a privacy officer" if officers_too else "another reviewer of the asset"
    return f"Choose {who}."


def _clean_comment(comment: str | None) -> str:
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError(fields={"comment": f"At most {MAX_COMMENT} characters."})
    return comment
