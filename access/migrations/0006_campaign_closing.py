from django.db import migrations, models
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce


def count_applied(apps, schema_editor):
    """Campaigns closed before the counter existed: applied is what their items say."""
    Campaign = apps.get_model("access", "Campaign")
    ReviewItem = apps.get_model("access", "ReviewItem")
    applied = (
        ReviewItem.objects.filter(campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(n=Count("pk", filter=Q(applied_at__isnull=False)))
        .values("n")
    )
    Campaign.objects.filter(status="closed").update(
        applied_count=Coalesce(Subquery(applied, output_field=IntegerField()), 0)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0005_review_decisions"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="applied_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="campaign",
            name="closing_started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(count_applied, migrations.RunPython.noop),
    ]
