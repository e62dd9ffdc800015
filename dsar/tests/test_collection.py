"""Collection: nothing before verification; connector tasks in Celery; manual tasks by upload; then review."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dsar import services
from dsar.connectors import base
from dsar.connectors.base import CollectedItem
from dsar.models import Item, Request, Task
from dsar.services import collection
from dsar.tests.factories import make_collecting, make_request, manual_task
from portal.errors import Conflict, ValidationError
from portal.models import AuditEvent
from portal.tests.factories import DataAssetFactory

pytestmark = pytest.mark.django_db


class FakeConnector:
    def __init__(self, rows: int = 3, fail: bool = False):
        self.rows, self.fail = rows, fail

    def collect(self, subject):
        for i in range(self.rows):
            yield CollectedItem(
                subject_identifier=f"email:{subject.email}", source="contacts", kind="record", name="", data={"row": i}
            )
        yield CollectedItem(
            subject_identifier=f"customer:{subject.customer_id}",
            source="recordings",
            kind="file",
            name="../../call.wav",
            content=b"RIFF....",
        )
        if self.fail:
            raise RuntimeError("connection refused")

    def erase(self, subject):
        return base.ErasureResult()


@pytest.fixture
def crm(db):
    asset = DataAssetFactory(name="CRM", holds_personal_data=True)
    connector = FakeConnector()
    base.register(lambda a: connector if a.pk == asset.pk else None)
    asset.connector = connector
    return asset


@pytest.fixture
def archive(db):
    return DataAssetFactory(name="Paper archive scans", holds_personal_data=True)


def test_nothing_is_collected_before_verification(client_of, privacy_officer, crm):
    request = make_request()

    response = client_of(privacy_officer).post(f"/api/dsar/{request.pk}/collect")

    assert response.status_code == 409
    assert "verified" in response.json()["detail"]
    assert not Task.objects.exists()
    assert not Item.objects.exists()


def test_collect_makes_a_task_per_asset_holding_personal_data_and_runs_connectors(
    client_of, privacy_officer, crm, archive, django_capture_on_commit_callbacks
):
    DataAssetFactory(name="Canteen menu", holds_personal_data=False)
    request = make_request(verified=True, customer_id="C-1001")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(privacy_officer).post(f"/api/dsar/{request.pk}/collect")

    assert response.status_code == 202, response.content
    tasks = {t.asset.name: t for t in Task.objects.select_related("asset")}
    assert set(tasks) == {"CRM", "Paper archive scans"}
    assert tasks["CRM"].method == "connector"
    assert tasks["CRM"].status == "done"
    assert tasks["CRM"].found == 4
    assert tasks["Paper archive scans"].method == "manual"
    assert tasks["Paper archive scans"].status == "pending"
    items = list(Item.objects.order_by("pk"))
    assert {i.subject_identifier for i in items} == {"email:ann@example.com", "customer:C-1001"}
    recording = items[-1]
    assert recording.kind == "file"
    assert recording.size == 8
    assert len(recording.sha256) == 64
    assert recording.file.name.startswith(f"dsar/{request.pk}/items/call")  # no "../" from the connector
    request.refresh_from_db()
    assert request.status == Request.Status.COLLECTING  # the manual task is still open


def test_uploading_the_last_manual_task_moves_the_request_to_review(web_of, privacy_officer, archive):
    request = make_collecting(assets=[archive])
    task = manual_task(request)
    scan = SimpleUploadedFile("letter.pdf", b"%PDF-1.4 ...", content_type="application/pdf")

    response = web_of(privacy_officer).post(
        f"/dsar/tasks/{task.pk}/upload/", {"files": [scan], "subject_identifier": "email:ann@example.com"}
    )

    assert response.status_code == 302
    task.refresh_from_db()
    request.refresh_from_db()
    assert task.status == "done"
    assert task.found == 1
    assert task.done_by == privacy_officer
    assert request.status == Request.Status.REVIEW
    item = Item.objects.get()
    assert item.name == "letter.pdf"
    assert item.subject_identifier == "email:ann@example.com"
    assert AuditEvent.objects.filter(action="dsar.request.collected").exists()


def test_an_upload_is_bounded(privacy_officer, archive, settings):
    settings.MAX_UPLOAD_BYTES = 10
    request = make_collecting(assets=[archive])
    big = SimpleUploadedFile("big.bin", b"x" * 11)

    with pytest.raises(ValidationError) as exc:
        services.task_upload(
            actor=privacy_officer, task=manual_task(request), files=[big], subject_identifier="email:ann@example.com"
        )

    assert "files" in exc.value.fields
    assert not Item.objects.exists()
    assert manual_task(request).status == "pending"


def test_an_upload_is_filed_only_under_the_requests_own_identifiers(privacy_officer, archive):
    request = make_collecting(assets=[archive])

    with pytest.raises(ValidationError) as exc:
        services.task_upload(
            actor=privacy_officer, task=manual_task(request), files=[], subject_identifier="email:bob@example.com"
        )

    assert "subject_identifier" in exc.value.fields


def test_a_failing_connector_marks_its_task_failed_and_a_retry_runs_it_again(
    privacy_officer, crm, django_capture_on_commit_callbacks
):
    crm.connector.fail = True
    request = make_request(verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.collection_start(actor=privacy_officer, request=request)

    task = Task.objects.get()
    assert task.status == "failed"
    assert "connection refused" in task.error
    assert not Item.objects.exists()  # nothing half-stored

    crm.connector.fail = False
    with django_capture_on_commit_callbacks(execute=True):
        services.task_retry(actor=privacy_officer, task=task)

    task.refresh_from_db()
    request.refresh_from_db()
    assert task.status == "done"
    assert Item.objects.count() == 4
    assert request.status == Request.Status.REVIEW


def test_running_a_task_twice_stores_nothing_twice(privacy_officer, crm, django_capture_on_commit_callbacks):
    request = make_request(verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.collection_start(actor=privacy_officer, request=request)

    assert services.task_run(task_id=Task.objects.get().pk) is None
    assert Item.objects.count() == 4


def test_a_task_whose_worker_died_is_collected_again_by_the_redelivered_message(privacy_officer, crm):
    request = make_request(verified=True)
    services.collection_start(actor=privacy_officer, request=request)  # queued, not run
    task = Task.objects.get()
    dead = collection._claim(task.pk)  # a worker claims it and dies
    assert Task.objects.get().status == "running"

    # The message was not acknowledged: redelivered, it finds the task running with nobody holding it.
    assert services.task_run(task_id=task.pk).status == "done"

    task.refresh_from_db()
    request.refresh_from_db()
    assert task.found == Item.objects.count() == 4
    assert request.status == Request.Status.REVIEW
    assert AuditEvent.objects.filter(action="dsar.task.resumed").count() == 1
    assert AuditEvent.objects.filter(action="dsar.task.done").count() == 1
    # Had the first worker lived on after all, its claim is no longer the task's: it writes nothing.
    assert collection._lock_own(dead, dead.started_at) is None


def test_the_sweep_queues_a_task_left_running_only_after_a_while(
    privacy_officer, crm, django_capture_on_commit_callbacks
):
    request = make_request(verified=True)
    services.collection_start(actor=privacy_officer, request=request)
    task = Task.objects.get()
    collection._claim(task.pk)  # and the worker dies; the message is lost too (a broker without redelivery)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.collection_resume() == 0  # it may still be on its way to its lock
    assert Task.objects.get().status == "running"

    later = timezone.now() + collection.RESUME_AFTER + timedelta(seconds=1)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        assert services.collection_resume() == 1

    task.refresh_from_db()
    assert task.status == "done"
    assert Item.objects.count() == 4
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        assert services.collection_resume() == 0  # done: nothing more to queue


def test_collection_starts_once(privacy_officer, archive):
    request = make_collecting(assets=[archive])

    with pytest.raises(Conflict):
        services.collection_start(actor=privacy_officer, request=request)


def test_items_are_stored_in_batches(privacy_officer, crm, django_capture_on_commit_callbacks):
    crm.connector.rows = 1200
    request = make_request(verified=True)
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        services.collection_start(actor=privacy_officer, request=request)

    assert Item.objects.count() == 1201
    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "dsar_item"')]
    assert len(inserts) <= 20  # batches (SQLite splits each of 500 by its parameter limit), not a row each


def test_a_handler_cannot_collect_someone_elses_request(client_of, reviewer, outsider, crm):
    theirs = make_request(verified=True, handler=outsider)

    assert client_of(reviewer).post(f"/api/dsar/{theirs.pk}/collect").status_code == 404
    assert client_of(reviewer).get(f"/api/dsar/{theirs.pk}").status_code == 404
    assert not Task.objects.exists()


def test_an_auditor_reads_but_cannot_collect(client_of, auditor, crm):
    request = make_request(verified=True)

    assert client_of(auditor).get(f"/api/dsar/{request.pk}").status_code == 200
    assert client_of(auditor).post(f"/api/dsar/{request.pk}/collect").status_code == 403
