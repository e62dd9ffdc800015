"""Fixtures of the browser tests: one chromium per session, a fresh profile and tab per user.

The server is pytest-django's ``live_server`` (the real Django stack on a free port, in a thread,
on the test database), loaded with the demo organisation by each test. Playwright's sync API runs
an event loop in this thread, so Django's guard against ORM calls from async code is lifted for the
test process (the ORM here is the test's own, synchronous, use).
"""

from __future__ import annotations

import io
import os

import pytest

from tests.e2e.browser import Visit, chromium_context, chromium_missing

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def playwright_driver():
    missing = chromium_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def demo(live_server):
    """The demo organisation on the live server's database."""
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    return live_server


@pytest.fixture
def accessibility():
    """Every page any tab of the test visited, with its serious or critical axe violations."""
    checked: dict[str, list[str]] = {}
    yield checked
    failing = {path: found for path, found in checked.items() if found}
    assert not failing, "axe-core found serious or critical violations:\n" + "\n".join(
        f"{path}:\n  " + "\n  ".join(dict.fromkeys(found)) for path, found in failing.items()
    )


@pytest.fixture
def browser_as(playwright_driver, demo, accessibility):
    """``browser_as("emma")``: a signed-in tab of a fresh chromium profile for that demo user.

    ``browser_as(None)``: a tab nobody signed in to (a data subject on the public pages).
    """
    contexts = []

    def open_as(username: str | None) -> Visit:
        manager = chromium_context(playwright_driver)
        context = manager.__enter__()
        contexts.append(manager)
        visit = Visit(context.new_page(), demo.url, accessibility)
        if username is not None:
            visit.sign_in(username)
        return visit

    yield open_as
    for manager in reversed(contexts):
        manager.__exit__(None, None, None)
