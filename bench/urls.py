"""The portal's URLs plus the baselines of throughput figures, served only by the bench's gunicorn (``bench.settings``).

* ``/bench/ping``: a trivial view (the whole middleware stack, no query);
* ``/bench/floor``: the decision point's SQL round trips as bare statements, the floor of its design.
"""

import json

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from access.services.decision import statement_cursor, token_statement


def ping(request: HttpRequest) -> HttpResponse:
    # The baseline for throughput figures: the whole middleware stack, no query, no template.
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
def floor(request: HttpRequest) -> HttpResponse:
    # What no design of POST /api/access/check can avoid: read the token and the body, send the same
    # statement the same way (same SQL, same binding, same cursor), answer JSON. No validation, no checks.
    key = request.headers["Authorization"].split()[1]
    body = json.loads(request.body)
    user, asset, scope = body["user"], body["asset"], body["scope"]
    statement = token_statement(key=key, user=user, asset=asset, scope=scope, now=timezone.now())
    with statement_cursor() as cursor:
        cursor.execute(*statement)
        row = cursor.fetchone()
    answer = {"allowed": row[2] is not None, "grant": row[2], "expires_at": row[3] and row[3].isoformat()}
    return HttpResponse(json.dumps(answer), content_type="application/json")


urlpatterns = [
    path("bench/ping", ping, name="bench-ping"),
    path("bench/floor", floor, name="bench-floor"),
    path("", include("portal.urls")),
]
