"""The API schema documents the 4xx answers each operation gives (``portal/api/schema.py``).

What an operation really answers is the authorisation matrix's table (``<app>/tests/authorisation.py``,
asserted by ``test_authorisation_matrix.py``): every 4xx it holds for an API route must be documented.
"""

import re

import pytest
from django.urls import reverse
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from portal import testing

ROUTES = testing.routes()
ROWS, _KINDS = testing.matrix_tables()
ERROR = {"$ref": "#/components/schemas/Error"}


@pytest.fixture(scope="module")
def schema():
    generated = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(generated)
    return generated


def test_no_view_makes_the_schema_guess():
    """What ``manage.py spectacular --validate --fail-on-warn`` checks: a warning is a field or answer guessed."""
    GENERATOR_STATS.reset()
    validate_schema(SchemaGenerator().get_schema(request=None, public=True))
    assert [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache] == []


def _operation(schema, route_name: str, method: str) -> dict:
    route = ROUTES[route_name]
    url = reverse(route.name, kwargs=dict.fromkeys(route.kwargs, 1))
    for path, operations in schema["paths"].items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path.rstrip("/")))
        if re.fullmatch(f"{pattern}/?", url) and method.lower() in operations:
            return operations[method.lower()]
    raise LookupError(f"{method} {url} is not in the schema")


def _documented(schema, route_name: str, method: str) -> set[int]:
    return {int(code) for code in _operation(schema, route_name, method)["responses"] if code.startswith("4")}


def _answers(value) -> list:
    if isinstance(value, dict):
        return list(value.values())
    return list(value) if isinstance(value, tuple) else [value]


def _client_errors(row: testing.Row) -> set[int]:
    return {a for v in row.expect.values() for a in _answers(v) if isinstance(a, int) and 400 <= a < 500}


# Not operations of the API: the schema, its browsable docs, and the JSON 404 for any other path.
NOT_OPERATIONS = {"api-schema", "api-docs", "api-not-found"}
API_ROWS = [row for row in ROWS if ROUTES[row.route].api and row.route not in NOT_OPERATIONS]


@pytest.mark.parametrize("row", API_ROWS, ids=lambda row: f"{row.method} {row.route}")
def test_each_operation_documents_the_errors_the_matrix_sees(schema, row):
    missing = _client_errors(row) - _documented(schema, row.route, row.method)
    assert not missing, f"{row.method} {row.route} answers {sorted(missing)} but does not document it"


@pytest.mark.parametrize(
    ("route", "method", "codes"),
    [
        ("api-token", "POST", {400, 413, 415, 429}),  # anyone may ask; throttled
        ("api-asset-list", "GET", {400, 401, 404}),  # a malformed filter 400; a page past the end 404
        ("api-asset-detail", "PATCH", {400, 401, 403, 404, 409, 413, 415}),
        ("api-grant-detail", "GET", {401, 404}),  # not yours: 404, never 403
        ("api-grant-revoke", "POST", {400, 401, 403, 404, 409, 413, 415}),
        ("api-access-check", "POST", {400, 401, 403, 413, 415}),  # a question: nothing to conflict with
        ("api-user-revoke-all", "POST", {400, 401, 403, 404, 413, 415}),
    ],
)
def test_operations_document_exactly_the_errors_they_can_give(schema, route, method, codes):
    assert _documented(schema, route, method) == codes


def _extends_error(schema, body) -> bool:
    """A body that carries the error's fields and more (the subject import's bad rows): clients read it as one."""
    name = body.get("$ref", "").rsplit("/", 1)[-1]
    component = schema["components"]["schemas"].get(name, {})
    return name != "" and {"detail", "code", "errors"} <= set(component.get("properties", {}))


def test_every_error_answer_has_the_one_error_body(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if code.startswith("4"):
                    body = response["content"]["application/json"]["schema"]
                    assert body == ERROR or _extends_error(schema, body), (method, path, code)
                    assert response["description"], (method, path, code)


def test_the_error_body_is_a_component(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"detail", "code", "errors"}
    assert set(error["required"]) == {"detail", "code"}
    assert error["properties"]["errors"]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}
