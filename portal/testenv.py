"""pytest plugin loaded before Django is set up (``-p portal.testenv``): picks the test profile."""

import os

os.environ.setdefault("DJANGO_ENV", "test")


def pytest_configure(config):
    _let_test_flushes_truncate_the_audit_log()


def _let_test_flushes_truncate_the_audit_log() -> None:
    """On PostgreSQL a trigger refuses TRUNCATE of audit rows (migration portal 0006).

    Transactional tests end with ``flush``, which truncates every table. Only here,
    in the test run, does a flush open the trigger's one narrow door: the setting
    ``portal.audit_maintenance``, local to the flush's own transaction.
    """
    try:
        from django.db.backends.postgresql.operations import DatabaseOperations
    except ImportError:  # no psycopg: no PostgreSQL either
        return
    sql_flush = DatabaseOperations.sql_flush
    if getattr(sql_flush, "opens_audit_log", False):
        return

    def flush_with_audit_maintenance(self, style, tables, **kwargs):
        statements = sql_flush(self, style, tables, **kwargs)
        if statements:
            statements = ["SELECT set_config('portal.audit_maintenance', 'on', true)", *statements]
        return statements

    flush_with_audit_maintenance.opens_audit_log = True
    DatabaseOperations.sql_flush = flush_with_audit_maintenance
