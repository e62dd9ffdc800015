"""Celery tasks of campaigns: the launch snapshot, the close in batches, the periodic jobs (django-celery-beat)."""

from celery import shared_task


@shared_task(acks_late=True)
def snapshot_campaign_task(*, campaign_id: int) -> int:
    from access.campaigns.services import campaign_snapshot

    return campaign_snapshot(campaign_id=campaign_id)


@shared_task(acks_late=True)
def close_campaign_task(*, campaign_id: int, batch_size: int | None = None) -> int:
    # Redelivered after a worker died mid-batch, it continues after the last committed batch.
    from access.campaigns.services import CLOSE_BATCH, campaign_apply

    return campaign_apply(campaign_id=campaign_id, batch_size=batch_size or CLOSE_BATCH).applied_count


@shared_task(acks_late=True)
def remind_reviewers_task() -> int:
    from access.campaigns.jobs import campaigns_escalate, campaigns_remind

    return campaigns_remind() + campaigns_escalate()


@shared_task(acks_late=True)
def launch_quarterly_campaign_task() -> int | None:
    from access.campaigns.jobs import campaign_launch_quarterly

    campaign = campaign_launch_quarterly()
    return campaign.pk if campaign else None
