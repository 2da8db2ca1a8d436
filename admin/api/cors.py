"""CORS for the configured origins only (`YIJIA_API_CORS_ORIGINS`): a web front end on another
host may call the API; any other page's script may not read its answers. A mini-program does
not need CORS at all (its requests are not a browser's)."""
from __future__ import annotations

from flask import Flask, Response, request

from schemas.settings import get_settings

ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, If-None-Match, Accept-Language"
EXPOSED_HEADERS = "ETag, Retry-After, Idempotent-Replayed, Location"


def _add(response: Response) -> Response:
    if not request.path.startswith("/api/"):
        return response
    allowed = get_settings().api_cors_origins
    if allowed:  # on every answer, allowed or not: a cache must not hand one origin's to another
        response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin and origin in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE"
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_add)
