"""One layer that turns request values into numbers and ids: bad input is a 400 with a plain
sentence, never a 500 from `int()` on request data and never a silent 0.

Use these instead of `int(request.form[...])` anywhere in `admin/`: `form_int("community_id")`,
`arg_int("type", required=False)`, and the `<id:…>` URL converter for path ids (bounded to the
database's integer range, so `/d/<2**70>` is a 404, not an overflow).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal, overload

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

_WHOLE = re.compile(r"[+-]?[0-9]{1,20}")
# The ids in URLs and forms (demands, news, slots, items, orders, users) are INTEGER columns:
# PostgreSQL refuses a larger number with an error, so a larger one cannot name a row.
MAX_ID = 2**31 - 1


class BadParam(BadRequest):
    """A request value that is not what the form asked for; the 400 page shows `description`."""


# What a person calls each value these functions read: a sentence names the field as the form
# does ("“积分”应为整数"), never by its parameter ("“amount”应为整数", "缺少必填项：user_id").
_LABELS = {
    "community_id": _l("社区"), "community": _l("社区"), "org_id": _l("党组织"), "capacity": _l("名额"),
    "user_id": _l("人员"), "type": _l("类型"), "for": _l("代办的居民"), "quantity": _l("数量"), "id": _l("编号"),
    "district": _l("区县"), "amount": _l("积分"), "up_to": _l("消息"), "before": _l("页码"),
}


def _label(name: str) -> str:
    """The field's name as the form shows it; a page number (`page`, `stuck_page`) or anything
    else, a plain word."""
    if name in _LABELS:
        return str(_LABELS[name])
    return _("页码") if name == "page" or name.endswith("_page") else _("这一项")


@overload
def parse_int(raw: str | None, name: str, *, required: Literal[True] = True, low: int | None = None,
              high: int | None = None) -> int: ...
@overload
def parse_int(raw: str | None, name: str, *, required: bool, low: int | None = None,
              high: int | None = None) -> int | None: ...
def parse_int(raw: str | None, name: str, *, required: bool = True, low: int | None = None,
              high: int | None = None) -> int | None:
    """`raw` as a whole number within [low, high]; None when blank and not required."""
    text = (raw or "").strip()
    if not text:
        if required:
            raise BadParam(_("缺少必填项：%(name)s", name=_label(name)))
        return None
    # ASCII digits only: int() would also take "1_000", "١٢" and fullwidth digits.
    if not _WHOLE.fullmatch(text):
        raise BadParam(_("“%(name)s”应为整数", name=_label(name)))
    value = int(text)
    if (low is not None and value < low) or (high is not None and value > high):
        raise BadParam(_("“%(name)s”超出范围", name=_label(name)))
    return value


@overload
def form_int(name: str, *, required: Literal[True] = True, low: int | None = 1, high: int | None = MAX_ID,
             source: Mapping[str, str] | None = None) -> int: ...
@overload
def form_int(name: str, *, required: bool, low: int | None = 1, high: int | None = MAX_ID,
             source: Mapping[str, str] | None = None) -> int | None: ...
def form_int(name: str, *, required: bool = True, low: int | None = 1, high: int | None = MAX_ID,
             source: Mapping[str, str] | None = None) -> int | None:
    """A number from the posted form (ids by default: 1 … MAX_ID)."""
    return parse_int((source if source is not None else request.form).get(name), name, required=required,
                     low=low, high=high)


def arg_int(name: str, *, required: bool = False, low: int | None = 1, high: int | None = MAX_ID) -> int | None:
    """A number from the query string (optional by default: filters)."""
    return parse_int(request.args.get(name), name, required=required, low=low, high=high)


def to_id(raw: object) -> int | None:
    """An id from text that is not a form field (a signed cookie, Flask-Admin's row ids): the
    number, or None when it is not a plain ASCII whole number in 1 … MAX_ID. Never `isdigit()`,
    which accepts "²" and then `int()` fails."""
    text = str(raw).strip() if raw is not None else ""
    if not (text.isascii() and text.isdecimal()) or len(text) > 19:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


# What a search box keeps: enough for a name, a merchant or a service. Every GET search input
# carries it as `maxlength` (the `search_max` template global), and the server cuts a longer
# query typed into the address bar to it, so no query ever makes a page fail.
SEARCH_MAX = 50


def search_arg(name: str = "q") -> str:
    """A search box's text from the query string, trimmed and cut to SEARCH_MAX characters."""
    return (request.args.get(name) or "").strip()[:SEARCH_MAX]


def refuse_nul_bytes() -> None:
    """Before every request: a NUL byte in the query, the form or the path is a 400. No one
    types one, PostgreSQL text cannot hold one, and SQLite would cut the text at it."""
    values = [*(v for _, v in request.args.items(multi=True)), *(v for _, v in request.form.items(multi=True)),
              *(str(v) for v in (request.view_args or {}).values())]
    if any("\x00" in value for value in values):
        raise BadParam(_("输入包含不允许的字符"))


class IdConverter(IntegerConverter):
    """`<id:demand_id>`: a positive id that fits the database, else the route does not match (404)."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)
