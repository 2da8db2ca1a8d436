"""The answers every operation of the document promises by its shape, reached for each
operation the document lists (so an operation added later is probed with no new test):
401 without a token, 404 for an id that is not there, 400 for a body that is not JSON, a
cursor that is not ours or a NUL byte anywhere, 415 for a body that is not JSON at all, 422 for a body or query of the
wrong shape, 304 for a list asked again with its ETag. The answers only a journey can reach
(409, 403, 429…) are in the journeys' tests; test_zz_statuses.py checks that together they
reach every status the document promises."""
from __future__ import annotations

import re
from typing import Any

import pytest

from admin.params import MAX_ID
from tests.admin.conftest import PASSWORD
from tests.flows.walker import Walker

_PARAMETER = re.compile(r"{(\w+)}")
_WORDS = {"kind": "member", "step": "claim"}  # the path's words that are not ids


def _document(app) -> dict[str, Any]:
    return app.test_client().get("/api/v1/openapi.json").json


def _operations(app) -> list[tuple[str, str, dict[str, Any]]]:
    document = _document(app)
    return [(method, path, operation) for path, operations in document["paths"].items()
            for method, operation in operations.items() if isinstance(operation, dict) and "responses" in operation]


def _path(path: str, number: int) -> str:
    return _PARAMETER.sub(lambda m: _WORDS.get(m.group(1), str(number)), path)


def _bearer(app, username: str = "mem1") -> dict[str, str]:
    answer = app.test_client().post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.json['access_token']}"}


def _bearers(app):
    """A member's bearer, or an admin's for a staff tool (a member is told 403 api.staff_only
    before the body is read: tests/admin/api/test_staff_only.py)."""
    member, admin = _bearer(app), _bearer(app, "cadm_a")
    return lambda operation: admin if "staff tools" in operation.get("tags", []) else member


def _minimal(operation: dict[str, Any], document: dict[str, Any]) -> dict[str, Any] | None:
    """The smallest body the operation's schema accepts (its required fields), or None."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return {name: _value(schema["properties"][name], document) for name in schema.get("required", [])}


def _value(schema: dict[str, Any], document: dict[str, Any]) -> Any:
    """A value of the property's type (the first typed alternative of an anyOf)."""
    if "$ref" in schema:
        return _value(document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], document)
    for option in schema.get("anyOf", []):
        if option.get("type") not in (None, "null"):
            return _value(option, document)
    if schema.get("format") == "date-time":
        return "2030-01-07T10:00:00+08:00"
    if schema.get("format") == "date":
        return "2030-01-07"
    if "enum" in schema:
        return schema["enum"][0]
    typed = {"boolean": True, "integer": 1, "number": 1, "string": "x", "object": {}, "array": []}
    return typed.get(schema.get("type", "string"), "x")


def _refused_value(parameter: dict[str, Any]) -> str | None:
    """A value the query parameter's schema refuses: a word for a number, too long a text."""
    for schema in [parameter.get("schema", {}), *parameter.get("schema", {}).get("anyOf", [])]:
        if schema.get("type") in ("integer", "number"):
            return "x"
        if schema.get("type") == "string" and "maxLength" in schema:
            return "x" * (schema["maxLength"] + 1)
    return None


def _queries(operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in operation.get("parameters", []) if p.get("in") == "query"]


def _promises(operation: dict[str, Any], status: int) -> bool:
    return str(status) in operation["responses"]


def test_401_without_a_token_before_anything_else(app):
    """Checked before the body: a stranger is not told which fields a body lacks."""
    client, probed = app.test_client(), 0
    for method, path, operation in _operations(app):
        if not operation.get("security") or not _promises(operation, 401):
            continue
        answer = client.open(_path(path, 1), method=method.upper(), json=[] if "requestBody" in operation else None)
        assert answer.status_code == 401, (method, path, answer.status_code)
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        probed += 1
    assert probed >= 20


def test_404_for_an_id_that_is_not_there(app):
    client, probed, document = app.test_client(), 0, _document(app)
    people = [_bearer(app, "mem1"), _bearer(app, "cadm_a")]  # a member's objects, an admin's
    for method, path, operation in _operations(app):
        if not _promises(operation, 404) or not _PARAMETER.search(path):
            continue
        body = _minimal(operation, document)
        for bearer in people:
            answer = client.open(_path(path, MAX_ID), method=method.upper(), json=body, headers=bearer)
            if answer.status_code != 403:
                break
        assert answer.status_code == 404, (method, path, answer.status_code, answer.json)
        probed += 1
    assert probed >= 4


