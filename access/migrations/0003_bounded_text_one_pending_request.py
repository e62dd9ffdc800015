from django.db import migrations, models
from django.db.models import Count


def refuse_duplicate_pending(apps, schema_editor):
    """The constraint cannot be added over duplicates; name them rather than change requests unaudited.

    ``request_create`` always refused a second pending request, so only a race can have left one.
    """
    AccessRequest = apps.get_model("access", "AccessRequest")
    duplicates = (
        AccessRequest.objects.filter(status="pending")
        .values("requester_id", "asset_id", "scope")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    if duplicates:
        ids = sorted(
            pk
            for d in duplicates
            for pk in AccessRequest.objects.filter(
                status="pending", requester_id=d["requester_id"], asset_id=d["asset_id"], scope=d["scope"]
            ).values_list("pk", flat=True)
        )
        raise RuntimeError(
            "Duplicate pending access requests (same requester, asset and scope): "
            f"{', '.join(map(str, ids))}. Cancel or deny all but one of each, then run migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0002_roles_and_schedule"),
    ]

    operations = [
        # State only (a TextField's max_length is not a column change): forms, serializers and the schema read it.
        migrations.AlterField(
            model_name="accessrequest",
            name="justification",
            field=models.TextField(max_length=2000),
        ),
        migrations.AlterField(
            model_name="decision",
            name="comment",
            field=models.TextField(blank=True, max_length=1000),
        ),
        migrations.AlterField(
            model_name="grant",
            name="justification",
            field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AlterField(
            model_name="grant",
            name="review_comment",
            field=models.TextField(blank=True, max_length=1000),
        ),
        migrations.AlterField(
            model_name="grant",
            name="revoke_reason",
            field=models.TextField(blank=True, max_length=1100),
        ),
        migrations.RunPython(refuse_duplicate_pending, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="accessrequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "pending")),
                fields=("requester", "asset", "scope"),
                name="one_pending_request_per_scope",
            ),
        ),
    ]
