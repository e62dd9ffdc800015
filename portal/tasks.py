from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=5, retry_backoff=True, autoretry_for=(OSError,))
def send_notification_task(self, *, key: str, recipients: list[str], template: str, context: dict) -> int:
    from portal.notifications import deliver

    return deliver(key=key, recipients=recipients, template=template, context=context)
