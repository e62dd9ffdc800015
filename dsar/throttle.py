"""Public intake is throttled per e-mail address and per client, the same for the form and the API.

Fixed windows counted in the cache (``django.core.cache``): one key per
address or client and window, created with ``add`` and raised with ``incr``,
both atomic in Redis and in the local-memory cache.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/min"`` → (10, 60)."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip().lower()]


def client_rate() -> tuple[int, int]:
    return parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get("intake", "10/min"))


def address_rate() -> tuple[int, int]:
    return parse_rate(getattr(settings, "DSAR_INTAKE_PER_ADDRESS", "3/hour"))


def _hit(kind: str, value: str, limit: int, window: int, now: float) -> int:
    """Count one attempt; answer 0 when allowed, else the seconds until the window ends."""
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]  # no address in the cache keys
    slot = int(now // window)
    key = f"dsar-intake:{kind}:{digest}:{slot}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 1)
        count = 1
    return 0 if count <= limit else max(1, int((slot + 1) * window - now))


def intake_wait(*, client: str, email: str) -> int:
    """0 when this attempt may go ahead; else the seconds to wait. Each attempt counts, allowed or not."""
    now = time.time()
    waits = [_hit("client", client or "unknown", *client_rate(), now)]
    if email:
        waits.append(_hit("address", email, *address_rate(), now))
    return max(waits)


def client_of(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


class IntakeThrottle(BaseThrottle):
    """The API's face of :func:`intake_wait` (429 with Retry-After)."""

    scope = "intake"

    def allow_request(self, request, view) -> bool:
        data = request.data if isinstance(request.data, dict) else {}
        email = data.get("email") if isinstance(data.get("email"), str) else ""
        self._wait = intake_wait(client=client_of(request), email=email)
        return self._wait == 0

    def wait(self):
        return getattr(self, "_wait", None)
