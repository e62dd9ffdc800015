from celery import shared_task
from django.db import OperationalError


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
