"""The one permission gate. It is the only module that imports guardian.

Two kinds of right, both answered here:

* object permissions (guardian, direct foreign-key tables): a reviewer of one
  asset, the holder of one grant, the handler of one case;
* roles: the groups ``access-admins``, ``privacy-officers`` and ``auditors``
  hold *global* permissions (assigned by data migrations), which is why
  ``accept_global_perms`` is on: a global permission means "on every object".

Services call :func:`require` (403), selectors call :func:`visible` (filter)
and :func:`get_visible` (404 for missing and invisible alike). Jobs that change
many rights at once use the set-based :func:`assign_many`, :func:`remove_many`
and :func:`remove_carried` (one statement per batch, on the direct tables);
lists that show who holds a right use :func:`prefetch_holders`.

Some object permissions are *carried* by another app's rows (an access grant
carries ``portal.use_dataasset``): that app registers, in ``AppConfig.ready``,
which rows hold the right now (:func:`register_carrier`), and :func:`has` and
:func:`visible` answer from those rows, never from the guardian rows derived
from them. So a grant past its expiry gives nothing, sweep or no sweep, and no
global permission or hand-assigned guardian row can stand in for a grant.

Auditors read everything and change nothing: the rights that mean working a
case are registered (:func:`register_work`), an auditor is never given one
(:func:`work_refusal`), and one an auditor holds on an object anyway counts for
nothing here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache, reduce
from operator import or_
from typing import TypeVar, cast

from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, ForeignObjectRel, Model, OuterRef, Prefetch, Q, QuerySet
from django.db.models.signals import post_migrate
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from guardian.shortcuts import assign_perm, get_objects_for_user, get_users_with_perms, remove_perm

from portal.errors import Forbidden, NotFound
from portal.models import ACCESS_ADMINS, AUDITORS, PRIVACY_OFFICERS

M = TypeVar("M", bound=Model)

# A right given or taken in bulk: (user id, object id, "app_label.codename").
Row = tuple[int, int, str]

# Rows per INSERT or DELETE in the bulk helpers (SQLite allows 32,766 parameters in one statement).
BATCH = 1000


def split(perm: str) -> tuple[str, str]:
    """``"portal.use_dataasset"`` → ``("portal", "use_dataasset")``: the one place a permission name is parsed."""
    app_label, _, codename = perm.partition(".")
    if not app_label or not codename:
        raise ValueError(f"A permission is named 'app_label.codename', not {perm!r}.")
    return app_label, codename


def codename(perm: str) -> str:
    return split(perm)[1]


# perm -> function(user) giving the primary keys of the objects on which ``user`` holds it now.
_carriers: dict[str, Callable[..., QuerySet]] = {}


def register_carrier(perm: str, held_by: Callable[..., QuerySet]) -> None:
    """Answer ``perm`` from another app's rows: ``held_by(user)`` is a values queryset of object ids."""
    _carriers[perm] = held_by


def _carried(user, perm: str, qs: QuerySet) -> QuerySet:
    return qs.filter(pk__in=_carriers[perm](user))


# Object permissions that mean working a case (an incident, a DSAR), registered by their apps.
_work: set[str] = set()


def register_work(*perms: str) -> None:
    """Mark ``perms`` as working a case: auditors never hold them on an object (see :func:`work_refusal`)."""
    _work.update(perms)


def _audits(user) -> bool:
    # Membership itself, not in_role(): a superuser is no auditor here.
    return AUDITORS in role_names(user)


def work_refusal(user) -> str | None:
    """Why ``user`` may not be given a case to work (made a handler), or ``None`` when they may.

    Auditors read every case and work none (spec, "Users and roles"): an auditor is never made a
    handler, and a case-work right an auditor holds on an object anyway (given before this rule, or
    by hand) counts for nothing in :func:`has` and :func:`visible`.
    """
    if not user.is_active:
        return f"{user} is inactive."
    if _audits(user):
        return f"{user} is an auditor: auditors read cases, they do not work them."
    return None


