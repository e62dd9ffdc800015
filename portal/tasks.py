from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=5, retry_backoff=True, autoretry_for=(OSError,))
def send_notification_task(self, *, key: str, recipients: list[str], template: str, context: dict) -> int:
    from portal.notifications import deliver

    return deliver(key=key, recipients=recipients, template=template, context=context)


@shared_task(acks_late=True)
def audit_checkpoint_task() -> int | None:
    """Sign the audit chain's head into the checkpoint file (a periodic job; a re-run adds nothing)."""
    from portal import audit

    checkpoint = audit.checkpoint_write()
    return checkpoint.sequence if checkpoint else None
