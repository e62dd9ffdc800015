"""Helpers for the browser tests: Debian's chromium driven by Playwright, accessibility by axe-core.

Playwright's own browser download does not work offline, so the tests start the system's
``/usr/bin/chromium`` (``CHROMIUM`` overrides it) with a fresh profile each session. axe-core comes
inside the axe-playwright-python wheel, so nothing is fetched at run time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# What fails a page. "moderate" and "minor" findings are printed but do not fail.
BLOCKING_IMPACTS = {"serious", "critical"}
DEMO_PASSWORD = "privacy-demo-2026"  # portal.demo.DEMO_PASSWORD, repeated so importing needs no Django

_axe = Axe()


def chromium_missing() -> str:
    """Why the browser tests cannot run here, or "" when they can."""
    if not Path(CHROMIUM).is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"chromium not found at {CHROMIUM} (apt-get install -y chromium, or set CHROMIUM=...)"
    return ""


@contextmanager
def chromium_context(playwright) -> Iterator:
    """A persistent context on a brand-new profile directory, removed afterwards."""
    profile = tempfile.mkdtemp(prefix="portal-e2e-profile-")
    try:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            ignore_default_args=["--enable-automation"],
            locale="en-GB",
        )
        try:
            yield context
        finally:
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class Visit:
    """One user's browser tab: each page it lands on is checked with axe and for CSP refusals."""

    def __init__(self, page, base_url: str, checked: dict[str, list[str]]):
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.checked = checked  # path -> blocking violations, shared by every tab of the test
        self.csp_errors: list[str] = []
        page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_errors.append(f"{self.page.url}: {message.text}")

    def goto(self, path: str):
        response = self.page.goto(self.base_url + path)
        assert response is not None
        assert response.status < 400, f"{path} answered {response.status}"
        self.check()
        return response

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.goto("/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()
        assert urlsplit(self.page.url).path != "/login/", f"{username} could not sign in"
        self.check()

    def submit(self, button_name: str, *, exact: bool = True) -> None:
        """Click a submit button and wait for the page it leads to, then check that page."""
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=button_name, exact=exact).click()
        self.check()

    def follow(self, link_name: str, *, exact: bool = True) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=link_name, exact=exact).first.click()
        self.check()

    def check(self) -> None:
        """axe-core on the page as it is now: no serious or critical violation (recorded per path)."""
        path = urlsplit(self.page.url).path
        results = _axe.run(self.page)
        blocking = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(
                " ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                for node in v["nodes"][:5]
            )
            for v in results.response["violations"]
            if v.get("impact") in BLOCKING_IMPACTS
        ]
        self.checked.setdefault(path, []).extend(blocking)
        assert not self.csp_errors, "the Content-Security-Policy refused something:\n" + "\n".join(self.csp_errors)

    def text(self) -> str:
        return self.page.inner_text("main")
