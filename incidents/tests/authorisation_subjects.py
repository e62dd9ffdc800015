"""Authorisation rows of subject notification's routes, added to ``incidents/tests/authorisation.py``.

Importing and notifying is working the incident (handlers, privacy officers). Counts
(the summary) are for anyone who sees the incident; the subjects themselves (their
addresses) for those who work it and auditors, so a reporter gets 403 on the list.
The matrix's API client sends JSON, so the import answers 400 ("choose a file")
wherever the right is there; the file itself is tested in ``test_subjects_api.py``.
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.tests.factories import import_subjects, subjects_csv
from portal.testing import Row, answers


def _incident_with_subjects(target):
    from incidents.tests.authorisation import _incident

    incident = _incident(target)
    import_subjects(target.world.user("privacy_officer"), incident, 3)
    return incident


KINDS = {"incident_with_subjects": _incident_with_subjects}


def _work(ok):
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
NOTIFY = {"subject": "About {reference}", "body": "Dear {name}, ..."}
FILE_NOTE = "the matrix posts JSON: 400 'choose a file' is where the right holds (403/404 come first)"


def _file(world, obj):
    return {"file": SimpleUploadedFile("more.csv", subjects_csv([("new.person@example.com", "New", "en")]))}


def web(expect, done):
    from incidents.tests.authorisation import web as incidents_web

    return incidents_web(expect, done)


ROWS = [
    Row("api-incident-subjects", "GET", SEE, kind="incident_with_subjects", note="handlers, officers, auditors"),
    Row("api-incident-subjects-summary", "GET", SEE, kind="incident_with_subjects"),
    Row("api-incident-subjects-import", "POST", _work(400), kind="incident", note=FILE_NOTE),
    Row("api-incident-subjects-notify", "POST", _work(202), kind="incident_with_subjects", body=NOTIFY),
    Row("incidents:incident-subjects", "GET", web(SEE, done=None), kind="incident_with_subjects"),
    Row("incidents:incident-subjects-import", "POST", web(_work(201), done=201), kind="incident", body=_file),
    Row(
        "incidents:incident-subjects-notify",
        "POST",
        web(_work(202), done=202),
        kind="incident_with_subjects",
        body=NOTIFY,
    ),
]
