"""What an action answers when it was not done: Refused, with a reason a person can read."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.core.i18n import Message, render


class Refused(Exception):
    """The action was not done, for a reason the user can read; nothing was written.

    `field_messages` maps form fields to sentences when the input was the problem: each a
    `Message` (a code with parameters) or a plain Chinese sentence marked with `N_`, rendered in
    the reader's language by `fields_in`.
    """

    def __init__(self, code: str, params: dict[str, Any] | None = None,
                 fields: Mapping[str, Message | str] | None = None):
        super().__init__(code)
        self.code = code
        self.params = params or {}
        self.field_messages: dict[str, Message] = {
            key: value if isinstance(value, Message) else Message(value) for key, value in (fields or {}).items()}

    def fields_in(self, locale: str | None) -> dict[str, str]:
        """Field errors in the reader's language."""
        return {key: message.render(locale) for key, message in self.field_messages.items()}

    @property
    def fields(self) -> dict[str, str]:
        """Field errors in Chinese (the source language)."""
        return self.fields_in(None)

    def message(self, locale: str | None = None) -> str:
        return render(self.code, self.params, locale)

    def __str__(self) -> str:
        extra = "; ".join(f"{k}: {v}" for k, v in self.fields_in("en").items())
        return f"{self.code}: {self.message('en')}" + (f" ({extra})" if extra else "")
