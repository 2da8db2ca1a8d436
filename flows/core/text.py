"""Text a person typed, as others will see it.

A title of one zero-width space (U+200B) passes every "required" check that strips whitespace,
and shows as an empty card; a right-to-left override turns a name around on others' screens.
So text keeps only what can be seen or lays out lines: characters of Unicode's format (Cf) and
control (Cc) categories go, except tab and line breaks; then the ends are trimmed. Every door
for typed text (the workflows' forms, sign-up, the console's forms, imports) calls `visible`
before it checks "required" or a length.
"""
from __future__ import annotations

import unicodedata

_KEEP = frozenset("\t\n\r")


def visible(text: str | None) -> str:
    """`text` without invisible characters, trimmed; "" for None."""
    if not text:
        return ""
    if text.isascii() and text.isprintable():
        return text.strip()  # the common case, at no cost
    return "".join(ch for ch in text if ch in _KEEP or unicodedata.category(ch) not in ("Cf", "Cc")).strip()
