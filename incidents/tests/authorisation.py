"""The authorisation matrix of incidents/ routes, subject notification's included (see ``portal/testing.py``).

``(own, other)``: "own" is an incident the persona handles (a privacy officer assigned them), "other"
one reported by another employee while the persona handles a different incident (``testing.case_for``):
a handler of one incident neither sees nor works another (404). Privacy officers see and run all
incidents; auditors see all and change nothing, not even an incident whose handler's rights they hold;
revoking access also needs the right to offboard (privacy officers, access admins).
"""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents import services
from incidents.models import InvolvedUser
from incidents.tests.factories import assess, import_subjects, make_incident, subjects_csv
from portal.testing import LOGIN, Row, answers, case_answers, case_for, page_answers


def _incident(target, *, risk="high_risk"):
    world = target.world
    officer = world.user("privacy_officer")
    outsider = world.user("outsider")

    def make(handler):
        incident = make_incident(outsider)
        assess(officer, incident, risk=risk)
        InvolvedUser.objects.create(incident=incident, user=outsider, added_by=officer)
        if handler is not None:
            services.incident_assign_handler(actor=officer, incident=incident, handler=handler)
        return incident

    def another(handler):
        incident = make_incident(outsider, title="Printer left unlocked")
        return services.incident_assign_handler(actor=officer, incident=incident, handler=handler)

    return case_for(target, make, rights=(services.VIEW, services.CHANGE), another=another)


def _no_risk_incident(target):
    return _incident(target, risk="none")


def _task(target, *, done=False):
    officer = target.world.user("privacy_officer")
    task = services.task_create(
        actor=officer, incident=_incident(target), title="Interview the insider", assignee=officer
    )
    return services.task_complete(actor=officer, task=task) if done else task


def _done_task(target):
    return _task(target, done=True)


def _evidence(target):
    officer = target.world.user("privacy_officer")
    upload = SimpleUploadedFile("export-log.txt", b"2026-01-05 export of 1,000 rows\n", content_type="text/plain")
    return services.evidence_upload(actor=officer, incident=_incident(target), upload=upload)


def _regulator_obligation(target):
    return _incident(target).obligations.get(recipient="regulator")


def _incident_with_subjects(target):
    incident = _incident(target)
    import_subjects(target.world.user("privacy_officer"), incident, 3)
    return incident


KINDS = {
    "incident": _incident,
    "no_risk_incident": _no_risk_incident,
    "incident_task": _task,
    "incident_done_task": _done_task,
    "incident_evidence": _evidence,
    "regulator_obligation": _regulator_obligation,
    "incident_with_subjects": _incident_with_subjects,
}
CASE_KINDS = set(KINDS)  # each built on _incident: "own" is an incident the persona handles

LIST = answers(default=200, anonymous=401)
REPORT = answers(default=201, anonymous=401)
SEE = case_answers(200, read=True)
WORK = case_answers(200)
ADD = case_answers(201)
# Assigning handlers: privacy officers only.
ASSIGN = answers(
    anonymous=401,
    employee=(403, 404),
    reviewer=(403, 404),
    other_reviewer=(403, 404),
    access_admin=(403, 404),
    privacy_officer=(200, 200),
    auditor=(403, 403),
    service=404,
)
# Revoking all access: working the incident and the right to offboard.
REVOKE = {**ASSIGN, "access_admin": (200, 404)}


def _report(world, obj):
    return {"title": "Laptop lost on a train", "kind": "loss", "detected_at": timezone.now().isoformat()}


def _filing(world, obj):
    return {"authority": "CNIL", "submitted_at": timezone.now().isoformat(), "reference": "CNIL-1"}


def _user(key):
    return lambda world, obj: {"user": world.user(key).pk}


def _task_body(world, obj):
    return {"title": "Interview the insider", "assignee": world.user("privacy_officer").pk}


def _referral(world, obj):
    return {"agency": "Metropolitan Police", "referred_on": str(timezone.localdate())}


def _handler(world, obj):
    return {"handler": world.user("outsider").pk}


ASSESS = {"is_personal_data_breach": True, "risk": "risk", "jurisdictions": ["UK"]}
AUDITOR_NOTE = "an auditor holding a handler's rights on the incident still changes nothing"


def _window(world, obj):
    now = timezone.now()
    return {"start": (now - timedelta(days=30)).isoformat(), "end": now.isoformat()}


ROWS = [
    Row("api-incident-list", "GET", LIST),
    Row("api-incident-exposure", "GET", SEE, kind="incident", body=_window),
    Row("api-incident-list", "POST", REPORT, body=_report, note="any employee (and any active user) may report"),
    Row("api-incident-detail", "GET", SEE, kind="incident"),
    Row("api-incident-assess", "POST", WORK, kind="incident", body=ASSESS, note=AUDITOR_NOTE),
    Row("api-incident-involved-users", "POST", ADD, kind="incident", body=_user("second_reviewer")),
    Row("api-incident-revoke-access", "POST", REVOKE, kind="incident", body=_user("outsider")),
    Row("api-incident-regulator-notifications", "POST", ADD, kind="incident", body=_filing),
    Row("api-incident-no-notification", "POST", WORK, kind="no_risk_incident", body={"reason": "Encrypted at rest."}),
    Row("api-incident-handlers", "POST", ASSIGN, kind="incident", body=_handler),
    Row("api-incident-set-status", "POST", WORK, kind="incident", body={"status": "triage"}),
    Row("api-incident-tasks", "POST", ADD, kind="incident", body=_task_body),
    Row("api-incident-referrals", "POST", ADD, kind="incident", body=_referral),
]


