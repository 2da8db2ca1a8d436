"""Who is calling: an app's bearer access token (never the web's cookie).

The API reads only the `Authorization` header. A cookie would make every POST a cross-site
request forgery target (the API has no CSRF token), so a browser's logged-in session opens
nothing here."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request

from admin.api.problems import ApiProblem
from admin.database import db
from flows.people import app_tokens
from flows.people.actors import Person
from schemas.clock import utcnow

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="yijia"'}


def token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def caller() -> Person:
    """The calling person, for the domain (set by `signed_in`)."""
    return g.actor


def authenticate() -> None:
    """A live access token of an active user, whose temporary password has been changed, or a
    401 (403 while the password is a temporary one)."""
    live = app_tokens.bearer(db(), token(), utcnow())
    if live is None:
        raise ApiProblem(401, "api.unauthenticated", headers=CHALLENGE)
    found, person = live
    if found.must_change_password:
        raise ApiProblem(403, "api.password_change")
    g.actor, g.device_id = person, found.device_id


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only for a signed-in caller. The blueprint authenticates such a view before its body is
    validated (`authenticate_first`): a stranger is told 401, never which fields a body lacks."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if "actor" not in g:
            authenticate()
        return view(*args, **kwargs)

    wrapped.needs_bearer = True  # type: ignore[attr-defined]
    return wrapped


def staff_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only for a signed-in admin of some region (a community's, a district's, the city's):
    everyone else is told `403 api.staff_only` (docs/api.md), before their body is validated
    and whatever they asked for, so a member never learns a staff tool's rules or data."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if "actor" not in g:
            authenticate()
        _check_staff()
        return view(*args, **kwargs)

    wrapped.needs_bearer = wrapped.needs_staff = True  # type: ignore[attr-defined]
    return wrapped


def _check_staff() -> None:
    if not caller().admin_paths():
        raise ApiProblem(403, "api.staff_only")


def authenticate_first() -> None:
    """Before any validation: the caller of a `signed_in` view (the mark survives spectree's
    `functools.wraps`, which copies the view's attributes), and their role for a `staff_only` one."""
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "needs_bearer", False):
        authenticate()
    if getattr(view, "needs_staff", False):
        _check_staff()
