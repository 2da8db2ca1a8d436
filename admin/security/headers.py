"""Security headers on every response: pages, files, errors, JSON and the console alike.

The Content-Security-Policy allows scripts only from this site and, for the few inline
scripts Flask-Admin writes itself, only with this response's nonce; our own templates have no
inline script at all (their code is in admin/static/). Styles may be inline: Flask-Admin,
Select2 and the server-drawn SVG diagrams set style attributes, and a style cannot run code.
"""
from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g

PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def nonce() -> str:
    """This response's script nonce (Flask-Admin's templates ask for it)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def policy(script_nonce: str) -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{script_nonce}'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def add_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = policy(nonce())
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Permissions-Policy"] = PERMISSIONS
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if "Cache-Control" not in headers and response.mimetype == "text/html":
        # Pages carry names, points and pickup codes: not for shared caches or the back button
        # of the next person at a community centre's computer.
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
