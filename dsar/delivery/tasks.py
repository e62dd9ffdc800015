"""Celery jobs of the delivery (registered from ``DsarConfig.ready``)."""

from celery import shared_task


@shared_task(acks_late=True)
def purge_packages_task() -> int:
    from dsar.delivery.jobs import packages_purge

    return packages_purge()
