"""Periodic jobs of access/ (scheduled by django-celery-beat, editable in the admin)."""

from celery import shared_task


@shared_task(acks_late=True)
def expire_grants_task() -> int:
    from access.services import grants_expire

    return grants_expire()


@shared_task(acks_late=True)
def warn_expiring_grants_task() -> int:
    from access.services import grants_warn_expiring

    return grants_warn_expiring()


@shared_task(acks_late=True)
def lapse_requests_task() -> int:
    from access.services import requests_lapse

    return requests_lapse()


@shared_task(acks_late=True)
def escalate_break_glass_task() -> int:
    from access.services import break_glass_escalate

    return break_glass_escalate()
