"""Drift between active grants and the guardian permissions they should carry."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from access.models import SCOPE_PERMISSION, Grant
from portal import audit, permissions
from portal.models import DataAsset, User


@dataclass
class Drift:
    # (user id, asset id, permission codename)
    missing: list[tuple[int, int, str]] = field(default_factory=list)
    extra: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.missing and not self.extra


def _expected() -> set[tuple[int, int, str]]:
    codename = {scope: permissions.codename(perm) for scope, perm in SCOPE_PERMISSION.items()}
    # A grant past its expiry carries nothing, swept or not: its permission row is drift.
    rows = Grant.objects.active().filter(user__is_active=True)
    return {(u, a, codename[s]) for u, a, s in rows.values_list("user_id", "asset_id", "scope").iterator()}


def _actual() -> set[tuple[int, int, str]]:
    held = permissions.held_rows(DataAsset, SCOPE_PERMISSION.values())
    return {(u, a, permissions.codename(p)) for u, a, p in held}


def reconcile_permissions(*, fix: bool = False, actor: User | None = None) -> Drift:
    """Compare; with ``fix`` assign what is missing and remove what no active grant explains."""
    with transaction.atomic():
        expected, actual = _expected(), _actual()
        drift = Drift(missing=sorted(expected - actual), extra=sorted(actual - expected))
        if fix and not drift.clean:
            perm = {permissions.codename(p): p for p in SCOPE_PERMISSION.values()}
            permissions.assign_many(DataAsset, [(u, a, perm[c]) for u, a, c in drift.missing])
            permissions.remove_many(DataAsset, [(u, a, perm[c]) for u, a, c in drift.extra])
            audit.record(
                actor=actor,
                action="access.permissions.reconciled",
                details={"assigned": drift.missing, "removed": drift.extra},
            )
    return drift
