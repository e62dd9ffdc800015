"""The decision point's path, which the root URLconf matches before any other.

Data systems call it on every read they serve; first in line it is resolved
in a few microseconds instead of after every other pattern of the portal (a
tenth of the endpoint's own time). A contract like the rest of the API
(SPEC.md): with and without a trailing slash.
"""

from django.urls import re_path

from access.api.views import CheckAccessView

urlpatterns = [
    re_path(r"^api/access/check/?$", CheckAccessView.as_view(), name="api-access-check"),
]
