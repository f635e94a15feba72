"""Schemathesis against /api/schema/: generated requests to every read endpoint, as an
anonymous user, find no server error and no response the schema does not describe.

Bounded (a few examples an operation) so the suite stays fast; run it alone with more
examples by setting API_FUZZ_EXAMPLES.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from registry import engine, resolver
from tests.factories import make_agreement

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "15"))


@pytest.fixture
def api_schema(db, settings):
    settings.API_ANON_RATE = None
    # The WSGI handler closes the connection around each request; within a test that
    # would end the test's transaction (Django's test client disconnects them too).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Indexes built in another test's transaction, since rolled back.
    engine._index = resolver._index = None
    make_agreement(
        title="Schemathesis sample", partners=("national-science-foundation",)
    )
    from usjp_site.wsgi import application

    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_read_endpoints_conform_to_the_schema(api_schema):
    # Schemathesis' own pytest plugin does not run under pytest 9: each operation is
    # driven here with Hypothesis directly, and every failing operation reported.
    failures = {}
    operations = 0
    for result in api_schema.include(method="GET").get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def exercise(case):
            case.call_and_validate(
                checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            exercise()
        except Exception as error:  # noqa: BLE001 (reported below, all at once)
            failures[operation.label] = f"{type(error).__name__}: {error}"
    assert operations >= 16
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
