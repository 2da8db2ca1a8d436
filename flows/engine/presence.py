"""Proof that a person is at the demand's place: the code of the sign-in QR code the community
shows at the door, asked for by the `on_site` guard (signing in and out of an activity).

Without it, the QR code's link named only the demand, so anyone signed up could sign in and
out from home and be credited for hours never served. The code is an HMAC of the demand's id
under the web's secret key: the web and the API (which hold the key) check it, the engine
only hears whether it was shown. It does not change while the activity runs, so the QR code
can be printed; a new secret key (docs/security.md) makes the printed ones stale.

A code seen at the door can still be passed on by message; the web keeps a scan for
`FRESH_SECONDS` only, so a scan at arrival does not also sign someone out hours later from
elsewhere, and an admin can always confirm attendance on the sign-in sheet instead."""
from __future__ import annotations

import base64
import hashlib
import hmac

FRESH_SECONDS = 15 * 60  # a scan shows presence for this long (then scan again to sign out)
LENGTH = 12


def code(secret: str, demand_id: int) -> str:
    """The demand's presence code: 12 characters of base32 (60 bits), easy to type if a scan fails."""
    digest = hmac.new(secret.encode("utf-8"), f"yijia-presence:{demand_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:LENGTH]


def verify(secret: str, demand_id: int, given: str | None) -> bool:
    """Whether `given` is the demand's code (case and spaces forgiven, compared in constant time)."""
    if not given or not secret:
        return False
    cleaned = "".join(given.split()).upper()[:64]
    return hmac.compare_digest(cleaned.encode("ascii", "replace"), code(secret, demand_id).encode("ascii"))
