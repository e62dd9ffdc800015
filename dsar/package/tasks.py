"""The package build as a Celery task (registered from ``DsarConfig.ready``)."""

from celery import shared_task

from portal.errors import DomainError


@shared_task(bind=True, acks_late=True, max_retries=3)
def build_package_task(self, *, package_id: int) -> str | None:
    """Build one package; acks late, so a worker lost half-way hands it to another, which builds it again.

    An error retries (backing off); once the retries are spent the package is marked failed, so the
    request page stops waiting and offers to build again.
    """
    from dsar.package.services import package_assemble, package_build_failed

    try:
        package = package_assemble(package_id=package_id)
    except DomainError:  # a refusal is not retried
        raise
    except Exception as exc:
        if self.request.retries < self.max_retries:
            # 10, 20, 40 s (retry_backoff acts only with autoretry_for, so the delay is given here).
            raise self.retry(exc=exc, countdown=10 * 2**self.request.retries) from exc
        package_build_failed(package_id=package_id, error=f"The build stopped on an error ({type(exc).__name__}).")
        raise
    return package.state if package else None
