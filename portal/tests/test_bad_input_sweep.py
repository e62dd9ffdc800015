"""Hostile input to every operation of the schema, found by walking it (so new endpoints join by
themselves): malformed JSON, a body that is not an object, an unknown field, NUL in text, absurd
page numbers. Each answer is a 4xx in the API's JSON error shape, and nothing is written.

The caller is a superuser over the demo organisation, so ids in paths (1) name real objects and the
answers are about the input, not about rights.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from portal.models import AuditEvent
from portal.testing import api_client

pytestmark = pytest.mark.django_db


def _operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), re.sub(r"\{[^}]+\}", "1", path), operation


OPERATIONS = list(_operations())
WRITES = [(m, p) for m, p, op in OPERATIONS if "application/json" in op.get("requestBody", {}).get("content", {})]
LISTS = [p for m, p, op in OPERATIONS if m == "GET" and "page" in {q["name"] for q in op.get("parameters", [])}]


@pytest.fixture
def superuser_client():
    call_command("seed_demo", stdout=io.StringIO())
    cache.clear()
    return api_client(get_user_model().objects.get(username="owner"), token=True)


RAW_BODIES = {
    "truncated": b'{"name": ',
    "array": b"[1, 2, 3]",
    "string": b'"just a string"',
    "null": b"null",
    "bad-utf8": b'{"a": "\xff\xfe"}',
}
# NUL, a snowman, Fraktur letters, a right-to-left override; under the common text field names at once.
TEXT = "Zo\u00eb \x00 \u2603 \U0001d518\U0001d52b \u202e"
TEXT_FIELDS = ["name", "justification", "comment", "reason", "title", "description", "ticket", "username", "password"]


def _send(client, method, path, raw):
    before = AuditEvent.objects.count()
    response = client.generic(method, path, raw, content_type="application/json")
    wrote = AuditEvent.objects.count() - before
    return response, wrote


def _problems(response, wrote, allowed, what) -> list[str]:
    problems = []
    if response.status_code not in allowed:
        problems.append(f"{what}: answered {response.status_code}: {response.content[:200]!r}")
    elif not response["Content-Type"].startswith("application/json") or not {"detail", "code"} <= set(response.json()):
        problems.append(f"{what}: not the JSON error shape: {response.content[:200]!r}")
    if wrote:
        problems.append(f"{what}: wrote {wrote} audit event(s)")
    return problems


# 404 or 409: an object route may refuse first for its object's state; never a 2xx or a 5xx.
REFUSED = (400, 404, 409)


def test_a_malformed_or_non_object_body_is_a_400(superuser_client):
    problems = []
    for method, path in WRITES:
        for name, raw in RAW_BODIES.items():
            response, wrote = _send(superuser_client, method, path, raw)
            problems += _problems(response, wrote, REFUSED, f"{method} {path} with a {name} body")
    assert not problems, "\n".join(problems)


def test_an_unknown_field_is_named(superuser_client):
    problems = []
    for method, path in WRITES:
        response, wrote = _send(superuser_client, method, path, json.dumps({"definitely_not_a_field": "x"}))
        problems += _problems(response, wrote, REFUSED, f"{method} {path} with an unknown field")
        if response.status_code == 400 and "definitely_not_a_field" not in response.json().get("errors", {}):
            problems.append(f"{method} {path}: the 400 does not name the unknown field: {response.json()}")
    assert not problems, "\n".join(problems)


def test_nul_and_control_characters_in_text_are_refused_not_500(superuser_client):
    problems = []
    body = json.dumps(dict.fromkeys(TEXT_FIELDS, TEXT))
    for method, path in WRITES:
        response, wrote = _send(superuser_client, method, path, body)
        problems += _problems(response, wrote, REFUSED, f"{method} {path} with NUL in its text")
    assert not problems, "\n".join(problems)


def test_an_absurd_page_number_is_a_404_in_json(superuser_client):
    problems = []
    for path in LISTS:
        for page in ["99999999999999999999999999", "-1", "0", "1e9", "\u00b2", "abc"]:
            response = superuser_client.get(path, {"page": page})
            problems += _problems(response, 0, (404,), f"GET {path}?page={page}")
    assert not problems, "\n".join(problems)


def test_an_absurd_page_size_still_answers_a_bounded_page(superuser_client):
    problems = []
    # Lists under an object ("/1/") are left out: which ids the demo gets depends on the database's sequences.
    for path in [p for p in LISTS if "/1/" not in p]:
        for size in ["-1", "0", "99999999999999999999999", "abc"]:
            response = superuser_client.get(path, {"page_size": size})
            if response.status_code != 200 or len(response.json()["results"]) > 500:
                problems.append(f"GET {path}?page_size={size}: {response.status_code} {response.content[:200]!r}")
    assert not problems, "\n".join(problems)


def test_the_sweep_found_the_operations():
    assert len(WRITES) >= 20
    assert len(LISTS) >= 5
