"""The one permission gate. It is the only module that imports guardian.

Two kinds of right, both answered here:

* object permissions (guardian, direct foreign-key tables): a reviewer of one
  asset, the holder of one grant, the handler of one case;
* roles: the groups ``access-admins``, ``privacy-officers`` and ``auditors``
  hold *global* permissions (assigned by data migrations), which is why
  ``accept_global_perms`` is on: a global permission means "on every object".

Services call :func:`require` (403), selectors call :func:`visible` (filter)
and :func:`get_visible` (404 for missing and invisible alike).
"""

from __future__ import annotations

import functools

from django.contrib.auth.models import Permission
from django.db.models import Model, QuerySet
from django.db.models.signals import post_migrate
from guardian.shortcuts import assign_perm, get_objects_for_user, get_users_with_perms, remove_perm

from portal.errors import Forbidden, NotFound
from portal.models import ACCESS_ADMINS, AUDITORS, PRIVACY_OFFICERS


def _codename(perm: str) -> str:
    return perm.split(".", 1)[1]


def has(user, perm: str, obj: Model | None = None) -> bool:
    """True when ``user`` holds ``perm`` globally (a role) or on ``obj``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.has_perm(perm):
        return True
    return obj is not None and user.has_perm(perm, obj)


def require(user, perm: str, obj: Model | None = None, message: str | None = None) -> None:
    if not has(user, perm, obj):
        raise Forbidden(message or "You do not have permission to do this.")


def visible(user, perm: str | list[str], qs: QuerySet, *, any_perm: bool = True) -> QuerySet:
    """``qs`` narrowed to the objects ``user`` holds ``perm`` on (a constant number of queries)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    return get_objects_for_user(user, perm, klass=qs, any_perm=any_perm, accept_global_perms=True, with_superuser=True)


def get_visible(user, perm: str | list[str], qs: QuerySet, **lookup) -> Model:
    """One object the user may see, or :class:`NotFound` whether it is missing or hidden."""
    obj = visible(user, perm, qs).filter(**lookup).first()
    if obj is None:
        raise NotFound()
    return obj


def assign(perm: str, who, obj: Model) -> None:
    """Give ``who`` (a user or a group) ``perm`` on ``obj``."""
    assign_perm(perm, who, obj)


def remove(perm: str, who, obj: Model) -> None:
    remove_perm(perm, who, obj)


def holders(perm: str, obj: Model) -> QuerySet:
    """Users holding ``perm`` directly on ``obj`` (not through a role)."""
    return get_users_with_perms(obj, only_with_perms_in=[_codename(perm)], with_group_users=True)


def object_permission_model(obj_or_model, *, group: bool = False):
    """The direct foreign-key permission table for a model, for set-based jobs."""
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    return get_group_obj_perms_model(obj_or_model) if group else get_user_obj_perms_model(obj_or_model)


def permission(perm: str) -> Permission:
    app_label, codename = perm.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def in_role(user, *groups: str) -> bool:
    """Whether ``user`` belongs to one of the role groups (cached on the user object)."""
    if not user.is_authenticated:
        return False
    names = getattr(user, "_role_names", None)
    if names is None:
        names = set(user.groups.values_list("name", flat=True))
        user._role_names = names
    return user.is_superuser or bool(names.intersection(groups))


def is_access_admin(user) -> bool:
    return in_role(user, ACCESS_ADMINS)


def is_privacy_officer(user) -> bool:
    return in_role(user, PRIVACY_OFFICERS)


def is_auditor(user) -> bool:
    return in_role(user, AUDITORS)


def role_members(*groups: str) -> QuerySet:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_active=True, groups__name__in=groups).distinct()


# --- A global permission as SQL, for a statement that answers more than one question --------


@functools.cache
def permission_id(perm: str) -> int:
    """The id of ``perm``, looked up once per process (ids change only when the tables are rebuilt)."""
    return permission(perm).pk


def _forget_permission_ids(**kwargs) -> None:
    # A flush or a migration may recreate the permission rows under new ids.
    permission_id.cache_clear()
    holds_globally_sql.cache_clear()


post_migrate.connect(_forget_permission_ids, dispatch_uid="portal.permissions.forget_permission_ids")


@functools.cache
def holds_globally_sql(perm: str, user: str) -> tuple[str, tuple[int, int]]:
    """SQL for ``user.has_perm(perm)`` without an object, and its parameters.

    ``user`` is the alias of a user row in the caller's statement. True for a
    superuser, a user holding ``perm`` and a member of a group holding it: what
    :func:`has` answers for an active user, as one expression that rides along
    another query (the decision point asks it with the caller's token).
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection

    User = get_user_model()
    tables = (User.user_permissions.through, User.groups.through, Group.permissions.through)
    own, member, granted = (connection.ops.quote_name(m._meta.db_table) for m in tables)
    # Only quoted table names and the caller's alias are interpolated; the permission id is a parameter.
    sql = f"""({user}.is_superuser
        OR EXISTS (SELECT 1 FROM {own} up WHERE up.user_id = {user}.id AND up.permission_id = %s)
        OR EXISTS (SELECT 1 FROM {member} ug JOIN {granted} gp ON gp.group_id = ug.group_id
                   WHERE ug.user_id = {user}.id AND gp.permission_id = %s))"""  # noqa: S608
    pk = permission_id(perm)
    return sql, (pk, pk)
