"""Length limits of free text, checked by the services so that every client (API, pages, admin) gets them."""

from __future__ import annotations


def too_long(value, limit: int) -> str | None:
    """The per-field message for text over ``limit`` characters, or ``None``."""
    if isinstance(value, str) and len(value) > limit:
        return f"At most {limit} characters, please (this has {len(value)})."
    return None


def length_errors(model, values: dict) -> dict[str, str]:
    """Messages for the ``values`` longer than their model field's ``max_length``."""
    errors = {}
    for name, value in values.items():
        limit = getattr(model._meta.get_field(name), "max_length", None)
        message = too_long(value, limit) if limit else None
        if message:
            errors[name] = message
    return errors
