from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from access import mail, policy
from access.models import EXPIRY_WARNING_DAYS, MAX_COMMENT, SCOPE_PERMISSION, Grant, GrantExtension
from portal import audit, jobs, notifications, offboarding, permissions
from portal.errors import Conflict, Forbidden, ValidationError, conflict_on_constraint
from portal.limits import too_long
from portal.models import DataAsset, User


def grant_issue(
    *,
    actor: User,
    user: User,
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
    # The last line of defence: nothing reaches an inactive or offboarded user, whoever asks.
    offboarding.require_may_hold_access(offboarding.lock_user(user.pk))
    now = timezone.now()
    expires_at = now + (timedelta(hours=hours) if hours else timedelta(days=days))
    # The row still *marked* active (at most one, by constraint), even past its expiry: ended below.
    grant = (
        Grant.objects.select_for_update()
        .filter(user=user, asset=asset, scope=scope, status=Grant.Status.ACTIVE)
        .first()
    )
    if grant is not None and not grant.is_active(now):
        # Past its time but not yet swept: that access is over (the decision point already refuses it).
        # End it as the sweep would and issue afresh, rather than stretch the old grant across the gap.
        _expire([grant.pk], now=now)
        grant = None
    if grant is not None and grant.is_break_glass and origin == Grant.Origin.REQUEST:
        # An approval must not turn emergency access into a long grant that still awaits its
        # review: the break-glass grant ends here (its review stays due) and a plain grant starts.
        Grant.objects.filter(pk=grant.pk).update(
            status=Grant.Status.EXPIRED, ended_at=now, revoke_reason=f"Superseded by request #{request.pk}."
        )
        audit.record(actor=actor, action="access.grant.superseded", target=grant, details={"request": request.pk})
        grant = None
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
    # Another approval or break-glass may create this grant at the same moment (one_active_grant_per_scope):
    # the lock above found no row to wait on. The caller's whole change rolls back; a retry extends it.
    with conflict_on_constraint(
        f"{user} was given {scope} access to {asset} at this same moment. Reload and try again."
    ):
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


def _permission_ids() -> dict[str, int]:
    """The ``auth_permission`` id each scope's grant carries, in one query."""
    ids = permissions.permission_ids(SCOPE_PERMISSION.values())
    return {scope: ids[perm] for scope, perm in SCOPE_PERMISSION.items()}


def _carried_permission(permission_ids: dict[str, int]) -> Case:
    """SQL: the permission id a grant row carries, by its scope."""
    return Case(*(When(scope=scope, then=Value(pk)) for scope, pk in permission_ids.items()))


def _remove_permissions(grant_ids: list[int], permission_ids: dict[str, int] | None = None) -> int:
    """Delete the guardian rows that the given (now ended) grants carried: one DELETE."""
    ended = Grant.objects.filter(pk__in=grant_ids).annotate(
        carried=_carried_permission(permission_ids or _permission_ids())
    )
    return permissions.remove_carried(DataAsset, ended, user="user_id", obj="asset_id", permission_id="carried")


def _end(grants: list[Grant], *, status: str, actor: User, reason: str, action: str, now) -> None:
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
def grant_revoke(*, actor: User, grant: Grant, reason: str) -> Grant:
    grant = Grant.objects.select_for_update(of=("self",)).select_related("asset", "user").get(pk=grant.pk)
    refusal = policy.revoke_refusal(actor, grant)
    if refusal:
        raise Forbidden(refusal)
    if not reason or not reason.strip():
        raise ValidationError(fields={"reason": "Say why this access is being revoked."})
    if message := too_long(reason, MAX_COMMENT):
        raise ValidationError(fields={"reason": message})
    if not grant.is_active():
        raise Conflict(f"This grant is already {grant.effective_status()}.")
    return revoke_locked(actor=actor, grant=grant, reason=reason.strip())


def revoke_locked(*, actor: User, grant: Grant, reason: str) -> Grant:
    """End an active grant the caller has locked and authorised; the grantee is told why.

    Shared with the break-glass review, whose reviewers (privacy officers among
    them) end unjustified access without holding ``access.revoke_grant``.
    """
    _end(
        [grant],
        status=Grant.Status.REVOKED,
        actor=actor,
        reason=reason,
        action="access.grant.revoked",
        now=timezone.now(),
    )
    # _end wrote with UPDATE: reload so the mail carries the reason.
    grant.refresh_from_db(fields=["status", "ended_at", "revoked_by", "revoke_reason"])
    notifications.notify(
        key=f"access-grant-revoked:{grant.pk}",
        to=[grant.user],
        template="access/grant_revoked",
        context=mail.grant_context(grant),
    )
    return grant


@transaction.atomic
def grants_revoke_many(*, actor: User, grants, reason: str) -> int:
    """Revoke several grants at once (the admin's bulk action): all of them, or none.

    Every grant is locked, authorised and checked before any is ended, so one
    that may not be revoked (or is no longer active) refuses the whole batch.
    """
    if not reason or not reason.strip():
        raise ValidationError(fields={"reason": "Say why this access is being revoked."})
    if message := too_long(reason, MAX_COMMENT):
        raise ValidationError(fields={"reason": message})
    locked = list(
        Grant.objects.select_for_update(of=("self",))
        .select_related("asset", "user")
        .filter(pk__in=[g.pk for g in grants])
        .order_by("pk")
    )
    for grant in locked:
        refusal = policy.revoke_refusal(actor, grant)
        if refusal:
            raise Forbidden(f"{grant}: {refusal}")
        if not grant.is_active():
            raise Conflict(f"{grant} is already {grant.effective_status()}; nothing was revoked.")
    if locked:
        _end(
            locked,
            status=Grant.Status.REVOKED,
            actor=actor,
            reason=reason.strip(),
            action="access.grant.revoked",
            now=timezone.now(),
        )
    for grant in locked:
        notifications.notify(
            key=f"access-grant-revoked:{grant.pk}",
            to=[grant.user],
            template="access/grant_revoked",
            context={**mail.grant_context(grant), "reason": reason.strip()},
        )
    return len(locked)


def end_and_notify_all(*, actor, user, grants: list[Grant], reason: str, now) -> None:
    """Revoke ``grants`` (all of ``user``'s, locked) and tell the user once: offboarding's grant step."""
    if not grants:
        return
    _end(grants, status=Grant.Status.REVOKED, actor=actor, reason=reason, action="access.grant.revoked", now=now)
    notifications.notify(
        key=f"access-revoked-all:{user.pk}:{grants[-1].pk}",
        to=[user],
        template="access/revoked_all",
        context={"count": len(grants), "reason": reason},
    )


def user_revoke_all(*, actor, user, reason: str, action: str = "portal.user.offboarded", context=None) -> int:
    """Offboard ``user`` (``portal.offboarding``): every active grant and pending request goes. Returns grants revoked.

    For callers that only need the count (incidents); the result of
    :func:`portal.offboarding.user_offboard` has the rest.
    """
    return offboarding.user_offboard(actor=actor, user=user, reason=reason, action=action, context=context)["revoked"]


def grants_expire(*, now=None, batch_size: int = 10_000) -> int:
    """End every grant whose time has passed and remove its permissions (periodic job).

    Set-based, in batches, each its own transaction: lock a batch of due grants
    with SKIP LOCKED (a second sweep running at the same time takes other rows),
    end them, delete the permissions they carried, and write one audit event
    naming them. A re-run finds nothing left to do.

    Each batch continues after the last id of the one before: starting from the
    lowest id again would walk every grant already expired, batch after batch
    (quadratic; a 1,000,000-grant sweep's last batches took 4x its first). A row
    skipped because someone held its lock (a revocation) is left to that
    transaction or to the next run.
    """
    now = now or timezone.now()
    take = _take_due_postgresql if connection.vendor == "postgresql" else _take_due
    permission_ids = _permission_ids()
    total, after = 0, 0
    while True:
        with transaction.atomic():
            ids, removed = take(now=now, after=after, limit=batch_size, permission_ids=permission_ids)
            if not ids:
                return total
            _record_expired(ids, removed)
            total, after = total + len(ids), ids[-1]


def _take_due(*, now, after: int, limit: int, permission_ids: dict[str, int]) -> tuple[list[int], int]:
    """Any database: lock and end the next batch of due grants (ids above ``after``), remove their permissions."""
    ids = list(
        Grant.objects.select_for_update(skip_locked=True)
        .due(now)
        .filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return [], 0
    Grant.objects.filter(pk__in=ids).update(status=Grant.Status.EXPIRED, ended_at=now)
    return ids, _remove_permissions(ids, permission_ids)


def _take_due_postgresql(*, now, after: int, limit: int, permission_ids: dict[str, int]) -> tuple[list[int], int]:
    """PostgreSQL: the same in ONE statement, so no id list travels to the server and back twice.

    On 100,000 grants the portable version spends longer on its UPDATE … WHERE id IN
    (10,000 ids) than a bare UPDATE of every row takes; here the locked batch feeds the
    UPDATE, and its RETURNING rows drive a DELETE … USING through the unique
    (user, permission, object) index of the permission table.
    """
    quote = connection.ops.quote_name
    grants, perms = quote(Grant._meta.db_table), quote(permissions.user_table(DataAsset))
    carried = " ".join("WHEN %s THEN %s" for _ in permission_ids)
    # The same rule as Grant.objects.due(), spelt in SQL for speed (a test runs both sweeps).
    # Only quoted table names and placeholders are interpolated; every value is a parameter.
    sql = f"""
        WITH due AS (
            SELECT id FROM {grants} WHERE status = %s AND expires_at <= %s AND id > %s
            ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
        ), ended AS (
            UPDATE {grants} g SET status = %s, ended_at = %s FROM due WHERE g.id = due.id
            RETURNING g.id, g.user_id, g.asset_id, g.scope
        ), removed AS (
            DELETE FROM {perms} p USING ended
            WHERE p.user_id = ended.user_id AND p.content_object_id = ended.asset_id
              AND p.permission_id = CASE ended.scope {carried} END
            RETURNING 1
        )
        SELECT ARRAY(SELECT id FROM ended ORDER BY id), (SELECT count(*) FROM removed)
    """  # noqa: S608  # nosec B608
    params = [Grant.Status.ACTIVE, now, after, limit, Grant.Status.EXPIRED, now]
    params += [value for pair in permission_ids.items() for value in pair]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids, removed = cursor.fetchone()
    return ids, removed


def _expire(ids: list[int], *, now) -> None:
    """Mark the given (locked, active, due) grants expired and remove their permissions."""
    Grant.objects.filter(pk__in=ids).update(status=Grant.Status.EXPIRED, ended_at=now)
    _record_expired(ids, _remove_permissions(ids))


def _record_expired(ids: list[int], removed: int) -> None:
    # One INSERT per batch: the batch's summary, and one event per grant so each grant's own history
    # shows its expiry. Targets are named by id (Grant #n), so no grant row is read back.
    batch = audit.Entry(
        "access.grants.expired", details={"grants": ids, "count": len(ids), "permissions_removed": removed}
    )
    each = (audit.Entry("access.grant.expired", audit.Ref(Grant, pk, f"Grant #{pk}")) for pk in ids)
    audit.record_many(actor=None, entries=[batch, *each])


def grants_warn_expiring(*, now=None, batch_size: int = jobs.BATCH_SIZE) -> int:
    """Tell grantees a week before their grant ends (periodic job; each grant warned once per expiry)."""
    now = now or timezone.now()
    due = (
        Grant.objects.active(now)
        .filter(
            expires_at__lte=now + timedelta(days=EXPIRY_WARNING_DAYS),
            expiry_warned_at__isnull=True,
        )
        .exclude(origin=Grant.Origin.BREAK_GLASS)
        .select_related("user", "asset")
    )

    def warn(batch: list[Grant]) -> None:
        audit.record(actor=None, action="access.grants.expiry_warned", details={"grants": [g.pk for g in batch]})
        for grant in batch:
            notifications.notify(
                key=f"access-grant-expiring:{grant.pk}:{grant.expires_at:%Y%m%d%H%M}",
                to=[grant.user],
                template="access/grant_expiring",
                context=mail.grant_context(grant),
            )

    return jobs.run_batches(due=due, stamp={"expiry_warned_at": now}, effect=warn, batch_size=batch_size)
