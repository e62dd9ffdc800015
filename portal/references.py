"""Case references by year (``INC-2026-0001``, ``DSAR-2026-0001``), unique under concurrency."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, models, transaction
from django.utils import timezone


@transaction.atomic(savepoint=False)
def next_in_year(counter: type[models.Model], prefix: str, now: datetime | None = None) -> str:
    """The next ``PREFIX-YYYY-NNNN``. ``counter`` has ``year`` (primary key) and ``last``; the year's row
    is locked until the caller's transaction ends, so two cases opened at once never share a number."""
    year = timezone.localtime(now or timezone.now()).year
    row = counter._default_manager.select_for_update().filter(year=year).first()
    if row is None:
        try:
            with transaction.atomic():
                counter._default_manager.create(year=year)
        except IntegrityError:
            pass  # another case created the year's row first; lock it below
        row = counter._default_manager.select_for_update().get(year=year)
    row.last += 1  # type: ignore[attr-defined]
    row.save(update_fields=["last"])
    return f"{prefix}-{year}-{row.last:04d}"  # type: ignore[attr-defined]
