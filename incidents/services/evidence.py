"""Evidence files: checked (size, extension and content agree), hashed, kept outside the web root.

A file lands under ``PRIVATE_STORAGE_ROOT/evidence/`` with a random name and no
extension, so nothing the uploader chose is ever part of a path and no web server
serves or runs it; it is only read back through :func:`evidence_open`, which audits it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
from pathlib import Path

from django.conf import settings
from django.db import transaction

from incidents.models import MAX_REASON, EvidenceFile, Incident
from incidents.services.common import CHANGE, VIEW, bounded_text, lock, record
from portal import audit, permissions
from portal.errors import Conflict, Forbidden, ValidationError

# Extension → (content type served, how its first bytes must look; TEXT: UTF-8 text without NUL bytes).
TEXT: tuple[bytes, ...] = ()
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "zip": ("application/zip", (b"PK\x03\x04", b"PK\x05\x06")),
    "txt": ("text/plain", TEXT),
    "csv": ("text/csv", TEXT),
    "eml": ("message/rfc822", TEXT),
}
SNIFF_BYTES = 8192


def max_bytes() -> int:
    return settings.EVIDENCE_MAX_BYTES


def storage_dir() -> Path:
    return Path(settings.PRIVATE_STORAGE_ROOT) / "evidence"


def path_of(evidence: EvidenceFile) -> Path:
    return storage_dir() / evidence.stored_name


def _clean_name(name: str) -> str:
    # Only the last path part, without control characters: a name to show, never a path.
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[-200:] or "evidence"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(head) - 3 and len(head) == SNIFF_BYTES
    return True


def check_type(name: str, head: bytes) -> str:
    """The content type for a file called ``name`` starting with ``head``, or a ValidationError."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = ", ".join(sorted(ALLOWED))
    if ext not in ALLOWED:
        raise ValidationError(fields={"file": f"Files of this type are not accepted. Allowed: {allowed}."})
    content_type, signature = ALLOWED[ext]
    ok = head.startswith(signature) if signature else _looks_like_text(head)
    if not ok or not head:
        raise ValidationError(fields={"file": f"The content of this file is not {ext.upper()} (it says .{ext})."})
    return content_type


def _store(upload) -> tuple[str, str, int]:
    """Write the upload under a random name, hashing as it goes: ``(stored name, sha256, size)``."""
    folder = storage_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(32)
    digest, size, limit = hashlib.sha256(), 0, max_bytes()
    fd = os.open(folder / stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in upload.chunks():
                size += len(chunk)
                if size > limit:  # the declared size can lie
                    raise ValidationError(fields={"file": too_big()})
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        (folder / stored).unlink(missing_ok=True)
        raise
    return stored, digest.hexdigest(), size


def too_big() -> str:
    return f"The file is larger than the limit of {max_bytes() // (1024 * 1024)} MB."


@transaction.atomic
def evidence_upload(*, actor, incident: Incident, upload, description: str = "") -> EvidenceFile:
    """Keep ``upload`` (a Django UploadedFile) as evidence of ``incident``; its SHA-256 is recorded."""
    incident = lock(incident)
    permissions.require(actor, CHANGE, incident)
    description = bounded_text(description, "description", MAX_REASON)
    if upload is None:
        raise ValidationError(fields={"file": "Choose a file."})
    if incident.status == Incident.Status.CLOSED:
        raise Conflict("The incident is closed.")
    if upload.size is not None and upload.size > max_bytes():
        raise ValidationError(fields={"file": too_big()})
    name = _clean_name(upload.name)
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    content_type = check_type(name, head)
    stored, sha256, size = _store(upload)
    try:
        evidence = EvidenceFile.objects.create(
            incident=incident,
            name=name,
            stored_name=stored,
            content_type=content_type,
            size=size,
            sha256=sha256,
            description=description,
            uploaded_by=actor,
        )
        details = {"evidence": evidence.pk, "name": name, "size": size, "sha256": sha256}
        record(
            incident=incident,
            actor=actor,
            action="incidents.evidence.uploaded",
            # The name stays in the details: the timeline is read by the reporter too.
            text=f"Evidence file #{evidence.pk} added ({size} bytes, SHA-256 {sha256[:12]}…).",
            details=details,
        )
    except BaseException:
        (storage_dir() / stored).unlink(missing_ok=True)
        raise
    # A rollback of the caller's transaction after this point would leave the file without its row:
    # harmless (unreachable, random name) and found by comparing the folder with the table.
    return evidence


def may_investigate(user, incident: Incident) -> bool:
    """Work the incident, or read every incident (auditors): who sees evidence, exposure and drafts.

    A reporter who only reported it sees the incident, not what the investigation gathered
    (the evidence of a leak often is the leaked data).
    """
    return permissions.has(user, CHANGE, incident) or permissions.has(user, VIEW)


@transaction.atomic
def evidence_open(*, actor, evidence: EvidenceFile):
    """The stored file, opened for reading; the download is an audit event (a sensitive read)."""
    if not may_investigate(actor, evidence.incident):
        raise Forbidden("Only those working the incident (and auditors) open its evidence.")
    path = path_of(evidence)
    if not path.exists():
        raise Conflict("The stored file is missing; tell the administrators.")
    audit.record(
        actor=actor,
        action="incidents.evidence.downloaded",
        target=evidence.incident,
        details={"evidence": evidence.pk, "name": evidence.name, "sha256": evidence.sha256},
    )
    return path.open("rb")
