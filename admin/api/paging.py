"""Cursor paging and ETags for lists.

A cursor is the last row's sort key, opaque to the app (base64 of JSON): the next page starts
after it, so rows added meanwhile neither repeat nor go missing as they would with offsets.
A list's ETag is a hash of its body: `If-None-Match` with it answers 304 and no body, which
spares a phone on a slow network the same page again."""
from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, request
from pydantic import BaseModel

from admin.api.problems import ApiProblem
from admin.security import json_input

T = TypeVar("T")


def encode(position: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str | None) -> Any:
    """The position a cursor names, or None for the first page; a forged one is a 400."""
    if not cursor:
        return None
    try:
        return json_input.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiProblem(400, "api.cursor") from exc


def decode_id(cursor: str | None) -> int | None:
    """A cursor that is a row id (lists ordered by id, newest first)."""
    position = decode(cursor)
    if position is None:
        return None
    if not isinstance(position, int) or isinstance(position, bool) or not 0 < position < 2**53:
        raise ApiProblem(400, "api.cursor")
    return position


def page_of(rows: list[T], limit: int, position: Callable[[T], Any]) -> tuple[list[T], str | None]:
    """The page from `limit + 1` rows read: the first `limit`, and the cursor after the last of
    them when there was one more (the extra row is how the next page is known to exist)."""
    shown = rows[:limit]
    return shown, encode(position(shown[-1])) if len(rows) > limit else None


def json_response(model: BaseModel, status: int = 200) -> Response:
    """The model as JSON, with an ETag; 304 when the app already holds this body."""
    body = model.model_dump_json()
    response = current_app.response_class(body, status=status, mimetype="application/json")
    if request.method == "GET" and status == 200:
        response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
        response.headers["Cache-Control"] = "private, no-cache"
        response.make_conditional(request)
    return response
