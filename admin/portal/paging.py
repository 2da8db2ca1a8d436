"""Paging for the portal's lists: each list on a page has its own page parameter, so paging
one list never shows another list's first page again as if it were new, and every list shows
its true total (not the length of the page it shows)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request, url_for

from admin.params import arg_int


@dataclass(frozen=True)
class Paged:
    """One list's page: which page (`param` in the query string), its size and the total."""
    param: str
    number: int
    per_page: int
    total: int = 0
    open_ended: bool = False  # the total is not counted, only whether a next page exists

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def of(self, total: int) -> Paged:
        """The same page, now knowing the total."""
        return Paged(self.param, self.number, self.per_page, total)

    def window(self, rows: list) -> tuple[list, Paged]:
        """This page of `rows` (read up to one past it, `self.offset + self.per_page + 1`), and
        the page knowing only whether another follows: for lists read as a merge of ordered
        ranges, where a count would read everything the page avoids."""
        more = len(rows) > self.offset + self.per_page
        return (rows[self.offset:self.offset + self.per_page],
                Paged(self.param, self.number, self.per_page, self.offset + self.per_page + (1 if more else 0), True))

    @property
    def wanted(self) -> int:
        """How many rows `window` needs read."""
        return self.offset + self.per_page + 1


def requested(param: str, per_page: int) -> Paged:
    """The page of a list that the query string asks for (1 when absent)."""
    return Paged(param, arg_int(param, high=100_000) or 1, per_page)


def page_url(param: str, number: int, anchor: str | None = None) -> str:
    """This page's URL with one list's page changed and every other filter and page kept."""
    values: dict[str, Any] = {**(request.view_args or {}),
                              **{k: v for k, v in request.args.items() if k != param}}
    if number > 1:
        values[param] = str(number)
    assert request.endpoint is not None
    return url_for(request.endpoint, _anchor=anchor, **values)
