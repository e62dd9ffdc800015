"""A deactivated account is shut out at once: no sign-in, and the session and API token it had stop working.

An offboarded person who is still active keeps their account (the spec lets them sign in and see why they
may not ask for access; see access/tests/test_offboarding.py), but loses their API token and every case
they handled (incidents/tests/test_auditors.py and dsar/tests/test_auditors.py hold the case rules).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal import offboarding, users
from portal.testing import PASSWORD, api_client, web_client
from portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def _token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_deactivated_user_loses_the_session_and_token_they_had_and_cannot_sign_in_again(root, employee):
    web, api = web_client(employee), api_client(employee)
    key = users.token_issue(actor=employee, user=employee).key
    assert web.get("/").status_code == 200
    assert _token_client(key).get("/api/assets/").status_code == 200

    users.user_set_flags(actor=root, user=employee, is_active=False, reason="Left on 30 November.")

    assert web.get("/")["Location"].startswith("/login/")
    assert api.get("/api/assets/").status_code in (401, 403)
    assert _token_client(key).get("/api/assets/").status_code == 401
    assert not Token.objects.filter(user=employee).exists()
    signed_in = Client().post("/login/", {"username": employee.username, "password": PASSWORD})
    assert signed_in.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in signed_in.wsgi_request.session
    token = APIClient().post("/api/auth/token/", {"username": employee.username, "password": PASSWORD})
    assert token.status_code == 400


def test_a_user_made_inactive_outside_the_portal_is_shut_out_too(employee):
    # E.g. an identity-provider sync writing the flag directly: the gate reads it on every request.
    web, api = web_client(employee), api_client(employee)
    key = Token.objects.create(user=employee).key
    type(employee).objects.filter(pk=employee.pk).update(is_active=False)

    assert web.get("/")["Location"].startswith("/login/")
    assert api.get("/api/incidents/").status_code in (401, 403)
    assert _token_client(key).get("/api/incidents/").status_code == 401


def test_an_offboarded_user_keeps_the_account_but_not_the_api_token(access_admin, employee):
    key = users.token_issue(actor=employee, user=employee).key

    offboarding.user_offboard(actor=access_admin, user=employee, reason="Left the company.")

    assert _token_client(key).get("/api/assets/").status_code == 401
    token = APIClient().post("/api/auth/token/", {"username": employee.username, "password": PASSWORD})
    assert token.status_code == 409  # offboarded people hold no token until reinstated
    assert web_client(employee).get("/").status_code == 200
