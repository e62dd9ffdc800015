"""The decision point: data systems ask before they serve data.

Hot path: one query to find the grant (status *and* expiry checked in SQL,
so an expired grant is refused before the sweep runs) and, at most once an
hour per grant, one UPDATE to stamp when it was last used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from access.models import Grant

STAMP_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    grant: int | None = None
    expires_at: datetime | None = None


def check_access(*, user: int | str, asset: int, scope: str, now: datetime | None = None) -> Decision:
    """May ``user`` (id or username) use ``asset`` with ``scope`` right now?"""
    now = now or timezone.now()
    who = Q(user_id=user) if isinstance(user, int) else Q(user__username=user)
    row = (
        Grant.objects.filter(who, asset_id=asset, scope=scope, status=Grant.Status.ACTIVE, expires_at__gt=now)
        .filter(user__is_active=True)
        .values_list("pk", "expires_at", "last_used_at")
        .first()
    )
    if row is None:
        return Decision(allowed=False)
    pk, expires_at, last_used_at = row
    if last_used_at is None or now - last_used_at >= STAMP_EVERY:
        # Recertification needs "used in the last 90 days", not every hit: one write an hour is plenty.
        Grant.objects.filter(pk=pk).update(last_used_at=now)
    return Decision(allowed=True, grant=pk, expires_at=expires_at)
