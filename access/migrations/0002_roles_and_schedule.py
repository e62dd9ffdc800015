from django.db import migrations

from portal.roles import grant_role_permissions, revoke_role_permissions

ROLES = {
    "access-admins": [
        "access.view_accessrequest",
        "access.view_grant",
        "access.view_decision",
        "access.view_grantextension",
        "access.decide_accessrequest",
        "access.revoke_grant",
        "access.revoke_all_access",
    ],
    "privacy-officers": [
        "access.view_accessrequest",
        "access.view_grant",
        "access.view_decision",
        "access.view_grantextension",
        "access.revoke_all_access",
        "access.review_breakglass",
    ],
    "auditors": [
        "access.view_accessrequest",
        "access.view_grant",
        "access.view_decision",
        "access.view_grantextension",
    ],
}

# name: (task, every, period); editable afterwards in the admin (django-celery-beat).
SCHEDULE = {
    "Expire due grants": ("access.tasks.expire_grants_task", 5, "minutes"),
    "Warn grantees 7 days before expiry": ("access.tasks.warn_expiring_grants_task", 1, "hours"),
    "Lapse requests undecided for 14 days": ("access.tasks.lapse_requests_task", 1, "hours"),
    "Escalate overdue break-glass reviews": ("access.tasks.escalate_break_glass_task", 15, "minutes"),
}


def forwards(apps, schema_editor):
    grant_role_permissions(apps, ROLES)
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (task, every, period) in SCHEDULE.items():
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": interval})


def backwards(apps, schema_editor):
    revoke_role_permissions(apps, ROLES)
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=SCHEDULE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
        ("portal", "0002_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
