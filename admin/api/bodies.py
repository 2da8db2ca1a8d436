"""Request bodies are JSON, or refused before any view runs.

Spectree reads a body with `get_json(silent=True) or {}` and skips a form-encoded one: a body
that is not JSON (a typo, a mini-program sending `application/x-www-form-urlencoded`) would
reach the view as no body at all, so a step was taken with empty values, or the view failed
with a 500. And a NUL character, which the web refuses in every form (admin/params.py), would
be stored cut short by SQLite and be a 500 on PostgreSQL; and brackets nested a thousand deep
would be a RecursionError, a 500 too. So: 415 for a body that is not JSON, 400 for JSON that
does not parse, nests too deep (admin/security/json_input.py) or holds a NUL. Uploads are
multipart, checked by their own view."""
from __future__ import annotations

from typing import Any

from flask import request

from admin.api import bp
from admin.api.problems import ApiProblem
from admin.security import json_input

_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_NOT_CHECKED = frozenset({"api.upload"})


@bp.before_request
def check() -> None:
    """Before every API view."""
    if request.method not in ("POST", "PUT", "PATCH") or request.endpoint in _NOT_CHECKED:
        return
    body = request.get_data(cache=True)
    if not body and request.mimetype not in _FORMS:
        return  # no body: the view's model says what is missing
    if not request.is_json:
        raise ApiProblem(415, "api.media_type")
    try:
        value = json_input.loads(body)  # nested too deep is bad JSON too, never a RecursionError
    except ValueError as exc:
        raise ApiProblem(400, "api.bad_json") from exc
    if _has_nul(value):
        raise ApiProblem(400, "api.nul")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
