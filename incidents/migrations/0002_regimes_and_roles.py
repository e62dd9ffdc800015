from django.db import migrations

from portal.roles import grant_role_permissions, revoke_role_permissions

EU = [
    "EU", "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
    "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    # The EEA applies the GDPR too.
    "EEA", "IS", "LI", "NO",
]  # fmt: skip

REGIMES = [
    # Art. 33: the regulator within 72 hours of awareness; Art. 34: subjects without undue delay.
    {"code": "gdpr", "name": "GDPR", "regulator": "Lead supervisory authority", "jurisdictions": EU},
    {"code": "uk-gdpr", "name": "UK GDPR", "regulator": "Information Commissioner's Office", "jurisdictions": ["UK", "GB"]},
]

ROLES = {
    # See and run every incident, and assign its handlers.
    "privacy-officers": [
        "incidents.view_incident",
        "incidents.change_incident",
        "incidents.assign_incident",
    ],
    # Read everything, change nothing.
    "auditors": ["incidents.view_incident"],
}


def forwards(apps, schema_editor):
    Regime = apps.get_model("incidents", "Regime")
    for regime in REGIMES:
        Regime.objects.update_or_create(code=regime["code"], defaults={**regime, "regulator_hours": 72})
    grant_role_permissions(apps, ROLES)


def backwards(apps, schema_editor):
    revoke_role_permissions(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
