"""The decision point's service path: a token call answered without DRF's request cycle.

Data systems call ``POST /api/access/check`` on every read they serve. The
common call (a ``Token`` header, a small JSON body that the API's own parser
reads and the input serializer's own fields accept) is answered by ONE statement
(:func:`access.services.check_access_by_token`) and a few lines of Python,
next to nothing beyond the SQL's own cost. Every other call goes to the DRF
view untouched, so it answers exactly as before: a session (with its CSRF
check), a missing, malformed or unknown token (401), a caller without
``access.check_access`` (403), invalid input (400 naming the field), a browser
asking for HTML. Errors thus keep the API's one shape and the OpenAPI schema
keeps documenting the view.
"""

from __future__ import annotations

import functools
import io
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.fields import Field
from rest_framework.parsers import BaseParser
from rest_framework.settings import api_settings

from access import services
from access.api.serializers import CheckInputSerializer, CheckResultSerializer

MAX_BODY = 1024  # bytes; a check is under 200, anything bigger is DRF's to refuse


@functools.cache
def _parts() -> tuple[BaseParser, dict, Field]:
    # The API's own JSON parser (size, depth, strict constants) and the serializers' own fields, built once
    # per process: they parse, validate and render without keeping state.
    parser = next(p() for p in api_settings.DEFAULT_PARSER_CLASSES if p.media_type == "application/json")
    return parser, dict(CheckInputSerializer().fields), CheckResultSerializer().fields["expires_at"]


def _token_key(request: HttpRequest) -> str | None:
    # As TokenAuthentication reads "Authorization: Token <key>"; anything unusual is left to it.
    header = request.META.get("HTTP_AUTHORIZATION", "")
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "token" or not header.isascii():
        return None
    return parts[1]


def _valid_input(request: HttpRequest) -> dict | None:
    """The body's fields as the input serializer validates them, or ``None`` to let DRF answer."""
    if request.content_type != "application/json" or "html" in request.META.get("HTTP_ACCEPT", ""):
        return None
    parser, fields, _ = _parts()
    try:
        if not 0 < int(request.META.get("CONTENT_LENGTH") or 0) <= MAX_BODY:
            return None
        context = {"encoding": request.encoding or settings.DEFAULT_CHARSET}
        data = parser.parse(io.BytesIO(request.body), "application/json", context)
    except (ValueError, APIException):
        return None
    if not isinstance(data, dict):
        return None
    try:
        return {name: field.run_validation(data[name]) for name, field in fields.items()}
    except (KeyError, ValidationError):
        return None


def answer(request: HttpRequest) -> HttpResponse | None:
    """The decision for a service caller, or ``None`` when the DRF view must answer."""
    if request.method != "POST" or (key := _token_key(request)) is None:
        return None
    if (fields := _valid_input(request)) is None:
        return None
    caller, decision = services.check_access_by_token(key=key, **fields)
    if caller is None or not caller.may_check:
        return None  # 401 or 403, in the API's error shape
    return HttpResponse(_render(decision), "application/json")


def _render(decision) -> str:
    # CheckResultSerializer's shape as DRF's JSONRenderer writes it (compact), without a serializer per call.
    *_, expires_at = _parts()
    answer = {"allowed": decision.allowed, "grant": decision.grant, "expires_at": None}
    if decision.expires_at is not None:
        answer["expires_at"] = expires_at.to_representation(decision.expires_at)
    return json.dumps(answer, separators=(",", ":"))


class ServicePath:
    """For the decision point's ``APIView``: service calls take :func:`answer`, the rest the view itself."""

    @classmethod
    def as_view(cls, **initkwargs):
        drf_view = super().as_view(**initkwargs)

        @functools.wraps(drf_view)  # keeps cls and csrf_exempt: the schema and the session's CSRF as DRF has them
        def view(request, *args, **kwargs):
            response = answer(request)
            return drf_view(request, *args, **kwargs) if response is None else response

        return view
