"""A package built by a real Celery worker that is killed with SIGKILL, half-way through the ZIP or after
writing it but before storing it, and started again: the redelivered task builds one package, once.

Runs with ``CELERY_TEST_BROKER_URL`` on PostgreSQL, like ``access/tests/test_campaigns_worker.py`` (CI does).
"""

from __future__ import annotations

import pytest
from django.db import connection

from dsar.models import Package, Request
from dsar.package import services
from dsar.package.assemble import BATCH
from dsar.tests.package_factories import request_in_review
from portal.models import AuditEvent
from portal.testing import make_user
from portal.tests import worker as workers

pytestmark = workers.MARKS

RECORDS = 3 * BATCH  # above the inline limit: a task builds it, telling its progress twice on the way


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("held", "where"),
    [
        (Package, "half-way through the ZIP (its progress update waits)"),
        (Request, "with the ZIP written, before storing it (the request's lock waits)"),
    ],
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the roles survive the flush
def test_a_build_killed_mid_way_is_finished_by_the_next_worker_with_one_package(held, where, tmp_path, settings):
    assert RECORDS > services.INLINE_MAX_ITEMS
    officer, handler = make_user("privacy_officer"), make_user("employee")
    req = request_in_review(officer, handler, records=RECORDS, recordings=0)
    log = tmp_path / "worker.log"
    env = {
        "CELERY_VISIBILITY_TIMEOUT": str(workers.KILLED_VISIBILITY_TIMEOUT),
        "PRIVATE_STORAGE_ROOT": str(settings.MEDIA_ROOT),  # the worker writes where this test looks
    }

    with workers.own_queue() as queue:
        package = services.package_build(actor=handler, request=req)  # committed; its task waits in the queue
        assert package.is_building
        row = package.pk if held is Package else req.pk
        table = held._meta.db_table
        with workers.row_locked(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [row]):
            first = workers.start(queue, log, **env)
            try:
                workers.wait_for(_waiting_on_a_lock, first, f"the worker waiting {where}", seconds=180)
                workers.kill(first)
            finally:
                workers.stop(first)
        package.refresh_from_db()
        assert package.is_building

        second = workers.start(queue, log, **env)
        try:
            workers.wait_for(
                lambda: Package.objects.get(pk=package.pk).is_built, second, "a built package", seconds=180
            )
        finally:
            workers.stop(second)

    package.refresh_from_db()
    assert Package.objects.filter(request=req).count() == 1
    assert package.item_count == RECORDS
    assert AuditEvent.objects.filter(action="dsar.package.built", target_id=str(req.pk)).count() == 1
    folder = settings.MEDIA_ROOT / "dsar" / str(req.pk) / "packages"
    assert [p.name for p in folder.iterdir()] == [package.file.name.rsplit("/", 1)[1]]  # the killed run's file swept
