"""The authorisation matrix of incidents/ routes (see ``portal/testing.py``).

``(own, other)``: "own" is an incident the persona handles (a privacy officer assigned
them), "other" one reported by another employee that they have nothing to do with.
Privacy officers see and run all incidents; auditors see all and change nothing;
revoking access also needs the right to offboard (privacy officers, access admins).
"""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents import services
from incidents.models import InvolvedUser
from incidents.tests.factories import assess, make_incident
from portal.testing import LOGIN, OWN, Row, answers


def _incident(target, *, risk="high_risk"):
    world = target.world
    officer = world.user("privacy_officer")
    outsider = world.user("outsider")
    incident = make_incident(outsider)
    assess(officer, incident, risk=risk)
    InvolvedUser.objects.create(incident=incident, user=outsider, added_by=officer)
    if target.ownership == OWN:
        services.incident_assign_handler(actor=officer, incident=incident, handler=world.user(target.persona))
    return incident


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


KINDS = {
    "incident": _incident,
    "no_risk_incident": _no_risk_incident,
    "incident_task": _task,
    "incident_done_task": _done_task,
    "incident_evidence": _evidence,
    "regulator_obligation": _regulator_obligation,
}

LIST = answers(default=200, anonymous=401)
REPORT = answers(default=201, anonymous=401)


def _see(ok):
    """Handlers on theirs, privacy officers on all; the auditor sees all but changes nothing."""
    return answers(
        anonymous=401,
        employee=(ok, 404),
        reviewer=(ok, 404),
        other_reviewer=(ok, 404),
        access_admin=(ok, 404),
        privacy_officer=(ok, ok),
        auditor=(ok, 403),
        service=404,
    )


SEE = answers(
    anonymous=401,
    employee=(200, 404),
    reviewer=(200, 404),
    other_reviewer=(200, 404),
    access_admin=(200, 404),
    privacy_officer=(200, 200),
    auditor=(200, 200),
    service=404,
)
WORK = _see(200)
ADD = _see(201)
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
REVOKE = answers(
    anonymous=401,
    employee=(403, 404),
    reviewer=(403, 404),
    other_reviewer=(403, 404),
    access_admin=(200, 404),
    privacy_officer=(200, 200),
    auditor=(403, 403),
    service=404,
)


def _report(world, obj):
    return {"title": "Laptop lost on a train", "kind": "loss", "detected_at": timezone.now().isoformat()}


def _filing(world, obj):
    return {"authority": "CNIL", "submitted_at": timezone.now().isoformat(), "reference": "CNIL-1"}


def _user(key):
    return lambda world, obj: {"user": world.user(key).pk}


ASSESS = {"is_personal_data_breach": True, "risk": "risk", "jurisdictions": ["UK"]}
HANDLER_NOTE = "an auditor assigned as handler works that one incident like anyone else"


def _window(world, obj):
    now = timezone.now()
    return {"start": (now - timedelta(days=30)).isoformat(), "end": now.isoformat()}


ROWS = [
    Row("api-incident-list", "GET", LIST),
    Row("api-incident-exposure", "GET", SEE, kind="incident", body=_window),
    Row("api-incident-list", "POST", REPORT, body=_report, note="any employee (and any active user) may report"),
    Row("api-incident-detail", "GET", SEE, kind="incident"),
    Row("api-incident-assess", "POST", WORK, kind="incident", body=ASSESS, note=HANDLER_NOTE),
    Row("api-incident-involved-users", "POST", ADD, kind="incident", body=_user("second_reviewer")),
    Row("api-incident-revoke-access", "POST", REVOKE, kind="incident", body=_user("outsider")),
    Row("api-incident-regulator-notifications", "POST", ADD, kind="incident", body=_filing),
    Row("api-incident-no-notification", "POST", WORK, kind="no_risk_incident", body={"reason": "Encrypted at rest."}),
    Row("api-incident-handlers", "POST", ASSIGN, kind="incident", body=lambda w, o: {"handler": w.user("outsider").pk}),
    Row("api-incident-set-status", "POST", WORK, kind="incident", body={"status": "triage"}),
    Row(
        "api-incident-tasks",
        "POST",
        ADD,
        kind="incident",
        body=lambda w, o: {"title": "Interview the insider", "assignee": w.user("privacy_officer").pk},
    ),
    Row(
        "api-incident-referrals",
        "POST",
        ADD,
        kind="incident",
        body=lambda w, o: {"agency": "Metropolitan Police", "referred_on": str(timezone.localdate())},
    ),
]


