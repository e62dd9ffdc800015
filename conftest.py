"""Personas shared by every app's tests (healthchecks' Alice/Bob/Charlie, for a privacy team).

The personas themselves, and a fresh client per persona, live in ``portal/testing.py``.
"""

import pytest

from portal import testing
from portal.tests.factories import DataAssetFactory


@pytest.fixture
def employee(db):
    return testing.make_user("employee")


@pytest.fixture
def outsider(db):
    return testing.make_user("outsider")


@pytest.fixture
def reviewer(db):
    return testing.make_user("reviewer")


@pytest.fixture
def second_reviewer(db):
    return testing.make_user("second_reviewer")


@pytest.fixture
def other_reviewer(db):
    """Reviews assets of their own (give them one), not the ``asset`` fixture."""
    return testing.make_user("other_reviewer")


@pytest.fixture
def access_admin(db):
    return testing.make_user("access_admin")


@pytest.fixture
def privacy_officer(db):
    return testing.make_user("privacy_officer")


@pytest.fixture
def auditor(db):
    return testing.make_user("auditor")


@pytest.fixture
def service(db):
    """A data system's user: holds ``access.check_access``; call the API with ``client_of(service, token=True)``."""
    return testing.make_user("service")


@pytest.fixture
def asset(db, reviewer):
    return DataAssetFactory(**testing.ASSETS["asset"], reviewers=[reviewer])


@pytest.fixture
def client_of():
    """A new API client signed in as ``user`` (session auth, as the browser uses; ``token=True`` for a token)."""
    return testing.api_client


@pytest.fixture
def web_of():
    """A new Django test client signed in as ``user``, for server-rendered pages (one client per user)."""
    return testing.web_client


@pytest.fixture(autouse=True)
def _audit_checkpoints_in_tmp(settings, tmp_path):
    # Each test its own checkpoint file: never the developer's var/audit/, never another xdist worker's.
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"
    # Uploads (incident evidence, DSAR packages) too: each test its own private storage.
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _private_storage_in_tmp(settings, tmp_path):
    # Uploaded and built files (evidence, DSAR items and packages): the test's own folder, never var/private/.
    settings.MEDIA_ROOT = tmp_path / "private"


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))) or (
        "transactional_db" in fixtures or "live_server" in fixtures
    )


def _serialized(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("serialized_rollback"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Transactional tests that reload the migrated data (``serialized_rollback``) run before the others.

    A plain transactional test's flush re-creates content types and permissions with new ids (post_migrate);
    reloading the serialized rows over those collides on their unique names. Before any plain flush, the
    reload finds the very rows it writes; after a serialized test's own flush (post_migrate held back) it
    finds none.
    """
    serialized = [item for item in items if _serialized(item)]
    if not serialized:
        return
    rest = [item for item in items if not _serialized(item)]
    at = next((i for i, item in enumerate(rest) if _transactional(item)), len(rest))
    items[:] = rest[:at] + serialized + rest[at:]


@pytest.fixture(autouse=True)
def _migrated_data_after_a_serialized_flush(request):
    """A plain transactional test after the serialized ones starts from the migrated data too: their flush
    holds back post_migrate (so their own reload cannot collide) and leaves the database empty."""
    if not _transactional(request.node) or _serialized(request.node):
        return
    request.getfixturevalue("transactional_db")
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    contents = getattr(connection, "_test_serialized_contents", None)
    if contents and not ContentType.objects.exists():
        connection.creation.deserialize_db_from_string(contents)
