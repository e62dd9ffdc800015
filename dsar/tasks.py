from celery import shared_task


@shared_task(acks_late=True)
def collect_task(task_id: int) -> None:
    """Run one connector task; a failure is recorded on the task (a person retries it), so no Celery retry."""
    from dsar.services.collection import task_run

    task_run(task_id=task_id)
