"""The one shape of a periodic job (STYLE.md §13): claim due rows, stamp them, act, repeat.

A job supplies three things:

* ``due``: the rows that still need the job, *excluding the stamped ones*
  (e.g. ``expiry_warned_at__isnull=True``): the stamp is what makes a second run,
  or a run racing this one, a no-op;
* ``stamp``: the fields written on every claimed row, in one UPDATE per batch;
* ``effect``: what happens to a claimed batch inside its transaction, typically
  one audit event and mail through ``portal.notifications.notify`` (which sends
  only once the batch has committed).

Each batch is its own transaction: rows are locked with SKIP LOCKED (a run at
the same time takes other rows), stamped, handed to the effect and committed.
If the effect raises, that batch rolls back whole (no stamp, no mail) while the
batches before it stay done; the next run picks up where this one stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

BATCH_SIZE = 500


def run_batches(
    *,
    due: QuerySet[M],
    stamp: Mapping[str, Any],
    effect: Callable[[list[M]], None],
    batch_size: int = BATCH_SIZE,
) -> int:
    """Claim, stamp and act on every due row of ``due``, batch after batch. Returns how many rows were done.

    Call it outside any transaction, so that each batch commits on its own. Rows
    are taken in primary-key order, each batch after the last one, so a row the
    stamp fails to take out of ``due`` is never taken twice in one run.
    """
    manager = due.model._default_manager
    total, after = 0, None
    while True:
        with transaction.atomic():
            batch_qs = due if after is None else due.filter(pk__gt=after)
            batch = list(batch_qs.select_for_update(skip_locked=True, of=("self",)).order_by("pk")[:batch_size])
            if not batch:
                return total
            manager.filter(pk__in=[row.pk for row in batch]).update(**stamp)
            for row in batch:
                for field, value in stamp.items():
                    setattr(row, field, value)
            effect(batch)
        total, after = total + len(batch), batch[-1].pk
