"""Tamper evidence beyond the database: the keyed chain and the signed checkpoints.

Each case tampers as someone with database access but without ``AUDIT_KEY``
would, then runs ``manage.py verify_audit`` as an operator does.
"""

import hashlib
import importlib
import json
import logging

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django_celery_beat.models import PeriodicTask

from portal import audit
from portal.models import AuditChainHead, AuditEvent
from portal.tasks import audit_checkpoint_task
from portal.tests.test_audit import _append, _raw

pytestmark = pytest.mark.django_db
TABLE = AuditEvent._meta.db_table
HEAD = AuditChainHead._meta.db_table


def verify(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def _hash_of(sequence: int) -> str:
    return AuditEvent.objects.get(sequence=sequence).hash


def _move_head(sequence: int, hash_: str) -> None:
    _raw(f"UPDATE {HEAD} SET sequence = %s, hash = %s WHERE id = 1", [sequence, hash_])


def _rewrite_from(sequence: int, *, key: str) -> None:
    """Recompute every hash from ``sequence`` on, as an attacker would, with ``key`` (not AUDIT_KEY)."""
    prev = _hash_of(sequence - 1) if sequence > 1 else audit.GENESIS
    with override_settings(AUDIT_KEY=key):
        for event in AuditEvent.objects.filter(sequence__gte=sequence).order_by("sequence"):
            event.prev_hash = prev
            prev = audit.compute_hash(event)
            _raw(f"UPDATE {TABLE} SET prev_hash = %s, hash = %s WHERE id = %s", [event.prev_hash, prev, event.pk])
    _move_head(AuditEvent.objects.count(), prev)


def test_the_chain_is_keyed_with_the_audit_key():
    _append(2)
    event = AuditEvent.objects.get(sequence=2)
    assert event.hash != hashlib.sha256(audit.event_payload(event)).hexdigest()
    with override_settings(AUDIT_KEY="another-installation's-key"):
        assert audit.verify().sequence == 1
    assert audit.verify() is None


def test_an_edit_with_hashes_recomputed_without_the_key_is_caught():
    _append(5)
    _raw(f"UPDATE {TABLE} SET details = %s WHERE sequence = 2", ['{"i": 42}'])
    _rewrite_from(2, key="guessed-key")

    with pytest.raises(CommandError, match=r"event #2: its content does not match its keyed hash"):
        verify()


def test_a_forged_event_appended_with_a_plain_hash_is_caught():
    _append(3)
    forged = AuditEvent(
        sequence=4,
        created_at=AuditEvent.objects.get(sequence=3).created_at,
        actor_repr="system",
        action="access.grant.revoked",
        details={},
        prev_hash=_hash_of(3),
    )
    forged.hash = hashlib.sha256(audit.event_payload(forged)).hexdigest()
    forged.save()
    _move_head(4, forged.hash)

    with pytest.raises(CommandError, match=r"event #4: .*written without the audit key"):
        verify()


def test_a_forged_event_slipped_into_the_middle_is_caught():
    _append(4)
    _raw(f"UPDATE {TABLE} SET sequence = sequence + 10 WHERE sequence >= 3")
    _raw(f"UPDATE {TABLE} SET sequence = sequence - 9 WHERE sequence >= 13")
    fake = AuditEvent(
        sequence=3, created_at=AuditEvent.objects.get(sequence=2).created_at, action="x.y.z", prev_hash=_hash_of(2)
    )
    fake.hash = hashlib.sha256(audit.event_payload(fake)).hexdigest()
    fake.save()

    with pytest.raises(CommandError, match=r"event #3"):
        verify()


def test_the_newest_events_deleted_and_the_head_moved_back_are_caught_by_a_checkpoint():
    _append(5)
    audit.checkpoint_write()
    _raw(f"DELETE FROM {TABLE} WHERE sequence > 3")
    _move_head(3, _hash_of(3))

    # The configured checkpoint file is used by default ...
    with pytest.raises(CommandError, match=r"event #4: the log ends at #3 but the checkpoint of .* vouches for #5"):
        verify()


def test_without_checkpoints_verify_says_what_it_cannot_rule_out(settings, tmp_path):
    _append(3)
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "none-yet.jsonl"
    assert "no checkpoints, so events removed from the end would not show" in verify()


def test_a_wiped_table_with_the_head_reset_is_caught_by_a_checkpoint(settings, tmp_path):
    _append(4)
    kept = tmp_path / "shipped-elsewhere.jsonl"
    audit.checkpoint_write(path=kept)
    _raw(f"DELETE FROM {TABLE}")
    _move_head(0, audit.GENESIS)

    with pytest.raises(CommandError, match=r"event #1: the log ends at #0 but .* vouches for #4"):
        verify("--checkpoints", str(kept))


def test_a_rewritten_history_does_not_match_the_signed_checkpoint():
    _append(3)
    audit.checkpoint_write()
    _raw(f"UPDATE {TABLE} SET details = %s WHERE sequence = 3", ['{"i": 7}'])
    _rewrite_from(3, key="guessed-key")

    with pytest.raises(CommandError, match=r"event #3"):
        verify()


def test_an_intact_chain_passes_with_its_checkpoints(settings):
    _append(3)
    audit.checkpoint_write()
    _append(2)
    audit.checkpoint_write()

    out = verify("--checkpoints", str(settings.AUDIT_CHECKPOINT_FILE))

    assert "Audit chain intact: 5 events verified; all 2 signed checkpoints hold (latest #5" in out


@pytest.mark.parametrize(
    "tamper",
    [
        lambda line: {**line, "sequence": line["sequence"] - 1},
        lambda line: {**line, "hash": "f" * 64},
        lambda line: {**line, "time": "2020-01-01T00:00:00+00:00"},
        lambda line: {k: v for k, v in line.items() if k != "signature"},
    ],
    ids=["sequence", "hash", "time", "unsigned"],
)
def test_a_tampered_checkpoint_line_is_caught(settings, tamper):
    _append(3)
    audit.checkpoint_write()
    path = settings.AUDIT_CHECKPOINT_FILE
    line = json.loads(path.read_text())
    path.write_text(json.dumps(tamper(line)) + "\n")

    with pytest.raises(CommandError, match=r"Checkpoint file not trustworthy: .*line 1"):
        verify("--checkpoints", str(path))


def test_a_checkpoint_signed_with_another_key_is_refused(settings):
    _append(2)
    with override_settings(AUDIT_KEY="an-attackers-own-key"):
        forged = audit.Checkpoint(2, _hash_of(2), "2026-01-01T00:00:00+00:00").sign()
    settings.AUDIT_CHECKPOINT_FILE.write_text(forged.to_line())

    with pytest.raises(CommandError, match="signature does not match"):
        verify()


def test_a_missing_checkpoint_file_named_on_the_command_line_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        verify("--checkpoints", str(tmp_path / "nope.jsonl"))


# --- The checkpoint job -----------------------------------------------------------------


def test_the_checkpoint_job_appends_one_signed_line_and_logs_it(settings, caplog):
    _append(3)
    with caplog.at_level(logging.INFO, logger="portal.audit"):
        assert audit_checkpoint_task.delay().get() == 3

    [line] = settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()
    data = json.loads(line)
    assert (data["sequence"], data["hash"]) == (3, _hash_of(3))
    assert audit.Checkpoint(**data).is_authentic()
    assert data["signature"] in caplog.text


def test_the_checkpoint_job_run_again_without_new_events_writes_nothing(settings):
    _append(2)
    audit_checkpoint_task.delay()
    assert audit_checkpoint_task.delay().get() is None
    assert len(settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()) == 1

    _append(1)
    assert audit_checkpoint_task.delay().get() == 3
    assert len(settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()) == 2


def test_the_checkpoint_job_writes_nothing_for_an_empty_log(settings):
    assert audit.checkpoint_write() is None
    assert not settings.AUDIT_CHECKPOINT_FILE.exists()


def test_the_checkpoint_job_refuses_to_vouch_for_a_broken_chain(settings):
    _append(2)
    audit.checkpoint_write()
    _append(2)
    _raw(f"UPDATE {TABLE} SET action = 'x.y.z' WHERE sequence = 4")

    with pytest.raises(audit.CheckpointError, match="broken at event #4"):
        audit.checkpoint_write()
    assert len(settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()) == 1


def test_the_checkpoint_job_refuses_when_a_checkpointed_tail_is_gone():
    _append(3)
    audit.checkpoint_write()
    _raw(f"DELETE FROM {TABLE} WHERE sequence = 3")
    _append(1)  # the head row still says 3: the new event takes #4

    with pytest.raises(audit.CheckpointError, match="event #3 no longer matches"):
        audit.checkpoint_write()


def test_the_checkpoint_job_is_scheduled_hourly_and_editable_in_the_admin():
    task = PeriodicTask.objects.get(task="portal.tasks.audit_checkpoint_task")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (1, "hours")


# --- Upgrading a log written before the chain was keyed ---------------------------------


def _unkey_the_chain():
    prev = audit.GENESIS
    for event in AuditEvent.objects.order_by("sequence"):
        event.prev_hash = prev
        prev = hashlib.sha256(audit.event_payload(event)).hexdigest()
        _raw(f"UPDATE {TABLE} SET prev_hash = %s, hash = %s WHERE id = %s", [event.prev_hash, prev, event.pk])
    _move_head(AuditEvent.objects.count(), prev)


MIGRATION = "portal.migrations.0007_audit_readers_checkpoints_append_only"


def test_the_migration_keys_an_intact_unkeyed_chain():
    _append(4)
    _unkey_the_chain()
    assert audit.verify() is not None

    importlib.import_module(MIGRATION).key_the_chain(apps, None)

    assert audit.verify() is None


def test_the_migration_refuses_to_key_a_broken_unkeyed_chain():
    _append(3)
    _unkey_the_chain()
    _raw(f"UPDATE {TABLE} SET action = 'x.y.z' WHERE sequence = 2")

    with pytest.raises(RuntimeError, match="broken at event #2"):
        importlib.import_module(MIGRATION).key_the_chain(apps, None)


def test_the_checkpoint_job_refuses_when_the_table_was_wiped_and_says_so_in_the_log(caplog):
    _append(3)
    audit_checkpoint_task.delay()
    _raw(f"DELETE FROM {TABLE}")
    _move_head(0, audit.GENESIS)

    with pytest.raises(audit.CheckpointError, match="head is at #0, behind the checkpoint at #3"):
        audit_checkpoint_task.delay()
    assert "audit checkpoint refused" in caplog.text
