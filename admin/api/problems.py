"""Errors as RFC 9457 problem details: `type`, `title`, `status`, a stable `code` an app can
branch on, `detail` in the reader's language (Chinese, or English by `Accept-Language`) and,
when the input was the problem, a sentence per field in `errors`.

The sentences are the ones the web pages show: a refusal from the engine, the shop or the
ledger is rendered from the same catalogue, never written again here."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, json, request
from pydantic import BaseModel, ConfigDict
from werkzeug.exceptions import HTTPException

from flows.core.i18n import render
from flows.core.refusals import Refused

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://yijia.example/problems/"


class Problem(BaseModel):
    """An RFC 9457 problem detail (the schema of every 4xx and 5xx answer)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    code: str
    detail: str
    errors: dict[str, str] | None = None


class ApiProblem(Exception):
    """Raised anywhere in the API to answer with a problem; `code` names a catalogue message."""

    def __init__(self, status: int, code: str, params: dict[str, Any] | None = None,
                 errors: dict[str, str] | None = None, headers: dict[str, str] | None = None):
        super().__init__(code)
        self.status, self.code, self.params, self.errors = status, code, params or {}, errors
        self.headers = headers or {}


def locale() -> str:
    """The reader's language for the API: English when `Accept-Language` prefers it."""
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"], default="zh")
    return "en" if best == "en" else "zh"


def respond(status: int, code: str, detail: str, errors: dict[str, str] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"type": TYPE_BASE + code.replace(".", "/"), "title": _title(status, code),
                            "status": status, "code": code, "detail": detail}
    if errors:
        body["errors"] = errors
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    response.headers.update(headers or {})
    return response


def _title(status: int, code: str) -> str:
    from werkzeug.http import HTTP_STATUS_CODES

    return HTTP_STATUS_CODES.get(status, "Error")


def from_problem(exc: ApiProblem) -> Response:
    return respond(exc.status, exc.code, render(exc.code, exc.params, locale()), exc.errors, exc.headers)


def refusal_status(exc: Refused) -> int:
    """403 for who may not, 404 for what is not there (or not theirs to see), 409 for a
    state that no longer allows it, 422 for input."""
    code = exc.code
    if code == "input" or exc.field_messages:
        return 422
    if code.endswith("not_found") or code in ("no_step", "task_type"):
        return 404
    if code in ("role", "scope", "not_human", "resource.not_owner", "account.not_resettable") or code.startswith(
            "guard."):
        return 403
    return _API_STATUS.get(code, 400 if code.startswith("api.") else 409)


_API_STATUS = {"api.token_invalid": 401, "api.token_reused": 401, "api.wechat_code": 401, "api.wechat_busy": 429,
               "api.wechat_blocked": 403, "api.wechat_unavailable": 503, "api.wechat_off": 404,
               "api.wechat_taken": 409, "api.wechat_ticket": 401, "api.wechat_ticket_spent": 401,
               "notice.verify_failed": 503}


# A domain's refusal that is, over the API, a mistake the API already names: a key the ledger
# knows with another amount (after the kept answer expired) is a reused key, as before it did.
_AS_API = {"ledger.key_conflict": (422, "api.key_reused")}


def from_refusal(exc: Refused) -> Response:
    if exc.code in _AS_API:
        return from_problem(ApiProblem(*_AS_API[exc.code]))
    lang = locale()
    return respond(refusal_status(exc), exc.code, exc.message(lang), exc.fields_in(lang) or None)


def from_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = {400: "api.bad_request", 401: "api.unauthenticated", 403: "api.forbidden", 404: "api.not_found",
            405: "api.method", 413: "api.too_large", 415: "api.media_type", 429: "api.throttled"}.get(
        status, "api.error")
    return respond(status, code, render(code, None, locale()))
