"""`Idempotency-Key` on POSTs: the same key from the same person gets the first answer again.

Two layers, so that nothing is done twice even when two copies race: the key is handed to the
door that does the work (the engine's one-time key, the shop's order key), which refuses a
second effect in its own transaction; and the answer is kept here, so a replay is answered
with the same status, body and Location without asking the door again. The same key with a different
body is refused (422), as a reused key is a client's bug, not a retry. Kept a day."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import current_app, make_response, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from admin.api.bearer import caller
from admin.api.problems import ApiProblem
from admin.database import db
from schemas.clock import utcnow
from schemas.tables import ApiReplay

KEEP = timedelta(days=1)
_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
HEADER = "Idempotency-Key"


def key() -> str | None:
    """The request's key, checked (a malformed one is refused, not ignored)."""
    value = request.headers.get(HEADER)
    if value is None:
        return None
    if not _KEY.match(value):
        raise ApiProblem(400, "api.key_format")
    return value


def _fingerprint() -> str:
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n"
                          + request.get_data(cache=True)).hexdigest()


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer a replayed key with the kept answer; keep the answer of a new one when it
    succeeded (a refusal is not kept: the door refuses the same way again, or, after the cause
    went away, does the work once)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        sent = key()
        if sent is None:
            return view(*args, **kwargs)
        scoped, fingerprint = f"{caller().user_id}:{sent}", _fingerprint()
        kept = db().get(ApiReplay, scoped)
        if kept is not None:
            return _replay(kept, fingerprint)
        response = make_response(view(*args, **kwargs))
        if response.status_code < 300:
            session = db()
            session.rollback()  # the view committed its work; nothing of it is pending
            try:
                session.execute(delete(ApiReplay).where(ApiReplay.created_at < utcnow() - KEEP))
                session.add(ApiReplay(key=scoped, fingerprint=fingerprint, status=response.status_code,
                                      body=response.get_data(as_text=True), created_at=utcnow(),
                                      location=response.headers.get("Location")))
                session.commit()
            except IntegrityError:  # a copy racing with the same key kept its answer first
                session.rollback()
                again = session.scalar(select(ApiReplay).where(ApiReplay.key == scoped))
                if again is not None:
                    return _replay(again, fingerprint)
        return response

    return wrapped


def _replay(kept: ApiReplay, fingerprint: str) -> Any:
    if kept.fingerprint != fingerprint:
        raise ApiProblem(422, "api.key_reused")
    response = current_app.response_class(kept.body, status=kept.status, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    if kept.location:
        response.headers["Location"] = kept.location
    return response
