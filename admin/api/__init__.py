"""The JSON API at /api/v1, for the programme's mini-program and any other app.

Everything here is a thin face over the same doors the web pages use (the engine, the shop,
the ledger, the inbox) with the same object-level checks; what is new is only the face:
bearer tokens instead of a cookie, problem details instead of flashed sentences, and an
OpenAPI document generated from pydantic models and from each workflow's step forms.

Modules: `bearer` (who calls), `problems` (errors), `bodies` (JSON or refused), `replays`
(Idempotency-Key), `paging` (cursors, ETags), `models` and `staff_models` (bodies), `signin`,
`demands`, `points`, `content`, `people`, `staff` (the admins' tools), `members` (routes),
`document` (the OpenAPI document and its browsable page), `cors`.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Flask
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType
from werkzeug.exceptions import HTTPException

from admin.api import problems
from admin.params import MAX_ID
from admin.security import http_pages
from flows.core.refusals import Refused

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# A path's id, as the web's `<id:…>` (admin/params.py): a positive number the database can
# hold, else the route does not match (a 404 problem), never a 500 from the database.
ID = f"int(min=1, max={MAX_ID})"


@bp.before_request
def _authenticate_first() -> None:
    from admin.api.bearer import authenticate_first

    authenticate_first()


def _invalid(_request: Any, _response: Any, error: Any, _instance: Any, *_rest: Any) -> None:
    """Spectree found the body or query invalid: a problem with a sentence per field."""
    if error is None:
        return
    from flows.workflow.inputs import field_errors

    raise problems.ApiProblem(422, "api.invalid", errors=field_errors(error, problems.locale()) or None)


spec = SpecTree(
    "flask", title="伊家 Yijia API", version="v1", mode="strict", annotations=True, before=_invalid,
    validation_error_status=422,
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer"))],
    description="双报到、双服务 — the portal's journeys for apps (docs/api.md).")


@bp.errorhandler(problems.ApiProblem)
def _problem(exc: problems.ApiProblem):
    return problems.from_problem(exc)


@bp.errorhandler(Refused)
def _refused(exc: Refused):
    return problems.from_refusal(exc)


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException):
    return problems.from_http(exc)


def is_api() -> bool:
    """This request is the API's (also when no route matched: a 404 or 405 of a mistyped path)."""
    from flask import request

    return request.path.startswith(bp.url_prefix or "/api/v1")


def _answer(exc: BaseException):
    """An error the app's own handlers would answer with a page, as a problem instead."""
    from admin.security import failures
    from admin.security.throttle import Throttled

    if isinstance(exc, Throttled):
        return problems.from_problem(problems.ApiProblem(
            429, "api.throttled", {"seconds": exc.retry_after}, headers={"Retry-After": str(exc.retry_after)}))
    original = getattr(exc, "original_exception", None) or exc
    if failures.is_unavailable(original):
        from flask import g

        failures.discard(g.pop("db", None))
        return problems.from_problem(problems.ApiProblem(503, "api.unavailable", headers={"Retry-After": "5"}))
    if isinstance(exc, HTTPException) and (exc.code or 500) < 500:
        return problems.from_http(exc)
    if not isinstance(exc, HTTPException):
        # a bug the web's handler would re-raise onto the logged 500 path (a constraint, bad
        # SQL): answered here, so logged here (an InternalServerError Flask has logged already)
        from flask import current_app, request

        current_app.logger.error("Exception on %s [%s]", request.path, request.method, exc_info=exc)
    return problems.from_problem(problems.ApiProblem(500, "api.error"))


def _api_aware(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @wraps(handler)
    def wrapped(exc: Any) -> Any:
        return _answer(exc) if is_api() else handler(exc)

    return wrapped


def init_app(app: Flask) -> None:
    """Register the API; call after every app-wide error handler, which this makes answer
    problems (not pages) on the API's paths: a 404 of a mistyped path, a 429, a 503."""
    from admin.api import (  # the routes
        bodies,
        content,
        cors,
        demands,
        document,
        members,
        news_posts,
        people,
        points,
        settings,
        sharing,
        signin,
        staff,
    )
    from admin.app import csrf

    csrf.exempt(bp)  # no cookie opens the API (admin/api/bearer.py): nothing for a CSRF token to guard
    app.register_blueprint(bp)
    cors.init_app(app)
    for handlers in app.error_handler_spec[None].values():
        for kind, handler in list(handlers.items()):
            handlers[kind] = _api_aware(handler)
    # the rest (a 405, a 413…): a problem here, the app's own page elsewhere (admin/security/http_pages.py)
    app.register_error_handler(HTTPException, lambda exc: _answer(exc) if is_api() else http_pages.page(exc))
