"""The dashboard's notification clocks: the open obligations of the incidents a user works, most urgent first."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import Incident
from incidents.tests.factories import assess, make_incident
from incidents.tests.test_api import _incidents
from portal import permissions

pytestmark = pytest.mark.django_db

PANEL = "Notification clocks"


def _home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_privacy_officer_sees_the_most_urgent_clock_first_and_overdue_ones_marked(web_of, employee, privacy_officer):
    fresh = make_incident(employee, title="Fresh")
    assess(privacy_officer, fresh, risk="risk")
    late = make_incident(employee, title="Late", aware_hours_ago=80)
    assess(privacy_officer, late, risk="risk")

    page = _home(web_of(privacy_officer))

    assert PANEL in page
    assert page.index(late.reference) < page.index(fresh.reference)
    assert "overdue by 8 h" in page  # 80 hours after awareness, 72 allowed
    assert "h left" in page


def test_a_met_clock_leaves_the_dashboard(web_of, employee, privacy_officer):
    incident = make_incident(employee)
    assess(privacy_officer, incident, risk="risk")  # regulator only: no subjects' obligation at plain risk
    obligation = incident.obligations.get()
    services.regulator_notification_record(
        actor=privacy_officer,
        incident=incident,
        authority="ICO",
        reference="ICO-1",
        submitted_at=incident.aware_at,
        regime=obligation.regime.code,
    )

    assert PANEL not in _home(web_of(privacy_officer))


def test_a_handler_sees_only_the_clocks_of_the_incident_they_handle(web_of, employee, reviewer, privacy_officer):
    mine = make_incident(employee, title="Mine")
    assess(privacy_officer, mine)
    other = make_incident(employee, title="Not mine")
    assess(privacy_officer, other)
    services.incident_assign_handler(actor=privacy_officer, incident=mine, handler=reviewer)

    page = _home(web_of(reviewer))

    assert PANEL in page
    assert mine.reference in page
    assert other.reference not in page


@pytest.mark.parametrize("persona", ["employee", "auditor"])
def test_reporters_and_auditors_are_not_put_on_the_clock(request, web_of, employee, privacy_officer, persona):
    assess(privacy_officer, make_incident(employee))

    assert PANEL not in _home(web_of(request.getfixturevalue(persona)))


def test_an_exercise_puts_nobody_on_the_clock(web_of, employee, privacy_officer):
    assess(privacy_officer, make_incident(employee, title="Tabletop", is_exercise=True))

    assert PANEL not in _home(web_of(privacy_officer))


def _count(client) -> int:
    client.get("/")  # warm the process-wide caches first
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["privacy_officer", "reviewer"])
def test_the_dashboard_uses_the_same_queries_for_10_and_1000_open_clocks(request, web_of, employee, persona):
    user = request.getfixturevalue(persona)
    client = web_of(user)

    def grow(n: int) -> None:
        before = set(Incident.objects.values_list("pk", flat=True))
        _incidents(employee, n)
        made = Incident.objects.exclude(pk__in=before)
        permissions.assign_many(Incident, [(user.pk, pk, services.CHANGE) for pk in made.values_list("pk", flat=True)])

    grow(10)
    small = _count(client)
    assert PANEL in _home(client)
    grow(990)
    assert _count(client) == small
