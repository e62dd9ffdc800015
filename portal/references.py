"""Case references by year (``INC-2026-0001``, ``DSAR-2026-0001``), unique under concurrency."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, models, transaction
from django.utils import timezone


class YearCounter(models.Model):
    """The last number handed out per year; its row is locked while a new one is taken."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


@transaction.atomic(savepoint=False)
def next_in_year(counter: type[YearCounter], prefix: str, now: datetime | None = None) -> str:
    """The next ``PREFIX-YYYY-NNNN``. The year's row of ``counter`` is locked until the caller's
    transaction ends, so two cases opened at once never share a number."""
    year = timezone.localtime(now or timezone.now()).year
    row = counter._default_manager.select_for_update().filter(year=year).first()
    if row is None:
        try:
            with transaction.atomic():
                counter._default_manager.create(year=year)
        except IntegrityError:
            pass  # another case created the year's row first; lock it below
        row = counter._default_manager.select_for_update().get(year=year)
    row.last += 1
    row.save(update_fields=["last"])
    return f"{prefix}-{year}-{row.last:04d}"
