"""Customer ids tied to addresses on record, read from the SQL tables that hold both (``customer_id_column``).

A customer id reaches everything filed under it (orders, recordings), so a request may carry one only when
it is proved: the verification link proves an address, and the register says whether that address is the
id's address on record.
"""

from __future__ import annotations

from dsar.connectors.sql import SourceConfig, SqlConnector


def addresses_on_record(customer_id: str) -> set[str] | None:
    """The addresses on record for ``customer_id`` (empty when no register knows it), or ``None`` when no
    source ties customer ids to addresses at all. Raises ``ConnectorError`` when a register cannot be read."""
    from dsar.connectors.models import SqlSource

    sources = list(
        SqlSource.objects.filter(tables__customer_id_column__gt="")
        .distinct()
        .select_related("asset")
        .prefetch_related("tables")
    )
    if not sources:
        return None
    found: set[str] = set()
    for source in sources:
        found |= SqlConnector(SourceConfig.from_model(source)).addresses_for(customer_id)
    return found
