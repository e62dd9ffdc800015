"""The append-only, hash-chained audit log.

Every service calls :func:`record` inside its own transaction, so an event
exists exactly when the change it describes was committed. Appends are
serialised by locking the single :class:`AuditChainHead` row, which keeps the
chain linear however many processes write at once.

The chain is keyed: each hash is an HMAC-SHA256 with ``AUDIT_KEY``, a secret
kept out of the database, so whoever can only write to the database cannot
recompute a consistent chain after an edit. What a key cannot show by itself
is a chain cut short (the newest events deleted and the head row moved back,
or everything wiped): for that a periodic job signs the head and appends it to
a file outside the database (:func:`checkpoint_write`), and :func:`verify`
checks every event a checkpoint vouches for is still there.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from portal.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
logger = logging.getLogger("portal.audit")


@dataclass(frozen=True)
class Ref:
    """A target named without loading it, for set-based jobs that hold only ids."""

    model: type[models.Model]
    pk: int | str
    text: str = ""


def _label(obj: models.Model | Ref | None) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    if isinstance(obj, Ref):
        return obj.model._meta.label_lower, str(obj.pk), obj.text[:300]
    return obj._meta.label_lower, str(obj.pk), str(obj)[:300]


def _normalise(details: dict | None) -> dict:
    if not details:
        return {}
    # Round-trip through JSON so the hash is computed over exactly what is stored.
    return json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder, sort_keys=True))


@functools.lru_cache(maxsize=4)
def _keyed(key: str):
    return hmac.new(key.encode(), digestmod=hashlib.sha256)


def _mac(blob: bytes) -> str:
    # Keyed with AUDIT_KEY, which lives outside the database: without it nobody recomputes a consistent chain.
    # Copying a keyed HMAC skips re-deriving the key's pads for each of a sweep's thousands of events.
    mac = _keyed(settings.AUDIT_KEY).copy()
    mac.update(blob)
    return mac.hexdigest()


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder).encode()


def event_payload(event: AuditEvent | SimpleNamespace) -> bytes:
    """What an event's hash covers: every field, and the hash of the event before it."""
    return _canonical(
        {
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
    )


def compute_hash(event: AuditEvent | SimpleNamespace) -> str:
    return _mac(event_payload(event))


@dataclass(frozen=True)
class Entry:
    """One event to append; used by :func:`record_many` for set-based jobs."""

    action: str
    target: models.Model | Ref | None = None
    details: dict | None = None


def _lock_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def _append(actor, entries: list[Entry]) -> list:
    with transaction.atomic():
        head = _lock_head()
        now = timezone.now()
        actor_id = getattr(actor, "pk", None)
        actor_repr = actor.get_username() if actor is not None else "system"
        rows, prev, seq = [], head.hash, head.sequence
        for entry in entries:
            seq += 1
            target_type, target_id, target_repr = _label(entry.target)
            # A plain namespace, not a model instance: a model's __init__ cost as much as the hash.
            row = SimpleNamespace(
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
            row.hash = prev = compute_hash(row)
            rows.append(row)
        stored = _insert(rows)
        head.sequence, head.hash = seq, prev
        head.save(update_fields=["sequence", "hash"])
    return stored


# From this many events on, PostgreSQL gets them by COPY: Django compiling a 10,000-row INSERT
# took most of an expiry batch's time, COPY takes a fraction of it.
COPY_FROM = 500
COLUMNS = [
    "sequence",
    "created_at",
    "actor_id",
    "actor_repr",
    "action",
    "target_type",
    "target_id",
    "target_repr",
    "details",
    "prev_hash",
    "hash",
]


def _insert(rows: list[SimpleNamespace]) -> list:
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM:
        return AuditEvent.objects.bulk_create([AuditEvent(**vars(row)) for row in rows])
    quote = connection.ops.quote_name
    column_of = {f.name: f.column or f.name for f in AuditEvent._meta.concrete_fields}
    columns = ", ".join(quote(column_of[name]) for name in COLUMNS)
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {quote(AuditEvent._meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            values = vars(row)
            copy.write_row([json.dumps(values[n]) if n == "details" else values[n] for n in COLUMNS])
    return rows


def record_many(*, actor, entries: Iterable[Entry]) -> int:
    """Append several events in one locked step (one INSERT, or one COPY for a large batch); return how many."""
    entries = list(entries)
    return len(_append(actor, entries)) if entries else 0


def record(*, actor, action: str, target: models.Model | None = None, details: dict | None = None) -> AuditEvent:
    """Append one event. ``actor`` is a user or ``None`` for the system (periodic jobs)."""
    return _append(actor, [Entry(action, target, details)])[0]


@dataclass
class ChainProblem:
    sequence: int
    reason: str


def _walk(events, *, expected_seq: int, prev: str, pinned: dict[int, Checkpoint], batch_size: int):
    """Check ``events`` (in sequence order) link up from ``prev``; return (problem, last sequence, last hash)."""
    last_seq = expected_seq - 1
    for event in events.iterator(chunk_size=batch_size):
        if event.sequence != expected_seq:
            reason = f"event #{expected_seq} is missing (next found is #{event.sequence})"
            return ChainProblem(expected_seq, reason), last_seq, prev
        if event.prev_hash != prev:
            return ChainProblem(event.sequence, "its previous hash does not match the event before it"), last_seq, prev
        if not hmac.compare_digest(compute_hash(event), event.hash):
            reason = "its content does not match its keyed hash (edited, or written without the audit key)"
            return ChainProblem(event.sequence, reason), last_seq, prev
        checkpoint = pinned.get(event.sequence)
        if checkpoint is not None and checkpoint.hash != event.hash:
            reason = f"its hash differs from the one signed in the checkpoint of {checkpoint.time}"
            return ChainProblem(event.sequence, reason), last_seq, prev
        prev, expected_seq, last_seq = event.hash, expected_seq + 1, event.sequence
    return None, last_seq, prev


def verify(*, checkpoints: Iterable[Checkpoint] = (), batch_size: int = 2000) -> ChainProblem | None:
    """Recompute the keyed chain; return the first broken event, or ``None`` when it is intact.

    With ``checkpoints`` (read by :func:`read_checkpoints`) also prove that every
    event they vouch for is still there with the hash signed then: this catches
    events removed from the end, even with the head row moved back, and a wiped table.
    """
    pinned = {c.sequence: c for c in checkpoints}
    events = AuditEvent.objects.order_by("sequence")
    problem, last_seq, prev = _walk(events, expected_seq=1, prev=GENESIS, pinned=pinned, batch_size=batch_size)
    if problem is not None:
        return problem
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.sequence, head.hash) != (last_seq, prev):
        return ChainProblem(last_seq + 1, f"the chain ends at #{last_seq} but #{head.sequence} was written")
    if pinned:
        top = pinned[max(pinned)]
        if top.sequence > last_seq:
            reason = (
                f"the log ends at #{last_seq} but the checkpoint of {top.time} vouches for #{top.sequence} "
                "(events were removed from the end, or the table was emptied)"
            )
            return ChainProblem(last_seq + 1, reason)
    return None


# --- Checkpoints: the chain's head, signed and kept outside the database ------


class CheckpointError(Exception):
    """A checkpoint file that cannot be trusted (unreadable line or bad signature)."""


@dataclass(frozen=True)
class Checkpoint:
    sequence: int
    hash: str
    time: str
    signature: str = ""

    def signed_part(self) -> bytes:
        # "kind" separates these signatures from event hashes made with the same key.
        return _canonical({"kind": "audit-checkpoint", "sequence": self.sequence, "hash": self.hash, "time": self.time})

    def sign(self) -> Checkpoint:
        return Checkpoint(self.sequence, self.hash, self.time, _mac(self.signed_part()))

    def is_authentic(self) -> bool:
        return hmac.compare_digest(_mac(self.signed_part()), self.signature)

    def to_line(self) -> str:
        data = {"sequence": self.sequence, "hash": self.hash, "time": self.time, "signature": self.signature}
        return json.dumps(data, sort_keys=True) + "\n"


def read_checkpoints(path: Path | str) -> list[Checkpoint]:
    """Every checkpoint in ``path``; :class:`CheckpointError` names the first line that is not authentic."""
    found = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                checkpoint = Checkpoint(int(data["sequence"]), str(data["hash"]), str(data["time"]), data["signature"])
            except (ValueError, KeyError, TypeError) as exc:
                raise CheckpointError(f"{path}, line {number}: not a checkpoint ({exc})") from exc
            if not isinstance(checkpoint.signature, str) or not checkpoint.is_authentic():
                raise CheckpointError(
                    f"{path}, line {number}: the signature does not match (altered, or signed with another key)"
                )
            found.append(checkpoint)
    return found


def _last_checkpoint(path: Path) -> Checkpoint | None:
    if not path.exists():
        return None
    checkpoints = read_checkpoints(path)
    return max(checkpoints, key=lambda c: c.sequence) if checkpoints else None


def checkpoint_write(*, path: Path | str | None = None, now=None) -> Checkpoint | None:
    """Sign the chain's head and append it to the checkpoint file (periodic job).

    Writes nothing when no event was added since the last checkpoint. Before
    signing, the events since that checkpoint are verified, so a broken chain
    is reported (:class:`CheckpointError`) instead of being vouched for.
    """
    path = Path(path or settings.AUDIT_CHECKPOINT_FILE)
    last = _last_checkpoint(path)
    head = AuditChainHead.objects.filter(pk=1).first() or AuditChainHead(sequence=0, hash=GENESIS)
    if last is not None and (
        head.sequence < last.sequence or (head.sequence == last.sequence and head.hash != last.hash)
    ):
        raise CheckpointError(f"the chain head is at #{head.sequence}, behind the checkpoint at #{last.sequence}")
    if head.sequence == 0 or (last is not None and last.sequence == head.sequence):
        return None  # nothing new to vouch for
    expected_seq, prev = 1, GENESIS
    if last is not None:
        anchor = AuditEvent.objects.filter(sequence=last.sequence).values_list("hash", flat=True).first()
        if anchor != last.hash:
            raise CheckpointError(f"event #{last.sequence} no longer matches the checkpoint of {last.time}")
        expected_seq, prev = last.sequence + 1, last.hash
    events = AuditEvent.objects.filter(sequence__gte=expected_seq, sequence__lte=head.sequence).order_by("sequence")
    problem, last_seq, prev = _walk(events, expected_seq=expected_seq, prev=prev, pinned={}, batch_size=2000)
    if problem is None and (last_seq, prev) != (head.sequence, head.hash):
        problem = ChainProblem(last_seq + 1, f"the chain ends at #{last_seq} but #{head.sequence} was written")
    if problem is not None:
        raise CheckpointError(f"not signed: the audit chain is broken at event #{problem.sequence}: {problem.reason}")
    moment = (now or timezone.now()).isoformat(timespec="seconds")
    checkpoint = Checkpoint(head.sequence, head.hash, moment).sign()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as out:
        # One locked write per line, so two overlapping runs never interleave.
        fcntl.flock(out, fcntl.LOCK_EX)
        out.write(checkpoint.to_line())
        out.flush()
        os.fsync(out.fileno())
    logger.info("audit checkpoint %s", checkpoint.to_line().strip())
    return checkpoint


def history(obj: models.Model, *, limit: int = 100) -> models.QuerySet[AuditEvent]:
    """The events about one object, newest first (one query)."""
    target_type, target_id, _ = _label(obj)
    return AuditEvent.objects.filter(target_type=target_type, target_id=target_id).order_by("-sequence")[:limit]
