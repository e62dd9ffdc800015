"""The incidents API answers what its schema says: the fields that may be null say so, and the subject
import's refusals have the documented body. ``tests/e2e/test_schema_fuzz.py`` fuzzes every operation;
these pin the answers it once found undocumented."""

from __future__ import annotations

import pytest

from access.tests.factories import make_grant
from incidents.services.common import timeline_add
from incidents.tests.factories import assess, make_incident, subjects_csv, subjects_upload
from portal.testing import assert_answer_documented

pytestmark = pytest.mark.django_db


def test_a_grant_still_held_and_never_used_is_documented_in_the_exposure_report(
    client_of, employee, privacy_officer, asset
):
    make_grant(employee, asset)
    incident = make_incident(employee, assets=[asset])

    response = client_of(privacy_officer).get(f"/api/incidents/{incident.pk}/exposure/")

    assert response.status_code == 200, response.content
    [row] = response.json()["results"]
    assert (row["ended_at"], row["last_used_at"]) == (None, None)
    assert_answer_documented(response, "/api/incidents/{id}/exposure/", "GET")


def test_a_system_entry_and_an_open_task_are_documented_in_the_incident(client_of, employee, privacy_officer):
    incident = make_incident(employee)
    assess(privacy_officer, incident)
    timeline_add(incident=incident, actor=None, action="incidents.timeline.noted", text="A deadline passed.")
    client = client_of(privacy_officer)

    task = client.post(
        f"/api/incidents/{incident.pk}/tasks/", {"title": "Call the DPO", "assignee": privacy_officer.pk}
    )
    detail = client.get(f"/api/incidents/{incident.pk}/")

    assert task.status_code == 201
    assert task.json()["done_by"] is None
    assert_answer_documented(task, "/api/incidents/{id}/tasks/", "POST")
    assert None in [entry["actor"] for entry in detail.json()["timeline"]]
    assert_answer_documented(detail, "/api/incidents/{id}/", "GET")


def test_every_answer_of_the_subject_import_has_its_documented_body(client_of, employee, privacy_officer):
    incident = make_incident(employee)
    url = f"/api/incidents/{incident.pk}/subjects/import/"
    client = client_of(privacy_officer)
    good = subjects_csv([("ann@example.com", "Ann", "en")])

    missing = client.post(url, {}, format="multipart")  # no file: the plain error body, no rows
    bad_rows = client.post(url, {"file": subjects_upload(subjects_csv([("nope", "X", "en")]))}, format="multipart")
    imported = client.post(url, {"file": subjects_upload(good)}, format="multipart")

    assert (missing.status_code, bad_rows.status_code, imported.status_code) == (400, 400, 201)
    assert "rows" not in missing.json()
    assert bad_rows.json()["bad_rows"] == 1
    for response in (missing, bad_rows, imported):
        assert_answer_documented(response, "/api/incidents/{id}/subjects/import/", "POST")
