"""Subject notification through the API, the pages and the admin: answers, errors, query counts."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.subjects.models import AffectedSubject, SubjectImport
from incidents.tests.factories import import_subjects, make_incident, subjects_csv, subjects_upload
from portal.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(employee):
    return make_incident(employee)


def _api_import(client, incident, content: bytes, name="subjects.csv"):
    return client.post(
        f"/api/incidents/{incident.pk}/subjects/import", {"file": subjects_upload(content, name)}, format="multipart"
    )


def test_the_api_imports_a_file_and_answers_201_with_the_count(client_of, privacy_officer, incident):
    content = subjects_csv([("ann@example.com", "Ann", "en"), ("bob@example.com", "Bob", "de")])

    response = _api_import(client_of(privacy_officer), incident, content, name="leak.csv")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["count"] == 2
    assert data["file_name"] == "leak.csv"
    assert len(data["sha256"]) == 64
    assert data["imported_by"]["id"] == privacy_officer.pk


def test_the_api_answers_400_with_every_bad_row_and_imports_nothing(client_of, privacy_officer, incident):
    content = subjects_csv([("ann@example.com", "Ann", "en"), ("nope", "X", "en"), ("ann@example.com", "A", "en")])

    response = _api_import(client_of(privacy_officer), incident, content)

    assert response.status_code == 400
    data = response.json()
    assert data["bad_rows"] == 2
    assert data["rows"] == [
        {"line": 3, "reason": "'nope' is not a valid e-mail address"},
        {"line": 4, "reason": "'ann@example.com' appears earlier in this file"},
    ]
    assert "nothing was imported" in data["detail"]
    assert "file" in data["errors"]
    assert not AffectedSubject.objects.exists()


def test_the_api_refuses_a_missing_file_and_a_body_over_the_limit(client_of, privacy_officer, incident, settings):
    client = client_of(privacy_officer)
    assert client.post(f"/api/incidents/{incident.pk}/subjects/import", {}).json()["errors"]["file"]

    settings.SUBJECT_IMPORT_MAX_BYTES = settings.MAX_UPLOAD_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.EVIDENCE_MAX_BYTES = 1000
    big = subjects_csv([(f"person{i}@example.com", "P", "en") for i in range(2000)])
    response = _api_import(client, incident, big)

    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    assert not SubjectImport.objects.exists()


def test_the_api_hides_an_incident_the_user_may_not_see_and_refuses_a_reporter(client_of, employee, outsider):
    theirs, mine = make_incident(outsider), make_incident(employee)
    client = client_of(employee)
    content = subjects_csv([("ann@example.com", "Ann", "en")])

    assert _api_import(client, theirs, content).status_code == 404
    assert client.post(f"/api/incidents/{theirs.pk}/subjects/notify", {"subject": "s", "body": "b"}).status_code == 404
    assert client.get(f"/api/incidents/{theirs.pk}/subjects/summary").status_code == 404
    assert _api_import(client, mine, content).status_code == 403
    assert client.post(f"/api/incidents/{mine.pk}/subjects/notify", {"subject": "s", "body": "b"}).status_code == 403
    assert client.get(f"/api/incidents/{mine.pk}/subjects").status_code == 403  # the addresses
    assert client.get(f"/api/incidents/{mine.pk}/subjects/summary").status_code == 200  # the counts
    assert not AffectedSubject.objects.exists()


def test_the_api_queues_the_notification_202_and_an_auditor_reads_the_counts_and_failures(
    client_of, privacy_officer, auditor, incident, django_capture_on_commit_callbacks
):
    import_subjects(privacy_officer, incident, 4)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(privacy_officer).post(
            f"/api/incidents/{incident.pk}/subjects/notify",
            {"subject": "About {reference}", "body": "Dear {name}"},
            format="json",
        )
    assert response.status_code == 202, response.content
    assert response.json()["queued"] == 4
    assert len(mail.outbox) == 4
    AffectedSubject.objects.filter(email="person3@example.com").update(status="failed", last_error="550 no mailbox")

    summary = client_of(auditor).get(f"/api/incidents/{incident.pk}/subjects/summary").json()
    failed = client_of(auditor).get(f"/api/incidents/{incident.pk}/subjects?status=failed").json()

    assert summary["counts"] == {"imported": 4, "waiting": 0, "pending": 0, "sending": 0, "sent": 3, "failed": 1}
    assert [(r["email"], r["last_error"]) for r in failed["results"]] == [("person3@example.com", "550 no mailbox")]
    again = {"subject": "Again", "body": "Again"}
    assert client_of(auditor).post(f"/api/incidents/{incident.pk}/subjects/notify", again).status_code == 403
    assert client_of(auditor).get(f"/api/incidents/{incident.pk}/subjects?status=lost").status_code == 400


def test_a_bad_placeholder_is_400_on_its_field(client_of, privacy_officer, incident):
    import_subjects(privacy_officer, incident, 1)

    response = client_of(privacy_officer).post(
        f"/api/incidents/{incident.pk}/subjects/notify", {"subject": "Hi {first_name}", "body": "x"}, format="json"
    )

    assert response.status_code == 400
    assert "Unknown placeholder {first_name}" in response.json()["errors"]["subject"][0]


# --- Pages -------------------------------------------------------------------------


def test_the_upload_form_shows_every_bad_row_in_a_table(web_of, privacy_officer, incident):
    content = subjects_csv([("ann@example.com", "Ann", "en"), "broken,row", ("x@", "X", "en")])

    response = web_of(privacy_officer).post(
        f"/incidents/{incident.pk}/subjects/import/", {"file": subjects_upload(content)}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="bad-rows"' in page
    assert "<td>3</td><td>expected 3 columns, found 2</td>" in page
    assert "<td>4</td><td>&#x27;x@&#x27; is not a valid e-mail address</td>" in page
    assert "2 rows are not valid; nothing was imported." in page
    assert not AffectedSubject.objects.exists()


def test_a_handler_imports_previews_and_sends_from_the_pages(
    web_of, privacy_officer, incident, django_capture_on_commit_callbacks
):
    client = web_of(privacy_officer)
    base = f"/incidents/{incident.pk}/subjects"
    content = subjects_csv([("ann@example.com", "Ann Archer", "en"), ("bob@example.com", "Bob", "de")])

    response = client.post(f"{base}/import/", {"file": subjects_upload(content)}, follow=True)
    assert "2 subjects imported from subjects.csv." in response.content.decode()

    preview = client.post(f"{base}/notify/", {"subject": "About {reference}", "body": "Dear {name}", "preview": "1"})
    page = preview.content.decode()
    assert 'id="preview"' in page
    assert "Dear Ann Archer" in page
    assert f"About {incident.reference}" in page
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{base}/notify/", {"subject": "About {reference}", "body": "Dear {name}"}, follow=True)
    assert "Notification queued for 2 subjects" in response.content.decode()
    assert len(mail.outbox) == 2

    detail = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "<dt>Sent</dt><dd>2</dd>" in detail


def test_the_page_lists_failed_subjects_and_a_reporter_sees_counts_only(web_of, employee, privacy_officer, incident):
    import_subjects(privacy_officer, incident, 3)
    AffectedSubject.objects.filter(email="person1@example.com").update(
        status="failed", last_error="550 mailbox unavailable", notification=None
    )
    from incidents.subjects.services import subjects_notify

    subjects_notify(actor=privacy_officer, incident=incident, subject="s", body="b")
    AffectedSubject.objects.filter(email="person1@example.com").update(status="failed", last_error="550 unavailable")

    page = web_of(privacy_officer).get(f"/incidents/{incident.pk}/subjects/?status=failed").content.decode()
    assert "person1@example.com" in page
    assert "550 unavailable" in page
    assert "person0@example.com" not in page

    reporter = web_of(employee).get(f"/incidents/{incident.pk}/subjects/")
    assert reporter.status_code == 200
    assert "person1@example.com" not in reporter.content.decode()
    assert "<dt>Failed</dt>" in reporter.content.decode()
    assert (
        web_of(employee).post(f"/incidents/{incident.pk}/subjects/notify/", {"subject": "s", "body": "b"}).status_code
        == 403
    )


def test_someone_else_s_incident_is_404_on_every_subject_page(web_of, employee, outsider):
    theirs = make_incident(outsider)
    client = web_of(employee)

    assert client.get(f"/incidents/{theirs.pk}/subjects/").status_code == 404
    assert client.post(f"/incidents/{theirs.pk}/subjects/import/", {}).status_code == 404
    assert client.post(f"/incidents/{theirs.pk}/subjects/notify/", {"subject": "s", "body": "b"}).status_code == 404


# --- Query counts ------------------------------------------------------------------


def _grow(incident, officer, n: int) -> None:
    start = AffectedSubject.objects.filter(incident=incident).count()
    source = SubjectImport.objects.create(incident=incident, imported_by=officer, file_name="f.csv", size=1, sha256="0")
    AffectedSubject.objects.bulk_create(
        AffectedSubject(incident=incident, source=source, email=f"p{start + i}@example.com", status="failed")
        for i in range(n)
    )


def _count(client, url: str) -> int:
    client.get(url)  # warm the process-wide caches first
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/incidents/{pk}/subjects/",
        "/incidents/{pk}/subjects/?status=waiting",
        "/incidents/{pk}/",
        "/api/incidents/{pk}/subjects",
        "/api/incidents/{pk}/subjects/summary",
    ],
)
def test_pages_and_lists_use_the_same_queries_for_10_and_1000_subjects(
    web_of, client_of, privacy_officer, incident, url
):
    client = client_of(privacy_officer) if url.startswith("/api/") else web_of(privacy_officer)
    url = url.format(pk=incident.pk)
    _grow(incident, privacy_officer, 10)
    small = _count(client, url)
    _grow(incident, privacy_officer, 990)
    assert _count(client, url) == small


# --- Admin ---------------------------------------------------------------------------


def test_staff_search_subjects_in_the_admin_and_change_nothing(web_of, privacy_officer, incident):
    owner = User.objects.create_superuser("root", "root@example.com", "x")
    import_subjects(privacy_officer, incident, 3)
    client = web_of(owner)
    subject = AffectedSubject.objects.get(email="person1@example.com")

    listing = client.get("/admin/incidents/affectedsubject/?q=person1").content.decode()
    assert "person1@example.com" in listing
    assert "person2@example.com" not in listing
    assert client.get(f"/admin/incidents/affectedsubject/{subject.pk}/change/").status_code == 200
    assert (
        client.post(f"/admin/incidents/affectedsubject/{subject.pk}/change/", {"email": "x@example.com"}).status_code
        == 403
    )
    assert client.post(f"/admin/incidents/affectedsubject/{subject.pk}/delete/").status_code == 403
    assert client.get("/admin/incidents/subjectimport/").status_code == 200
    assert client.get("/admin/incidents/subjectnotification/").status_code == 200
