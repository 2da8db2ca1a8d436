"""Proof that a person is at the demand's place: the code of the sign-in QR code the community
shows at the door, asked for by the `on_site` guard (signing in and out of an activity).

Without it, the QR code's link named only the demand, so anyone signed up could sign in and
out from home and be credited for hours never served. The code is an HMAC of the demand's id
and the current ten minutes under the web's secret key: the web and the API (which hold the
key) check it, the engine only hears whether it was shown. A code is good for its ten minutes
and the next ten, so one seen at the door (or passed on, or kept in a browser's history) cannot
sign anyone out an hour later from elsewhere: the QR page on the screen at the door refreshes
itself, and an admin can always confirm attendance on the sign-in sheet instead."""
from __future__ import annotations

import base64
import hashlib
import hmac

FRESH_SECONDS = 15 * 60  # a scan shows presence for this long in the web session (then scan again)
WINDOW_SECONDS = 10 * 60  # a code's own ten minutes; it is also taken in the next ten
LENGTH = 12


def code(secret: str, demand_id: int, at: float) -> str:
    """The demand's presence code at time `at` (seconds since the epoch): 12 characters of
    base32 (60 bits), easy to type if a scan fails."""
    return _code(secret, demand_id, int(at // WINDOW_SECONDS))


def verify(secret: str, demand_id: int, given: str | None, at: float) -> bool:
    """Whether `given` is the demand's code of this ten minutes or the last (case and spaces
    forgiven, compared in constant time)."""
    if not given or not secret:
        return False
    cleaned = "".join(given.split()).upper()[:64].encode("ascii", "replace")
    window = int(at // WINDOW_SECONDS)
    return any(hmac.compare_digest(cleaned, _code(secret, demand_id, w).encode("ascii")) for w in (window, window - 1))


def _code(secret: str, demand_id: int, window: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"yijia-presence:{demand_id}:{window}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:LENGTH]
