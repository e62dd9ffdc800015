import pytest
from django.core.cache import cache

from dsar.connectors import base
from dsar.services import verification


@pytest.fixture(autouse=True)
def _fresh_throttle_and_registries():
    # Intake is throttled through the cache; lookups and connectors registered by a test end with it.
    cache.clear()
    registry = _connector_registry()
    lookups, factories = list(verification._lookups), list(registry)
    yield
    cache.clear()
    verification._lookups[:] = lookups
    registry[:] = factories


def _connector_registry() -> list:
    # The connectors step names its list of registered factories ``_registered``.
    return base._registered if hasattr(base, "_registered") else base._factories


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    # Collected files go to a test's own folder, never the developer's var/private/.
    settings.MEDIA_ROOT = tmp_path / "private"
