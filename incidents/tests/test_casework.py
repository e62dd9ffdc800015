"""Casework on an incident: tasks, evidence files, the regulator draft and its submission, referrals.

Each attack tried on the pages as the demo's people (another incident's ids, an oversize or
disguised upload, a double submit, over-long text) has its test here.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents import services
from incidents.models import EvidenceFile, Filing, Incident, Obligation, Referral, RegulatorDraft, Task, TimelineEntry
from incidents.tests.factories import assess, make_incident
from portal.errors import Conflict, Forbidden, ValidationError
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _handled(privacy_officer, reporter, handler=None, **kw) -> Incident:
    incident = make_incident(reporter, **kw)
    assess(privacy_officer, incident)
    if handler is not None:
        services.incident_assign_handler(actor=privacy_officer, incident=incident, handler=handler)
    return incident


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


# --- Tasks -----------------------------------------------------------------------------


def test_a_task_is_created_for_a_handler_done_and_reopened_with_timeline_and_audit(privacy_officer, employee, reviewer):
    incident = _handled(privacy_officer, employee, handler=reviewer)
    due = timezone.now() + timedelta(days=1)

    task = services.task_create(
        actor=privacy_officer, incident=incident, title="Interview the insider", assignee=reviewer, due_at=due
    )
    services.task_complete(actor=reviewer, task=task)
    task.refresh_from_db()
    assert (task.done_by, task.done_at is not None) == (reviewer, True)
    services.task_reopen(actor=privacy_officer, task=task)

    task.refresh_from_db()
    assert task.done_at is None
    actions = list(TimelineEntry.objects.filter(incident=incident).values_list("action", flat=True))
    assert actions[-3:] == ["incidents.task.created", "incidents.task.completed", "incidents.task.reopened"]
    assert AuditEvent.objects.filter(action="incidents.task.completed").count() == 1


def test_a_task_for_someone_who_does_not_work_the_incident_is_refused(privacy_officer, employee):
    incident = _handled(privacy_officer, employee)

    with pytest.raises(ValidationError) as exc:
        services.task_create(actor=privacy_officer, incident=incident, title="Look", assignee=employee)

    assert "handler of this incident or a privacy officer" in exc.value.fields["assignee"][0]
    assert not Task.objects.exists()


def test_completing_a_task_twice_is_refused_and_writes_one_entry(web_of, privacy_officer, employee):
    incident = _handled(privacy_officer, employee)
    task = services.task_create(actor=privacy_officer, incident=incident, title="Call", assignee=privacy_officer)
    client = web_of(privacy_officer)

    client.post(f"/incidents/tasks/{task.pk}/complete/")
    again = client.post(f"/incidents/tasks/{task.pk}/complete/", follow=True)

    assert "already done" in _messages(again)
    assert TimelineEntry.objects.filter(action="incidents.task.completed").count() == 1


def test_the_task_form_refuses_a_title_too_long_and_creates_nothing(web_of, privacy_officer, employee):
    incident = _handled(privacy_officer, employee)

    response = web_of(privacy_officer).post(
        f"/incidents/{incident.pk}/tasks/", {"title": "x" * 201, "assignee": privacy_officer.pk}, follow=True
    )

    assert "at most 200 characters" in _messages(response).lower()
    assert not Task.objects.exists()


def test_a_task_of_another_incident_is_404_for_a_handler_guessing_its_id(web_of, privacy_officer, employee, reviewer):
    _handled(privacy_officer, employee, handler=reviewer)
    other = _handled(privacy_officer, employee)
    task = services.task_create(actor=privacy_officer, incident=other, title="Secret", assignee=privacy_officer)

    assert web_of(reviewer).post(f"/incidents/tasks/{task.pk}/complete/").status_code == 404
    task.refresh_from_db()
    assert task.done_at is None


def test_the_detail_page_lists_tasks_with_their_assignee_and_state(web_of, privacy_officer, employee):
    incident = _handled(privacy_officer, employee)
    services.task_create(actor=privacy_officer, incident=incident, title="Brief the board", assignee=privacy_officer)

    page = web_of(privacy_officer).get(f"/incidents/{incident.pk}/").content.decode()

    assert "Brief the board" in page
    assert "Add task" in page


# --- Evidence --------------------------------------------------------------------------


def _upload(client, incident, name, content, **extra):
    return client.post(
        f"/incidents/{incident.pk}/evidence/", {"file": SimpleUploadedFile(name, content), **extra}, follow=True
    )


def test_evidence_is_stored_outside_the_web_root_under_a_random_name_with_its_hash(web_of, privacy_officer, employee):
    incident = _handled(privacy_officer, employee)

    _upload(web_of(privacy_officer), incident, "../../etc/export.pdf", PDF, description="The export")

    item = EvidenceFile.objects.get()
    stored = Path(settings.PRIVATE_STORAGE_ROOT) / "evidence" / item.stored_name
    assert item.name == "export.pdf"  # a name to show, never a path
    assert item.stored_name not in item.name
    assert len(item.stored_name) == 64
    assert stored.read_bytes() == PDF
    assert item.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (item.size, item.content_type) == (len(PDF), "application/pdf")
    assert not str(stored).startswith(str(settings.STATIC_ROOT))
    assert TimelineEntry.objects.filter(incident=incident, action="incidents.evidence.uploaded").exists()


def test_a_download_is_an_audited_attachment_never_sniffed(web_of, privacy_officer, employee, auditor):
    incident = _handled(privacy_officer, employee)
    _upload(web_of(privacy_officer), incident, "mail.eml", b"From: a@example.com\r\nSubject: x\r\n\r\nhi\r\n")
    item = EvidenceFile.objects.get()

    response = web_of(auditor).get(f"/incidents/evidence/{item.pk}/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="mail.eml"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"From: a@example.com")
    event = AuditEvent.objects.get(action="incidents.evidence.downloaded")
    assert (event.actor_id, event.details["sha256"]) == (auditor.pk, item.sha256)


def test_an_oversize_upload_is_refused_and_leaves_no_file(web_of, privacy_officer, employee, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    incident = _handled(privacy_officer, employee)

    response = _upload(web_of(privacy_officer), incident, "big.txt", b"a" * 2048)

    assert "larger than the limit" in _messages(response)
    assert not EvidenceFile.objects.exists()
    folder = Path(settings.PRIVATE_STORAGE_ROOT) / "evidence"
    assert not folder.exists() or not any(folder.iterdir())


def test_an_upload_whose_declared_length_is_over_the_limit_is_refused_before_it_is_read(
    web_of, privacy_officer, employee, settings
):
    settings.EVIDENCE_MAX_BYTES = 1024
    incident = _handled(privacy_officer, employee)

    response = web_of(privacy_officer).post(
        f"/incidents/{incident.pk}/evidence/",
        {"file": SimpleUploadedFile("a.txt", b"a")},
        CONTENT_LENGTH=str(10 * 1024 * 1024),
    )

    assert response.status_code == 302
    assert not EvidenceFile.objects.exists()


def test_an_upload_whose_size_lies_is_stopped_while_it_is_written(privacy_officer, employee, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    incident = _handled(privacy_officer, employee)
    upload = SimpleUploadedFile("a.txt", b"a" * 4096)
    upload.size = 10  # what a client may claim

    with pytest.raises(ValidationError):
        services.evidence_upload(actor=privacy_officer, incident=incident, upload=upload)

    assert not any((Path(settings.PRIVATE_STORAGE_ROOT) / "evidence").iterdir())


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("tool.exe", b"MZ\x90\x00", "not accepted"),
        ("page.html", b"<html><script>alert(1)</script></html>", "not accepted"),
        ("report.pdf", b"<html>not a pdf</html>", "not PDF"),
        ("photo.jpg", PNG, "not JPG"),
        ("notes.txt", b"\x00\x01binary\x00", "not TXT"),
        ("archive.zip", PDF, "not ZIP"),
        ("noextension", b"hello", "not accepted"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_a_file_whose_type_is_not_allowed_or_whose_content_disagrees_is_refused(
    web_of, privacy_officer, employee, name, content, says
):
    incident = _handled(privacy_officer, employee)

    response = _upload(web_of(privacy_officer), incident, name, content)

    assert says in _messages(response)
    assert not EvidenceFile.objects.exists()


@pytest.mark.parametrize(("name", "content"), [("shot.png", PNG), ("list.csv", "name,mail\nÅse,å@x\n".encode())])
def test_allowed_files_are_accepted(privacy_officer, employee, name, content):
    incident = _handled(privacy_officer, employee)

    item = services.evidence_upload(actor=privacy_officer, incident=incident, upload=SimpleUploadedFile(name, content))

    assert item.sha256 == hashlib.sha256(content).hexdigest()


def test_evidence_of_another_incident_is_404_for_its_handler_and_for_the_reporter(
    web_of, privacy_officer, employee, reviewer, outsider
):
    mine = _handled(privacy_officer, outsider, handler=reviewer)
    theirs = _handled(privacy_officer, outsider)
    for incident in (mine, theirs):
        services.evidence_upload(
            actor=privacy_officer, incident=incident, upload=SimpleUploadedFile("a.txt", b"secret\n")
        )
    own_item, other_item = EvidenceFile.objects.get(incident=mine), EvidenceFile.objects.get(incident=theirs)

    assert web_of(reviewer).get(f"/incidents/evidence/{own_item.pk}/").status_code == 200
    assert web_of(reviewer).get(f"/incidents/evidence/{other_item.pk}/").status_code == 404
    assert web_of(employee).get(f"/incidents/evidence/{own_item.pk}/").status_code == 404
    assert web_of(reviewer).get("/incidents/evidence/999999/").status_code == 404
    assert AuditEvent.objects.filter(action="incidents.evidence.downloaded").count() == 1


def test_the_reporter_sees_the_incident_but_not_its_evidence(web_of, privacy_officer, employee):
    incident = _handled(privacy_officer, employee)
    services.evidence_upload(
        actor=privacy_officer, incident=incident, upload=SimpleUploadedFile("leak.csv", b"a,b\n1,2\n")
    )
    item = EvidenceFile.objects.get()
    client = web_of(employee)

    page = client.get(f"/incidents/{incident.pk}/").content.decode()

    assert "leak.csv" not in page
    assert "Evidence files" not in page
    assert client.get(f"/incidents/evidence/{item.pk}/").status_code == 403
    assert (
        client.post(f"/incidents/{incident.pk}/evidence/", {"file": SimpleUploadedFile("a.txt", b"a")}).status_code
        == 403
    )


# --- The regulator draft and its submission ------------------------------------------


def _regulator(incident) -> Obligation:
    return incident.obligations.get(recipient="regulator")


def test_the_draft_is_generated_with_the_fields_the_law_requires(web_of, privacy_officer, employee, settings):
    settings.DPO_CONTACT = "Dana Privacy, dpo@retail.example"
    incident = _handled(privacy_officer, employee)

    page = web_of(privacy_officer).get(f"/incidents/regulator-drafts/{_regulator(incident).pk}/").content.decode()

    for label in ("Nature of the breach", "Categories of data subjects", "Approximate number of data subjects",
                  "Categories of personal data records", "Contact point", "Likely consequences", "Measures taken",
                  "Measures proposed"):  # fmt: skip
        assert label in page
    assert "Dana Privacy, dpo@retail.example" in page
    assert "contact details" in page
    assert 'value="1000"' in page
    assert "Notify the affected data subjects" in page  # high risk
    assert not RegulatorDraft.objects.exists()  # reading generates, saving stores


def test_an_edited_draft_is_stored_audited_and_printable(web_of, privacy_officer, employee):
    incident = _handled(privacy_officer, employee)
    obligation = _regulator(incident)
    client = web_of(privacy_officer)
    body = {
        "nature": "An employee copied 1,000 customers' e-mail addresses.",
        "subject_count": "1000",
        "record_count": "1000",
        "contact_point": "DPO",
        "consequences": "Phishing.",
    }

    client.post(f"/incidents/regulator-drafts/{obligation.pk}/", body)

    draft = RegulatorDraft.objects.get(obligation=obligation)
    assert (draft.nature, draft.subject_count, draft.updated_by) == (body["nature"], 1000, privacy_officer)
    assert AuditEvent.objects.filter(action="incidents.regulator_draft.saved").exists()
    printed = client.get(f"/incidents/regulator-drafts/{obligation.pk}/print/").content.decode()
    assert body["nature"].replace("'", "&#x27;") in printed
    assert "Personal data breach notification" in printed


def test_a_draft_with_text_too_long_shows_the_field_error_and_saves_nothing(web_of, privacy_officer, employee):
    incident = _handled(privacy_officer, employee)
    obligation = _regulator(incident)

    response = web_of(privacy_officer).post(
        f"/incidents/regulator-drafts/{obligation.pk}/",
        {"nature": "x" * 10_001, "contact_point": "DPO", "consequences": "Phishing."},
    )

    assert response.status_code == 200
    assert "at most 10000 characters" in response.content.decode()
    assert not RegulatorDraft.objects.exists()


def test_recording_the_submission_keeps_the_draft_text_and_a_double_submit_records_one(
    web_of, privacy_officer, employee
):
    incident = _handled(privacy_officer, employee)
    obligation = _regulator(incident)
    client = web_of(privacy_officer)
    body = {"authority": "CNIL", "submitted_at": f"{timezone.localtime():%Y-%m-%dT%H:%M}", "reference": "CNIL-42"}

    client.post(f"/incidents/regulator-drafts/{obligation.pk}/submit/", body)
    again = client.post(f"/incidents/regulator-drafts/{obligation.pk}/submit/", body, follow=True)

    filing = Filing.objects.get()
    assert filing.kind == "initial"
    assert "Nature of the breach:" in filing.notes
    assert "already recorded" in _messages(again)
    obligation.refresh_from_db()
    assert obligation.done_at is not None
    assert obligation.late is False


def test_a_late_submission_without_a_reason_is_refused(web_of, privacy_officer, employee):
    incident = _handled(privacy_officer, employee, aware_hours_ago=80)
    obligation = _regulator(incident)

    response = web_of(privacy_officer).post(
        f"/incidents/regulator-drafts/{obligation.pk}/submit/",
        {"authority": "CNIL", "submitted_at": f"{timezone.localtime():%Y-%m-%dT%H:%M}"},
        follow=True,
    )

    assert "reason for the delay" in _messages(response)
    assert not Filing.objects.exists()


def test_the_auditor_reads_the_draft_but_cannot_change_or_submit_it(web_of, privacy_officer, employee, auditor):
    incident = _handled(privacy_officer, employee)
    obligation = _regulator(incident)
    client = web_of(auditor)

    page = client.get(f"/incidents/regulator-drafts/{obligation.pk}/")

    assert page.status_code == 200
    assert "Save draft" not in page.content.decode()
    assert client.post(f"/incidents/regulator-drafts/{obligation.pk}/", {"nature": "x"}).status_code == 403
    submit = {"authority": "CNIL", "submitted_at": f"{timezone.localtime():%Y-%m-%dT%H:%M}"}
    assert client.post(f"/incidents/regulator-drafts/{obligation.pk}/submit/", submit).status_code == 403
    assert not Filing.objects.exists()


def test_the_draft_of_an_incident_one_may_not_see_is_404(web_of, privacy_officer, employee, outsider):
    incident = _handled(privacy_officer, outsider)

    assert web_of(employee).get(f"/incidents/regulator-drafts/{_regulator(incident).pk}/").status_code == 404


# --- Referral --------------------------------------------------------------------------


def test_a_referral_is_recorded_once_on_the_timeline(web_of, privacy_officer, employee):
    incident = _handled(privacy_officer, employee)
    client = web_of(privacy_officer)
    body = {"agency": "Metropolitan Police", "reference": "CR-1234", "referred_on": str(timezone.localdate())}

    client.post(f"/incidents/{incident.pk}/referrals/", body)
    again = client.post(f"/incidents/{incident.pk}/referrals/", body, follow=True)

    referral = Referral.objects.get()
    assert (referral.agency, referral.reference, referral.recorded_by) == (
        "Metropolitan Police",
        "CR-1234",
        privacy_officer,
    )
    assert "already recorded" in _messages(again)
    assert "Referred to Metropolitan Police" in client.get(f"/incidents/{incident.pk}/").content.decode()


def test_a_referral_in_the_future_is_refused(privacy_officer, employee):
    incident = _handled(privacy_officer, employee)

    with pytest.raises(ValidationError) as exc:
        services.referral_record(
            actor=privacy_officer,
            incident=incident,
            agency="Police",
            referred_on=timezone.localdate() + timedelta(days=1),
        )

    assert "future" in exc.value.fields["referred_on"][0]


def test_the_reporter_cannot_record_a_referral(privacy_officer, employee):
    incident = _handled(privacy_officer, employee)

    with pytest.raises(Forbidden):
        services.referral_record(actor=employee, incident=incident, agency="Police", referred_on=timezone.localdate())


def test_a_closed_incident_takes_no_new_task(privacy_officer, employee):
    incident = make_incident(employee)
    services.incident_assess(actor=privacy_officer, incident=incident, is_personal_data_breach=False)
    services.incident_set_status(actor=privacy_officer, incident=incident, status="closed")

    with pytest.raises(Conflict):
        services.task_create(actor=privacy_officer, incident=incident, title="Late", assignee=privacy_officer)


# --- Review decisions --------------------------------------------------------------------


def test_the_awareness_gap_that_needs_a_reason_is_a_setting(privacy_officer, employee, settings):
    settings.INCIDENT_AWARENESS_GAP_MINUTES = 240
    now = timezone.now()

    incident = make_incident(employee, detected_at=now - timedelta(hours=3), aware_at=now)
    with pytest.raises(ValidationError) as exc:
        make_incident(employee, detected_at=now - timedelta(hours=5), aware_at=now)

    assert incident.awareness_gap_reason == ""
    assert "more than 4 hours after detection" in exc.value.fields["awareness_gap_reason"][0]


def test_mails_about_an_exercise_say_so(mailoutbox, privacy_officer, employee, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(employee, is_exercise=True)

    assert mailoutbox
    assert mailoutbox[0].subject.startswith("[EXERCISE]")
    assert "EXERCISE" in mailoutbox[0].body


def test_staff_read_casework_in_the_admin_without_storage_paths(web_of, privacy_officer, employee):
    from portal.models import User

    owner = User.objects.create_superuser("root", "root@example.com", "x")
    incident = _handled(privacy_officer, employee)
    item = services.evidence_upload(actor=privacy_officer, incident=incident, upload=SimpleUploadedFile("a.txt", b"a"))
    services.task_create(actor=privacy_officer, incident=incident, title="Call", assignee=privacy_officer)
    client = web_of(owner)

    for model in ("task", "evidencefile", "referral", "regulatordraft"):
        assert client.get(f"/admin/incidents/{model}/").status_code == 200
    page = client.get(f"/admin/incidents/evidencefile/{item.pk}/change/").content.decode()
    assert item.stored_name not in page
    assert f"/incidents/evidence/{item.pk}/" in page
    assert client.post(f"/admin/incidents/evidencefile/{item.pk}/delete/").status_code == 403


# --- The API's casework endpoints --------------------------------------------------------


def test_the_api_adds_a_task_and_names_a_wrong_assignee(client_of, privacy_officer, employee):
    incident = _handled(privacy_officer, employee)
    client = client_of(privacy_officer)

    ok = client.post(
        f"/api/incidents/{incident.pk}/tasks", {"title": "Call", "assignee": privacy_officer.pk}, format="json"
    )
    wrong = client.post(
        f"/api/incidents/{incident.pk}/tasks", {"title": "Call", "assignee": employee.pk}, format="json"
    )
    bad_id = client.post(f"/api/incidents/{incident.pk}/tasks", {"title": "Call", "assignee": 6.5}, format="json")

    assert ok.status_code == 201
    assert ok.json()["assignee"]["id"] == privacy_officer.pk
    assert wrong.status_code == 400
    assert "assignee" in wrong.json()["errors"]
    assert bad_id.status_code == 400
    assert Task.objects.count() == 1


def test_the_api_records_a_referral_and_refuses_long_text(client_of, privacy_officer, employee):
    incident = _handled(privacy_officer, employee)
    client = client_of(privacy_officer)
    today = str(timezone.localdate())

    ok = client.post(
        f"/api/incidents/{incident.pk}/referrals", {"agency": "Police", "referred_on": today}, format="json"
    )
    long = client.post(
        f"/api/incidents/{incident.pk}/referrals", {"agency": "P" * 201, "referred_on": today}, format="json"
    )
    twice = client.post(
        f"/api/incidents/{incident.pk}/referrals", {"agency": "Police", "referred_on": today}, format="json"
    )

    assert ok.status_code == 201
    assert long.status_code == 400
    assert "agency" in long.json()["errors"]
    assert twice.status_code == 409
    assert Referral.objects.count() == 1


def test_an_oversize_upload_stops_being_read_at_the_limit_and_says_so(web_of, privacy_officer, employee, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # any file would go to a temporary file on disk
    incident = _handled(privacy_officer, employee)

    response = _upload(web_of(privacy_officer), incident, "big.csv", b"a,b\n" * 5000)

    assert response.redirect_chain[-1][0] == f"/incidents/{incident.pk}/"
    assert "larger than the limit" in _messages(response)
    assert not EvidenceFile.objects.exists()


def test_an_upload_without_the_csrf_token_is_refused(privacy_officer, employee):
    from django.test import Client

    incident = _handled(privacy_officer, employee)
    client = Client(enforce_csrf_checks=True)
    client.force_login(privacy_officer)

    response = client.post(f"/incidents/{incident.pk}/evidence/", {"file": SimpleUploadedFile("a.txt", b"a")})

    assert response.status_code == 403
    assert not EvidenceFile.objects.exists()
