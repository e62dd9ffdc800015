import re
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from portal.tests.factories import DataAssetFactory

PASSWORD = "correct-horse-battery"  # UserFactory's


def _links(html: str) -> list[str]:
    """Everything the browser fetches or follows from a page: stylesheets, scripts, images, links, forms."""
    return re.findall(r"""(?:src|href|action)=["']([^"']*)["']""", html)


def _external(urls, host="testserver") -> list[str]:
    return [u for u in urls if urlsplit(u).scheme in ("http", "https", "") and urlsplit(u).netloc not in ("", host)]


@pytest.mark.django_db
def test_the_login_page_renders_a_form_with_csrf_protection(client):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'name="csrfmiddlewaretoken"' in html


@pytest.mark.django_db
def test_signing_in_leads_to_the_dashboard(client, employee):
    response = client.post("/login/", {"username": "emma", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "Hello, Emma" in dashboard.content.decode()


@pytest.mark.django_db
def test_signing_in_returns_to_the_page_asked_for(client, employee):
    response = client.post("/login/?next=/assets/", {"username": "emma", "password": PASSWORD, "next": "/assets/"})
    assert response["Location"] == "/assets/"


@pytest.mark.django_db
def test_signing_in_never_redirects_to_another_site(client, employee):
    response = client.post("/login/", {"username": "emma", "password": PASSWORD, "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_a_wrong_password_shows_an_error_and_signs_nobody_in(client, employee):
    response = client.post("/login/", {"username": "emma", "password": "guess"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_a_login_post_without_the_csrf_token_is_refused(employee):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/login/", {"username": "emma", "password": PASSWORD})
    assert response.status_code == 403
    assert browser.get("/").status_code == 302


@pytest.mark.parametrize("path", ["/", "/assets/"])
@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


@pytest.mark.django_db
def test_signing_out_ends_the_session(web_of, employee):
    web = web_of(employee)
    assert web.get("/").status_code == 200
    assert web.post("/logout/").status_code == 302
    assert web.get("/").status_code == 302


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_account_out(client, employee, outsider, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        assert client.post("/login/", {"username": "emma", "password": "guess"}).status_code == 200
    # The third failure reaches the limit.
    assert client.post("/login/", {"username": "emma", "password": "guess"}).status_code == 429

    # Now even the right password is refused, and nobody is signed in.
    locked = client.post("/login/", {"username": "emma", "password": PASSWORD})
    assert locked.status_code == 429
    assert client.get("/").status_code == 302
    # The API's token endpoint is throttled by the same lockout.
    token = client.post("/api/auth/token/", {"username": "emma", "password": PASSWORD})
    assert token.status_code == 429
    assert token.json()["code"] == "locked_out"  # the API's error shape, not a plain-text page
    assert "token" not in token.json()
    assert "Too many failed sign-ins" in locked.content.decode()

    # Other people are not locked out by someone guessing Emma's password.
    assert client.post("/login/", {"username": "olga", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_a_successful_sign_in_resets_the_failure_count(client, employee, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        client.post("/login/", {"username": "emma", "password": "guess"})
    assert client.post("/login/", {"username": "emma", "password": PASSWORD}).status_code == 302
    client.post("/logout/")
    for _ in range(2):
        assert client.post("/login/", {"username": "emma", "password": "guess"}).status_code == 200
    assert client.post("/login/", {"username": "emma", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_pages_load_nothing_from_other_hosts(client, web_of, employee, asset):
    DataAssetFactory(name="Product catalogue", sensitivity="public")
    pages = {"/login/": client.get("/login/")}
    web = web_of(employee)
    for path in ("/", "/assets/", f"/assets/{asset.pk}/", "/api/docs/"):
        pages[path] = web.get(path)
    for path, response in pages.items():
        assert response.status_code == 200, path
        links = _links(response.content.decode())
        assert links, path
        assert _external(links) == [], path
        # The browser is told the same: nothing but this origin by default.
        assert "default-src 'self'" in response["Content-Security-Policy"], path


def test_the_stylesheet_imports_nothing_from_elsewhere():
    path = finders.find("portal/portal.css")
    assert path, "portal/portal.css is missing"
    with open(path, encoding="utf-8") as css:
        text = css.read()
    assert re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}", text) == []
