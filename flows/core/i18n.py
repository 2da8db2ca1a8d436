"""The one translation catalogue, usable without Flask.

Chinese is the source language: a message is its Chinese text (the gettext msgid), and the
English catalogue in flows/core/translations translates it. The web pages (Flask-Babel), the
console and the domain all read that same catalogue; the domain, which must not import Flask,
goes through Babel's own `Translations` here.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

DIRECTORY = Path(__file__).resolve().parent / "translations"
SOURCE = "zh"
# The languages besides the source that the catalogue translates into.
TRANSLATED = ("en",)


# The language the reader of this request chose (set by the web layer for each request; the
# worker reads in the source language): what the workflows' own words are shown in.
READING: ContextVar[str] = ContextVar("yijia_reading", default=SOURCE)


def N_(text: str) -> str:
    """Mark `text` for the catalogue without translating it (translated when rendered)."""
    return text


def language(locale: str | None) -> str:
    """'en' or 'zh' from any locale spelling ('zh_Hans_CN', 'en-US', None → Chinese)."""
    return "en" if str(locale or "").lower().startswith("en") else SOURCE


@lru_cache(maxsize=4)
def _catalogue(lang: str) -> NullTranslations:
    return NullTranslations() if lang == SOURCE else Translations.load(str(DIRECTORY), [lang], domain="messages")


def translate(text: str, locale: str | None = None) -> str:
    """`text` (a Chinese msgid) in the user's language; itself when untranslated."""
    lang = language(locale)
    return text if lang == SOURCE or not text else _catalogue(lang).gettext(text)


def render(code: str, params: dict[str, Any] | None = None, locale: str | None = None) -> str:
    """The sentence for a message code (see flows.core.messages), translated and filled in.

    An unknown code is treated as a msgid itself, so a plain Chinese sentence also works."""
    from flows.core.messages import MESSAGES

    template = translate(MESSAGES.get(code, code), locale)
    # a parameter that is itself a sentence or a time (flows.core.moments) is written in the same language
    filled = {key: value.render(locale) if hasattr(value, "render") else value for key, value in (params or {}).items()}
    try:
        return template.format(**filled)
    except (KeyError, IndexError, ValueError):
        return template


@dataclass(frozen=True)
class Message:
    """A sentence not yet rendered: a code (or Chinese msgid) and its parameters."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, locale: str | None = None) -> str:
        return render(self.code, self.params, locale)

    def __str__(self) -> str:
        return self.render()
