"""State changes of the shared core: data assets and their reviewers.

Only access admins (the global ``portal.add_dataasset`` / ``change_dataasset``
of their role) create and change assets, here and nowhere else.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from portal import audit, permissions
from portal.errors import ValidationError, conflict_on_constraint
from portal.limits import length_errors
from portal.models import DEFAULT_MAX_GRANT_DAYS, DataAsset, Sensitivity, User

ASSET_FIELDS = (
    "name",
    "description",
    "sensitivity",
    "holds_personal_data",
    "data_categories",
    "max_grant_days",
    "purposes",
    "lawful_basis",
    "retention",
    "recipients",
    "source",
)


def _check_asset(asset: DataAsset) -> None:
    errors = length_errors(DataAsset, {name: getattr(asset, name) for name in ASSET_FIELDS})
    if asset.sensitivity not in Sensitivity.values:
        errors["sensitivity"] = f"Choose one of: {', '.join(Sensitivity.values)}."
    if not asset.max_grant_days or asset.max_grant_days < 1:
        errors["max_grant_days"] = "A grant must last at least one day."
    if DataAsset.objects.filter(name__iexact=asset.name).exclude(pk=asset.pk).exists():
        errors["name"] = "An asset with this name already exists."
    if errors:
        raise ValidationError(fields=errors)


def _save(asset: DataAsset) -> None:
    # Two admins naming assets alike at the same moment both pass _check_asset; the unique name settles it.
    with conflict_on_constraint("An asset with this name already exists.", fields={"name": "Choose another name."}):
        asset.save()


def _set_reviewers(*, asset: DataAsset, reviewer_ids: list[int]) -> dict[str, list[int]]:
    users = list(get_user_model().objects.filter(pk__in=reviewer_ids, is_active=True))
    unknown = sorted(set(reviewer_ids) - {u.pk for u in users})
    if unknown:
        raise ValidationError(fields={"reviewers": f"No active user with id {', '.join(map(str, unknown))}."})
    current = {u.pk: u for u in permissions.holders("portal.review_dataasset", asset)}
    wanted = {u.pk: u for u in users}
    added, removed = sorted(wanted.keys() - current.keys()), sorted(current.keys() - wanted.keys())
    # Reviewing decides who gets personal data: auditors read, they decide nothing.
    refused = [why for why in (permissions.work_refusal(wanted[pk]) for pk in added) if why]
    if refused:
        raise ValidationError(fields={"reviewers": " ".join(refused)})
    permissions.assign_many(DataAsset, [(pk, asset.pk, "portal.review_dataasset") for pk in added])
    permissions.remove_many(DataAsset, [(pk, asset.pk, "portal.review_dataasset") for pk in removed])
    return {"added": added, "removed": removed}


@transaction.atomic
def asset_create(*, actor: User, reviewers: list[int] | None = None, **fields) -> DataAsset:
    permissions.require(actor, "portal.add_dataasset", message="Only access admins create data assets.")
    asset = DataAsset(**{k: v for k, v in fields.items() if k in ASSET_FIELDS})
    if not asset.max_grant_days:
        asset.max_grant_days = DEFAULT_MAX_GRANT_DAYS.get(asset.sensitivity, 90)
    _check_asset(asset)
    _save(asset)
    changes = _set_reviewers(asset=asset, reviewer_ids=reviewers or [])
    audit.record(
        actor=actor,
        action="portal.asset.created",
        target=asset,
        details={"sensitivity": asset.sensitivity, "reviewers": changes["added"]},
    )
    return asset


@transaction.atomic
def asset_update(*, actor: User, asset: DataAsset, reviewers: list[int] | None = None, **fields) -> DataAsset:
    asset = DataAsset.objects.select_for_update().get(pk=asset.pk)
    # The portal's record of an asset is the access admins' alone (a role, never an object right):
    # an ``admin`` grant administers the data system, not who reviews it or how sensitive it is.
    permissions.require(actor, "portal.change_dataasset", message="Only access admins change data assets.")
    changed = {}
    for name, value in fields.items():
        if name in ASSET_FIELDS and getattr(asset, name) != value:
            changed[name] = {"from": getattr(asset, name), "to": value}
            setattr(asset, name, value)
    if "sensitivity" in changed and "max_grant_days" not in fields:
        asset.max_grant_days = min(asset.max_grant_days, DEFAULT_MAX_GRANT_DAYS[asset.sensitivity])
    _check_asset(asset)
    if changed:
        _save(asset)
    reviewer_changes = _set_reviewers(asset=asset, reviewer_ids=reviewers) if reviewers is not None else {}
    if changed or any(reviewer_changes.values()):
        audit.record(
            actor=actor,
            action="portal.asset.updated",
            target=asset,
            details={"changed": changed, "reviewers": reviewer_changes},
        )
    return asset
