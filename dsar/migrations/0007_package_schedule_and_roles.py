from django.db import migrations

from portal.roles import grant_role_permissions, revoke_role_permissions

# name: (task, every, period); editable afterwards in the admin (django-celery-beat).
SCHEDULE = {
    "Purge delivered DSAR packages whose links have ended": ("dsar.delivery.tasks.purge_packages_task", 1, "hours"),
}

# The admin lists of packages, links and downloads: read-only, for those who see every request.
ROLES = {
    "privacy-officers": ["dsar.view_package", "dsar.view_deliverylink", "dsar.view_download", "dsar.view_erasurerecord"],
    "auditors": ["dsar.view_package", "dsar.view_deliverylink", "dsar.view_download", "dsar.view_erasurerecord"],
}


def forwards(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (task, every, period) in SCHEDULE.items():
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": interval})
    grant_role_permissions(apps, ROLES)


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=SCHEDULE).delete()
    revoke_role_permissions(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [
        ("dsar", "0006_package_delivery_erasure"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
