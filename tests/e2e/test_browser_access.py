"""Access in a real browser: a restricted request approved by two reviewers, a campaign bulk revoke.

Each page on the way is checked with axe-core (``conftest.accessibility``). The demo organisation
gives the people: Emma (employee), Rita and Ravi (the two reviewers of the restricted "Doorbell video
feeds"), and the running quarter's campaign with undecided items in Rita's queue.
"""

from __future__ import annotations

import re

import pytest

from access.campaigns.models import Campaign, ReviewItem
from access.models import AccessRequest, Grant
from portal.models import DataAsset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

JUSTIFICATION = "Checking a customer's complaint that their doorbell recorded a delivery driver."


def test_an_employee_requests_restricted_access_and_two_reviewers_approve_it(browser_as):
    video = DataAsset.objects.get(name="Doorbell video feeds")
    assert video.sensitivity == "restricted"

    emma = browser_as("emma")
    emma.goto("/assets/")
    emma.follow("Doorbell video feeds")
    emma.page.get_by_label("Justification").fill(JUSTIFICATION)
    emma.submit("Send request")
    request = AccessRequest.objects.get(requester__username="emma", asset=video)
    assert emma.page.url.endswith(f"/access/requests/{request.pk}/")
    assert "Pending" in emma.text() or "pending" in emma.text()

    for reviewer in ("rita", "ravi"):
        tab = browser_as(reviewer)
        tab.goto("/access/review/")
        assert JUSTIFICATION[:40] in tab.text() or "Doorbell video feeds" in tab.text()
        tab.goto(f"/access/requests/{request.pk}/")
        tab.page.get_by_label("Comment").fill(f"{reviewer}: fine for this complaint.")
        tab.submit("Approve")
        assert "Approve" not in [b.inner_text() for b in tab.page.get_by_role("button").all()]

    request.refresh_from_db()
    assert request.status == AccessRequest.Status.APPROVED
    grant = Grant.objects.active().get(user__username="emma", asset=video)

    emma.goto("/access/grants/")
    assert "Doorbell video feeds" in emma.text()
    emma.goto(f"/access/grants/{grant.pk}/")
    assert re.search(r"active", emma.text(), re.IGNORECASE)


def test_a_reviewer_bulk_revokes_in_a_campaign(browser_as):
    campaign = Campaign.objects.get(status=Campaign.Status.RUNNING)
    rita_items = ReviewItem.objects.filter(campaign=campaign, reviewer__username="rita", decision="")
    chosen = list(rita_items.values_list("pk", flat=True))
    assert chosen, "the demo campaign has no undecided item for Rita"

    rita = browser_as("rita")
    rita.goto(f"/access/campaigns/{campaign.pk}/")
    rita.goto(f"/access/campaigns/{campaign.pk}/queue/?decided=0")
    for pk in chosen:
        rita.page.locator(f"#item-{pk}").check()
    rita.page.get_by_label("Comment").fill("Nobody in my team needs these any more.")
    rita.submit("Revoke")
    assert re.search(rf"{len(chosen)} item", rita.text()), rita.text()[:500]

    decided = ReviewItem.objects.filter(pk__in=chosen)
    assert {item.decision for item in decided} == {"revoke"}
    assert {item.decided_by.username for item in decided} == {"rita"}
    # Decided is not applied: the grants end only when the campaign closes.
    assert not decided.exclude(outcome="").exists()
