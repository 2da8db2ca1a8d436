"""How the faces say what the domain answered, in the reader's language.

The domain raises `Refused` with a code, parameters and field messages; the portal and the
console render it here, and only here, so a refusal reads the same (and in English with
`?lang=en`) on every page: in a flash, beside a form field, or in a console's bulk report.
"""
from __future__ import annotations

import re

from flask import flash
from flask_babel import get_locale
from markupsafe import Markup, escape

from flows.core.i18n import language, render
from flows.core.refusals import Refused

# A label of Chinese characters only, of two-character words: 积分换礼, 社区新闻, 附近服务.
_PAIRED = re.compile(r"(?:[\u4e00-\u9fff]{2}){2,}")


def tab_words(label: str) -> Markup:
    """A bottom-bar label that may wrap only between its words. The tabs keep Chinese whole
    (`word-break: keep-all`), so a narrow tab broke "积分换/礼"; a four-character label is two
    two-character words, and a `<wbr>` between them is where it may wrap. Anything else (English,
    a three-character label) is left as it is."""
    text = str(label)
    if not _PAIRED.fullmatch(text):
        return Markup(escape(text))
    return Markup("<wbr>").join(text[i:i + 2] for i in range(0, len(text), 2))


def lang() -> str:
    """'en' or 'zh': the reader's language, for the domain's messages."""
    return language(str(get_locale()))


def refusal_text(exc: Refused) -> str:
    """The refusal as one sentence: its reason, then each field's problem."""
    locale = lang()
    reason = exc.message(locale)
    # a field's problem the reason already says is not said twice (库存不能减到 0 以下：库存不能减到 0 以下)
    fields = [text for text in dict.fromkeys(exc.fields_in(locale).values()) if text.lower() not in reason.lower()]
    if not fields:
        return reason
    joined = render("refusal.separator", None, locale).join(fields)
    return render("refusal.with_fields", {"reason": reason, "fields": joined}, locale)


def field_errors(exc: Refused) -> dict[str, str]:
    """The refusal's problems by form field, to show beside each field."""
    return exc.fields_in(lang())


def flash_refusal(exc: Refused) -> None:
    """Tell the reader, on the next page, why nothing was done."""
    flash(refusal_text(exc), "error")
