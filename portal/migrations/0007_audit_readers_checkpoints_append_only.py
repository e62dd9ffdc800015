"""Audit log: its readers, the checkpoint job, a keyed chain, and (PostgreSQL) append-only rows.

* appends get cheaper: the hash loses its unique index (the chain proves integrity,
  not the index) and the action's LIKE index becomes an (action, sequence) index;
* access admins and privacy officers read the log (auditors already do);
* a beat row runs the checkpoint job hourly (editable in the admin);
* events written before the chain was keyed are verified with the old plain
  SHA-256 and re-hashed with AUDIT_KEY (a broken old chain stops the migration);
* on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE of audit rows.
  TRUNCATE passes only inside a transaction that set ``portal.audit_maintenance``
  to ``on``: the test suite's flush between transactional tests does that
  (``portal/testenv.py``), nothing in the portal does.
"""

import hashlib

from django.db import migrations, models

from portal.roles import grant_role_permissions, revoke_role_permissions

ROLES = {
    "access-admins": ["portal.view_auditevent"],
    "privacy-officers": ["portal.view_auditevent"],
}
CHECKPOINT_TASK = "Sign an audit checkpoint"

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION portal_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('portal.audit_maintenance', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % of % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER portal_auditevent_append_only BEFORE UPDATE OR DELETE ON portal_auditevent
    FOR EACH ROW EXECUTE FUNCTION portal_audit_append_only();
CREATE TRIGGER portal_auditevent_no_truncate BEFORE TRUNCATE ON portal_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION portal_audit_append_only();
"""
DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS portal_auditevent_no_truncate ON portal_auditevent;
DROP TRIGGER IF EXISTS portal_auditevent_append_only ON portal_auditevent;
DROP FUNCTION IF EXISTS portal_audit_append_only();
"""


def readers(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


def no_readers(apps, schema_editor):
    revoke_role_permissions(apps, ROLES)


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        name=CHECKPOINT_TASK, defaults={"task": "portal.tasks.audit_checkpoint_task", "interval": interval}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=CHECKPOINT_TASK).delete()


def key_the_chain(apps, schema_editor):
    from portal import audit

    AuditEvent = apps.get_model("portal", "AuditEvent")
    AuditChainHead = apps.get_model("portal", "AuditChainHead")
    prev, keyed, batch = audit.GENESIS, None, []
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        if keyed is None and audit.compute_hash(event) == event.hash:
            return  # already keyed
        if event.prev_hash != prev or hashlib.sha256(audit.event_payload(event)).hexdigest() != event.hash:
            raise RuntimeError(
                f"Audit chain broken at event #{event.sequence} before it was keyed; run verify_audit "
                "from the previous release and investigate before migrating."
            )
        prev = event.hash
        event.prev_hash = keyed or audit.GENESIS
        event.hash = keyed = audit.compute_hash(event)
        batch.append(event)
        if len(batch) >= 2000:
            AuditEvent.objects.bulk_update(batch, ["prev_hash", "hash"])
            batch = []
    AuditEvent.objects.bulk_update(batch, ["prev_hash", "hash"])
    if keyed is not None:
        AuditChainHead.objects.filter(pk=1).update(hash=keyed)


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)


def not_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_APPEND_ONLY, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0006_access_admins_do_not_administer_data_systems"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        # Cheaper appends: no unique index on the (random) hash, no LIKE index on the action.
        migrations.AlterField(model_name="auditevent", name="action", field=models.CharField(max_length=100)),
        migrations.AlterField(model_name="auditevent", name="hash", field=models.CharField(max_length=64)),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["action", "sequence"], name="portal_audit_action_seq"),
        ),
        migrations.RunPython(readers, no_readers),
        migrations.RunPython(schedule, unschedule),
        migrations.RunPython(key_the_chain, migrations.RunPython.noop),
        migrations.RunPython(append_only, not_append_only),
    ]
