from django.db import migrations

# Connector tasks whose worker died mid-collection are queued again; editable in the admin (django-celery-beat).
RESUME = "Resume DSAR collection tasks whose worker died"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=RESUME, defaults={"task": "dsar.tasks.resume_collection_task", "interval": interval}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=RESUME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dsar", "0009_sqltable_customer_id_column"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