# --- Pages: the same rights; the anonymous are sent to sign in, a done action redirects (302) ---------


def _report_form(world, obj):
    when = timezone.localtime() - timedelta(minutes=5)
    return {
        "title": "Laptop lost on a train",
        "kind": "loss",
        "severity": "low",
        "detected_at": f"{when:%Y-%m-%dT%H:%M}",
    }


def _filing_form(world, obj):
    return {"authority": "CNIL", "submitted_at": f"{timezone.localtime():%Y-%m-%dT%H:%M}", "regime": "gdpr"}


PAGE = page_answers(SEE)
ACT = page_answers(WORK, done=200)
ADD_PAGE = page_answers(ADD, done=201)
REVOKE_PAGE = page_answers(REVOKE, done=200)
ASSIGN_PAGE = page_answers(ASSIGN, done=200)

ROWS += [
    Row("incidents:incident-list", "GET", page_answers(LIST)),
    Row("incidents:incident-report", "GET", page_answers(LIST)),
    Row("incidents:incident-report", "POST", page_answers(REPORT, done=201), body=_report_form),
    Row("incidents:incident-detail", "GET", PAGE, kind="incident"),
    Row("incidents:incident-assess", "POST", ACT, kind="incident", body=ASSESS, note=AUDITOR_NOTE),
    Row("incidents:incident-status", "POST", ACT, kind="incident", body={"status": "triage"}),
    Row("incidents:incident-note", "POST", ACT, kind="incident", body={"text": "Called the vendor."}),
    Row("incidents:incident-involved", "POST", ADD_PAGE, kind="incident", body=_user("second_reviewer")),
    Row(
        "incidents:incident-revoke-access",
        "POST",
        page_answers(REVOKE, done=200),
        kind="incident",
        body=_user("outsider"),
    ),
    Row("incidents:incident-handler", "POST", page_answers(ASSIGN, done=200), kind="incident", body=_handler),
    Row("incidents:incident-filing", "POST", ADD_PAGE, kind="incident", body=_filing_form),
]


# --- Casework pages: what the investigation gathers is for those who work the incident and auditors ------

# The breach register lists every breach: privacy officers and auditors (the roles that see all).
REGISTER = answers(default=403, anonymous=LOGIN, privacy_officer=200, auditor=200)


def _draft(world, obj):
    return {"nature": "Contact data of 1,000 customers disclosed.", "contact_point": "DPO", "consequences": "Phishing."}


def _submit(world, obj):
    return {"authority": "ICO", "submitted_at": f"{timezone.localtime():%Y-%m-%dT%H:%M}", "reference": "ICO-1"}


def _evidence_file(world, obj):
    return {"file": SimpleUploadedFile("note.txt", b"Called the vendor.\n"), "description": "call"}


ROWS += [
    Row("incidents:register", "GET", REGISTER),
    Row("incidents:register-csv", "GET", REGISTER),
    Row("incidents:task-create", "POST", ADD_PAGE, kind="incident", body=_task_body),
    Row("incidents:task-complete", "POST", ACT, kind="incident_task"),
    Row("incidents:task-reopen", "POST", ACT, kind="incident_done_task"),
    Row("incidents:evidence-upload", "POST", ADD_PAGE, kind="incident", body=_evidence_file),
    Row("incidents:evidence-download", "GET", PAGE, kind="incident_evidence"),
    Row("incidents:referral", "POST", ADD_PAGE, kind="incident", body=_referral),
    Row("incidents:regulator-draft", "GET", PAGE, kind="regulator_obligation"),
    Row("incidents:regulator-draft", "POST", ACT, kind="regulator_obligation", body=_draft),
    Row("incidents:regulator-draft-print", "GET", PAGE, kind="regulator_obligation"),
    Row("incidents:regulator-draft-submit", "POST", ADD_PAGE, kind="regulator_obligation", body=_submit),
    Row("incidents:exposure", "GET", PAGE, kind="incident"),
    Row("incidents:exposure-csv", "GET", PAGE, kind="incident"),
]


# --- Subject notification (incidents/subjects/) ------------------------------------------------------
# Importing and notifying is working the incident. The subjects (their addresses) and the counts are for
# those who see it. The matrix's API client sends JSON, so the import answers 400 ("choose a file")
# wherever the right is there; the file itself is tested in ``test_subjects_import.py``.

NOTIFY = {"subject": "About {reference}", "body": "Dear {name}, ..."}
FILE_NOTE = "the matrix posts JSON: 400 'choose a file' is where the right holds (403/404 come first)"


def _subjects_file(world, obj):
    return {"file": SimpleUploadedFile("more.csv", subjects_csv([("new.person@example.com", "New", "en")]))}


ROWS += [
    Row("api-incident-subjects", "GET", SEE, kind="incident_with_subjects"),
    Row("api-incident-subjects-summary", "GET", SEE, kind="incident_with_subjects"),
    Row("api-incident-subjects-import", "POST", case_answers(400), kind="incident", note=FILE_NOTE),
    Row("api-incident-subjects-notify", "POST", case_answers(202), kind="incident_with_subjects", body=NOTIFY),
    Row("incidents:incident-subjects", "GET", PAGE, kind="incident_with_subjects"),
    Row(
        "incidents:incident-subjects-import",
        "POST",
        page_answers(case_answers(201), done=201),
        kind="incident",
        body=_subjects_file,
    ),
    Row(
        "incidents:incident-subjects-notify",
        "POST",
        page_answers(case_answers(202), done=202),
        kind="incident_with_subjects",
        body=NOTIFY,
    ),
]
