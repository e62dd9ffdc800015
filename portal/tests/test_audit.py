import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from portal import audit
from portal.models import AuditChainHead, AuditEvent


def _append(n, actor=None):
    for i in range(n):
        audit.record(actor=actor, action="test.thing.done", details={"i": i})


def _raw(sql, params=()):
    # Tampering the way an attacker with database access would: behind the ORM's back. On PostgreSQL
    # they own the table too and switch its append-only trigger off (rolled back with the test).
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"ALTER TABLE {AuditEvent._meta.db_table} DISABLE TRIGGER USER")
        cur.execute(sql, params)


@pytest.mark.django_db
def test_record_links_each_event_to_the_one_before(employee):
    _append(3, actor=employee)
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[0].prev_hash == audit.GENESIS
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert events[0].actor_repr == "emma"
    call_command("verify_audit")


@pytest.mark.django_db
def test_verify_audit_names_an_edited_event():
    _append(4)
    table = AuditEvent._meta.db_table
    _raw(f"UPDATE {table} SET details = %s WHERE sequence = 3", ['{"i": 99}'])
    with pytest.raises(CommandError, match=r"#3.*edited"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_verify_audit_names_a_deleted_event():
    _append(4)
    _raw(f"DELETE FROM {AuditEvent._meta.db_table} WHERE sequence = 2")
    with pytest.raises(CommandError, match="#2 is missing"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_verify_audit_catches_a_deleted_last_event():
    _append(3)
    _raw(f"DELETE FROM {AuditEvent._meta.db_table} WHERE sequence = 3")
    with pytest.raises(CommandError, match="ends at #2"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_verify_audit_catches_reordered_events():
    _append(4)
    table = AuditEvent._meta.db_table
    # Swap the positions of events 2 and 3.
    _raw(f"UPDATE {table} SET sequence = 100 WHERE sequence = 2")
    _raw(f"UPDATE {table} SET sequence = 2 WHERE sequence = 3")
    _raw(f"UPDATE {table} SET sequence = 3 WHERE sequence = 100")
    with pytest.raises(CommandError, match="#2"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_events_cannot_be_changed_or_deleted_through_the_orm():
    event = audit.record(actor=None, action="test.thing.done")
    event.action = "something.else"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_event():
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012 - the raise inside rolls the transaction back
        audit.record(actor=None, action="test.thing.done")
        raise RuntimeError
    assert AuditEvent.objects.count() == 0
    call_command("verify_audit")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_leave_one_valid_chain():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    threads, per_thread, errors = 6, 15, []

    def worker():
        try:
            _append(per_thread)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors
    assert AuditEvent.objects.count() == threads * per_thread
    assert AuditChainHead.objects.get().sequence == threads * per_thread
    assert audit.verify() is None


@pytest.mark.django_db
def test_a_large_batch_is_stored_exactly_as_hashed():
    # Past COPY_FROM events PostgreSQL takes the batch by COPY: awkward text must survive it unchanged.
    awkward = {"note": "tab\there, new\nline, back\\slash, «quotes» ünïcode", "n": [1, 2.5, None, True]}
    entries = [audit.Entry("test.thing.done", details={**awkward, "i": i}) for i in range(audit.COPY_FROM + 100)]

    audit.record_many(actor=None, entries=entries)

    assert AuditEvent.objects.count() == audit.COPY_FROM + 100
    assert AuditEvent.objects.get(sequence=7).details == {**awkward, "i": 6}
    assert audit.verify() is None
