"""Offboarding: take every right a person holds away in one step, and keep it away.

Portal does not know which apps hand out access, so apps register *steps* in
their ``AppConfig.ready``::

    offboarding.register("access.grants", revoke_grants, preview=active_grants, order=20)

A step's ``run(actor=, user=, reason=, now=)`` runs inside the offboarding
transaction with the user's row locked, and returns what it did (merged into
the audit event and the result, e.g. ``{"revoked": 2, "grants": [7, 9]}``).
Its ``preview(user)`` returns what it *would* take away, for the confirmation
page: ``{"label": ..., "items": [...]}`` in a constant number of queries.

Lock order, everywhere: the user row, then their requests, then their grants.
An approval locks the requester first too (``lock_user``), so an approval and
an offboarding of the same person never deadlock and never interleave.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from portal import audit, permissions
from portal.errors import Conflict, ValidationError
from portal.limits import too_long

MAX_REASON = 1000  # as every other reason and comment (access.models.MAX_COMMENT)


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[..., dict]
    preview: Callable[..., dict] | None
    order: int


_steps: list[Step] = []


def register(name: str, run: Callable[..., dict], *, preview: Callable[..., dict] | None = None, order: int = 50):
    if not any(s.name == name for s in _steps):
        _steps.append(Step(name, run, preview, order))
        _steps.sort(key=lambda s: s.order)


def steps() -> list[Step]:
    return list(_steps)


def preview(user) -> list[dict]:
    """What offboarding ``user`` would take away, one section per step."""
    return [s.preview(user) for s in _steps if s.preview is not None]


# --- The rule: who may hold access --------------------------------------------


def access_refusal(user) -> str | None:
    """Why ``user`` may not ask for or be given access, or ``None`` when they may."""
    if not user.is_active:
        return f"{user} is inactive and cannot request or hold access."
    if user.offboarded_at is not None:
        when = timezone.localtime(user.offboarded_at)
        return f"{user} was offboarded on {when:%Y-%m-%d} and cannot request or hold access."
    return None


def require_may_hold_access(user) -> None:
    refusal = access_refusal(user)
    if refusal:
        raise Conflict(refusal)


def lock_user(pk):
    """Lock a user's row (first in the lock order above) and return it fresh."""
    return get_user_model().objects.select_for_update().get(pk=pk)


# --- The service -----------------------------------------------------------------


def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(fields={"reason": "Say why this person's access is being taken away."})
    if message := too_long(reason, MAX_REASON):
        raise ValidationError(fields={"reason": message})
    return reason


@transaction.atomic
def user_offboard(*, actor, user, reason: str, action: str = "portal.user.offboarded", context=None) -> dict:
    """Revoke all access of ``user`` and cancel their pending requests; mark them offboarded.

    Access admins and privacy officers (``portal.offboard_user``). Safe to run
    again: a second run takes away whatever appeared since and keeps the first
    offboarding's date. Returns the merged results of the steps.
    """
    permissions.require(actor, "portal.offboard_user", message="Only access admins and privacy officers may do this.")
    return offboard_locked(
        actor=actor, user=lock_user(user.pk), reason=_clean_reason(reason), action=action, context=context
    )


@transaction.atomic(savepoint=False)
def offboard_locked(*, actor, user, reason: str, action: str = "portal.user.offboarded", context=None) -> dict:
    """Offboard a user whose row the caller locked and whose right to do so it checked (deactivation)."""
    now = timezone.now()
    result: dict = {}
    for step in _steps:
        result.update(step.run(actor=actor, user=user, reason=reason, now=now))
    first = user.offboarded_at is None
    if first:
        user.offboarded_at, user.offboarded_by, user.offboard_reason = now, actor, reason
        user.save(update_fields=["offboarded_at", "offboarded_by", "offboard_reason"])
    audit.record(
        actor=actor,
        action=action,
        target=user,
        details={"reason": reason, "first": first, **result, **(context or {})},
    )
    return result


@transaction.atomic
def user_reinstate(*, actor, user, reason: str):
    """Let an offboarded user ask for access again (access admins). Nothing taken away comes back."""
    permissions.require(actor, "portal.reinstate_user", message="Only access admins may reinstate a person.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(fields={"reason": "Say why this person may have access again."})
    if message := too_long(reason, MAX_REASON):
        raise ValidationError(fields={"reason": message})
    user = lock_user(user.pk)
    if user.offboarded_at is None:
        raise Conflict(f"{user} is not offboarded.")
    previous = {
        "offboarded_at": user.offboarded_at,
        "offboarded_by": user.offboarded_by_id,
        "reason": user.offboard_reason,
    }
    user.offboarded_at, user.offboarded_by, user.offboard_reason = None, None, ""
    user.save(update_fields=["offboarded_at", "offboarded_by", "offboard_reason"])
    audit.record(
        actor=actor, action="portal.user.reinstated", target=user, details={"reason": reason, "previous": previous}
    )
    return user
