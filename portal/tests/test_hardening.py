"""Security settings a deployment gets, and the pages' side of the Content-Security-Policy.

The policy allows scripts and styles from this origin only, so a template must not carry an inline
``<script>``, an ``on…=`` handler, a ``javascript:`` link or a ``style=`` attribute: the browser would
refuse it (the browser tests also fail on any CSP refusal the console reports). Mail templates and
files/ (documents put in a download, such as a DSAR package's summary, opened offline) are not pages
and may style inline.
"""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from portal.tests.test_settings import PRODUCTION, manage

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:|\sstyle\s*=|<style\b", re.IGNORECASE)


def _page_templates():
    roots = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    roots += [p / "templates" for p in Path(settings.BASE_DIR).iterdir() if (p / "templates").is_dir()]
    for root in roots:
        for path in root.rglob("*.html"):
            if not {"email", "files"} & set(path.relative_to(root).parts):
                yield path


def test_no_page_template_has_inline_script_handlers_or_styles():
    templates = list(_page_templates())
    assert len(templates) > 20
    found = [
        f"{path.relative_to(settings.BASE_DIR)}:{n}: {line.strip()[:100]}"
        for path in templates
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if INLINE.search(line)
    ]
    assert not found, "inline script or style the CSP refuses:\n" + "\n".join(found)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/assets/", "/access/requests/", "/audit/"])
def test_pages_forbid_inline_script_and_framing(web_of, auditor, path):
    response = web_of(auditor).get(path)
    assert response.status_code == 200, path
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_production_hashes_with_argon2_throttles_sign_in_and_secures_cookies():
    code = (
        "from django.conf import settings as s; import json; print(json.dumps({"
        "'hasher': s.PASSWORD_HASHERS[0], 'axes': s.AXES_ENABLED, 'limit': s.AXES_FAILURE_LIMIT, "
        "'session_secure': s.SESSION_COOKIE_SECURE, 'session_httponly': s.SESSION_COOKIE_HTTPONLY, "
        "'csrf_secure': s.CSRF_COOKIE_SECURE, 'ssl_redirect': s.SECURE_SSL_REDIRECT, 'hsts': s.SECURE_HSTS_SECONDS, "
        "'backends': s.AUTHENTICATION_BACKENDS}))"
    )
    result = manage("shell", "-c", code, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["hasher"] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert found["axes"] is True
    assert found["limit"] == 5
    assert found["backends"][0] == "axes.backends.AxesStandaloneBackend"
    assert found["session_secure"] is True
    assert found["session_httponly"] is True
    assert found["csrf_secure"] is True
    assert found["ssl_redirect"] is True
    assert found["hsts"] >= 31_536_000
