"""Every access page for every persona: it renders for those who may see it and is 404 for the others."""

import re

import pytest

from access.tests.factories import make_break_glass, make_grant
from access.tests.test_web_support import ask

pytestmark = pytest.mark.django_db

PERSONAS = ["employee", "outsider", "reviewer", "second_reviewer", "access_admin", "privacy_officer", "auditor"]
# Who sees Emma's request and grant on the customer contact database (reviewed by Rita only).
SEE_EMMAS = {"employee", "reviewer", "access_admin", "privacy_officer", "auditor"}


@pytest.fixture
def emmas(employee, asset):
    return {"request": ask(employee, asset), "grant": make_grant(employee, asset, scope="export")}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("path", ["/", "/access/requests/", "/access/grants/", "/access/review/", "asset"])
def test_every_list_page_renders_for_every_persona(request, web_of, emmas, asset, persona, path):
    web = web_of(request.getfixturevalue(persona))

    response = web.get(f"/assets/{asset.pk}/" if path == "asset" else path)

    assert response.status_code == 200


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_request_and_a_grant_are_404_to_whoever_may_not_see_them(request, web_of, emmas, persona):
    web = web_of(request.getfixturevalue(persona))
    expected = 200 if persona in SEE_EMMAS else 404

    assert web.get(emmas["request"].get_absolute_url()).status_code == expected
    assert web.get(emmas["grant"].get_absolute_url()).status_code == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_break_glass_page_renders_for_those_who_may_see_it(request, web_of, employee, asset, persona):
    grant = make_break_glass(employee, asset)
    web = web_of(request.getfixturevalue(persona))

    assert web.get(grant.get_absolute_url()).status_code == (200 if persona in SEE_EMMAS else 404)


def test_every_form_on_the_access_pages_carries_a_csrf_token(web_of, reviewer, employee, asset, emmas):
    make_break_glass(employee, asset)
    web = web_of(reviewer)
    request_url, grant_url = emmas["request"].get_absolute_url(), emmas["grant"].get_absolute_url()
    for path in ("/access/review/", request_url, request_url + "deny/", grant_url + "revoke/"):
        html = web.get(path).content.decode()
        posts = re.findall(r'<form method="post".*?</form>', html, flags=re.S)
        assert posts, path
        assert all('name="csrfmiddlewaretoken"' in f for f in posts), path


def test_every_table_header_has_a_scope(web_of, access_admin, emmas):
    web = web_of(access_admin)
    for path in ("/access/requests/", "/access/grants/", "/access/review/"):
        html = web.get(path).content.decode()
        headers = re.findall(r"<th\b[^>]*>", html)
        assert headers, path
        assert all("scope=" in h for h in headers), path
