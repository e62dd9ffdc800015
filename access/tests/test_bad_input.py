"""Durations out of range and unicode text on the access API: a 400 naming the field, nothing written;
text in any script comes back as it was sent. (The schema-wide sweep is portal/tests/test_bad_input_sweep.py.)"""

from datetime import timedelta

import pytest
from django.utils import timezone

from access.models import AccessRequest, Grant
from access.tests.factories import JUSTIFICATION
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("days", [-1, 0, -(10**20), 10**20, 1.5, "thirty", None, True])
def test_a_request_for_a_negative_zero_huge_or_non_integer_duration_is_refused(client_of, employee, asset, days):
    body = {"asset": asset.pk, "scope": "use", "justification": JUSTIFICATION, "duration_days": days}
    response = client_of(employee).post("/api/access-requests/", body, format="json")
    assert response.status_code == 400, response.content
    assert "duration_days" in response.json()["errors"]
    assert not AccessRequest.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("hours", [-1, 0, 5, 10**20, 0.5])
def test_break_glass_for_a_negative_zero_or_too_long_time_is_refused(client_of, employee, asset, hours):
    body = {"asset": asset.pk, "scope": "use", "justification": JUSTIFICATION, "hours": hours}
    response = client_of(employee).post("/api/break-glass/", body, format="json")
    assert response.status_code == 400, response.content
    assert "hours" in response.json()["errors"]
    assert not Grant.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("days", [-5, 0])
def test_an_asset_with_a_negative_maximum_grant_is_refused(client_of, access_admin, days):
    body = {"name": "Negative", "sensitivity": "internal", "max_grant_days": days}
    response = client_of(access_admin).post("/api/assets/", body, format="json")
    assert response.status_code == 400, response.content
    assert "max_grant_days" in response.json()["errors"]
    assert not AuditEvent.objects.exists()


def test_a_campaign_due_in_the_past_is_refused(client_of, access_admin):
    due = (timezone.now() - timedelta(days=1)).isoformat()
    response = client_of(access_admin).post("/api/campaigns/", {"name": "Late", "due_at": due}, format="json")
    assert response.status_code == 400, response.content
    assert "due_at" in response.json()["errors"]
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        "Анализ оттока клиентов для команды удержания, квартальный отчёт.",
        "顧客離反分析のため、保持チームの四半期レポートに必要です。データは集計のみ。",
        "تحليل فقدان العملاء لفريق الاحتفاظ بالعملاء، تقرير ربع سنوي",
        "Churn study 📊 for the retention team — Zoë's quarterly report ✅",
    ],
)
def test_a_justification_in_any_script_comes_back_as_sent(client_of, employee, asset, text):
    body = {"asset": asset.pk, "scope": "use", "justification": text, "duration_days": 30}
    response = client_of(employee).post("/api/access-requests/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["justification"] == text
    assert AccessRequest.objects.get().justification == text


def test_a_nul_character_in_a_justification_is_a_400_not_a_database_error(client_of, employee, asset):
    body = {"asset": asset.pk, "scope": "use", "justification": JUSTIFICATION + "\x00", "duration_days": 30}
    response = client_of(employee).post("/api/access-requests/", body, format="json")
    assert response.status_code == 400, response.content
    assert "justification" in response.json()["errors"]
    assert not AccessRequest.objects.exists()
