"""Refuse oversized API bodies before any view, authentication or parser reads them."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse

from portal.api.exceptions import body
from portal.api.parsers import PayloadTooLarge
from portal.web import is_api


def body_limit(request) -> int:
    """Bytes an API body may have: a file upload gets its own, larger allowance."""
    if request.content_type == "multipart/form-data":
        # Each upload endpoint checks its own limit; this only stops bodies larger than any of them.
        largest = max(
            settings.MAX_UPLOAD_BYTES,
            getattr(settings, "EVIDENCE_MAX_BYTES", 0),
            getattr(settings, "SUBJECT_IMPORT_MAX_BYTES", 0),
        )
        return largest + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class BodyLimitMiddleware:
    """413 in the API's JSON error shape for any ``/api/`` body over its limit, signed in or not.

    DRF reads JSON from the request stream, which Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``
    does not guard; the parser also stops reading at the limit when no length was sent.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api(request):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > body_limit(request):
                limit = body_limit(request)
                return JsonResponse(
                    body(f"The request body is larger than {limit} bytes.", PayloadTooLarge.default_code),
                    status=PayloadTooLarge.status_code,
                )
        return self.get_response(request)
