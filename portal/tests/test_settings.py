"""Start-up with bad configuration: one line naming the variable, never a traceback.

Each case starts ``manage.py`` in a fresh process with only the variables it names,
exactly as an operator's deploy would.
"""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "AUDIT_KEY": secrets.token_urlsafe(32),
    "ALLOWED_HOSTS": "portal.example.com",
    "PORTAL_BASE_URL": "https://portal.example.com",
    "EMAIL_URL": "smtp://mail.example.com:25",
    "DATABASE_URL": "postgres://portal@db.example.com:5432/portal",
    "CELERY_BROKER_URL": "redis://redis.example.com:6379/0",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_refused_naming(result: subprocess.CompletedProcess, name: str) -> None:
    output = (result.stdout + result.stderr).strip()
    assert result.returncode != 0, output
    assert "Traceback" not in output
    assert len(output.splitlines()) == 1, output
    assert output.startswith(f"Configuration error: {name} "), output


@pytest.mark.parametrize("url", ["mysql://x", "not-a-url", "", "postgres://"])
def test_a_bad_database_url_stops_start_up_naming_it(url):
    assert_refused_naming(manage("check", DATABASE_URL=url), "DATABASE_URL")


def test_an_unknown_profile_stops_start_up_naming_it():
    assert_refused_naming(manage("check", DJANGO_ENV="staging"), "DJANGO_ENV")


@pytest.mark.parametrize("name", ["SECRET_KEY", "AUDIT_KEY", "ALLOWED_HOSTS", "PORTAL_BASE_URL", "EMAIL_URL"])
def test_production_refuses_to_start_without_a_required_setting(name):
    env = {k: v for k, v in PRODUCTION.items() if k != name}
    assert_refused_naming(manage("check", **env), name)


@pytest.mark.parametrize("key", ["short", "dev-only-insecure-key-" + "x" * 40])
def test_production_refuses_a_weak_secret_key(key):
    assert_refused_naming(manage("check", **{**PRODUCTION, "SECRET_KEY": key}), "SECRET_KEY")


@pytest.mark.parametrize("key", ["short", "dev-only-audit-key-" + "x" * 40])
def test_production_refuses_a_weak_audit_key(key):
    assert_refused_naming(manage("check", **{**PRODUCTION, "AUDIT_KEY": key}), "AUDIT_KEY")


@pytest.mark.parametrize(
    ("name", "value"), [("AXES_FAILURE_LIMIT", "five"), ("MAX_UPLOAD_BYTES", "20MB"), ("DEBUG", "maybe")]
)
def test_a_malformed_value_stops_start_up_naming_it(name, value):
    assert_refused_naming(manage("check", **{name: value}), name)


def test_production_with_everything_set_passes_the_deployment_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_with_debug_on_fails_the_deployment_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, DEBUG="1")
    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG must be off in deployment


def test_development_starts_with_no_settings_at_all():
    result = manage("check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_immediate_writes(tmp_path):
    # The web process and the Celery worker write at once: readers must not block on a writer,
    # and a second writer waits for the lock (BEGIN IMMEDIATE) instead of failing mid-transaction.
    database = tmp_path / "wal.sqlite3"
    probe = (
        "from django.db import connection\n"
        "c = connection.cursor()\n"
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA busy_timeout').fetchone()[0],"
        " c.execute('PRAGMA synchronous').fetchone()[0], connection.transaction_mode)\n"
    )
    result = manage("shell", "-c", probe, DATABASE_URL=f"sqlite:///{database}")
    assert result.returncode == 0, result.stderr
    # synchronous 1 is NORMAL: safe with WAL, and far fewer fsyncs than FULL.
    assert result.stdout.splitlines()[-1].split() == ["wal", "20000", "1", "IMMEDIATE"]
