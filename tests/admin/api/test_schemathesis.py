"""Schemathesis against the live document: for every operation, generated requests (valid
and invalid) with a logged-in member's token; no answer is a 5xx, every answer conforms to
its documented schema and status codes."""
from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.admin.conftest import PASSWORD

# More for a deeper hunt than CI's: YIJIA_SCHEMATHESIS_EXAMPLES=200 pytest tests/admin/api/test_schemathesis.py
EXAMPLES = int(os.environ.get("YIJIA_SCHEMATHESIS_EXAMPLES", "12"))
# Not `positive_data_acceptance`: a step's `values` are documented as any step's input (which
# step applies is known only from the demand), so a request valid for the document may still be
# refused for the step, with sentences per field; the same holds for a well-formed but stale cursor.
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance,
          negative_data_rejection]


def test_every_operation_conforms(app):
    answer = app.test_client().post("/api/v1/auth/token", json={"username": "mem1", "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {answer.json['access_token']}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/auth/logout"):
            continue  # it would end the token every other operation is tried with

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def conforms(case):
            case.call_and_validate(headers=None if "/auth/" in case.path else bearer, checks=CHECKS)

        conforms()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert len(checked) >= 25, checked
