"""The portal's URLs plus ``/bench/ping``, served only by the bench's gunicorn (``bench.settings``)."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def ping(request: HttpRequest) -> HttpResponse:
    # The baseline for throughput figures: the whole middleware stack, no query, no template.
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/ping", ping, name="bench-ping"),
    path("", include("portal.urls")),
]
