"""Where a redirect may go: the one place that decides, for the portal's `next`, the 长辈版
switch, the log-in and the console's `url=` (Flask-Admin's own check lets `http:/evil.example`
through, which browsers open as evil.example).

Only a path on this site is accepted: one leading `/`, no scheme, no host, no backslash, no
control or white-space character (browsers drop tabs and newlines, so `/\\t/evil` is `//evil`),
and the same again once percent-decoded (a proxy or a browser may decode `%2F%2F`)."""
from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import Flask, Response, current_app, request, url_for
from werkzeug.datastructures import ImmutableMultiDict, MultiDict


def is_local(target: str | None) -> bool:
    """Whether `target` is a same-origin path, safe to send a browser to."""
    if not target or any(ch.isspace() for ch in target) or not _plain_path(target):
        return False
    for _ in range(3):  # decoded as a proxy or a browser might, twice over
        decoded = unquote(target)
        if decoded == target:
            return True
        if not _plain_path(decoded):
            return False
        target = decoded
    return False  # encoded over and over: nobody's real link


def _plain_path(target: str) -> bool:
    """One leading slash, no backslash, no control character, no scheme or host."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(unicodedata.category(ch)[0] == "C" for ch in target):
        return False
    parts = urlsplit(target)
    return not (parts.scheme or parts.netloc)


def local_or(target: str | None, fallback: str) -> str:
    """`target` if it is a path on this site, else `fallback`."""
    return target if target is not None and is_local(target) else fallback


def guard_console(app: Flask, blueprints: set[str], param: str = "url") -> None:
    """Every console request: an unsafe return address (`url=`) is dropped before any view reads
    it, so the view falls back to its own list page; and no redirect leaves the site."""

    def drop_foreign_return() -> None:
        if request.blueprint not in blueprints:
            return
        for source in ("args", "form"):
            data = getattr(request, source)
            if any(not is_local(value) for value in data.getlist(param)):
                kept = MultiDict(data)
                kept.poplist(param)
                setattr(request, source, ImmutableMultiDict(kept))
                request.__dict__.pop("values", None)  # cached from the old args and form

    def keep_on_site(response: Response) -> Response:
        if request.blueprint in blueprints and response.location is not None and not is_local(response.location):
            current_app.logger.warning("console redirect off the site refused: %r", response.location)
            response.location = url_for("admin.index")
        return response

    app.before_request(drop_foreign_return)
    app.after_request(keep_on_site)
