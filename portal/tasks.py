import logging

from celery import shared_task

logger = logging.getLogger("portal.audit")


@shared_task(bind=True, acks_late=True, max_retries=5, retry_backoff=True, autoretry_for=(OSError,))
def send_notification_task(self, *, key: str, recipients: list[str], template: str, context: dict) -> int:
    from portal.notifications import deliver

    return deliver(key=key, recipients=recipients, template=template, context=context)


@shared_task(acks_late=True)
def audit_checkpoint_task() -> int | None:
    """Sign the audit chain's head into the checkpoint file (a periodic job; a re-run adds nothing)."""
    from portal import audit

    try:
        checkpoint = audit.checkpoint_write()
    except audit.CheckpointError as exc:
        # Loud, and the job fails: a broken chain must reach whoever watches the logs.
        logger.error("audit checkpoint refused: %s", exc)
        raise
    return checkpoint.sequence if checkpoint else None
