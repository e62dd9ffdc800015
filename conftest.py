"""Personas shared by every app's tests (healthchecks' Alice/Bob/Charlie, for a privacy team)."""

import pytest
from rest_framework.test import APIClient

from portal.tests.factories import DataAssetFactory, UserFactory


@pytest.fixture
def employee(db):
    return UserFactory(username="emma")


@pytest.fixture
def outsider(db):
    return UserFactory(username="olga")


@pytest.fixture
def reviewer(db):
    return UserFactory(username="rita")


@pytest.fixture
def second_reviewer(db):
    return UserFactory(username="ravi")


@pytest.fixture
def access_admin(db):
    return UserFactory(username="adam", groups=["access-admins"])


@pytest.fixture
def privacy_officer(db):
    return UserFactory(username="petra", groups=["privacy-officers"])


@pytest.fixture
def auditor(db):
    return UserFactory(username="audrey", groups=["auditors"])


@pytest.fixture
def asset(db, reviewer):
    return DataAssetFactory(name="Customer contact database", sensitivity="confidential", reviewers=[reviewer])


@pytest.fixture
def client_of():
    """An API client signed in as ``user`` (session auth, as the browser uses)."""

    def make(user):
        client = APIClient()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def web_of(client):
    """A Django test client signed in as ``user``, for server-rendered pages."""

    def make(user):
        client.force_login(user)
        return client

    return make


@pytest.fixture(autouse=True)
def _audit_checkpoints_in_tmp(settings, tmp_path):
    # Each test its own checkpoint file: never the developer's var/audit/, never another xdist worker's.
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"
