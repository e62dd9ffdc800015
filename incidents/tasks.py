from celery import shared_task


@shared_task(acks_late=True)
def warn_obligation_clocks_task() -> int:
    from incidents.jobs import obligations_warn_due

    return obligations_warn_due()
