from django.db import migrations

from portal.roles import grant_role_permissions, revoke_role_permissions

ROLES = {
    # Manage data assets and their reviewers.
    "access-admins": [
        "portal.add_dataasset",
        "portal.change_dataasset",
        "portal.view_dataasset",
        "portal.admin_dataasset",
    ],
    "privacy-officers": ["portal.view_dataasset"],
    # Read everything, change nothing.
    "auditors": ["portal.view_dataasset", "portal.view_auditevent"],
}


def forwards(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


def backwards(apps, schema_editor):
    revoke_role_permissions(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
