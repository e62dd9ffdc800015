"""Domain errors: services raise these; the API handler and the view mixin map them once."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager

from django.db import IntegrityError, transaction


class DomainError(Exception):
    status, code = 400, "invalid"
    default_message = "The request is invalid."

    def __init__(self, message: str | None = None, *, fields: Mapping[str, list[str] | str] | None = None):
        self.message = message or self.default_message
        # Per-field messages, always as lists so clients can rely on one shape.
        self.fields = {k: v if isinstance(v, list) else [v] for k, v in (fields or {}).items()}
        super().__init__(self.message)


class ValidationError(DomainError):
    status, code = 400, "invalid"
    default_message = "Some fields are not valid."


class NotFound(DomainError):
    status, code = 404, "not_found"
    default_message = "Not found."


class Forbidden(DomainError):
    status, code = 403, "forbidden"
    default_message = "You may not do this."


class Conflict(DomainError):
    status, code = 409, "conflict"
    default_message = "This conflicts with the current state."


class Gone(DomainError):
    status, code = 410, "gone"
    default_message = "This is no longer available."


@contextmanager
def conflict_on_constraint(message: str, *, fields: dict | None = None):
    """Run a write in a savepoint; if a database constraint refuses it (a race), raise ``Conflict(message)``.

    For writes a service checked beforehand but that a concurrent request can still beat:
    the constraint is the final word, and the caller's transaction stays usable.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise Conflict(message, fields=fields) from exc