def has(user, perm: str, obj: Model | None = None) -> bool:
    """True when ``user`` holds ``perm`` globally (a role) or on ``obj``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if perm in _carriers:
        return obj is not None and _carried(user, perm, type(obj)._default_manager.filter(pk=obj.pk)).exists()
    if user.has_perm(perm):
        return True
    if obj is None or (perm in _work and _audits(user)):
        return False
    return user.has_perm(perm, obj)


def require(user, perm: str, obj: Model | None = None, message: str | None = None) -> None:
    if not has(user, perm, obj):
        raise Forbidden(message or "You do not have permission to do this.")


def visible(user, perm: str | list[str], qs: QuerySet, *, any_perm: bool = True) -> QuerySet:
    """``qs`` narrowed to the objects ``user`` holds ``perm`` on (a constant number of queries)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if isinstance(perm, str) and perm in _carriers:
        return _carried(user, perm, qs)
    if not isinstance(perm, str) and _carriers.keys() & set(perm):
        raise ValueError("Ask for a carried permission on its own.")
    if not isinstance(perm, str) and _work & set(perm):
        raise ValueError("Ask for a case-work permission on its own.")
    if isinstance(perm, str) and perm in _work and _audits(user) and not user.has_perm(perm):
        return qs.none()
    return get_objects_for_user(user, perm, klass=qs, any_perm=any_perm, accept_global_perms=True, with_superuser=True)


def get_visible(qs: QuerySet[M], pk, *, user=None, perm: str | list[str] | None = None) -> M:
    """The object ``pk`` of ``qs``, or :class:`NotFound` whether it is missing, hidden or not an id at all.

    ``qs`` is what the caller's selector already narrowed to the user's view; with
    ``user`` and ``perm`` it is narrowed here through :func:`visible` as well.
    """
    from portal.selectors import is_id  # portal.selectors imports this module

    if user is not None and perm is not None:
        qs = visible(user, perm, qs)
    obj = qs.filter(pk=pk).first() if is_id(pk) else None
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
    # Without attach_perms guardian answers a queryset of users, not a dict.
    users = cast(QuerySet, get_users_with_perms(obj, only_with_perms_in=[codename(perm)], with_group_users=True))
    return users.exclude(groups__name=AUDITORS) if perm in _work else users


def held_directly(user, perm: str, qs: QuerySet[M]) -> QuerySet[M]:
    """The objects of ``qs`` on which ``user`` holds ``perm`` by a row of their own (not through a role)."""
    app_label, name = split(perm)
    rows = object_permission_model(qs.model)._default_manager.filter(
        user=user, permission__content_type__app_label=app_label, permission__codename=name
    )
    return qs.filter(pk__in=rows.values("content_object_id"))


def prefetch_holders(qs: QuerySet[M], perm: str, *, to_attr: str) -> QuerySet[M]:
    """``qs`` with the users holding ``perm`` directly on each object, in one query for the whole page.

    Each object gets ``to_attr``: a list of permission rows, each with its ``user`` loaded.
    """
    relation = _direct_relation(qs.model, UserObjectPermissionBase)
    app_label, name = split(perm)
    rows = relation.related_model._default_manager.filter(
        permission__content_type__app_label=app_label, permission__codename=name
    )
    if perm in _work:
        rows = rows.exclude(user__groups__name=AUDITORS)
    accessor = relation.get_accessor_name()
    if accessor is None:
        raise ImproperlyConfigured(f"{relation} has no reverse accessor.")
    return qs.prefetch_related(Prefetch(accessor, queryset=rows.select_related("user"), to_attr=to_attr))


def _direct_relation(model: type[Model], base: type) -> ForeignObjectRel:
    # Found from the model's relations, without a query: building a queryset
    # (e.g. for the API schema) must not touch the database.
    for relation in model._meta.related_objects:
        if relation.field.name == "content_object" and issubclass(relation.related_model, base):
            return relation
    raise ImproperlyConfigured(f"{model.__name__} has no direct {base.__name__} table (STYLE.md §4).")


def object_permission_model(obj_or_model, *, group: bool = False) -> type[Model]:
    """The direct foreign-key permission table for a model (tests and the helpers below)."""
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    return _direct_relation(model, GroupObjectPermissionBase if group else UserObjectPermissionBase).related_model


def user_table(model: type[Model]) -> str:
    """The database table of ``model``'s direct user-permission rows, for a job's own set-based SQL.

    Its columns: ``user_id``, ``permission_id``, ``content_object_id``.
    """
    return object_permission_model(model)._meta.db_table


