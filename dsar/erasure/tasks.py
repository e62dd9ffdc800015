"""Celery jobs of erasure (registered from ``DsarConfig.ready``)."""

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=3, retry_backoff=True)
def erase_task(self, task_id: int) -> None:
    from dsar.erasure.services import erasure_execute

    erasure_execute(task_id=task_id)
