"""Lists of the casework: the breach register and its CSV, the exposure report and its CSV, the incident
list's filters (page and API), and their queries at 10 and 1,000 rows."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access.models import Grant
from access.services import grant_revoke
from access.tests.factories import make_grant
from incidents import services
from incidents.models import EvidenceFile, Incident, InvolvedUser, Referral, Task
from incidents.tests.factories import assess, make_incident
from incidents.tests.test_api import _incidents
from portal.models import User

pytestmark = pytest.mark.django_db


def _count(client, url: str) -> int:
    client.get(url)  # warm the process-wide caches first
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return len(queries)


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


# --- The breach register ----------------------------------------------------------------


def test_the_register_lists_breaches_without_exercises_unless_asked(web_of, privacy_officer, employee):
    breach = make_incident(employee, title="Contact data leak")
    assess(privacy_officer, breach)
    not_breach = make_incident(employee, title="Phishing mail, nothing lost")
    assess(privacy_officer, not_breach, breach=False)
    drill = make_incident(employee, title="Tabletop drill", is_exercise=True)
    assess(privacy_officer, drill)
    client = web_of(privacy_officer)

    page = client.get("/incidents/register/").content.decode()
    with_drills = client.get("/incidents/register/?exercises=true").content.decode()

    assert "Contact data leak" in page
    assert "Phishing mail" not in page
    assert "Tabletop drill" not in page
    assert "Tabletop drill" in with_drills
    assert "EXERCISE" in with_drills


def test_the_register_csv_is_streamed_with_notifications_and_quotes_formulas(web_of, privacy_officer, employee):
    incident = make_incident(employee, title='=HYPERLINK("http://evil")')
    assess(privacy_officer, incident)
    services.regulator_notification_record(
        actor=privacy_officer, incident=incident, authority="CNIL", submitted_at=timezone.now(), reference="C-1"
    )
    services.referral_record(
        actor=privacy_officer, incident=incident, agency="Police", referred_on=timezone.localdate()
    )

    response = web_of(privacy_officer).get("/incidents/register.csv")

    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="breach-register-')
    (row,) = _csv(response)
    assert row["reference"] == incident.reference
    assert row["title"].startswith("'=")
    assert row["exercise"] == "no"
    assert "gdpr: done" in row["regulator_notifications"]
    assert "CNIL C-1" in row["regulator_notifications"]
    assert row["referrals"].startswith("Police")
    assert row["subject_count"] == "1000"


@pytest.mark.parametrize("persona", ["employee", "reviewer", "access_admin"])
def test_the_register_is_for_privacy_officers_and_auditors_only(request, web_of, persona, employee, privacy_officer):
    incident = make_incident(employee)
    assess(privacy_officer, incident)
    user = request.getfixturevalue(persona)
    if persona == "reviewer":  # even the incident's handler
        services.incident_assign_handler(actor=privacy_officer, incident=incident, handler=user)

    assert web_of(user).get("/incidents/register/").status_code == 403
    assert web_of(user).get("/incidents/register.csv").status_code == 403


def test_a_bad_register_filter_is_named(web_of, auditor):
    response = web_of(auditor).get("/incidents/register/?aware_from=yesterday", follow=True)

    assert "Aware from" in " ".join(str(m) for m in response.context["messages"])


@pytest.mark.parametrize("url", ["/incidents/register/", "/incidents/register.csv"])
def test_the_register_uses_the_same_queries_for_10_and_1000_breaches(web_of, employee, auditor, url):
    client = web_of(auditor)
    _incidents(employee, 10)
    small = _count(client, url)
    _incidents(employee, 390)  # the CSV reads in chunks of 500: one chunk at both sizes
    assert _count(client, url) == small
    if url.endswith("/"):
        _incidents(employee, 600)
        assert _count(client, url) == small


# --- Exposure report ----------------------------------------------------------------------


def _exposed(privacy_officer, employee, asset, *, handler=None):
    incident = make_incident(employee, assets=[asset], aware_hours_ago=2)
    assess(privacy_officer, incident)
    if handler is not None:
        services.incident_assign_handler(actor=privacy_officer, incident=incident, handler=handler)
    return incident


def test_the_exposure_report_shows_who_held_a_grant_in_the_window(
    web_of, privacy_officer, employee, outsider, second_reviewer, asset
):
    make_grant(outsider, asset)
    old = make_grant(second_reviewer, asset)
    Grant.objects.filter(pk=old.pk).update(
        granted_at=timezone.now() - timedelta(days=90), ended_at=timezone.now() - timedelta(days=60), status="revoked"
    )
    incident = _exposed(privacy_officer, employee, asset)

    page = web_of(privacy_officer).get(f"/incidents/{incident.pk}/exposure/").content.decode()
    wider = (
        web_of(privacy_officer)
        .get(
            f"/incidents/{incident.pk}/exposure/",
            {"start": f"{timezone.localtime() - timedelta(days=100):%Y-%m-%dT%H:%M}"},
        )
        .content.decode()
    )

    assert str(outsider) in page
    assert str(second_reviewer) not in page  # ended before the default window (detection - 30 days)
    assert str(second_reviewer) in wider
    assert "Add as involved" in page


def test_add_as_involved_from_the_report_links_the_person_and_comes_back(
    web_of, privacy_officer, employee, outsider, asset
):
    make_grant(outsider, asset)
    incident = _exposed(privacy_officer, employee, asset)
    client = web_of(privacy_officer)
    report = f"/incidents/{incident.pk}/exposure/"

    response = client.post(f"/incidents/{incident.pk}/involved/", {"user": outsider.pk, "next": report})
    again = client.post(f"/incidents/{incident.pk}/involved/", {"user": outsider.pk, "next": report}, follow=True)

    assert response["Location"] == report
    assert InvolvedUser.objects.filter(incident=incident, user=outsider).count() == 1
    assert "already involved" in " ".join(str(m) for m in again.context["messages"])
    page = client.get(report).content.decode()
    assert ">involved<" in page
    assert "Add as involved" not in page


def test_the_next_of_an_action_never_leaves_the_site(web_of, privacy_officer, employee, outsider, asset):
    incident = _exposed(privacy_officer, employee, asset)

    response = web_of(privacy_officer).post(
        f"/incidents/{incident.pk}/involved/", {"user": outsider.pk, "next": "https://evil.example/"}
    )

    assert response["Location"] == f"/incidents/{incident.pk}/"


def test_the_exposure_csv_has_origin_granted_ended_last_used_and_involved(
    web_of, privacy_officer, employee, outsider, asset
):
    grant = make_grant(outsider, asset)
    incident = _exposed(privacy_officer, employee, asset)
    services.involved_user_add(actor=privacy_officer, incident=incident, user=outsider)
    grant_revoke(actor=outsider, grant=grant, reason="No longer needed")

    (row,) = _csv(web_of(privacy_officer).get(f"/incidents/{incident.pk}/exposure.csv"))

    assert (row["username"], row["origin"], row["status"], row["involved"]) == (
        outsider.username,
        "request",
        "revoked",
        "yes",
    )
    assert row["ended_at"]
    assert row["last_used_at"] == ""


def test_the_reporter_may_not_see_who_held_access(web_of, client_of, privacy_officer, employee, asset):
    incident = _exposed(privacy_officer, employee, asset)
    now = timezone.now()

    assert web_of(employee).get(f"/incidents/{incident.pk}/exposure/").status_code == 403
    assert web_of(employee).get(f"/incidents/{incident.pk}/exposure.csv").status_code == 403
    window = {"start": (now - timedelta(days=1)).isoformat(), "end": now.isoformat()}
    assert client_of(employee).get(f"/api/incidents/{incident.pk}/exposure", window).status_code == 403


def test_a_bad_window_falls_back_to_the_default_with_a_message(web_of, privacy_officer, employee, asset):
    incident = _exposed(privacy_officer, employee, asset)

    response = web_of(privacy_officer).get(
        f"/incidents/{incident.pk}/exposure/", {"start": "2026-02-01T10:00", "end": "2026-01-01T10:00"}
    )

    assert response.status_code == 200
    assert "not valid" in " ".join(str(m) for m in response.context["messages"])


@pytest.mark.parametrize("suffix", ["exposure/", "exposure.csv"])
def test_the_exposure_report_uses_the_same_queries_for_10_and_1000_grants(
    web_of, privacy_officer, employee, asset, suffix
):
    incident = _exposed(privacy_officer, employee, asset)
    client = web_of(privacy_officer)
    url = f"/incidents/{incident.pk}/{suffix}"

    def grow(n):
        start = User.objects.count()
        users = User.objects.bulk_create(User(username=f"x{start + i}") for i in range(n))
        now = timezone.now()
        Grant.objects.bulk_create(
            Grant(
                user=u,
                asset=asset,
                scope="use",
                origin="request",
                granted_at=now - timedelta(days=1),
                expires_at=now + timedelta(days=30),
            )
            for u in users
        )
        InvolvedUser.objects.bulk_create(
            InvolvedUser(incident=incident, user=u, added_by=privacy_officer) for u in users[:3]
        )

    grow(10)
    small = _count(client, url)
    grow(390 if suffix.endswith("csv") else 990)  # the CSV reads in chunks of 500
    assert _count(client, url) == small


# --- The incident list's filters -----------------------------------------------------------


@pytest.fixture
def varied(privacy_officer, employee, reviewer):
    laptop = make_incident(employee, title="Laptop lost", kind="loss", severity="low")
    assess(privacy_officer, laptop, breach=False)
    leak = make_incident(employee, title="Contact data leak", severity="critical", aware_hours_ago=80)
    assess(privacy_officer, leak, risk="risk")
    services.incident_assign_handler(actor=privacy_officer, incident=leak, handler=reviewer)
    drill = make_incident(employee, title="Drill", kind="external_attack", is_exercise=True)
    return {"laptop": laptop, "leak": leak, "drill": drill}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=loss", {"laptop"}),
        ("severity=critical", {"leak"}),
        ("breach=yes", {"leak"}),
        ("breach=no", {"laptop"}),
        ("exercise=yes", {"drill"}),
        ("exercise=no", {"laptop", "leak"}),
        ("overdue=true", {"leak"}),
        ("q=contact", {"leak"}),
        ("status=reported", {"laptop", "leak", "drill"}),
    ],
)
def test_the_list_filters_on_the_page_and_in_the_api(web_of, client_of, privacy_officer, varied, query, expected):
    page = web_of(privacy_officer).get(f"/incidents/?{query}").content.decode()
    api = client_of(privacy_officer).get(f"/api/incidents/?{query}").json()

    shown = {key for key, incident in varied.items() if f">{incident.reference}<" in page}
    listed = {key for key, incident in varied.items() if incident.reference in {r["reference"] for r in api["results"]}}
    assert shown == expected
    assert listed == expected


def test_a_handler_filters_the_incidents_they_handle(web_of, client_of, reviewer, varied):
    page = web_of(reviewer).get("/incidents/?handler=me").content.decode()
    api = client_of(reviewer).get(f"/api/incidents/?handler={reviewer.pk}").json()

    assert varied["leak"].reference in page
    assert [r["reference"] for r in api["results"]] == [varied["leak"].reference]


@pytest.mark.parametrize("query", ["breach=maybe", "kind=theft", "handler=someone", "overdue=2"])
def test_a_bad_filter_is_a_400_in_the_api_and_a_message_on_the_page(web_of, client_of, privacy_officer, query):
    response = client_of(privacy_officer).get(f"/api/incidents/?{query}")
    page = web_of(privacy_officer).get(f"/incidents/?{query}")

    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["errors"]
    assert "not valid" in " ".join(str(m) for m in page.context["messages"])


def test_an_exercise_is_labelled_in_the_list_and_the_detail(web_of, privacy_officer, varied):
    client = web_of(privacy_officer)

    assert "EXERCISE" in client.get("/incidents/?exercise=yes").content.decode()
    assert "creates no legal obligation" in client.get(f"/incidents/{varied['drill'].pk}/").content.decode()


def test_the_filtered_list_uses_the_same_queries_for_10_and_1000_incidents(web_of, employee, privacy_officer):
    client = web_of(privacy_officer)
    url = "/incidents/?breach=yes&overdue=false&q=Incident&severity=medium&handler=me"
    _incidents(employee, 10)
    small = _count(client, url)
    _incidents(employee, 990)
    assert _count(client, url) == small


def test_the_detail_page_uses_the_same_queries_with_10_and_1000_tasks_files_and_referrals(
    web_of, employee, privacy_officer
):
    incident = make_incident(employee)
    assess(privacy_officer, incident)
    client = web_of(privacy_officer)

    def grow(n):
        Task.objects.bulk_create(
            Task(incident=incident, title=f"t{i}", assignee=privacy_officer, created_by=privacy_officer,
                 done_by=privacy_officer if i % 2 else None, done_at=timezone.now() if i % 2 else None)
            for i in range(n)
        )  # fmt: skip
        start = EvidenceFile.objects.count()
        EvidenceFile.objects.bulk_create(
            EvidenceFile(incident=incident, name=f"f{i}.txt", stored_name=f"s{start + i}", content_type="text/plain",
                         size=1, sha256="0" * 64, uploaded_by=privacy_officer)
            for i in range(n)
        )  # fmt: skip
        Referral.objects.bulk_create(
            Referral(incident=incident, agency=f"a{i}", referred_on=timezone.localdate(), recorded_by=privacy_officer)
            for i in range(n)
        )

    grow(10)
    small = _count(client, f"/incidents/{incident.pk}/")
    grow(990)
    assert _count(client, f"/incidents/{incident.pk}/") == small


def test_the_list_shows_whether_each_incident_is_a_breach(web_of, privacy_officer, varied):
    page = web_of(privacy_officer).get("/incidents/").content.decode()

    assert "not assessed" in page  # the drill
    assert Incident.objects.count() == 3
