from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=3, retry_backoff=True)
def collect_task(self, task_id: int) -> None:
    from dsar.services.collection import task_run

    task_run(task_id=task_id)
