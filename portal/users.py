"""State changes of people and their rights: roles, flags, API tokens (spec: "Every change of rights is audited").

The admin, the API and the people pages call these and nothing else: each
checks the actor's right, changes the row it locked, and writes its audit
event in the same transaction. Deactivating someone offboards them
(:mod:`portal.offboarding`). Only a superuser makes or unmakes a superuser,
and nobody but a superuser changes their own roles or flags.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework.authtoken.models import Token

from portal import audit, offboarding, permissions
from portal.errors import Conflict, Forbidden, ValidationError
from portal.models import DataAsset

PROFILE_FIELDS = ("username", "first_name", "last_name", "email")
FLAG_FIELDS = ("is_active", "is_staff", "is_superuser")


def _require_may_change(actor, user) -> None:
    permissions.require(actor, "portal.change_user", message="You may not change people's rights.")
    if actor.is_superuser:
        return
    if actor.pk == user.pk:
        raise Forbidden("Nobody but a superuser changes their own rights.")
    if user.is_superuser:
        raise Forbidden("Only a superuser changes a superuser's rights.")


@transaction.atomic
def user_create(*, actor, username: str, password: str | None = None, **profile):
    """A new account: active, no role, no flag beyond that (rights come after, through their services)."""
    permissions.require(actor, "portal.add_user", message="You may not create accounts.")
    User = get_user_model()
    username = (username or "").strip()
    if not username:
        raise ValidationError(fields={"username": "Choose a user name."})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(fields={"username": "A user with this name already exists."})
    user = User(username=username, **{k: v for k, v in profile.items() if k in PROFILE_FIELDS})
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record(actor=actor, action="portal.user.created", target=user, details={"username": username})
    return user


@transaction.atomic
def user_update_profile(*, actor, user, **fields):
    """Name and e-mail: not rights, but still changes someone made."""
    permissions.require(actor, "portal.change_user", message="You may not change accounts.")
    user = offboarding.lock_user(user.pk)
    changed = {}
    for name, value in fields.items():
        if name in PROFILE_FIELDS and getattr(user, name) != value:
            changed[name] = {"from": getattr(user, name), "to": value}
            setattr(user, name, value)
    if "username" in changed:
        taken = get_user_model().objects.filter(username__iexact=user.username).exclude(pk=user.pk).exists()
        if taken:
            raise ValidationError(fields={"username": "A user with this name already exists."})
    if changed:
        user.save(update_fields=list(changed))
        audit.record(actor=actor, action="portal.user.updated", target=user, details={"changed": changed})
    return user


@transaction.atomic
def user_set_flags(*, actor, user, reason: str = "", **flags):
    """Change ``is_active``, ``is_staff``, ``is_superuser``. Deactivating offboards (a reason is required)."""
    user = offboarding.lock_user(user.pk)
    changed = {
        name: {"from": getattr(user, name), "to": bool(value)}
        for name, value in flags.items()
        if name in FLAG_FIELDS and value is not None and getattr(user, name) != bool(value)
    }
    if not changed:
        return user
    _require_may_change(actor, user)
    if "is_superuser" in changed and not actor.is_superuser:
        raise Forbidden("Only a superuser may grant or take away superuser status.")
    reason = (reason or "").strip()
    deactivating = changed.get("is_active", {}).get("to") is False
    if deactivating and not reason:
        raise ValidationError(fields={"reason": "Say why this account is deactivated: it will be offboarded."})
    for name, change in changed.items():
        setattr(user, name, change["to"])
    user.save(update_fields=list(changed))
    audit.record(
        actor=actor, action="portal.user.flags_changed", target=user, details={"changed": changed, "reason": reason}
    )
    if deactivating:
        # Whoever may deactivate an account may take its access away: that is what deactivation means.
        offboarding.offboard_locked(actor=actor, user=user, reason=reason, context={"deactivated": True})
    return user


def _names(rows) -> list[str]:
    return sorted(str(r) if isinstance(r, Group) else f"{r.content_type.app_label}.{r.codename}" for r in rows)


@transaction.atomic
def user_set_roles(*, actor, user, groups, direct_permissions=None, reason: str = ""):
    """Set the user's role groups (and, with ``direct_permissions``, their direct global permissions)."""
    user = offboarding.lock_user(user.pk)
    wanted_groups = set(groups)
    current_groups = set(user.groups.all())
    changes = {"added": _names(wanted_groups - current_groups), "removed": _names(current_groups - wanted_groups)}
    wanted_perms = current_perms = set()
    if direct_permissions is not None:
        wanted_perms = set(direct_permissions)
        current_perms = set(user.user_permissions.select_related("content_type"))
        changes["permissions_added"] = _names(wanted_perms - current_perms)
        changes["permissions_removed"] = _names(current_perms - wanted_perms)
    if not any(changes.values()):
        return user
    _require_may_change(actor, user)
    adding = changes["added"] or changes.get("permissions_added")
    if adding and offboarding.access_refusal(user):
        raise Conflict(f"{offboarding.access_refusal(user)} Reinstate them first.")
    user.groups.remove(*(current_groups - wanted_groups))
    user.groups.add(*(wanted_groups - current_groups))
    if direct_permissions is not None:
        user.user_permissions.remove(*(current_perms - wanted_perms))
        user.user_permissions.add(*(wanted_perms - current_perms))
    audit.record(
        actor=actor, action="portal.user.roles_changed", target=user, details={**changes, "reason": reason.strip()}
    )
    return user


