"""The connector interface: how a data asset gives up (and erases) one subject's data.

A connector is anything with two methods (:class:`Connector`):

* ``collect(subject)`` yields :class:`CollectedItem` one at a time. It is a
  generator so a subject with 100,000 rows never sits in memory at once: the
  caller stores items in batches as they come and must exhaust or ``close()``
  the generator (closing releases the database connection).
* ``erase(subject)`` erases the subject's data in one transaction and answers
  an :class:`ErasureResult` with the rows touched per source.

:func:`connector_for` picks the connector configured for a data asset, or
``None`` when the asset has none: its task is then done by a person (manual).
Failures a person can act on (an unreachable server, a missing secret, a
column that no longer exists) are :class:`ConnectorError` with a message safe
to show: it never holds a secret or the subject's data.

Identifiers are strings ``"<kind>:<value>"``, e.g. ``"email:ann@example.com"``
or ``"customer:C-1001"``, built only by :func:`subject_identifier`: the
request's verified identifiers and every item's use the same spelling, which
is what lets the package's subject-match guard compare them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from portal.models import DataAsset

EMAIL, CUSTOMER_ID = "email", "customer_id"
# Identifier kind (as configured on a table) -> the prefix an identifier string carries.
PREFIXES = {EMAIL: "email", CUSTOMER_ID: "customer"}


def subject_identifier(kind: str, value: object) -> str:
    """``("email", " Ann@Example.com")`` -> ``"email:ann@example.com"``; customer ids are kept as written."""
    text = str(value).strip()
    if kind == EMAIL:
        text = text.lower()
    return f"{PREFIXES[kind]}:{text}"


@dataclass(frozen=True)
class Subject:
    """The person whose data is collected or erased, as verified on the request."""

    email: str = ""
    customer_id: str = ""

    def value(self, kind: str) -> str:
        """The subject's value for an identifier kind, normalised as in :func:`subject_identifier`."""
        raw = (self.email if kind == EMAIL else self.customer_id).strip()
        return raw.lower() if kind == EMAIL else raw

    def identifiers(self) -> set[str]:
        return {subject_identifier(kind, self.value(kind)) for kind in PREFIXES if self.value(kind)}


@dataclass
class CollectedItem:
    """One record or file found for a subject.

    ``subject_identifier`` is the identifier the item was found under, read from
    the source itself (not copied from the request), so an item that belongs to
    someone else says so. A record has ``data``; a file has ``content`` (and the
    row's other returned columns in ``data``).
    """

    subject_identifier: str
    source: str
    kind: str  # "record" or "file"
    name: str = ""
    data: dict | None = None
    content: bytes | None = None

    RECORD, FILE = "record", "file"


@dataclass
class ErasureResult:
    """Rows erased (deleted or nulled) per source, zero included, so the record shows every place searched."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class ConnectorError(Exception):
    """A failure a person can act on; the message is safe to show (no secret, no subject data)."""


class Connector(Protocol):
    def collect(self, subject: Subject) -> Iterator[CollectedItem]: ...

    def erase(self, subject: Subject) -> ErasureResult: ...


# Factories asked in turn: each answers a connector for an asset, or None when the asset is not its kind.
# Dotted paths, imported on first use, so this module loads before the models do.
FACTORIES: list[str] = ["dsar.connectors.sql.sql_connector_for"]
_factories: list[Callable[[DataAsset], Connector | None]] = []


def register(factory: Callable[[DataAsset], Connector | None]) -> None:
    """Add a factory (a connector kind of another module, or a test's fake), asked before the built-in ones."""
    if factory not in _factories:
        _factories.insert(0, factory)


def connector_for(asset: DataAsset) -> Connector | None:
    """The connector configured for ``asset``, or ``None``: its tasks are then done by hand."""
    for factory in [*_factories, *(import_string(path) for path in FACTORIES)]:
        connector = factory(asset)
        if connector is not None:
            return connector
    return None
