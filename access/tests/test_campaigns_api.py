"""The campaigns API: the spec's paths and fields, and who may do what (404 unseen, 403 not allowed, 409 state)."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from access.campaigns.evidence import COLUMNS
from access.campaigns.models import ReviewItem
from access.models import Grant
from access.tests.factories import GrantFactory, make_campaign
from portal import permissions
from portal.models import AuditEvent
from portal.tests.factories import DataAssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(access_admin, asset, employee, outsider):
    GrantFactory(user=employee, asset=asset, last_used_at=timezone.now())
    GrantFactory(user=outsider, asset=asset, last_used_at=None)
    return make_campaign(access_admin)


def test_create_launch_decide_close_through_the_api(client_of, access_admin, reviewer, asset, employee):
    grant = GrantFactory(user=employee, asset=asset, last_used_at=None)
    admin = client_of(access_admin)
    due = (timezone.now() + timedelta(days=10)).isoformat()

    created = admin.post(
        "/api/campaigns/",
        {"name": "Q1", "due_at": due, "min_sensitivity": "confidential", "default_decision": "revoke"},
    )
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "draft"
    pk = created.json()["id"]

    launched = admin.post(f"/api/campaigns/{pk}/launch")
    assert launched.status_code == 200
    assert launched.json()["status"] == "running"
    assert launched.json()["item_count"] == 1

    mine = client_of(reviewer).get(f"/api/campaigns/{pk}/items/?reviewer=me&decided=0")
    assert mine.status_code == 200
    [item] = mine.json()["results"]
    assert item["recommendation"] == "revoke"
    assert item["reason"] == "never_used"
    assert item["grantee"]["username"] == "emma"
    assert item["asset"]["id"] == asset.pk

    refused = client_of(reviewer).post(f"/api/review-items/{item['id']}/decide", {"decision": "certify"})
    assert refused.status_code == 400
    assert "comment" in refused.json()["errors"]
    decided = client_of(reviewer).post(
        f"/api/review-items/{item['id']}/decide", {"decision": "revoke", "comment": "Left the team."}
    )
    assert decided.status_code == 200
    assert decided.json()["decision"] == "revoke"

    closed = admin.post(f"/api/campaigns/{pk}/close")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    grant.refresh_from_db()
    assert grant.status == Grant.Status.REVOKED
    assert admin.post(f"/api/campaigns/{pk}/close/").status_code == 200  # idempotent, trailing slash too
    assert (
        client_of(reviewer).post(f"/api/review-items/{item['id']}/decide", {"decision": "certify"}).status_code == 409
    )


def test_a_large_launch_answers_202(client_of, access_admin, asset, monkeypatch, django_capture_on_commit_callbacks):
    from access.campaigns.services import launch as launch_step

    monkeypatch.setattr(launch_step, "LAUNCH_INLINE_MAX", 1)
    GrantFactory.create_batch(3, asset=asset)
    campaign = make_campaign(access_admin, launch=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(access_admin).post(f"/api/campaigns/{campaign.pk}/launch")

    assert response.status_code == 202
    assert response.json()["status"] == "running"
    assert response.json()["items_expected"] == 3
    campaign.refresh_from_db()
    assert campaign.is_ready
    assert campaign.item_count == 3


def test_bulk_decide_by_ids_and_by_filter(client_of, reviewer, running):
    web = client_of(reviewer)
    ids = list(ReviewItem.objects.filter(campaign=running).values_list("pk", flat=True))

    by_ids = web.post(f"/api/campaigns/{running.pk}/decide", {"items": ids[:1], "decision": "revoke"}, format="json")
    assert by_ids.status_code == 200
    assert by_ids.json() == {"decided": 1}
    by_filter = web.post(
        f"/api/campaigns/{running.pk}/decide", {"match": {}, "decision": "certify", "comment": "Needed."}, format="json"
    )
    assert by_filter.json() == {"decided": 1}
    both = web.post(f"/api/campaigns/{running.pk}/decide", {"decision": "certify"}, format="json")
    assert both.status_code == 400


def test_other_reviewers_items_are_404_and_auditors_get_403(client_of, running, second_reviewer, auditor, employee):
    item = ReviewItem.objects.filter(campaign=running).first()

    assert client_of(second_reviewer).get(f"/api/review-items/{item.pk}").status_code == 404
    assert (
        client_of(second_reviewer).post(f"/api/review-items/{item.pk}/decide", {"decision": "revoke"}).status_code
        == 404
    )
    assert client_of(employee).get(f"/api/campaigns/{running.pk}").status_code == 404
    assert client_of(auditor).get(f"/api/review-items/{item.pk}").status_code == 200
    assert client_of(auditor).post(f"/api/review-items/{item.pk}/decide", {"decision": "revoke"}).status_code == 403
    bulk = client_of(auditor).post(f"/api/campaigns/{running.pk}/decide", {"items": [item.pk], "decision": "revoke"})
    assert bulk.status_code == 403  # the auditor has no items to decide
    assert client_of(auditor).post(f"/api/campaigns/{running.pk}/close").status_code == 403
    assert client_of(auditor).post("/api/campaigns/", {"name": "x"}).status_code in (400, 403)


def test_auditors_read_every_item(client_of, running, auditor):
    response = client_of(auditor).get(f"/api/campaigns/{running.pk}/items/")
    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_evidence_csv_holds_every_item_with_the_right_columns(client_of, auditor, reviewer, running):
    item = ReviewItem.objects.filter(campaign=running, recommendation="revoke").first()
    client_of(reviewer).post(f"/api/review-items/{item.pk}/decide", {"decision": "revoke", "comment": "=cmd|x"})

    response = client_of(auditor).get(f"/api/campaigns/{running.pk}/evidence.csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert list(rows[0]) == COLUMNS
    assert {int(r["item"]) for r in rows} == set(
        ReviewItem.objects.filter(campaign=running).values_list("pk", flat=True)
    )
    decided = next(r for r in rows if int(r["item"]) == item.pk)
    assert decided["decision"] == "revoke"
    assert decided["decided_by"] == "rita"
    assert decided["reviewer"] == "rita"
    assert decided["comment"] == "'=cmd|x"  # never a formula in a spreadsheet
    assert AuditEvent.objects.filter(action="access.campaign.evidence_downloaded").count() == 1


def test_reviewers_may_not_export_evidence(client_of, reviewer, employee, running):
    assert client_of(reviewer).get(f"/api/campaigns/{running.pk}/evidence.csv").status_code == 403
    assert client_of(employee).get(f"/api/campaigns/{running.pk}/evidence.csv").status_code == 404


def test_delegate_and_reassign_through_the_api(
    client_of, access_admin, reviewer, second_reviewer, employee, privacy_officer
):
    asset = DataAssetFactory(reviewers=[reviewer, second_reviewer])
    GrantFactory(user=employee, asset=asset)
    campaign = make_campaign(access_admin)
    item = ReviewItem.objects.get(campaign=campaign)

    bad = client_of(reviewer).post(f"/api/review-items/{item.pk}/delegate", {"to": employee.pk})
    assert bad.status_code == 400
    assert "to" in bad.json()["errors"]
    ok = client_of(reviewer).post(f"/api/review-items/{item.pk}/delegate", {"to": second_reviewer.pk})
    assert ok.status_code == 200
    assert ok.json()["reviewer"]["id"] == second_reviewer.pk
    assert client_of(reviewer).get(f"/api/review-items/{item.pk}").status_code == 404
    assert (
        client_of(second_reviewer).post(f"/api/review-items/{item.pk}/reassign", {"to": reviewer.pk}).status_code == 403
    )
    moved = client_of(access_admin).post(f"/api/review-items/{item.pk}/reassign", {"to": privacy_officer.pk})
    assert moved.status_code == 200
    assert moved.json()["reviewer"]["id"] == privacy_officer.pk


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/campaigns/{c}/decide", {"items": [1.0], "decision": "revoke"}),
        ("/api/campaigns/{c}/decide", {"items": [True], "decision": "revoke"}),
        ("/api/campaigns/{c}/decide", {"match": {"asset": 1.0}, "decision": "revoke"}),
        ("/api/campaigns/{c}/decide", {"items": [1], "decision": "revoke", "comment": 12345}),
        ("/api/review-items/{i}/decide", {"decision": "revoke", "comment": True}),
        ("/api/review-items/{i}/delegate", {"to": "second_reviewer"}),
    ],
)
def test_ids_and_text_have_strict_json_types(client_of, reviewer, second_reviewer, asset, running, path, body):
    item = ReviewItem.objects.filter(campaign=running).first()
    if "to" in body:
        # An eligible reviewer, so only the type refuses it.
        permissions.assign("portal.review_dataasset", second_reviewer, asset)
        body = {"to": second_reviewer.pk * 1.0}
    if "items" in body:
        # The item's own id (as given: 1.0 → its id as a float, 1 → its id), so only the type refuses it.
        same = {float: item.pk * 1.0, int: item.pk}
        body = {**body, "items": [same.get(type(v), v) for v in body["items"]]}
    response = client_of(reviewer).post(path.format(c=running.pk, i=item.pk), body, format="json")
    assert response.status_code == 400, response.json()
    assert not ReviewItem.objects.filter(campaign=running).exclude(decision="").exists()


def test_a_campaign_is_not_created_from_a_float_asset_id_or_a_numeric_name(client_of, access_admin, asset):
    due = (timezone.now() + timedelta(days=7)).isoformat()
    web = client_of(access_admin)
    assert (
        web.post("/api/campaigns/", {"name": "x", "due_at": due, "assets": [asset.pk * 1.0]}, format="json").status_code
        == 400
    )
    assert web.post("/api/campaigns/", {"name": 12345, "due_at": due}, format="json").status_code == 400
    ok = web.post("/api/campaigns/", {"name": "Q1", "due_at": due, "assets": [asset.pk]}, format="json")
    assert ok.status_code == 201
    assert ok.json()["assets"] == [asset.pk]


def test_bulk_ids_of_another_campaign_are_refused_and_nothing_is_decided(client_of, access_admin, reviewer, running):
    other = make_campaign(access_admin)  # a second campaign over the same grants
    theirs = ReviewItem.objects.filter(campaign=other).first()
    mine = ReviewItem.objects.filter(campaign=running, reviewer=reviewer).first()

    response = client_of(reviewer).post(
        f"/api/campaigns/{running.pk}/decide", {"items": [mine.pk, theirs.pk], "decision": "revoke"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"]["items"] == ["1 of the chosen items is not yours to decide here."]
    assert not ReviewItem.objects.exclude(decision="").exists()


def test_the_same_decision_twice_changes_nothing_the_second_time(client_of, reviewer, running):
    from portal.models import AuditEvent

    item = ReviewItem.objects.filter(campaign=running, reviewer=reviewer).first()
    api = client_of(reviewer)
    body = {"decision": "revoke", "comment": ""}
    first = api.post(f"/api/review-items/{item.pk}/decide", body, format="json")
    events = AuditEvent.objects.count()
    decided_at = ReviewItem.objects.get(pk=item.pk).decided_at

    again = api.post(f"/api/review-items/{item.pk}/decide", body, format="json")
    bulk = api.post(f"/api/campaigns/{running.pk}/decide", {"items": [item.pk], **body}, format="json")

    assert (first.status_code, again.status_code, bulk.status_code) == (200, 200, 200)
    assert bulk.json() == {"decided": 0}
    assert AuditEvent.objects.count() == events
    assert ReviewItem.objects.get(pk=item.pk).decided_at == decided_at
