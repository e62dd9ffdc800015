from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from access import mail, policy
from access.models import EXPIRY_WARNING_DAYS, SCOPE_PERMISSION, Grant, GrantExtension
from portal import audit, notifications, permissions
from portal.errors import Conflict, Forbidden, ValidationError
from portal.models import DataAsset


def grant_issue(
    *,
    actor,
    user,
    asset: DataAsset,
    scope: str,
    days: int,
    request=None,
    origin=Grant.Origin.REQUEST,
    hours=None,
    justification: str = "",
) -> Grant:
    """Give ``user`` access, or extend the active grant they already hold (one per asset and scope).

    Called inside the transaction of an approval or a break-glass; assigns the
    guardian permission in that same transaction.
    """
    now = timezone.now()
    expires_at = now + (timedelta(hours=hours) if hours else timedelta(days=days))
    grant = (
        Grant.objects.select_for_update()
        .filter(user=user, asset=asset, scope=scope, status=Grant.Status.ACTIVE)
        .first()
    )
    if grant is not None:
        if expires_at > grant.expires_at:
            GrantExtension.objects.create(
                grant=grant,
                request=request,
                previous_expires_at=grant.expires_at,
                new_expires_at=expires_at,
                created_at=now,
            )
            audit.record(
                actor=actor,
                action="access.grant.extended",
                target=grant,
                details={"from": grant.expires_at, "to": expires_at, "request": getattr(request, "pk", None)},
            )
            grant.expires_at, grant.expiry_warned_at = expires_at, None
            grant.save(update_fields=["expires_at", "expiry_warned_at"])
        return grant
    grant = Grant.objects.create(
        user=user,
        asset=asset,
        scope=scope,
        origin=origin,
        request=request,
        justification=justification or getattr(request, "justification", ""),
        granted_at=now,
        expires_at=expires_at,
    )
    permissions.assign(SCOPE_PERMISSION[scope], user, asset)
    audit.record(
        actor=actor,
        action="access.grant.created",
        target=grant,
        details={
            "user": user.pk,
            "asset": asset.pk,
            "scope": scope,
            "origin": origin,
            "expires_at": expires_at,
            "request": getattr(request, "pk", None),
        },
    )
    return grant


def _remove_permissions(grant_ids: list[int]) -> int:
    """Delete the guardian rows that the given (now ended) grants carried, set-based."""
    perm_model = permissions.object_permission_model(DataAsset)
    removed = 0
    for scope, perm in SCOPE_PERMISSION.items():
        carried_by = Grant.objects.filter(
            pk__in=grant_ids, scope=scope, user_id=OuterRef("user_id"), asset_id=OuterRef("content_object_id")
        )
        removed += (
            perm_model.objects.filter(permission=permissions.permission(perm)).filter(Exists(carried_by)).delete()[0]
        )
    return removed


def _end(grants: list[Grant], *, status: str, actor, reason: str, action: str, now) -> None:
    """End ``grants`` (locked, active) in one UPDATE, remove their permissions and audit each."""
    ids = [g.pk for g in grants]
    Grant.objects.filter(pk__in=ids).update(
        status=status,
        ended_at=now,
        revoked_by=actor if status == Grant.Status.REVOKED else None,
        revoke_reason=reason,
    )
    _remove_permissions(ids)
    audit.record_many(
        actor=actor,
        entries=[audit.Entry(action, g, {"user": g.user_id, "asset": g.asset_id, "reason": reason}) for g in grants],
    )


