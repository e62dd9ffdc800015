from celery import shared_task


@shared_task(acks_late=True)
def collect_task(task_id: int) -> None:
    """Run one connector task; a failure is recorded on the task (a person retries it), so no Celery retry."""
    from dsar.services.collection import task_run

    task_run(task_id=task_id)


@shared_task(acks_late=True)
def resume_collection_task() -> int:
    """Queue again the connector tasks whose worker died mid-collection (django-celery-beat, every 5 minutes)."""
    from dsar.services.collection import collection_resume

    return collection_resume()
