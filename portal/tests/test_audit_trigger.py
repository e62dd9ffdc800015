"""PostgreSQL refuses UPDATE, DELETE and TRUNCATE of audit rows, whoever asks (migration portal 0006)."""

import pytest
from django.db import DatabaseError, connection, transaction

from portal import audit
from portal.models import AuditEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
TABLE = AuditEvent._meta.db_table


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")


def _refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql)
    return str(caught.value)


@pytest.mark.parametrize(
    ("sql", "verb"),
    [
        (f"UPDATE {TABLE} SET action = 'x.y.z' WHERE sequence = 1", "UPDATE"),
        (f"UPDATE {TABLE} SET hash = hash", "UPDATE"),
        (f"DELETE FROM {TABLE} WHERE sequence = 2", "DELETE"),
        (f"DELETE FROM {TABLE}", "DELETE"),
        (f"TRUNCATE {TABLE}", "TRUNCATE"),
        (f"TRUNCATE {TABLE} RESTART IDENTITY CASCADE", "TRUNCATE"),
    ],
)
def test_the_database_refuses_to_change_or_remove_audit_rows(sql, verb):
    audit.record(actor=None, action="test.thing.done")
    audit.record(actor=None, action="test.thing.done")

    message = _refused(sql)

    assert f"audit events are append-only: {verb} of {TABLE} refused" in message
    assert list(AuditEvent.objects.values_list("sequence", flat=True)) == [1, 2]
    assert audit.verify() is None


def test_the_maintenance_setting_opens_truncate_only_never_update_or_delete():
    audit.record(actor=None, action="test.thing.done")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT set_config('portal.audit_maintenance', 'on', true)")
        assert "UPDATE" in _refused(f"UPDATE {TABLE} SET action = 'x'")
        assert "DELETE" in _refused(f"DELETE FROM {TABLE}")
        cur.execute(f"TRUNCATE {TABLE}")  # what the test suite's flush does between transactional tests
        assert not AuditEvent.objects.exists()
        transaction.set_rollback(True)
    assert AuditEvent.objects.count() == 1


def test_appending_still_works():
    audit.record(actor=None, action="test.thing.done")
    audit.record_many(actor=None, entries=[audit.Entry("test.thing.done")] * 3)
    assert AuditEvent.objects.count() == 4
    assert audit.verify() is None
