"""Drift between active grants and guardian permissions: reported, and with --fix repaired."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from access import services
from access.tests.factories import make_grant
from access.tests.test_services_audit import audit_chain_verifies  # noqa: F401
from portal import permissions
from portal.models import AuditEvent, DataAsset
from portal.tests.factories import DataAssetFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audit_chain_verifies")]


def holds(user, asset, perm="portal.use_dataasset") -> bool:
    """Whether the derived guardian row is there (what reconcile repairs; rights are answered from grants)."""
    rows = permissions.object_permission_model(DataAsset).objects
    return rows.filter(user=user, content_object=asset, permission__codename=perm.split(".", 1)[1]).exists()


def reconcile(*args) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("reconcile_permissions", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


@pytest.fixture
def estate(employee, outsider, asset, reviewer):
    """Grants in every state, kept in step by the services: no drift to begin with."""
    other = DataAssetFactory(name="Order history")
    make_grant(employee, asset)
    make_grant(outsider, other, scope="export")
    ended = make_grant(outsider, asset)
    services.grant_revoke(actor=reviewer, grant=ended, reason="Left the team.")
    return other


def test_a_clean_estate_reports_no_drift(estate):
    drift = services.reconcile_permissions()

    assert drift.clean
    out, error = reconcile()
    assert error is None
    assert "No drift" in out


def test_a_permission_removed_behind_the_services_back_is_missing_and_fix_restores_it(employee, asset, estate):
    permissions.remove("portal.use_dataasset", employee, asset)

    drift = services.reconcile_permissions()

    assert drift.missing == [(employee.pk, asset.pk, "use_dataasset")]
    assert drift.extra == []
    out, error = reconcile()
    assert error is not None
    assert "1 missing, 0 extra" in str(error)
    assert f"missing: user {employee.pk} has an active grant but no use_dataasset on asset {asset.pk}" in out
    assert not holds(employee, asset), "reporting changes nothing"

    out, error = reconcile("--fix")

    assert error is None
    assert "Repaired: 1 missing, 0 extra." in out
    assert holds(employee, asset)
    assert services.reconcile_permissions().clean
    [event] = AuditEvent.objects.filter(action="access.permissions.reconciled")
    assert event.details == {"assigned": [[employee.pk, asset.pk, "use_dataasset"]], "removed": []}


def test_a_stray_permission_without_a_grant_is_extra_and_fix_removes_it(outsider, asset, estate):
    permissions.assign("portal.admin_dataasset", outsider, estate)

    drift = services.reconcile_permissions()

    assert drift.missing == []
    assert drift.extra == [(outsider.pk, estate.pk, "admin_dataasset")]
    out, error = reconcile()
    assert error is not None
    assert f"extra:   user {outsider.pk} holds admin_dataasset on asset {estate.pk} without an active grant" in out

    out, error = reconcile("--fix")

    assert error is None
    assert not holds(outsider, estate, "portal.admin_dataasset")
    assert holds(outsider, estate, "portal.export_dataasset"), "the granted permission stays"
    out, error = reconcile()
    assert (error, "No drift" in out) == (None, True)


def test_the_permission_of_a_revoked_grant_put_back_by_hand_is_extra(outsider, asset, estate):
    permissions.assign("portal.use_dataasset", outsider, asset)

    assert services.reconcile_permissions().extra == [(outsider.pk, asset.pk, "use_dataasset")]


def test_reviewer_rights_are_not_drift(reviewer, asset, estate):
    # review_dataasset is held on purpose by reviewers, with no grant behind it.
    assert holds(reviewer, asset, "portal.review_dataasset")
    assert services.reconcile_permissions().clean


def test_missing_and_extra_together_are_fixed_in_one_run(employee, outsider, asset, estate):
    permissions.remove("portal.use_dataasset", employee, asset)
    permissions.assign("portal.use_dataasset", outsider, estate)

    drift = services.reconcile_permissions(fix=True)

    assert (len(drift.missing), len(drift.extra)) == (1, 1)
    assert services.reconcile_permissions().clean
    assert AuditEvent.objects.filter(action="access.permissions.reconciled").count() == 1


def test_a_clean_run_with_fix_writes_nothing(estate):
    before = AuditEvent.objects.count()

    _, error = reconcile("--fix")

    assert error is None
    assert AuditEvent.objects.count() == before