def permission(perm: str) -> Permission:
    app_label, name = split(perm)
    return Permission.objects.get(content_type__app_label=app_label, codename=name)


def permission_ids(perms: Iterable[str]) -> dict[str, int]:
    """The ``auth_permission`` id of each named permission, in one query."""
    wanted = {split(p): p for p in perms}
    if not wanted:
        return {}
    match = reduce(or_, (Q(content_type__app_label=a, codename=c) for a, c in wanted))
    rows = Permission.objects.filter(match).values_list("content_type__app_label", "codename", "pk")
    found = {wanted[(a, c)]: pk for a, c, pk in rows}
    missing = set(wanted.values()) - set(found)
    if missing:
        raise Permission.DoesNotExist(f"No such permission: {', '.join(sorted(missing))}.")
    return found


def held_rows(model: type[Model], perms: Iterable[str]) -> Iterable[Row]:
    """Every direct user right of the named kinds on objects of ``model``, streamed (for drift checks)."""
    by_id = {pk: perm for perm, pk in permission_ids(perms).items()}
    rows = object_permission_model(model)._default_manager.filter(permission_id__in=by_id)
    for user_id, obj_id, perm_id in rows.values_list("user_id", "content_object_id", "permission_id").iterator():
        yield user_id, obj_id, by_id[perm_id]


def _batches(rows: Iterable[Row]) -> Iterable[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def assign_many(model: type[Model], rows: Iterable[Row]) -> int:
    """Give many users rights on many objects of ``model``: bulk INSERTs, rows already held are kept.

    Returns the number of rows sent (those already held included).
    """
    table = object_permission_model(model)
    rows = list(rows)
    ids = permission_ids({perm for _, _, perm in rows})
    table._default_manager.bulk_create(
        [table(user_id=u, content_object_id=o, permission_id=ids[p]) for u, o, p in rows],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    return len(rows)


def remove_many(model: type[Model], rows: Iterable[Row]) -> int:
    """Take many rights on objects of ``model`` away: one DELETE per batch of rows. Returns rows deleted."""
    table = object_permission_model(model)
    rows = list(rows)
    ids = permission_ids({perm for _, _, perm in rows})
    deleted = 0
    for batch in _batches(rows):
        match = reduce(or_, (Q(user_id=u, content_object_id=o, permission_id=ids[p]) for u, o, p in batch))
        deleted += table._default_manager.filter(match).delete()[0]
    return deleted


def remove_carried(model: type[Model], source: QuerySet, *, user: str, obj: str, permission_id: str) -> int:
    """Delete, in ONE statement, the rights on ``model`` that the rows of ``source`` carried.

    ``user``, ``obj`` and ``permission_id`` name the fields (or annotations) of
    ``source`` that hold each right's user id, object id and permission id, e.g.
    the ended grants of a batch. Returns the number of rows deleted.
    """
    carried = source.filter(**{user: OuterRef("user_id"), obj: OuterRef("content_object_id")}).filter(
        **{permission_id: OuterRef("permission_id")}
    )
    return object_permission_model(model)._default_manager.filter(Exists(carried)).delete()[0]


def role_names(user) -> set[str]:
    """The names of the groups ``user`` belongs to (cached on the user object)."""
    if user is None or not user.is_authenticated:
        return set()
    names = getattr(user, "_role_names", None)
    if names is None:
        names = set(user.groups.values_list("name", flat=True))
        user._role_names = names
    return names


def in_role(user, *groups: str) -> bool:
    """Whether ``user`` belongs to one of the role groups; a superuser belongs to all."""
    if not user.is_authenticated:
        return False
    names = role_names(user)
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


@cache
def permission_id(perm: str) -> int:
    """The id of ``perm``, looked up once per process (ids change only when the tables are rebuilt)."""
    return permission(perm).pk


def _forget_permission_ids(**kwargs) -> None:
    # A flush or a migration may recreate the permission rows under new ids.
    permission_id.cache_clear()
    holds_globally_sql.cache_clear()


post_migrate.connect(_forget_permission_ids, dispatch_uid="portal.permissions.forget_permission_ids")


@cache
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
                   WHERE ug.user_id = {user}.id AND gp.permission_id = %s))"""  # noqa: S608  # nosec B608
    pk = permission_id(perm)
    return sql, (pk, pk)
