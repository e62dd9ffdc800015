"""Auditors, access admins and privacy officers read the audit log; nobody changes it."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from portal import audit
from portal.models import AuditEvent
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = pytest.mark.django_db
READERS = ["auditor", "access_admin", "privacy_officer"]
NON_READERS = ["employee", "reviewer"]


@pytest.fixture
def log(employee, access_admin):
    """A small log: two people and a periodic job acting on two assets."""
    contacts = DataAssetFactory(name="Customer contact database")
    video = DataAssetFactory(name="Doorbell video feeds")
    audit.record(actor=access_admin, action="portal.asset.created", target=contacts)
    audit.record(actor=access_admin, action="portal.asset.created", target=video)
    audit.record(actor=employee, action="access.request.created", target=contacts, details={"scope": "use"})
    audit.record(actor=None, action="access.grants.expired", details={"grants": [1, 2]})
    return {"contacts": contacts, "video": video}


def _actions(response) -> list[str]:
    return [e["action"] for e in response.json()["results"]]


# --- Who may read -----------------------------------------------------------------------


@pytest.mark.parametrize("who", READERS)
def test_readers_see_the_log_page_with_a_nav_link_and_no_way_to_change_it(request, web_of, log, who):
    response = web_of(request.getfixturevalue(who)).get("/audit/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="/audit/">Audit log</a>' in html
    assert "access.request.created" in html
    assert "Customer contact database" in html
    assert 'method="post"' not in html.split("<main", 1)[1]  # only the sign-out form posts
    assert "/admin/portal/auditevent/" not in html


@pytest.mark.parametrize("who", NON_READERS)
def test_others_get_403_and_no_nav_link(request, web_of, client_of, log, who):
    user = request.getfixturevalue(who)
    web = web_of(user)

    assert web.get("/audit/").status_code == 403
    assert web.get("/audit/export.csv").status_code == 403
    assert "/audit/" not in web.get("/").content.decode()
    assert client_of(user).get("/api/audit-events/").status_code == 403
    assert not AuditEvent.objects.filter(action="portal.audit.exported").exists()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/audit/").status_code == 302
    assert client.get("/api/audit-events/").status_code in (401, 403)


# --- Filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=portal.asset.created", ["portal.asset.created", "portal.asset.created"]),
        ("actor=emma", ["access.request.created"]),
        ("actor=system", ["access.grants.expired"]),
        ("target_type=portal.dataasset", ["access.request.created", "portal.asset.created", "portal.asset.created"]),
        ("actor=99999999999999999999999", []),
    ],
)
def test_the_api_filters_by_action_actor_and_target(client_of, auditor, log, query, expected):
    response = client_of(auditor).get(f"/api/audit-events/?{query}")

    assert response.status_code == 200
    assert _actions(response) == expected


def test_filters_by_actor_id_and_one_target(client_of, auditor, employee, log):
    api = client_of(auditor)
    assert _actions(api.get(f"/api/audit-events/?actor={employee.pk}")) == ["access.request.created"]
    video = log["video"]
    only = api.get(f"/api/audit-events/?target_type=portal.dataasset&target_id={video.pk}").json()["results"]
    assert [(e["action"], e["target_repr"]) for e in only] == [("portal.asset.created", "Doorbell video feeds")]


def test_filters_by_time_range(client_of, auditor, log, time_machine):
    later = timezone.now() + timedelta(days=2)
    time_machine.move_to(later, tick=False)
    audit.record(actor=None, action="access.requests.lapsed")
    api = client_of(auditor)
    since = (later - timedelta(hours=1)).isoformat()

    assert _actions(api.get("/api/audit-events/", {"since": since})) == ["access.requests.lapsed"]
    assert "access.requests.lapsed" not in _actions(api.get("/api/audit-events/", {"until": since}))


def test_an_invalid_filter_is_a_400_per_field_in_the_api(client_of, auditor, log):
    response = client_of(auditor).get("/api/audit-events/?since=last+tuesday")

    assert response.status_code == 400
    assert "since" in response.json()["errors"]


def test_an_invalid_filter_is_a_visible_message_on_the_page(web_of, auditor, log):
    response = web_of(auditor).get("/audit/?since=last+tuesday&action=portal.asset.created")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters are not valid." in html
    assert "Enter a valid date/time." in html
    # The list as it opens, without the filters (the valid one too): never a silently half-filtered log.
    assert len(response.context["events"]) == min(AuditEvent.objects.count(), 50)


def test_the_page_filters_and_keeps_the_filters_for_the_export_link(web_of, auditor, log):
    html = web_of(auditor).get("/audit/?actor=emma").content.decode()

    assert "access.request.created" in html
    assert "portal.asset.created" not in html
    assert 'href="/audit/export.csv?actor=emma"' in html


# --- Export -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", READERS)
def test_readers_export_the_filtered_log_as_streamed_csv_which_is_itself_audited(request, web_of, log, who):
    user = request.getfixturevalue(who)

    response = web_of(user).get("/audit/export.csv?action=portal.asset.created&page=3")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["target_repr"] for r in rows] == ["Customer contact database", "Doorbell video feeds"]
    assert rows[0]["hash"] == AuditEvent.objects.get(sequence=int(rows[0]["sequence"])).hash
    [exported] = AuditEvent.objects.filter(action="portal.audit.exported")
    assert (exported.actor_id, exported.details) == (user.pk, {"filters": {"action": "portal.asset.created"}})


def test_the_export_defuses_spreadsheet_formulas(web_of, auditor, access_admin):
    audit.record(actor=access_admin, action="portal.asset.created", target=DataAssetFactory(name="=HYPERLINK(1)"))

    body = b"".join(web_of(auditor).get("/audit/export.csv").streaming_content).decode()

    assert "'=HYPERLINK(1)" in body


def test_an_export_with_an_invalid_filter_exports_nothing_and_says_why(web_of, auditor, log):
    response = web_of(auditor).get("/audit/export.csv?until=soon", follow=True)

    assert "Not exported: Some filters are not valid." in response.content.decode()
    assert not AuditEvent.objects.filter(action="portal.audit.exported").exists()


# --- Read-only API ----------------------------------------------------------------------


def test_the_api_lists_newest_first_paginated_with_the_chain_fields(client_of, auditor, log):
    body = client_of(auditor).get("/api/audit-events/?page_size=2").json()

    assert body["count"] == 4
    assert [e["sequence"] for e in body["results"]] == [4, 3]
    assert set(body["results"][0]) >= {"created_at", "actor_repr", "target_type", "details", "prev_hash", "hash"}
    assert body["next"]


def test_the_api_shows_one_event_by_its_sequence(client_of, auditor, log):
    api = client_of(auditor)
    assert api.get("/api/audit-events/3/").json()["action"] == "access.request.created"
    assert api.get("/api/audit-events/3").status_code == 200
    assert api.get("/api/audit-events/999/").status_code == 404


@pytest.mark.parametrize("who", READERS)
def test_nobody_can_change_or_delete_an_event_through_the_api(request, client_of, log, who):
    api = client_of(request.getfixturevalue(who))
    before = list(AuditEvent.objects.values_list("sequence", "hash"))

    assert api.post("/api/audit-events/", {"action": "x.y.z"}).status_code == 405
    assert api.put("/api/audit-events/1/", {"action": "x.y.z"}).status_code == 405
    assert api.patch("/api/audit-events/1/", {"action": "x.y.z"}).status_code == 405
    assert api.delete("/api/audit-events/1/").status_code == 405

    assert list(AuditEvent.objects.values_list("sequence", "hash")) == before


@pytest.mark.parametrize("who", NON_READERS)
def test_others_get_403_on_every_verb_of_the_api(request, client_of, log, who):
    api = client_of(request.getfixturevalue(who))

    assert api.get("/api/audit-events/1/").status_code == 403
    assert api.post("/api/audit-events/", {}).status_code == 403
    assert api.delete("/api/audit-events/1/").status_code == 403


# --- The admin stays read-only, for superusers too -------------------------------------


def test_the_admin_lets_a_superuser_read_events_but_not_add_change_or_delete_them(client, log):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    event = AuditEvent.objects.get(sequence=1)
    url = f"/admin/portal/auditevent/{event.pk}"

    changelist = client.get("/admin/portal/auditevent/")
    assert changelist.status_code == 200
    assert "delete_selected" not in changelist.content.decode()
    assert client.get("/admin/portal/auditevent/add/").status_code == 403
    assert client.post(f"{url}/change/", {"action": "x.y.z"}).status_code == 403
    assert client.post(f"{url}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "portal.asset.created"


# --- Constant queries -------------------------------------------------------------------


def _events(n: int) -> None:
    audit.record_many(actor=None, entries=[audit.Entry("test.thing.done", details={"i": i}) for i in range(n)])


@pytest.mark.parametrize("n", [10, 1000])
def test_the_log_page_queries_do_not_grow(web_of, auditor, n, django_assert_num_queries):
    _events(n)
    web = web_of(auditor)
    web.get("/audit/")  # warm the per-process content-type cache
    # session, user, user's permissions, group permissions, count, events page, then the navigation:
    # the user's roles and whether they review anything
    with django_assert_num_queries(8):
        response = web.get("/audit/")
    assert response.status_code == 200


@pytest.mark.parametrize("n", [10, 1000])
def test_the_api_list_queries_do_not_grow(client_of, auditor, n, django_assert_num_queries):
    _events(n)
    api = client_of(auditor)
    api.get("/api/audit-events/")  # warm the per-process content-type cache
    # session, user, user's permissions, group permissions, count, events page
    with django_assert_num_queries(6):
        response = api.get("/api/audit-events/")
    assert response.json()["count"] == n


@pytest.mark.parametrize("n", [10, 1000])
def test_the_export_queries_do_not_grow(web_of, auditor, n, django_assert_num_queries):
    _events(n)
    web = web_of(auditor)
    web.get("/audit/")  # warm the per-process content-type cache
    # session, user, user's permissions, group permissions; the export's own event in one transaction
    # (savepoint, head lock, insert, head update, release); then ONE streamed SELECT of the events
    with django_assert_num_queries(10):
        rows = b"".join(web.get("/audit/export.csv").streaming_content).decode().splitlines()
    assert len(rows) == n + 2  # header, the events, and the export's own event
