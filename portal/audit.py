"""The append-only, hash-chained audit log.

Every service calls :func:`record` inside its own transaction, so an event
exists exactly when the change it describes was committed. Appends are
serialised by locking the single :class:`AuditChainHead` row, which keeps the
chain linear however many processes write at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from portal.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _label(obj: models.Model | None) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    return obj._meta.label_lower, str(obj.pk), str(obj)[:300]


def _normalise(details: dict | None) -> dict:
    # Round-trip through JSON so the hash is computed over exactly what is stored.
    return json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder, sort_keys=True))


def compute_hash(event: AuditEvent) -> str:
    payload = {
        "sequence": event.sequence,
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_repr": event.actor_repr,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_repr": event.target_repr,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One event to append; used by :func:`record_many` for set-based jobs."""

    action: str
    target: models.Model | None = None
    details: dict | None = None


def _lock_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def record_many(*, actor, entries: Iterable[Entry]) -> list[AuditEvent]:
    """Append several events in one locked step (one INSERT for the lot)."""
    entries = list(entries)
    if not entries:
        return []
    with transaction.atomic():
        head = _lock_head()
        now = timezone.now()
        actor_id = getattr(actor, "pk", None)
        actor_repr = actor.get_username() if actor is not None else "system"
        events, prev, seq = [], head.hash, head.sequence
        for entry in entries:
            seq += 1
            target_type, target_id, target_repr = _label(entry.target)
            event = AuditEvent(
                sequence=seq,
                created_at=now,
                actor_id=actor_id,
                actor_repr=actor_repr,
                action=entry.action,
                target_type=target_type,
                target_id=target_id,
                target_repr=target_repr,
                details=_normalise(entry.details),
                prev_hash=prev,
            )
            event.hash = prev = compute_hash(event)
            events.append(event)
        AuditEvent.objects.bulk_create(events)
        head.sequence, head.hash = seq, prev
        head.save(update_fields=["sequence", "hash"])
    return events


def record(*, actor, action: str, target: models.Model | None = None, details: dict | None = None) -> AuditEvent:
    """Append one event. ``actor`` is a user or ``None`` for the system (periodic jobs)."""
    return record_many(actor=actor, entries=[Entry(action, target, details)])[0]


@dataclass
class ChainProblem:
    sequence: int
    reason: str


def verify(*, batch_size: int = 2000) -> ChainProblem | None:
    """Recompute the chain; return the first broken event, or ``None`` when it is intact."""
    expected_seq, prev = 1, GENESIS
    qs = AuditEvent.objects.order_by("sequence")
    last_seq = 0
    for event in qs.iterator(chunk_size=batch_size):
        if event.sequence != expected_seq:
            return ChainProblem(expected_seq, f"event #{expected_seq} is missing (next found is #{event.sequence})")
        if event.prev_hash != prev:
            return ChainProblem(event.sequence, "its previous hash does not match the event before it")
        if compute_hash(event) != event.hash:
            return ChainProblem(event.sequence, "its content does not match its hash (edited)")
        prev, expected_seq, last_seq = event.hash, expected_seq + 1, event.sequence
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.sequence, head.hash) != (last_seq, prev):
        return ChainProblem(last_seq + 1, f"the chain ends at #{last_seq} but #{head.sequence} was written")
    return None


def history(obj: models.Model, *, limit: int = 100) -> models.QuerySet[AuditEvent]:
    """The events about one object, newest first (one query)."""
    target_type, target_id, _ = _label(obj)
    return AuditEvent.objects.filter(target_type=target_type, target_id=target_id).order_by("-sequence")[:limit]
