from django.db import migrations

from portal.roles import grant_role_permissions, revoke_role_permissions

CONFIGURE = [f"dsar.{verb}_{model}" for model in ("sqlsource", "sqltable") for verb in ("view", "add", "change", "delete")]
ROLES = {
    # Access admins manage the assets; privacy officers run the requests the connectors serve.
    "access-admins": CONFIGURE,
    "privacy-officers": CONFIGURE,
}


def forwards(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


def backwards(apps, schema_editor):
    revoke_role_permissions(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [("dsar", "0004_sql_connector")]

    operations = [migrations.RunPython(forwards, backwards)]
