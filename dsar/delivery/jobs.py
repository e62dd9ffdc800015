"""The purge: a package's file goes once every link to it has ended (expired, used up or revoked).

One periodic job (beat row "Purge delivered DSAR packages whose links have ended", hourly) through
``portal.jobs.run_batches``: the ``purged_at`` stamp takes a package out of the due set, so a second
run, or two at once, deletes nothing twice. The file is deleted inside the batch's transaction: if the
batch rolls back, the next run stamps what is already gone (deleting a missing file is a no-op).
"""

from __future__ import annotations

from django.utils import timezone

from dsar.models import Package
from dsar.package.services import purge_file
from portal import audit, jobs

REASON = "every delivery link ended"


def _effect(batch: list[Package]) -> None:
    for package in batch:
        purge_file(package)
    audit.record_many(
        actor=None,
        entries=[
            audit.Entry(
                "dsar.package.purged",
                package.request,
                {"package": package.pk, "file": package.file.name, "reason": REASON},
            )
            for package in batch
        ],
    )


def packages_purge(now=None) -> int:
    """Purge every package whose links have all ended; returns how many."""
    now = now or timezone.now()
    due = Package.objects.purgeable(now).select_related("request")
    return jobs.run_batches(due=due, stamp={"purged_at": now, "purge_reason": REASON}, effect=_effect)
