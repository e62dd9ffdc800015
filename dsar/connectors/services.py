"""Services of the connector configuration: testing a source, and the audit trail of its changes.

The configuration itself is edited in the admin (``dsar.connectors.admin``),
whose model forms validate it; every saved change and every test is recorded
here, in the audit log, with the source's shape and never a secret.
"""

from __future__ import annotations

from django.db import transaction

from dsar.connectors.base import ConnectorError
from dsar.connectors.models import SqlSource
from dsar.connectors.sql import SourceConfig, SqlConnector, TableCheck
from portal import audit, permissions

CHANGE_SOURCE = "dsar.change_sqlsource"


def describe(source: SqlSource) -> dict:
    """The source as the audit log keeps it: where, which secret's name, which tables (no secret value)."""
    return {
        "asset": source.asset.name,
        "url": source.url,
        "password_env": source.password_env,
        "statement_timeout": source.statement_timeout,
        "tables": [
            {
                "table": t.table,
                "identifier": f"{t.identifier_column} ({t.identifier_kind})",
                "columns": t.columns,
                "erasure": t.erasure_mode,
                "null_columns": t.null_columns,
                "file_column": t.file_column,
            }
            for t in source.tables.all()
        ],
    }


def sql_source_test(*, actor, source: SqlSource) -> list[TableCheck]:
    """Reach the source's database and check each configured table against its real schema.

    Answers one :class:`~dsar.connectors.sql.TableCheck` per table (reachable,
    columns found, rows); raises :class:`ConnectorError` when the database
    cannot be reached at all. Only reads; the attempt and its outcome are audited.
    """
    permissions.require(actor, CHANGE_SOURCE, source)
    source = SqlSource.objects.select_related("asset").prefetch_related("tables").get(pk=source.pk)
    try:
        checks = SqlConnector(SourceConfig.from_model(source)).check()
    except ConnectorError as exc:
        audit.record(actor=actor, action="dsar.sqlsource.tested", target=source, details={"error": str(exc)})
        raise
    audit.record(
        actor=actor,
        action="dsar.sqlsource.tested",
        target=source,
        details={"tables": [{"table": c.table, "ok": c.ok, "message": c.message} for c in checks]},
    )
    return checks


@transaction.atomic(savepoint=False)
def sql_source_saved(*, actor, source: SqlSource, created: bool) -> None:
    """Record a source's configuration after the admin saved it with its tables (inside the admin's transaction)."""
    permissions.require(actor, CHANGE_SOURCE if not created else "dsar.add_sqlsource", source)
    action = "dsar.sqlsource.created" if created else "dsar.sqlsource.changed"
    audit.record(actor=actor, action=action, target=source, details=describe(source))


@transaction.atomic(savepoint=False)
def sql_source_deleted(*, actor, source: SqlSource) -> None:
    """Record a source's removal (its asset's tasks are then done by hand), before the admin deletes it."""
    permissions.require(actor, "dsar.delete_sqlsource", source)
    audit.record(actor=actor, action="dsar.sqlsource.deleted", target=source, details=describe(source))
