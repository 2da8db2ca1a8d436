"""Phone numbers people can tap to call (`tel:` links): a directory entry's number, the
community's phone, and numbers inside a wish's text for those who may read them in full.

A masked number (138****1234) is never linked: it would dial nothing useful."""
from __future__ import annotations

import re

from markupsafe import Markup, escape

# A mobile (11 digits from 1) or a landline with its area code (0458-3123456), as people write them.
_PHONE = re.compile(r"(?<![\d*])(?:1\d{2}[- ]?\d{4}[- ]?\d{4}|0\d{2,3}[- ]?\d{7,8}|\d{3}-\d{4})(?![\d*])")


def dial(number: str) -> str:
    """The digits (and a leading +) a `tel:` URI carries."""
    return re.sub(r"[^\d+]", "", number)


def tel(number: str | None) -> Markup:
    """A phone number as a link that dials it; anything not a number stays plain text."""
    text = (number or "").strip()
    if not text or not _PHONE.fullmatch(text):
        return Markup(escape(text))
    return Markup('<a class="tel" href="tel:{}">{}</a>').format(dial(text), text)


def tel_in(text: str | None) -> Markup:
    """Free text with every phone number in it linked (the text is escaped first)."""
    escaped = str(escape(text or ""))
    return Markup(_PHONE.sub(lambda m: f'<a class="tel" href="tel:{dial(m.group(0))}">{m.group(0)}</a>', escaped))
