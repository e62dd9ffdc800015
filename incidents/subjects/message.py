"""The subject notification's template: ``{name}``, ``{email}``, ``{reference}`` and ``{organisation}``, nothing else.

``str.format`` would also reach attributes (``{name.__class__}``) and pad to any
width (``{name:>999999999}``), so a template may hold only the bare placeholders
(and ``{{``/``}}`` for braces); anything else is a per-field error when it is saved.
"""

from __future__ import annotations

import string
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage

PLACEHOLDERS = ("name", "email", "reference", "organisation")
EXERCISE_PREFIX = "[EXERCISE] "
_formatter = string.Formatter()


def template_errors(text: str) -> str:
    """A message naming what is wrong with the template, or ``""``."""
    try:
        parts = list(_formatter.parse(text))
    except ValueError as exc:
        return f"Unbalanced braces ({exc}); write {{{{ and }}}} for a literal brace."
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            allowed = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            written = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            return f"Unknown placeholder {{{written}}}: use {allowed}."
    return ""


def render(text: str, *, name: str, email: str, reference: str) -> str:
    values = {"name": name or email, "email": email, "reference": reference, "organisation": settings.ORGANISATION_NAME}
    return text.format_map(values)


def message_id(*, notification_id: int, subject_id: int) -> str:
    """The same Message-ID for the same recipient of the same notification: a mail system can drop a repeat."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<subject-notification-{notification_id}-{subject_id}@{domain}>"


def build(*, notification, subject, reference: str, exercise: bool) -> EmailMessage:
    values = {"name": subject.name, "email": subject.email, "reference": reference}
    title = " ".join(render(notification.subject, **values).split())
    if exercise:
        title = EXERCISE_PREFIX + title
    headers = {"Message-ID": message_id(notification_id=notification.pk, subject_id=subject.pk)}
    if subject.language:
        headers["Content-Language"] = subject.language
    return EmailMessage(
        subject=title,
        body=render(notification.body, **values),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subject.email],
        headers=headers,
    )
