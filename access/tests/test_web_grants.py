"""Grants on the web: my access, a grant's page, revoking, and taking break-glass access."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from access import services
from access.models import Grant
from access.tests.factories import make_break_glass, make_grant
from access.tests.test_web_support import ask, said
from portal import permissions
from portal.models import AuditEvent
from portal.tests.factories import DataAssetFactory

pytestmark = pytest.mark.django_db

EMERGENCY = "Checkout is down for every customer; need the contact table to trace the failing job."


def approved(user, asset, reviewer, days=30):
    return services.request_approve(actor=reviewer, request=ask(user, asset, days=days)).grant


# --- My access --------------------------------------------------------------


def test_an_employee_sees_their_own_grants_by_default(web_of, employee, outsider, asset):
    mine = make_grant(employee, asset)
    make_grant(outsider, DataAssetFactory(name="Order history"))

    response = web_of(employee).get("/access/grants/")

    assert response.status_code == 200
    assert list(response.context["grants"]) == [mine]
    html = response.content.decode()
    assert "<h1>My access</h1>" in html
    assert "Everyone I may see" not in html


def test_an_employee_without_grants_is_pointed_to_the_catalogue(web_of, employee):
    html = web_of(employee).get("/access/grants/").content.decode()

    assert "You hold no grants." in html
    assert "catalogue</a>" in html


def test_my_grants_filter_by_status_and_origin(web_of, employee, reviewer, asset):
    request_grant = approved(employee, asset, reviewer)
    break_glass = make_break_glass(employee, DataAssetFactory(name="Order history"))
    ended = make_grant(employee, DataAssetFactory(name="Web analytics"))
    services.grant_revoke(actor=employee, grant=ended, reason="Done with it.")

    web = web_of(employee)
    assert set(web.get("/access/grants/?status=active").context["grants"]) == {request_grant, break_glass}
    assert list(web.get("/access/grants/?status=revoked").context["grants"]) == [ended]
    assert list(web.get("/access/grants/?origin=break_glass").context["grants"]) == [break_glass]


@pytest.mark.parametrize("role", ["access_admin", "privacy_officer", "auditor"])
def test_privileged_roles_see_everyones_grants_and_can_narrow_to_their_own(request, web_of, employee, asset, role):
    person = request.getfixturevalue(role)
    theirs = make_grant(employee, asset)
    own = make_grant(person, DataAssetFactory(name="Web analytics"))

    web = web_of(person)
    everyone = web.get("/access/grants/")
    assert set(everyone.context["grants"]) == {theirs, own}
    assert "Emma" in everyone.content.decode()
    assert list(web.get("/access/grants/?user=me").context["grants"]) == [own]


def test_a_reviewer_starts_with_their_own_grants_and_may_widen_to_their_assets(web_of, employee, reviewer, asset):
    theirs = make_grant(employee, asset)

    web = web_of(reviewer)
    assert list(web.get("/access/grants/").context["grants"]) == []
    assert list(web.get("/access/grants/?user=").context["grants"]) == [theirs]


def test_a_grant_past_its_expiry_reads_as_expired_before_the_sweep(web_of, employee, asset):
    grant = make_grant(employee, asset, days=1)

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        listing = web_of(employee).get("/access/grants/")
        page = web_of(employee).get(f"/access/grants/{grant.pk}/")

    assert '<span class="badge status-expired">expired</span>' in listing.content.decode()
    html = page.content.decode()
    assert '<span class="badge status-expired">expired</span>' in html
    assert "Revoke access" not in html


# --- A grant's page ---------------------------------------------------------


def test_the_grant_page_shows_facts_extensions_the_request_and_history(web_of, employee, reviewer, asset):
    grant = approved(employee, asset, reviewer, days=10)
    later = ask(employee, asset, days=60)
    services.request_approve(actor=reviewer, request=later)

    response = web_of(employee).get(f"/access/grants/{grant.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Approved request" in html  # origin
    assert "Time left" in html
    assert "Last used" in html
    assert "never" in html
    assert f'href="/access/requests/{grant.request_id}/"' in html
    assert f'href="/access/requests/{later.pk}/">request #{later.pk}</a>' in html  # the extension and its request
    assert [e.new_expires_at for e in response.context["extensions"]] == [Grant.objects.get().expires_at]
    assert "granted access" in html
    assert "extended the grant" in html
    assert f'href="/access/grants/{grant.pk}/revoke/"' in html  # the grantee may give it up


def test_a_revoked_grant_shows_who_revoked_it_and_why(web_of, employee, reviewer, asset):
    grant = make_grant(employee, asset)
    services.grant_revoke(actor=reviewer, grant=grant, reason="Case closed.")

    html = web_of(employee).get(f"/access/grants/{grant.pk}/").content.decode()

    assert "Revoked by" in html
    assert "Rita" in html
    assert "Case closed." in html
    assert "Revoke access" not in html


def test_an_auditor_reads_a_grant_but_is_offered_no_revoke(web_of, employee, auditor, asset):
    grant = make_grant(employee, asset)

    response = web_of(auditor).get(f"/access/grants/{grant.pk}/")

    assert response.status_code == 200
    assert "/revoke/" not in response.content.decode()


def test_an_outsider_gets_404_on_a_grant_they_may_not_see(web_of, employee, outsider, asset):
    grant = make_grant(employee, asset)
    web = web_of(outsider)

    assert web.get(f"/access/grants/{grant.pk}/").status_code == 404
    assert web.post(f"/access/grants/{grant.pk}/revoke/", {"reason": "Because."}).status_code == 404
    assert permissions.has(employee, "portal.use_dataasset", asset)


# --- Revoking ---------------------------------------------------------------


def test_revoking_from_the_grant_page_removes_the_permission(web_of, employee, reviewer, asset):
    grant = approved(employee, asset, reviewer)
    assert permissions.has(employee, "portal.use_dataasset", asset)

    response = web_of(reviewer).post(f"/access/grants/{grant.pk}/revoke/", {"reason": "Left the support team."})

    assert response.status_code == 302
    assert response["Location"] == f"/access/grants/{grant.pk}/"
    grant.refresh_from_db()
    assert (grant.status, grant.revoked_by, grant.revoke_reason) == ("revoked", reviewer, "Left the support team.")
    employee = type(employee).objects.get(pk=employee.pk)  # a fresh user: no permission cache
    assert permissions.has(employee, "portal.use_dataasset", asset) is False
    assert said(response) == ["Revoked Emma's use access to Customer contact database."]


def test_revoking_without_a_reason_shows_the_field_error_and_keeps_the_access(web_of, employee, reviewer, asset):
    grant = make_grant(employee, asset)
    events = AuditEvent.objects.count()

    response = web_of(reviewer).post(f"/access/grants/{grant.pk}/revoke/", {"reason": "  "})

    assert response.status_code == 200
    assert "Say why this access is being revoked." in str(response.context["revoke_form"].errors["reason"])
    assert 'id="revoke_reason_error"' in response.content.decode()
    grant.refresh_from_db()
    assert grant.status == "active"
    assert permissions.has(employee, "portal.use_dataasset", asset)
    assert AuditEvent.objects.count() == events


def test_an_auditor_gets_403_revoking_a_grant_they_can_see(web_of, employee, auditor, asset):
    grant = make_grant(employee, asset)

    assert web_of(auditor).post(f"/access/grants/{grant.pk}/revoke/", {"reason": "Because."}).status_code == 403
    grant.refresh_from_db()
    assert grant.status == "active"


def test_revoking_an_ended_grant_is_a_message(web_of, employee, access_admin, asset):
    grant = make_grant(employee, asset)
    services.grant_revoke(actor=employee, grant=grant, reason="Not needed.")

    response = web_of(access_admin).post(
        f"/access/grants/{grant.pk}/revoke/", {"reason": "Offboarding.", "next": f"/access/grants/{grant.pk}/"}
    )

    assert response.status_code == 302
    assert said(response) == ["This grant is already revoked."]


# --- Break-glass ------------------------------------------------------------


def test_break_glass_gives_four_hours_at_once_and_tells_reviewers_and_privacy_officers(
    web_of, employee, reviewer, privacy_officer, asset, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = web_of(employee).post(
            f"/access/assets/{asset.pk}/break-glass/", {"scope": "use", "hours": "4", "justification": EMERGENCY}
        )

    grant = Grant.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/access/grants/{grant.pk}/"
    assert (grant.user, grant.origin, grant.status) == (employee, "break_glass", "active")
    assert grant.expires_at - grant.granted_at == timedelta(hours=4)
    assert grant.granted_at >= before
    assert permissions.has(employee, "portal.use_dataasset", asset)
    assert sorted(address for m in mail.outbox for address in m.to) == ["petra@example.com", "rita@example.com"]
    assert "Emma took emergency use access to Customer contact database" in mail.outbox[0].body
    assert "Emergency access to Customer contact database until" in said(response)[0]


def test_break_glass_without_a_real_justification_shows_the_error_and_grants_nothing(
    web_of, employee, reviewer, asset, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = web_of(employee).post(
            f"/access/assets/{asset.pk}/break-glass/", {"scope": "use", "hours": "4", "justification": "urgent"}
        )

    assert response.status_code == 200
    assert "at least 20 characters" in str(response.context["form"].errors["justification"])
    assert 'id="breakglass_justification_error"' in response.content.decode()
    assert Grant.objects.count() == 0
    assert mail.outbox == []
    assert not permissions.has(employee, "portal.use_dataasset", asset)


@pytest.mark.parametrize("hours", ["5", "0", "24"])
def test_break_glass_never_lasts_more_than_four_hours(web_of, employee, asset, hours):
    response = web_of(employee).post(
        f"/access/assets/{asset.pk}/break-glass/", {"scope": "use", "hours": hours, "justification": EMERGENCY}
    )

    assert "hours" in response.context["form"].errors
    assert Grant.objects.count() == 0


def test_break_glass_while_already_holding_the_access_is_refused_on_the_form(web_of, employee, asset):
    make_grant(employee, asset)

    response = web_of(employee).post(
        f"/access/assets/{asset.pk}/break-glass/", {"scope": "use", "hours": "4", "justification": EMERGENCY}
    )

    assert "You already hold use access" in str(response.context["form"].non_field_errors())
    assert Grant.objects.count() == 1


def test_the_break_glass_grant_page_shows_the_review_due_and_the_review_form_to_a_reviewer(
    web_of, employee, reviewer, asset
):
    grant = make_break_glass(employee, asset)

    mine = web_of(employee).get(f"/access/grants/{grant.pk}/").content.decode()
    assert "After-the-fact review" in mine
    assert "Review due by" in mine
    assert "/review/" not in mine  # nobody reviews their own

    theirs = web_of(reviewer).get(f"/access/grants/{grant.pk}/").content.decode()
    assert f'action="/access/grants/{grant.pk}/review/"' in theirs
    assert 'name="justified"' in theirs