def test_400_and_415_for_a_body_that_is_not_json(app):
    client, bearer_for, probed = app.test_client(), _bearers(app), 0
    for method, path, operation in _operations(app):
        if "application/json" not in operation.get("requestBody", {}).get("content", {}):
            continue
        bearer = bearer_for(operation)
        url = _path(path, 1)
        broken = client.open(url, method=method.upper(), data="{", content_type="application/json", headers=bearer)
        assert broken.status_code == 400 and broken.json["code"] == "api.bad_json", (method, path, broken.status_code)
        plain = client.open(url, method=method.upper(), data="x", content_type="text/plain", headers=bearer)
        assert plain.status_code == 415, (method, path, plain.status_code)
        probed += 1
    assert probed >= 10


def test_422_for_a_body_or_query_of_the_wrong_shape(app):
    client, bearer_for, probed = app.test_client(), _bearers(app), 0
    for method, path, operation in _operations(app):
        if not _promises(operation, 422):
            continue
        bearer = bearer_for(operation)
        url = _path(path, 1)
        if "requestBody" in operation:
            answer = client.open(url, method=method.upper(), json="not an object", headers=bearer)
        else:
            wrong = [(p["name"], bad) for p in _queries(operation) if (bad := _refused_value(p)) is not None]
            assert wrong, f"{method.upper()} {path} promises 422 but has no body or bounded query to refuse"
            answer = client.open(url, method=method.upper(), query_string=dict(wrong[:1]), headers=bearer)
        assert answer.status_code == 422 and answer.json["code"] == "api.invalid", (method, path, answer.status_code)
        probed += 1
    assert probed >= 15


def test_400_for_a_nul_byte_in_the_query_of_every_operation(app):
    """Every operation promises 400: a NUL byte is refused before any view runs (admin/params.py),
    whichever parameter holds it, for a stranger and for a member alike."""
    client, bearer, probed = app.test_client(), _bearer(app), 0
    for method, path, operation in _operations(app):
        assert _promises(operation, 400), (method, path)
        named = [p["name"] for p in _queries(operation)] or ["q"]
        answer = client.open(_path(path, 1), method=method.upper(), query_string={named[0]: "a\x00b"}, headers=bearer)
        assert answer.status_code == 400, (method, path, answer.status_code)
        assert answer.headers["Content-Type"].startswith("application/problem+json"), (method, path)
        assert answer.json["code"] == "api.bad_request", (method, path, answer.json)
        probed += 1
    assert probed >= 25


def test_400_for_a_cursor_that_is_not_ours(app):
    client, probed = app.test_client(), 0
    people = [_bearer(app, "mem1"), _bearer(app, "cadm_a")]  # a member's lists, a community admin's
    for method, path, operation in _operations(app):
        if not any(p["name"] in ("cursor", "before", "after") for p in _queries(operation)) or not _promises(
                operation, 400):
            continue
        name = next(p["name"] for p in _queries(operation) if p["name"] in ("cursor", "before", "after"))
        for bearer in people:
            answer = client.open(_path(path, 1), method=method.upper(), query_string={name: "not-a-cursor"},
                                 headers=bearer)
            if answer.status_code != 403:
                break
        assert answer.status_code == 400, (method, path, answer.status_code)
        probed += 1
    assert probed >= 3


@pytest.mark.parametrize("username", ["cadm_a", "mem1"])
def test_304_for_a_list_asked_again_with_its_etag(app, factory, world, username):
    """Every GET that promises 304, for a community admin and a member (each sees other lists)."""
    demand = Walker(factory, world).start("res_a", "micro_wish", {"title": "修灯"}).demand_id
    client, bearer, probed = app.test_client(), _bearer(app, username), 0
    for method, path, operation in _operations(app):
        if method != "get" or not _promises(operation, 304):
            continue
        url = _PARAMETER.sub(lambda m: str(demand) if m.group(1) == "demand_id" else "?", path)
        if "?" in url:
            continue  # a path of another object: its own journey's test asks again
        first = client.get(url, headers=bearer)
        if first.status_code != 200:
            continue  # not this person's (a member's demand page of a wish still in review)
        again = client.get(url, headers={**bearer, "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b"", (url, again.status_code)
        probed += 1
    assert probed >= 8
