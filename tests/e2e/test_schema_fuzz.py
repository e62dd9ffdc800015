"""Fuzz every operation of ``/api/schema/`` with schemathesis, as a superuser, over the demo organisation.

For every operation, schema-valid and schema-violating requests (``FUZZ_EXAMPLES`` of each, default 6)
go through the real WSGI application. No answer may be a 500, and every answer must be one the schema
documents: its status code, content type, headers and body shape. Business-rule refusals of valid
input (a 400 for a justification the service finds too vague) are fine; undocumented answers are not.

The demo organisation is loaded once; each operation runs inside a savepoint that is rolled back, so
one operation's writes (offboarding the caller, closing the campaign) never starve the next of data.
Ids in the demo are small, and Hypothesis tries small integers first, so generated ids hit real rows.
"""

from __future__ import annotations

import io
import logging
import os

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.wsgi import application

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
# "No 500" and "the answer is what the schema says". Not positive_data_acceptance: a schema cannot say
# every business rule (a restricted asset needs two reviewers), so valid-looking input may be a 4xx.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SETTINGS = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written to .hypothesis/; every run starts fresh
    phases=[Phase.explicit, Phase.generate],  # no shrinking: CI time stays bounded when something fails
    suppress_health_check=list(HealthCheck),
)

# Loaded without a database: the schema view reads no rows.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.fixture
def in_process_requests():
    """Requests through the WSGI app in this thread share the test's transaction: keep its connection open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    quiet = logging.getLogger("django.request")
    level, quiet.level = quiet.level, logging.CRITICAL  # thousands of expected 4xx warnings
    try:
        yield
    finally:
        quiet.setLevel(level)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def fuzz(operation, mode: GenerationMode, headers: dict) -> None:
    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        with transaction.atomic():
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            finally:
                transaction.set_rollback(True)

    run()


@pytest.mark.django_db
def test_no_input_gives_a_500_and_every_answer_matches_the_schema(in_process_requests):
    call_command("seed_demo", stdout=io.StringIO())
    superuser = get_user_model().objects.get(username="owner")
    headers = {"Authorization": f"Token {Token.objects.get_or_create(user=superuser)[0].key}"}
    assert len(OPERATIONS) >= 70, "the schema lost its operations"
    failures = []
    for operation in OPERATIONS:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, headers)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # every operation is tried; failures are reported together
                failures.append(f"{operation.label} ({mode.value}):\n{exc}")
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
