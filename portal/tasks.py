import logging

from celery import shared_task
from django.db import OperationalError

logger = logging.getLogger("portal.audit")


# OSError: the mail server is unreachable. OperationalError: the database is busy ("database is
# locked" on SQLite while the web process writes, a dropped connection elsewhere). Both pass; retry
# with growing pauses. No one is mailed twice: ``deliver`` records each (event, address) as sent in
# the same transaction as the send, and a retry skips every address already recorded.
@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError, OperationalError),
    max_retries=8,
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
)
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
