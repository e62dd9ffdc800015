"""The record of a completed erasure (imported by ``dsar/models.py``, so it belongs to the ``dsar`` app)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ErasureRecord(models.Model):
    """The record of a completed erasure, as mailed to the subject: per system, erased or held and why."""

    request = models.OneToOneField("dsar.Request", on_delete=models.CASCADE, related_name="erasure_record")
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(default=timezone.now)
    systems = models.JSONField(default=list)
    sent_to = models.EmailField(max_length=254)

    def __str__(self) -> str:
        return f"Erasure record of request {self.request_id}"
