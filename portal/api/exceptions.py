"""The one place where errors become JSON.

Every error body has the same shape::

    {"detail": "One sentence for a person.", "code": "invalid",
     "errors": {"field": ["What is wrong with it."]}}
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DataError, IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.api.parsers import PayloadTooLarge
from portal.errors import Conflict, DomainError

log = logging.getLogger(__name__)

# What a constraint refused: another request changed the same rows at the same moment.
RACE_MESSAGE = "This conflicts with a change made at the same moment. Reload and try again."


def _flatten(data, prefix: str = "") -> dict[str, list[str]]:
    """DRF nests errors for nested fields; clients get ``a.b`` keys with message lists."""
    out: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(data, list) and data and all(not isinstance(v, (dict, list)) for v in data):
        out[prefix or "non_field_errors"] = [str(v) for v in data]
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.update(_flatten(value, f"{prefix}.{i}" if prefix else str(i)))
    else:
        out[prefix or "non_field_errors"] = [str(data)]
    return out


def body(detail: str, code: str, errors: dict | None = None) -> dict:
    payload = {"detail": detail, "code": code}
    if errors:
        payload["errors"] = errors
    return payload


def exception_handler(exc, context):
    if isinstance(exc, IntegrityError):
        # Services turn the constraints they know into a precise Conflict; this is the backstop.
        log.warning("Constraint refused a write: %s", exc)
        exc = Conflict(RACE_MESSAGE)
    elif isinstance(exc, DataError):
        log.warning("Database refused a value: %s", exc)
        return Response(body("A value is out of range or too long.", "invalid"), status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    if isinstance(exc, DomainError):
        return Response(body(exc.message, exc.code, exc.fields), status=exc.status)
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        return Response(body("Some fields are not valid.", "invalid", errors), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
        response.data = body(str(detail), getattr(exc.detail, "code", None) or exc.default_code)
    return response
