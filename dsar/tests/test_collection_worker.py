"""A DSAR collection task on a real Celery worker killed with SIGKILL after it stored the items and before
it marked the task done: restarted, the worker takes the task over (it was "running" with nobody holding
it) and collects again from nothing, so the request gets each item once and moves on to review.

Runs with ``CELERY_TEST_BROKER_URL`` on PostgreSQL, like ``portal/tests/test_celery_worker.py`` (CI does).
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from dsar import services
from dsar.connectors.models import SqlSource, SqlTable
from dsar.models import Item, Request, Task
from dsar.services import collection
from dsar.tasks import collect_task
from dsar.tests.factories import make_request
from portal.models import AuditEvent
from portal.tests import worker as workers
from portal.tests.factories import DataAssetFactory

pytestmark = workers.MARKS

ROWS = 3


@pytest.fixture
def crm(tmp_path):
    """An asset whose SQL source is a small SQLite file both this process and the worker read."""
    path = tmp_path / "crm.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE contacts (email TEXT, note TEXT)")
        db.executemany("INSERT INTO contacts VALUES (?, ?)", [("ann@example.com", f"note {i}") for i in range(ROWS)])
    asset = DataAssetFactory(name="CRM", holds_personal_data=True)
    source = SqlSource.objects.create(asset=asset, url=f"sqlite:///{path}")
    SqlTable.objects.create(source=source, table="contacts", identifier_column="email", identifier_kind="email")
    return asset


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_collection_killed_before_it_finished_is_collected_once_after_a_restart(privacy_officer, crm, tmp_path):
    env = {"CELERY_VISIBILITY_TIMEOUT": str(workers.KILLED_VISIBILITY_TIMEOUT)}
    log = tmp_path / "worker.log"
    with workers.own_queue() as queue:
        request = make_request(verified=True)
        services.collection_start(actor=privacy_officer, request=request)  # queued on commit
        task = Task.objects.get(request=request)

        # Once its items are stored the worker locks the request to mark the task done: we hold that row.
        # NO KEY UPDATE: the items' foreign keys to the request (KEY SHARE) still go in meanwhile.
        table = Request._meta.db_table
        with workers.row_locked(f"SELECT id FROM {table} WHERE id = %s FOR NO KEY UPDATE", [request.pk]):
            first = workers.start(queue, log, **env)
            try:
                workers.wait_for(workers.waiting_for_a_lock, first, "the worker waiting to mark the task done")
                assert Item.objects.filter(task=task).count() == ROWS
                workers.kill(first)
            finally:
                workers.stop(first)
        assert Task.objects.get(pk=task.pk).status == Task.Status.RUNNING  # and would stay so

        second = workers.start(queue, log, **env)
        try:
            workers.wait_for(
                lambda: Task.objects.filter(pk=task.pk, status=Task.Status.DONE).exists(), second, "the task done"
            )
        finally:
            workers.stop(second)

    task.refresh_from_db()
    assert task.found == ROWS
    assert Item.objects.filter(request=request).count() == ROWS  # the first run's items replaced, not added to
    assert Request.objects.get(pk=request.pk).status == Request.Status.REVIEW
    assert AuditEvent.objects.filter(action="dsar.task.resumed").count() == 1
    assert AuditEvent.objects.filter(action="dsar.task.done").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_a_live_worker_is_collecting_is_left_alone(privacy_officer, crm, monkeypatch):
    """No worker process needed: this test holds the row as a collecting worker does."""
    monkeypatch.setattr(collect_task, "delay", lambda **kw: None)  # queued, not run
    request = make_request(verified=True)
    services.collection_start(actor=privacy_officer, request=request)
    task = Task.objects.get()
    collection._claim(task.pk)
    later = timezone.now() + collection.RESUME_AFTER + timedelta(seconds=1)

    # A worker collecting holds the task's row (as task_run does): neither a redelivery nor the sweep touches it.
    with workers.row_locked(f"SELECT id FROM {Task._meta.db_table} WHERE id = %s FOR UPDATE", [task.pk]):
        assert services.task_run(task_id=task.pk) is None
        with time_machine.travel(later):
            assert services.collection_resume() == 0

    assert Task.objects.get().status == "running"
    assert not Item.objects.exists()
    assert not AuditEvent.objects.filter(action="dsar.task.resumed").exists()
