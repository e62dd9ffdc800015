"""The API's JSON parser: bounded in size and depth, so hostile bodies are a 4xx, never a 500."""

from __future__ import annotations

import codecs
import re

from django.conf import settings
from rest_framework import exceptions, parsers, status
from rest_framework.utils import json

# No real client nests this deep; Python's json gives up near 1,000 levels with a RecursionError.
MAX_JSON_DEPTH = 32

# A JSON string (possibly unterminated) or a bracket. Possessive quantifiers keep it linear on any input.
_TOKEN = re.compile(rb'"(?:[^"\\]++|\\.)*+"?|[\[\]{}]')
_OPENERS = {ord("["), ord("{")}


def json_depth(raw: bytes) -> int:
    """How deep the arrays and objects of ``raw`` nest, brackets inside strings ignored, without parsing it."""
    depth = deepest = 0
    for match in _TOKEN.finditer(raw):
        first = match.group()[0]
        if first in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif first != ord('"'):
            depth -= 1
    return deepest


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class BoundedJSONParser(parsers.JSONParser):
    """Reads at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes (413 beyond) and refuses nesting deeper than 32 (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge()
        if json_depth(raw) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.")
        parse_constant = json.strict_constant if self.strict else None
        try:
            text = codecs.decode(raw, encoding)
            return json.loads(text, parse_constant=parse_constant)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
