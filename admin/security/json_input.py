"""JSON from a request, with its nesting bounded.

Python's decoder recurses once per `[` or `{`: a body of a thousand brackets raises
RecursionError (not ValueError), which every `except ValueError` lets through as a 500, and
anything that walks the value afterwards recurses as deep again. So JSON read from outside is
read here: too deep is a ValueError like any other malformed JSON (the API's `api.bad_json`,
Flask's 400 for `request.get_json`). No body of the API nests more than a few levels."""
from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 32


class TooDeep(ValueError):
    """JSON nested more than `MAX_DEPTH` levels."""


def loads(data: str | bytes | bytearray, max_depth: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """`json.loads`, refusing (ValueError) JSON nested deeper than `max_depth`."""
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise TooDeep(f"JSON nested deeper than {max_depth} levels") from None
    if too_deep(value, max_depth):
        raise TooDeep(f"JSON nested deeper than {max_depth} levels")
    return value


def too_deep(value: Any, max_depth: int) -> bool:
    """Whether lists and objects nest deeper than `max_depth` (without recursing itself)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class BoundedJSONProvider(DefaultJSONProvider):
    """The app's JSON: `request.get_json()` anywhere (spectree's too) reads through `loads`."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)
