"""Who is calling: an app's bearer access token (never the web's cookie).

The API reads only the `Authorization` header. A cookie would make every POST a cross-site
request forgery target (the API has no CSRF token), so a browser's logged-in session opens
nothing here."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request

from admin.api.problems import ApiProblem
from admin.database import db
from flows.people import app_tokens
from flows.people.actors import Person, load_actor
from schemas.clock import utcnow

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="yijia"'}


def token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def caller() -> Person:
    """The calling person, for the domain (set by `signed_in`)."""
    return g.actor


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """A live access token of an active user, whose temporary password has been changed."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        found = app_tokens.bearer(db(), token(), utcnow())
        person = load_actor(db(), found.user_id) if found is not None else None
        if found is None or person is None:
            raise ApiProblem(401, "api.unauthenticated", headers=CHALLENGE)
        if found.must_change_password:
            raise ApiProblem(403, "api.password_change")
        g.actor, g.device_id = person, found.device_id
        return view(*args, **kwargs)

    return wrapped
