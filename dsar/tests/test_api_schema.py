"""The dsar API answers what its schema says: the fields that may be null say so, each action documents
the request it answers with. ``tests/e2e/test_schema_fuzz.py`` fuzzes every operation; these pin the
answers it once found undocumented."""

from __future__ import annotations

import pytest

from dsar.tests.factories import make_request
from dsar.tests.package_factories import request_in_review, verified_request
from portal.testing import api_schema, assert_answer_documented
from portal.tests.factories import DataAssetFactory

pytestmark = pytest.mark.django_db

REQUEST_DETAIL = {"$ref": "#/components/schemas/RequestDetail"}


def test_a_request_nobody_handles_yet_answers_as_documented(privacy_officer, client_of):
    request = make_request(by=privacy_officer)
    client = client_of(privacy_officer)

    paused = client.post(f"/api/dsar/{request.pk}/pause/", {"reason": "Waiting for a proof of identity."})

    assert paused.status_code == 200
    assert paused.json()["handler"] is None
    assert_answer_documented(paused, "/api/dsar/{id}/pause/", "POST")
    assert_answer_documented(client.get("/api/dsar/"), "/api/dsar/", "GET")
    assert_answer_documented(client.get(f"/api/dsar/{request.pk}/"), "/api/dsar/{id}/", "GET")


@pytest.mark.parametrize(
    ("action", "code"),
    [
        ("assign", "200"),
        ("verify", "200"),
        ("pause", "200"),
        ("resume", "200"),
        ("reject", "200"),
        ("withdraw", "200"),
        ("extend", "200"),
        ("collect", "202"),
    ],
)
def test_each_action_on_a_request_documents_the_request_with_its_tasks(action, code):
    answer = api_schema()["paths"][f"/api/dsar/{{id}}/{action}/"]["post"]["responses"][code]
    assert answer["content"]["application/json"]["schema"] == REQUEST_DETAIL


def test_a_package_not_yet_approved_answers_as_documented(privacy_officer, employee, client_of):
    req = request_in_review(privacy_officer, employee)
    client = client_of(employee)

    built = client.post(f"/api/dsar/{req.pk}/package/")

    assert built.status_code == 201
    assert built.json()["approved_by"] is None
    assert_answer_documented(built, "/api/dsar/{id}/package/", "POST")
    assert_answer_documented(client.get(f"/api/dsar/{req.pk}/package/"), "/api/dsar/{id}/package/", "GET")


def test_erasure_tasks_nobody_confirmed_yet_answer_as_documented(privacy_officer, employee, reviewer, client_of):
    DataAssetFactory(name="CRM", reviewers=[reviewer])
    req = verified_request(privacy_officer, employee, type="erasure")

    started = client_of(employee).post(f"/api/dsar/{req.pk}/erasure/")
    queue = client_of(reviewer).get("/api/dsar/erasure-tasks/")

    assert started.status_code == 201
    assert [t["confirmed_by"] for t in started.json()] == [None]
    assert_answer_documented(started, "/api/dsar/{id}/erasure/", "POST")
    assert [t["confirmed_by"] for t in queue.json()["results"]] == [None]
    assert_answer_documented(queue, "/api/dsar/erasure-tasks/", "GET")