# --- API tokens -----------------------------------------------------------------


@transaction.atomic
def token_issue(*, actor, user, rotate: bool = False) -> Token:
    """The user's API token: their own (signing in with a password) or issued for them by an admin.

    Audited whenever a new key comes into being; with ``rotate`` the old key stops working.
    """
    if actor.pk != user.pk:
        _require_may_change(actor, user)
    user = offboarding.lock_user(user.pk)
    offboarding.require_may_hold_access(user)
    old = Token.objects.filter(user=user).first()
    if old is not None and not rotate:
        return old
    if old is not None:
        old.delete()
    token = Token.objects.create(user=user)
    audit.record(
        actor=actor,
        action="portal.token.issued",
        target=user,
        # Never the key itself: the log is read by many.
        details={"replaced": old is not None, "key_prefix": token.key[:4]},
    )
    return token


@transaction.atomic
def tokens_delete(*, actor, tokens) -> int:
    """Delete API tokens (all or none); each deletion is audited against its user."""
    # By key: DRF's admin proxy answers the user's id as its pk.
    tokens = list(Token.objects.select_for_update().filter(key__in=[t.key for t in tokens]).select_related("user"))
    for token in tokens:
        if actor.pk != token.user_id:
            _require_may_change(actor, token.user)
    Token.objects.filter(key__in=[t.key for t in tokens]).delete()
    audit.record_many(
        actor=actor,
        entries=[audit.Entry("portal.token.deleted", t.user, {"key_prefix": t.key[:4]}) for t in tokens],
    )
    return len(tokens)


# --- Offboarding step: the portal's own rights --------------------------------------


def _reviewed(user):
    model = permissions.object_permission_model(DataAsset)
    return model.objects.filter(user=user, permission__codename="review_dataasset")


def take_portal_rights(*, actor, user, reason: str, now) -> dict:
    """Offboarding step: role groups, direct permissions, reviewer duties and API tokens go."""
    roles = _names(user.groups.all())
    direct = _names(user.user_permissions.select_related("content_type"))
    reviews = list(_reviewed(user).select_related("content_object"))
    tokens = Token.objects.filter(user=user).delete()[0]
    user.groups.clear()
    user.user_permissions.clear()
    _reviewed(user).delete()
    # Each asset's own history shows that it lost a reviewer.
    audit.record_many(
        actor=actor,
        entries=[
            audit.Entry("portal.asset.updated", p.content_object, {"reviewers": {"added": [], "removed": [user.pk]}})
            for p in reviews
        ],
    )
    return {"roles": roles, "permissions": direct, "reviews": [p.content_object_id for p in reviews], "tokens": tokens}


def preview_portal_rights(user) -> dict:
    items = [f"Role: {g.name}" for g in user.groups.all()]
    items += [f"Permission: {p}" for p in _names(user.user_permissions.select_related("content_type"))]
    items += [f"Reviewer of {p.content_object}" for p in _reviewed(user).select_related("content_object")]
    items += ["API token"] if Token.objects.filter(user=user).exists() else []
    return {"label": "Roles, reviewer duties and API tokens", "items": items}
