"""Issue 19: schemathesis over the whole OpenAPI schema, anonymously and as a signed-in learner (Bearer key).

Every operation of the schema the site serves gets generated requests (valid and invalid bodies, parameters
and headers) through the WSGI application in-process; each answer must not be a 5xx, must match its
documented response schema, and must carry a documented status code. Bounded to fit CI: FUZZ_EXAMPLES
cases per operation and role, always the same ones (derandomized), SCHEMATHESIS_EXAMPLES for a longer run.

(schemathesis' own pytest plugin does not run under this pytest; the operations are parametrized here from
the same schema and each is driven with Hypothesis directly, as the plugin would.)"""

import json
import os

import pytest
import schemathesis
from django.core.cache import caches
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

FUZZ_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def load_schema():
    from drf_spectacular.generators import SchemaGenerator

    raw = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = get_wsgi_application()
    return loaded


def operations() -> dict[str, object]:
    found = {}
    for result in load_schema().get_all_operations():
        operation = result.ok()
        found[operation.label] = operation
    return found


OPERATIONS = operations()


def test_the_schema_has_every_api_operation():
    assert len(OPERATIONS) >= 25
    assert {"GET /api/v1/courses/", "POST /api/v1/payments/{id}/refund/"} <= set(OPERATIONS)


def _fresh_throttles():
    """Each case is one caller's request, not the hundredth of a flood from one address."""
    for cache in caches.all(initialized_only=False):
        cache.clear()


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """Django's test client keeps the test's database connection open across requests; the bare WSGI
    application would close it when each request finishes (close_old_connections), so do as the client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def fuzz(operation, headers: dict | None = None) -> None:
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        _fresh_throttles()
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_anonymously(label):
    fuzz(OPERATIONS[label])


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_as_a_signed_in_learner(label):
    from accounts.tests.factories import APIKeyFactory

    fuzz(OPERATIONS[label], headers={"Authorization": f"Bearer {APIKeyFactory().raw}"})
