"""A form posted without its CSRF token, or with a stale or forged one: the app's own page in
the reader's language ("the page has expired, refresh it"), on the portal, the console and any
blueprint added later, instead of Werkzeug's English "The CSRF token is missing." or Flask-Admin's
half-English flash. The API has no CSRF token (bearer tokens), so it never comes here, and its
error handlers answer problems anyway (admin/api/__init__.py)."""
from __future__ import annotations

from flask import Flask, current_app, render_template, request, url_for
from flask_wtf.csrf import CSRFError


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, page)


def page(exc: CSRFError):
    """400 with a plain sentence and a way back: the console's overview from the console."""
    current_app.logger.info("form refused on %s: %s", request.path, exc.description)
    home = url_for("admin.index") if request.path.startswith("/admin") else url_for("portal.index")
    return render_template("expired.html", home=home), 400
