from django.db import migrations, models


def copy_sources(apps, schema_editor):
    """Packages built before the column carry their per-source summary only inside the manifest."""
    Package = apps.get_model("dsar", "Package")
    for package in Package.objects.only("pk", "manifest").iterator(chunk_size=50):
        Package.objects.filter(pk=package.pk).update(sources=package.manifest.get("sources", []))


class Migration(migrations.Migration):
    dependencies = [
        ("dsar", "0010_collection_resume_schedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="package",
            name="sources",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(copy_sources, migrations.RunPython.noop),
    ]
