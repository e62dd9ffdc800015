"""Settings for the bench's HTTP server only: the portal's, plus ``bench.urls`` (a trivial view to compare with)."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
