"""pytest plugin loaded before Django is set up (``-p portal.testenv``): picks the test profile."""

import os

os.environ.setdefault("DJANGO_ENV", "test")
