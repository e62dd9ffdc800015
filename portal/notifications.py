"""E-mail, sent by Celery after commit, at most once per (event, person).

A caller inside a service says *what* happened::

    notifications.notify(key=f"grant-revoked:{grant.pk}", to=[grant.user],
                         template="access/grant_revoked", context={"grant_id": grant.pk})

The mail goes out from a task enqueued on commit. The task records the key
per recipient before sending, so a retried or duplicated task never mails a
person twice for the same event.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from portal.models import SentNotification


def _addresses(to: Iterable) -> list[str]:
    out = []
    for who in to:
        email = who if isinstance(who, str) else getattr(who, "email", "")
        if email and email not in out:
            out.append(email)
    return out


def notify(*, key: str, to: Iterable, template: str, context: dict | None = None) -> None:
    """Mail ``template`` to ``to`` (users or addresses) once the transaction commits.

    ``context`` must be JSON-serialisable (ids and strings): it travels through the broker.
    """
    from portal.tasks import send_notification_task

    recipients = _addresses(to)
    if not recipients:
        return
    transaction.on_commit(
        lambda: send_notification_task.delay(key=key, recipients=recipients, template=template, context=context or {})
    )


def render(template: str, context: dict) -> tuple[str, str, str]:
    context = {"base_url": settings.PORTAL_BASE_URL, "organisation_name": settings.ORGANISATION_NAME, **context}
    subject = " ".join(render_to_string(f"email/{template}_subject.txt", context).split())
    text = render_to_string(f"email/{template}.txt", context)
    html = render_to_string(f"email/{template}.html", context)
    return subject, text, html


def deliver(*, key: str, recipients: list[str], template: str, context: dict) -> int:
    """Send what has not been sent yet; returns how many mails went out. Safe to run twice."""
    subject, text, html = render(template, context)
    sent = 0
    for address in recipients:
        with transaction.atomic():
            record, _ = SentNotification.objects.select_for_update().get_or_create(
                key=f"{key}:{address}"[:255], defaults={"recipient": address, "subject": subject[:255]}
            )
            if record.sent_at is not None:
                continue
            message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [address])
            message.attach_alternative(html, "text/html")
            # A failure raises and rolls the record back, so the retry sends it.
            message.send()
            record.sent_at = timezone.now()
            record.save(update_fields=["sent_at"])
            sent += 1
    return sent
