"""The OpenAPI schema documents the 4xx answers each operation really gives, in one place.

Views declare their bodies; the error answers follow from what every view already says about
itself, so this schema class adds them rather than each view repeating them:

* 400 (invalid input): operations that take a body (415 for a body in another format), and lists
  with filters; 413 (body too large): every write;
* 401: operations for signed-in callers only (not ``AllowAny``);
* 403: their writes, and any operation gated by more than being signed in (a role, a permission);
* 404: operations on one object (an id in the path: missing and not-yours look the same),
  and paginated lists (a page past the end);
* 409: writes on a resource (a viewset): its state, or a concurrent change, may refuse them;
* 429: throttled operations.

Request bodies say ``additionalProperties: false``: each is a
:class:`portal.api.serializers.InputSerializer`, which names an unknown field in a 400.

A view's own declaration of a code wins, since its description can say more. Every error
answer has the body of :class:`portal.api.serializers.ErrorSerializer` (component ``Error``).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny
from rest_framework.viewsets import ViewSetMixin

from portal.api.permissions import IsActiveUser
from portal.api.serializers import ErrorSerializer, InputSerializer

ERROR_DESCRIPTIONS = {
    400: "Invalid input: `errors` names each field with its messages.",
    401: "Not signed in: send `Authorization: Token <key>` (POST /api/auth/token/) or a session cookie.",
    403: "Signed in, but not allowed to do this (to this object).",
    404: "No such object, or not one you may see (the answer is the same).",
    409: "Not in a state that allows this, or changed at the same moment by someone else.",
    413: "The request body is too large.",
    415: "The body is not in a format the operation reads: send JSON (`Content-Type: application/json`).",
    429: "Too many requests: wait for the time `Retry-After` gives.",
}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class AutoSchema(SpectacularAutoSchema):
    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(serializer, InputSerializer):
            schema["additionalProperties"] = False  # an unknown field is a 400 naming it
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in sorted(self.error_codes()):
            if str(code) not in responses:
                error = OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
                responses[str(code)] = self._get_response_for_code(error, str(code), direction=direction)
        return dict(sorted(responses.items()))

    def error_codes(self) -> set[int]:
        """The 4xx codes this operation can answer, read off the view."""
        codes: set[int] = set()
        write = self.method not in SAFE_METHODS
        checks = self.view.get_permissions()
        signed_in = not all(isinstance(check, AllowAny) for check in checks)
        if not write and self._is_list_view() and getattr(self.view, "filterset_class", None) is not None:
            codes.add(400)  # a malformed filter is named, never ignored (portal.params.check_filters)
        if write:
            codes.add(413)
            if self.get_request_serializer() is not None:
                codes.update((400, 415))
        if signed_in:
            codes.add(401)
            if write or any(not isinstance(check, IsActiveUser) for check in checks):
                codes.add(403)
        if "{" in self.path or (not write and self._is_list_view() and self._get_paginator()):
            codes.add(404)
        if write and signed_in and isinstance(self.view, ViewSetMixin):
            codes.add(409)
        if self.view.get_throttles():
            codes.add(429)
        return codes
