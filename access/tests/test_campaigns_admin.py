"""Campaigns in the admin: created, launched and closed through the audited services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from access.campaigns.models import Campaign, ReviewItem
from access.tests.factories import GrantFactory, make_campaign
from portal.models import AuditEvent
from portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_admin(db):
    return UserFactory(username="sam", groups=["access-admins"], is_staff=True, is_superuser=True)


def test_admin_lists_render(web_of, staff_admin, access_admin, asset):
    GrantFactory(asset=asset)
    campaign = make_campaign(access_admin)
    web = web_of(staff_admin)
    item = ReviewItem.objects.get(campaign=campaign)
    for path in (
        "/admin/access/campaign/",
        f"/admin/access/campaign/{campaign.pk}/change/",
        "/admin/access/campaign/add/",
        "/admin/access/reviewitem/",
        f"/admin/access/reviewitem/{item.pk}/change/",
    ):
        assert web.get(path).status_code == 200, path


def test_admin_creates_launches_and_closes_through_the_services(web_of, staff_admin, asset):
    GrantFactory(asset=asset, last_used_at=None)
    web = web_of(staff_admin)
    due = timezone.localtime() + timedelta(days=5)

    response = web.post(
        "/admin/access/campaign/add/",
        {"name": "Admin made", "due_at_0": due.strftime("%Y-%m-%d"), "due_at_1": due.strftime("%H:%M:%S"),
         "min_sensitivity": "", "default_decision": "revoke"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get(name="Admin made")
    assert AuditEvent.objects.filter(action="access.campaign.created", target_id=str(campaign.pk)).exists()

    for action in ("launch_selected", "close_selected"):
        web.post("/admin/access/campaign/", {"action": action, "_selected_action": [campaign.pk]})
    campaign.refresh_from_db()
    assert campaign.status == "closed"
    assert campaign.revoked_count == 1
