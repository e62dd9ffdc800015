"""The OpenAPI schema documents every access endpoint's request and response bodies."""

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

# path: (method, request body fields or None, answer status, answer fields)
CONTRACT = {
    "/api/access-requests/": (
        "post",
        {"asset", "scope", "justification", "duration_days", "ticket"},
        "201",
        {"id", "status"},
    ),
    "/api/access-requests/{id}/approve/": ("post", {"comment"}, "200", {"status", "approvals", "required_approvals"}),
    "/api/access-requests/{id}/deny/": ("post", {"comment"}, "200", {"status"}),
    "/api/access-requests/{id}/cancel/": ("post", None, "200", {"status"}),
    "/api/grants/{id}/revoke/": ("post", {"reason"}, "200", {"id", "status"}),
    "/api/grants/{id}/review/": ("post", {"justified", "comment"}, "200", {"review_outcome"}),
    "/api/break-glass/": ("post", {"asset", "scope", "justification", "hours"}, "201", {"id", "expires_at"}),
    "/api/access/check/": ("post", {"user", "asset", "scope"}, "200", {"allowed", "grant", "expires_at"}),
    "/api/users/{id}/revoke-all/": ("post", {"reason"}, "200", {"revoked"}),
}


@pytest.fixture(scope="module")
def schema():
    GENERATOR_STATS.reset()
    generated = SchemaGenerator().get_schema(request=None, public=True)
    warnings = [w for w in [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache] if "access/api/" in w]
    return generated, warnings


def _resolve(schema, ref_or_schema):
    if "$ref" in ref_or_schema:
        return schema["components"]["schemas"][ref_or_schema["$ref"].rsplit("/", 1)[1]]
    return ref_or_schema


def test_the_schema_is_valid_and_the_access_views_raise_no_warnings(schema):
    generated, warnings = schema
    validate_schema(generated)
    assert warnings == []


@pytest.mark.parametrize("path", CONTRACT)
def test_each_endpoint_documents_its_request_and_answer(schema, path):
    generated, _ = schema
    method, request_fields, status, answer_fields = CONTRACT[path]
    operation = generated["paths"][path][method]
    if request_fields is None:
        assert "requestBody" not in operation
    else:
        body = _resolve(generated, operation["requestBody"]["content"]["application/json"]["schema"])
        assert set(body["properties"]) == request_fields
    answer = _resolve(generated, operation["responses"][status]["content"]["application/json"]["schema"])
    assert answer_fields <= set(answer["properties"])


@pytest.mark.parametrize(
    ("path", "params"),
    [("/api/access-requests/", {"status", "reviewable", "page"}), ("/api/grants/", {"user", "status", "page"})],
)
def test_the_lists_document_their_filters_and_pages(schema, path, params):
    generated, _ = schema
    operation = generated["paths"][path]["get"]
    assert params <= {p["name"] for p in operation["parameters"]}
    assert {"count", "results"} <= set(
        _resolve(generated, operation["responses"]["200"]["content"]["application/json"]["schema"])["properties"]
    )


def test_the_decision_point_is_documented_for_service_tokens(schema):
    generated, _ = schema
    security = generated["paths"]["/api/access/check/"]["post"]["security"]
    assert {"serviceTokenAuth": []} in security
