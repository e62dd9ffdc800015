"""The connector interface (DSAR_MODELS.md); the connectors stream owns this module.

A minimal stand-in with the agreed names, so collection can call
:func:`connector_for` before the real registry and the SQL connector land.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Subject:
    email: str
    customer_id: str = ""

    def identifiers(self) -> set[str]:
        found = {f"email:{self.email.strip().lower()}"}
        if self.customer_id.strip():
            found.add(f"customer:{self.customer_id.strip()}")
        return found


@dataclass(frozen=True)
class CollectedItem:
    subject_identifier: str
    source: str
    kind: str  # "record" or "file"
    name: str = ""
    data: dict | None = None
    content: bytes | None = None


@dataclass(frozen=True)
class ErasureResult:
    erased: int = 0
    note: str = ""


class Connector(Protocol):
    def collect(self, subject: Subject) -> Iterator[CollectedItem]: ...

    def erase(self, subject: Subject) -> ErasureResult: ...


_factories: list[Callable] = []


def register(factory: Callable) -> None:
    """``factory(asset)`` answers a Connector for the asset, or None."""
    if factory not in _factories:
        _factories.append(factory)


def connector_for(asset) -> Connector | None:
    """The asset's connector, or None: a person completes its task by uploading files."""
    for factory in _factories:
        connector = factory(asset)
        if connector is not None:
            return connector
    return None
