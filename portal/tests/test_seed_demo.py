from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from portal import audit, demo, permissions
from portal.models import AuditEvent, DataAsset, DataAssetUserObjectPermission


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    # Every table of every app, so a part added later by another app is covered too.
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.mark.django_db
def test_seeding_twice_creates_nothing_twice():
    _seed()
    first = _counts()
    assert first["portal.User"] == len(demo.PEOPLE)
    assert first["portal.DataAsset"] == len(demo.ASSETS)
    assert first["portal.DataAssetUserObjectPermission"] > 0
    assert first["portal.AuditEvent"] > 0

    _seed()
    assert _counts() == first


@pytest.mark.django_db
def test_the_seeded_audit_chain_verifies():
    _seed()
    _seed()
    assert audit.verify() is None
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert f"{AuditEvent.objects.count()} events verified" in out.getvalue()


@pytest.mark.django_db
def test_the_demo_lists_its_users_and_they_can_sign_in(client):
    output = _seed()
    for username in demo.PEOPLE:
        assert username in output
    assert demo.DEMO_PASSWORD in output
    assert client.login(username="emma", password=demo.DEMO_PASSWORD)


@pytest.mark.django_db
def test_the_demo_people_hold_their_roles():
    _seed()
    users = {u.username: u for u in get_user_model().objects.all()}
    assert permissions.is_access_admin(users["adam"])
    assert permissions.is_privacy_officer(users["petra"])
    assert permissions.is_auditor(users["audrey"])
    assert not permissions.in_role(users["emma"], "access-admins", "privacy-officers", "auditors")
    assert users["owner"].is_superuser
    assert not users["adam"].is_superuser

    video = DataAsset.objects.get(name="Doorbell video feeds")
    assert video.sensitivity == "restricted"
    assert video.max_grant_days == 30
    reviewers = DataAssetUserObjectPermission.objects.filter(
        content_object=video, permission__codename="review_dataasset"
    ).values_list("user__username", flat=True)
    assert sorted(reviewers) == ["ravi", "rita"]


@pytest.mark.django_db
def test_demo_assets_are_created_through_the_service_and_audited():
    _seed()
    created = AuditEvent.objects.filter(action="portal.asset.created")
    assert sorted(created.values_list("target_repr", flat=True)) == sorted(a["name"] for a in demo.ASSETS)
    assert set(created.values_list("actor_repr", flat=True)) == {"adam"}


def test_seed_demo_refuses_production_and_creates_nobody(tmp_path):
    from portal.tests.test_settings import PRODUCTION, manage

    database = tmp_path / "prod.sqlite3"
    result = manage("seed_demo", **{**PRODUCTION, "DATABASE_URL": f"sqlite:///{database}"})
    assert result.returncode != 0
    assert "refuses to run with DJANGO_ENV=production" in result.stderr
    assert demo.DEMO_PASSWORD not in result.stdout + result.stderr
    assert not database.exists()  # it stopped before touching the database
