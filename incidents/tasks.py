from celery import shared_task


@shared_task(acks_late=True)
def warn_obligation_clocks_task() -> int:
    from incidents.jobs import obligations_warn_due

    return obligations_warn_due()


# Subject notification's tasks live beside its code; imported here so the worker registers them.
from incidents.subjects.tasks import resume_subject_notifications_task, send_subject_notification_task  # noqa: E402, F401
