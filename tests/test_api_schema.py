"""The API fuzzed from its own OpenAPI schema: no generated request may get a 5xx.

schemathesis generates requests from /api/v1/openapi.json for every operation;
half the runs aim the path at objects that exist, so generated bodies get past
the lookups and into the domain checks.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from annotations.api import api
from annotations.models import Role
from annotations.services.tokens import api_token_create
from tests import factories

#: Generated requests per operation and mode; enough to reach every validation branch.
EXAMPLES = int(os.environ.get("HERLENS_FUZZ_EXAMPLES", "40"))

OPERATIONS = [
    (path, method.upper())
    for path, methods in api.get_openapi_schema(path_prefix="/api/v1/")["paths"].items()
    for method in methods
]


@pytest.fixture
def keep_connection():
    """Keep the test's database connection open between requests, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, keep_connection):
    """A project with a document, a span and an annotator's token."""
    owner = factories.make_user("fuzz-owner")
    project = factories.make_project(owner=owner, name="Fuzz")
    annotator = factories.add_member(project, Role.ANNOTATOR)
    document = factories.make_document(project, text="Zoë watched 🎬 twice. It will last.")
    span = factories.make_span(document, 0, 3, annotator)
    _token, raw = api_token_create(user=annotator, name="fuzz")
    return {"project": project, "document": document, "span": span, "token": raw}


@pytest.mark.parametrize("real_objects", [False, True], ids=["random-ids", "real-ids"])
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_generated_request_gets_a_server_error(world, path, method, real_objects):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    operation = schema[path][method]
    real = {
        "slug": world["project"].slug,
        "document_id": world["document"].pk,
        "span_id": world["span"].pk,
    }
    headers = {"Authorization": f"Bearer {world['token']}"}

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def fuzz(case):
        if real_objects and case.path_parameters:
            case.path_parameters = {k: real.get(k, v) for k, v in case.path_parameters.items()}
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    fuzz()
