from django.db import migrations

from portal.roles import grant_role_permissions, revoke_role_permissions

ROLES = {
    # See and run every request, and assign its handlers (the dsar.* permissions, globally).
    "privacy-officers": [
        "dsar.view_request",
        "dsar.add_request",
        "dsar.change_request",
        "dsar.assign_request",
        "dsar.view_task",
        "dsar.change_task",
        "dsar.view_item",
        "dsar.view_pause",
    ],
    # Read everything, change nothing (as for incidents).
    "auditors": ["dsar.view_request"],
}


def forwards(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


def backwards(apps, schema_editor):
    revoke_role_permissions(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [("dsar", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