# --- Pages: the same rights; the anonymous are sent to sign in, a done action redirects (302) ---------


def web(expect, done):
    def page(value):
        if isinstance(value, tuple):
            return tuple(page(v) for v in value)
        return LOGIN if value == 401 else 302 if value == done else value

    return {role: page(value) for role, value in expect.items()}


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


ROWS += [
    Row("incidents:incident-list", "GET", web(LIST, done=None)),
    Row("incidents:incident-report", "GET", web(LIST, done=None)),
    Row("incidents:incident-report", "POST", web(REPORT, done=201), body=_report_form),
    Row("incidents:incident-detail", "GET", web(SEE, done=None), kind="incident"),
    Row("incidents:incident-assess", "POST", web(WORK, done=200), kind="incident", body=ASSESS, note=HANDLER_NOTE),
    Row("incidents:incident-status", "POST", web(WORK, done=200), kind="incident", body={"status": "triage"}),
    Row("incidents:incident-note", "POST", web(WORK, done=200), kind="incident", body={"text": "Called the vendor."}),
    Row("incidents:incident-involved", "POST", web(ADD, done=201), kind="incident", body=_user("second_reviewer")),
    Row("incidents:incident-revoke-access", "POST", web(REVOKE, done=200), kind="incident", body=_user("outsider")),
    Row(
        "incidents:incident-handler",
        "POST",
        web(ASSIGN, done=200),
        kind="incident",
        body=lambda w, o: {"handler": w.user("outsider").pk},
    ),
    Row("incidents:incident-filing", "POST", web(ADD, done=201), kind="incident", body=_filing_form),
]


# --- Casework pages: what the investigation gathers is for those who work the incident and auditors ------

# The breach register lists every breach: privacy officers and auditors (the roles that see all).
REGISTER = answers(
    anonymous=LOGIN,
    employee=403,
    reviewer=403,
    other_reviewer=403,
    access_admin=403,
    privacy_officer=200,
    auditor=200,
    service=403,
)


def _draft(world, obj):
    return {"nature": "Contact data of 1,000 customers disclosed.", "contact_point": "DPO", "consequences": "Phishing."}


def _submit(world, obj):
    return {"authority": "ICO", "submitted_at": f"{timezone.localtime():%Y-%m-%dT%H:%M}", "reference": "ICO-1"}


ROWS += [
    Row("incidents:register", "GET", REGISTER),
    Row("incidents:register-csv", "GET", REGISTER),
    Row(
        "incidents:task-create",
        "POST",
        web(ADD, done=201),
        kind="incident",
        body=lambda w, o: {"title": "Interview the insider", "assignee": w.user("privacy_officer").pk},
    ),
    Row("incidents:task-complete", "POST", web(WORK, done=200), kind="incident_task"),
    Row("incidents:task-reopen", "POST", web(WORK, done=200), kind="incident_done_task"),
    Row(
        "incidents:evidence-upload",
        "POST",
        web(ADD, done=201),
        kind="incident",
        body=lambda w, o: {"file": SimpleUploadedFile("note.txt", b"Called the vendor.\n"), "description": "call"},
    ),
    Row("incidents:evidence-download", "GET", web(SEE, done=None), kind="incident_evidence"),
    Row(
        "incidents:referral",
        "POST",
        web(ADD, done=201),
        kind="incident",
        body=lambda w, o: {"agency": "Metropolitan Police", "referred_on": str(timezone.localdate())},
    ),
    Row("incidents:regulator-draft", "GET", web(SEE, done=None), kind="regulator_obligation"),
    Row("incidents:regulator-draft", "POST", web(WORK, done=200), kind="regulator_obligation", body=_draft),
    Row("incidents:regulator-draft-print", "GET", web(SEE, done=None), kind="regulator_obligation"),
    Row("incidents:regulator-draft-submit", "POST", web(ADD, done=201), kind="regulator_obligation", body=_submit),
    Row("incidents:exposure", "GET", web(SEE, done=None), kind="incident"),
    Row("incidents:exposure-csv", "GET", web(SEE, done=None), kind="incident"),
]

# Subject notification's routes (incidents/subjects/).
from incidents.tests import authorisation_subjects  # noqa: E402

KINDS.update(authorisation_subjects.KINDS)
ROWS += authorisation_subjects.ROWS
