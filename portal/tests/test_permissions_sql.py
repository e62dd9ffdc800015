"""``permissions.holds_globally_sql``: the SQL spelling of a global permission answers as ``permissions.has``."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from portal import permissions
from portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PERM = "access.check_access"


def _holds_in_sql(user) -> bool:
    holds, params = permissions.holds_globally_sql(PERM, "u")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {holds} FROM {get_user_model()._meta.db_table} u WHERE u.id = %s", [*params, user.pk])
        return bool(cursor.fetchone()[0])


@pytest.mark.parametrize("how", ["own", "group", "superuser", "none", "other permission"])
def test_the_sql_answers_as_has_perm(how):
    user = UserFactory(username="svc", is_superuser=how == "superuser")
    if how == "own":
        user.user_permissions.add(permissions.permission(PERM))
    elif how == "group":
        group = Group.objects.create(name="callers")
        group.permissions.add(permissions.permission(PERM))
        user.groups.add(group)
    elif how == "other permission":
        user.user_permissions.add(permissions.permission("access.revoke_grant"))
    user = get_user_model().objects.get(pk=user.pk)  # no cached permissions

    assert _holds_in_sql(user) is permissions.has(user, PERM) is (how in {"own", "group", "superuser"})


def test_the_permission_id_is_forgotten_when_migrations_recreate_the_permission():
    stale = permissions.permission_id(PERM)
    Permission.objects.filter(pk=stale).delete()

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")  # as migrate and flush do

    assert permissions.permission_id(PERM) == permissions.permission(PERM).pk != stale
