"""Celery tasks of subject notification (registered by ``incidents.tasks``)."""

from celery import shared_task
from django.utils import timezone


# No max_retries: each retry follows rows that failed on a mail error, and each row fails at most
# SUBJECT_MAIL_MAX_ATTEMPTS times, so the chain ends. Late acks: a worker that dies mid-run leaves
# the task on the queue; the rerun claims only pending rows (see incidents.subjects.sending).
@shared_task(bind=True, acks_late=True, max_retries=None)
def send_subject_notification_task(self, *, notification_id: int) -> int:
    from incidents.subjects.sending import notification_send

    outcome = notification_send(notification_id=notification_id)
    if outcome.retry_at is not None and not self.request.is_eager:
        # Come back when the first backoff is over. Run eagerly (tests) there is no "later":
        # the periodic sweep (resume_subject_notifications_task) picks those rows up.
        countdown = max(1, int((outcome.retry_at - timezone.now()).total_seconds()) + 1)
        raise self.retry(countdown=countdown)
    return outcome.sent


@shared_task(acks_late=True)
def resume_subject_notifications_task() -> int:
    from incidents.subjects.sending import subjects_resume

    return subjects_resume()