@transaction.atomic
def grant_revoke(*, actor, grant: Grant, reason: str) -> Grant:
    grant = Grant.objects.select_for_update(of=("self",)).select_related("asset", "user").get(pk=grant.pk)
    refusal = policy.revoke_refusal(actor, grant)
    if refusal:
        raise Forbidden(refusal)
    if not reason or not reason.strip():
        raise ValidationError(fields={"reason": "Say why this access is being revoked."})
    if grant.status != Grant.Status.ACTIVE:
        raise Conflict(f"This grant is already {grant.get_status_display().lower()}.")
    now = timezone.now()
    _end(
        [grant], status=Grant.Status.REVOKED, actor=actor, reason=reason.strip(), action="access.grant.revoked", now=now
    )
    notifications.notify(
        key=f"access-grant-revoked:{grant.pk}",
        to=[grant.user],
        template="access/grant_revoked",
        context=mail.grant_context(grant),
    )
    grant.refresh_from_db()
    return grant


@transaction.atomic
def user_revoke_all(*, actor, user, reason: str, action: str = "access.user.revoked_all", context=None) -> int:
    """Revoke every active grant of ``user`` in one step (offboarding, incidents). Returns the count."""
    permissions.require(
        actor, "access.revoke_all_access", message="Only access admins and privacy officers may do this."
    )
    if not reason or not reason.strip():
        raise ValidationError(fields={"reason": "Say why all access is being revoked."})
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    grants = list(Grant.objects.select_for_update().filter(user=user, status=Grant.Status.ACTIVE).order_by("pk"))
    if grants:
        _end(
            grants,
            status=Grant.Status.REVOKED,
            actor=actor,
            reason=reason.strip(),
            action="access.grant.revoked",
            now=timezone.now(),
        )
    audit.record(
        actor=actor,
        action=action,
        target=user,
        details={"reason": reason.strip(), "grants": [g.pk for g in grants], **(context or {})},
    )
    if grants:
        notifications.notify(
            key=f"access-revoked-all:{user.pk}:{grants[-1].pk}",
            to=[user],
            template="access/revoked_all",
            context={"count": len(grants), "reason": reason.strip()},
        )
    return len(grants)


def grants_expire(*, now=None, batch_size: int = 5000) -> int:
    """End every grant whose time has passed and remove its permissions (periodic job).

    Set-based, in batches: one SELECT … FOR UPDATE SKIP LOCKED, one UPDATE, one
    DELETE per scope and one audit INSERT per batch, so a second sweep running
    at the same time takes other rows and a re-run finds nothing left to do.
    """
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                Grant.objects.select_for_update(skip_locked=True)
                .filter(status=Grant.Status.ACTIVE, expires_at__lte=now)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return total
            Grant.objects.filter(pk__in=ids).update(status=Grant.Status.EXPIRED, ended_at=now)
            removed = _remove_permissions(ids)
            # One event per batch keeps a 100,000-grant sweep fast; it names every grant.
            audit.record(
                actor=None,
                action="access.grants.expired",
                details={"grants": ids, "count": len(ids), "permissions_removed": removed},
            )
            total += len(ids)


def grants_warn_expiring(*, now=None) -> int:
    """Tell grantees a week before their grant ends (periodic job; each grant warned once per expiry)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Grant.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=Grant.Status.ACTIVE,
                expires_at__gt=now,
                expires_at__lte=now + timedelta(days=EXPIRY_WARNING_DAYS),
                expiry_warned_at__isnull=True,
            )
            .exclude(origin=Grant.Origin.BREAK_GLASS)
            .select_related("user", "asset")
        )
        if not due:
            return 0
        Grant.objects.filter(pk__in=[g.pk for g in due]).update(expiry_warned_at=now)
        audit.record(actor=None, action="access.grants.expiry_warned", details={"grants": [g.pk for g in due]})
        for grant in due:
            notifications.notify(
                key=f"access-grant-expiring:{grant.pk}:{grant.expires_at:%Y%m%d%H%M}",
                to=[grant.user],
                template="access/grant_expiring",
                context=mail.grant_context(grant),
            )
    return len(due)


def active_grant_filter(now=None) -> Q:
    """What "active" means to a reader: active status *and* not past its expiry, sweep or no sweep."""
    return Q(status=Grant.Status.ACTIVE, expires_at__gt=now or timezone.now())
