"""Access admins run the portal's record of assets; they do not administer the data systems.

``portal.admin_dataasset`` is what an ``admin`` grant carries (a DBA on the
customer database); held globally by the role it mixed the two kinds of admin.
"""

from django.db import migrations

from portal.roles import grant_role_permissions, revoke_role_permissions

REMOVED = {"access-admins": ["portal.admin_dataasset"]}


def forwards(apps, schema_editor):
    revoke_role_permissions(apps, REMOVED)


def backwards(apps, schema_editor):
    grant_role_permissions(apps, REMOVED)


class Migration(migrations.Migration):
    dependencies = [("portal", "0005_bounded_asset_text")]

    operations = [migrations.RunPython(forwards, backwards)]
