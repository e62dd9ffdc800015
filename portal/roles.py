"""Role groups and their global permissions, set up by data migrations.

A role is a group holding *global* permissions, e.g. ``access-admins`` hold
``portal.change_dataasset`` (they change every asset's record). Rights carried by
access grants (``portal.use_dataasset`` and its kin) are never a role's. Each app's data migration calls
:func:`grant_role_permissions` for the permissions it defines.
"""

from __future__ import annotations

from django.contrib.auth.management import create_permissions

from portal.permissions import split


def grant_role_permissions(apps, mapping: dict[str, list[str]]) -> None:
    # Django creates permissions after the last migration (post_migrate);
    # a data migration that hands them out must create them first.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, perms in mapping.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for perm in perms:
            app_label, codename = split(perm)
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke_role_permissions(apps, mapping: dict[str, list[str]]) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, perms in mapping.items():
        group = Group.objects.filter(name=group_name).first()
        if group is None:
            continue
        for perm in perms:
            app_label, codename = split(perm)
            group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))
