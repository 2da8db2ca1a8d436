"""JSON nested a thousand or a hundred thousand levels deep is a 400 (`api.bad_json`), never a
RecursionError's 500: in every operation's body, signed in or not, in a cursor, and wherever the
app reads JSON (admin/security/json_input.py); the console's workflow validator, which reads
YAML (a superset of JSON), answers its problems as usual."""
from __future__ import annotations

import base64

import pytest

from admin.security import json_input
from tests.admin.api.test_statuses import _bearer, _bearers, _operations, _path, _queries

DEPTHS = [1000, 100_000]


def _nested(depth: int, kind: str) -> str:
    return "[" * depth + "]" * depth if kind == "list" else '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("kind", ["list", "object"])
def test_the_parser_refuses_deep_json_as_bad_json(depth, kind):
    with pytest.raises(ValueError):
        json_input.loads(_nested(depth, kind))
    assert json_input.loads(_nested(json_input.MAX_DEPTH, kind)) is not None  # deep enough for any real body


@pytest.mark.parametrize("depth", DEPTHS)
def test_every_operation_refuses_deep_json_signed_in_or_not(app, depth):
    client, bearer_for, probed = app.test_client(), _bearers(app), 0
    body = _nested(depth, "list")
    for method, path, operation in _operations(app):
        if method not in ("post", "put", "patch") or path.endswith("/uploads"):
            continue  # an upload is multipart, its body no JSON: that view refuses it (422)
        url = _path(path, 1)
        signed_in = client.open(url, method=method.upper(), data=body, content_type="application/json",
                                headers=bearer_for(operation))  # an admin's for a staff tool (403 to a member)
        assert signed_in.status_code == 400 and signed_in.json["code"] == "api.bad_json", (method, path, signed_in.status_code)
        visitor = client.open(url, method=method.upper(), data=body, content_type="application/json")
        assert visitor.mimetype == "application/problem+json", (method, path, visitor.status_code)
        assert (visitor.status_code, visitor.json["code"]) in ((400, "api.bad_json"), (401, "api.unauthenticated")), (
            method, path, visitor.status_code, visitor.json)
        probed += 1
    assert probed >= 10


def test_the_token_door_refuses_deep_json(app):
    """The tester's case: no token at all, the log-in door."""
    for depth in DEPTHS:
        answer = app.test_client().post("/api/v1/auth/token", data=_nested(depth, "list"),
                                        content_type="application/json")
        assert answer.status_code == 400 and answer.json["code"] == "api.bad_json"


@pytest.mark.parametrize("depth", DEPTHS)
def test_a_deep_cursor_is_refused(app, depth):
    """400 `api.cursor`, or 422 where the cursor's length is bounded first; never a 500."""
    client, probed = app.test_client(), 0
    people = [_bearer(app, "mem1"), _bearer(app, "cadm_a")]  # a member's lists, a community admin's
    cursor = base64.urlsafe_b64encode(_nested(depth, "list").encode()).decode().rstrip("=")
    for method, path, operation in _operations(app):
        names = [p["name"] for p in _queries(operation) if p["name"] in ("cursor", "before", "after")]
        if method != "get" or not names:
            continue
        for bearer in people:
            answer = client.get(_path(path, 1), query_string={names[0]: cursor}, headers=bearer)
            if answer.status_code != 403:
                break
        assert (answer.status_code, answer.json["code"]) in ((400, "api.cursor"), (422, "api.invalid")), (
            path, answer.status_code, answer.json)
        probed += 1
    assert probed >= 3


@pytest.mark.parametrize("depth", DEPTHS)
def test_get_json_anywhere_answers_400(app, depth):
    """`request.get_json()` outside the API's own check (a view added later) reads through the
    bounded parser: Flask answers 400, not a RecursionError's 500."""
    from flask import request

    with app.test_request_context("/x", method="POST", data=_nested(depth, "list"), content_type="application/json"):
        assert request.get_json(silent=True) is None
        with pytest.raises(Exception) as refused:
            request.get_json()
        assert getattr(refused.value, "code", None) == 400


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("kind", ["list", "object"])
def test_the_console_validator_answers_deep_sources(login, depth, kind):
    answer = login("cityadm").post("/admin/workflows/validate", data={"source": _nested(depth, kind)})
    assert answer.status_code in (200, 400) and answer.is_json, answer.status_code
    assert answer.json["problems"], answer.json
