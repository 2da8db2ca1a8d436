"""The web's and the API's side of the `on_site` guard (flows/engine/presence.py): the code in
the sign-in QR code's link, checked under this app's secret key, and a scan remembered in the
person's session for a few minutes so the step they tap next (签到 or 签退) knows it."""
from __future__ import annotations

import time

from flask import current_app, session

from flows.engine import presence

_KEY = "here"  # session: {demand id: when its code was scanned}
_KEEP = 8  # the most recent scans kept (a person is at one place at a time)


def code_for(demand_id: int) -> str:
    """The code of this ten minutes (the QR page refreshes itself to show the next)."""
    return presence.code(current_app.config["SECRET_KEY"], demand_id, time.time())


def valid(demand_id: int, given: str | None) -> bool:
    return presence.verify(current_app.config["SECRET_KEY"], demand_id, given, time.time())


def remember_scan(demand_id: int) -> None:
    now = int(time.time())
    kept = {k: v for k, v in dict(session.get(_KEY) or {}).items()
            if isinstance(v, int) and now - v < presence.FRESH_SECONDS}
    kept[str(demand_id)] = now
    session[_KEY] = dict(sorted(kept.items(), key=lambda item: item[1])[-_KEEP:])


def scanned(demand_id: int) -> bool:
    """A scan of this demand's code in the last `presence.FRESH_SECONDS`."""
    when = (session.get(_KEY) or {}).get(str(demand_id))
    return isinstance(when, int) and 0 <= time.time() - when < presence.FRESH_SECONDS
