"""Bad input and races on the access pages: a message or a field error, nothing half-done, never a 500."""

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import IntegrityError
from django.test import RequestFactory
from django.views import View

from access.models import AccessRequest, Decision, Grant
from access.tests.factories import make_grant
from access.tests.test_web_support import ask
from portal.models import AuditEvent
from portal.web import PortalViewMixin

pytestmark = pytest.mark.django_db


def test_the_forms_tell_the_browser_their_length_limits(web_of, employee, reviewer, asset):
    html = web_of(employee).get(f"/assets/{asset.pk}/").content.decode()
    assert 'maxlength="2000"' in html  # justification (request and break-glass)
    assert 'maxlength="100"' in html  # ticket
    req = ask(employee, asset)
    assert 'maxlength="1000"' in web_of(reviewer).get(f"/access/requests/{req.pk}/").content.decode()
    grant = make_grant(employee, asset)
    assert 'maxlength="1000"' in web_of(reviewer).get(f"/access/requests/{req.pk}/deny/").content.decode()
    assert 'maxlength="1000"' in web_of(employee).get(f"/access/grants/{grant.pk}/revoke/").content.decode()


def test_an_over_long_justification_is_a_field_error_and_saves_nothing(web_of, employee, asset):
    body = {"scope": "use", "duration_days": "30", "justification": "x" * 2001, "ticket": ""}
    response = web_of(employee).post(f"/access/assets/{asset.pk}/request/", body)
    assert response.status_code == 200
    assert "2000" in str(response.context["form"].errors["justification"])
    assert not AccessRequest.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("verb", ["approve", "deny"])
def test_an_over_long_comment_decides_nothing_and_says_why(web_of, employee, reviewer, asset, verb):
    req = ask(employee, asset)
    before = AuditEvent.objects.count()

    response = web_of(reviewer).post(f"/access/requests/{req.pk}/{verb}/", {"comment": "x" * 1001})

    if verb == "deny":  # the confirmation page shows its form again, with the error on the reason
        assert response.status_code == 200
        assert "1000" in str(response.context["form"].errors["comment"])
    else:
        assert response.status_code == 302
        [message] = [str(m) for m in get_messages(response.wsgi_request)]
        assert "1000" in message
    req.refresh_from_db()
    assert req.status == AccessRequest.Status.PENDING
    assert not Decision.objects.exists()
    assert AuditEvent.objects.count() == before


def test_an_over_long_revocation_reason_is_a_field_error_and_revokes_nothing(web_of, employee, asset):
    grant = make_grant(employee, asset)
    response = web_of(employee).post(f"/access/grants/{grant.pk}/revoke/", {"reason": "x" * 1001})
    assert response.status_code == 200
    assert "1000" in str(response.context["revoke_form"].errors["reason"])
    grant.refresh_from_db()
    assert grant.status == Grant.Status.ACTIVE


class _Racing(PortalViewMixin, View):
    def post(self, request):
        raise IntegrityError('duplicate key value violates unique constraint "one_active_grant_per_scope"')


def test_a_constraint_refusal_that_reaches_a_page_is_a_message_not_a_500(employee):
    request = RequestFactory().post("/access/somewhere/", HTTP_REFERER="/access/requests/")
    request.user = employee
    SessionMiddleware(lambda r: None).process_request(request)
    MessageMiddleware(lambda r: None).process_request(request)

    response = _Racing.as_view()(request)

    assert (response.status_code, response["Location"]) == (302, "/access/requests/")
    assert ["same moment" in str(m) for m in get_messages(request)] == [True]
