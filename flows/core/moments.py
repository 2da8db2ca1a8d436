"""A time inside a sentence that is read later: a message in the inbox, an SMS, a refusal.

Pages say 今天 14:30 (admin/dates.py); a message cannot, since it may be read tomorrow. It says
the date the way the pages do otherwise, in its reader's language: 12月1日 19:48, or
1 Dec 19:48; the year only when it is not this year's. A refusal is read the moment it is said,
beside a page that says 今天: it may say so too (`Moment(at, relative=True)`). Beijing time, as everywhere people read.
The value renders itself when the sentence is put together (`flows.core.i18n.render`,
`flows.notices.templates`), so one message row can be written in each reader's language.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flows.core.i18n import N_, translate
from schemas.clock import as_local, utcnow

_NEAR = {0: N_("今天 {time}"), 1: N_("明天 {time}"), -1: N_("昨天 {time}")}  # English: "09:00 today"
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Moment:
    """A point in time, written out when the sentence it sits in is rendered."""

    at: datetime
    relative: bool = False  # 今天 / 明天 / 昨天 for the days near today: only for what is read at once

    def render(self, locale: str | None = None) -> str:
        here, today = as_local(self.at), as_local(utcnow())
        near = _NEAR.get((here.date() - today.date()).days) if self.relative else None
        if near is not None:
            return translate(near, locale).format(time=f"{here:%H:%M}")
        this_year = here.year == today.year
        if str(locale or "").lower().startswith("en"):
            day = f"{here.day} {_MONTHS_EN[here.month - 1]}" + ("" if this_year else f" {here.year}")
            return f"{day} {here:%H:%M}"
        day = f"{here.month}月{here.day}日" if this_year else f"{here.year}年{here.month}月{here.day}日"
        return f"{day} {here:%H:%M}"

    def __str__(self) -> str:
        return self.render()


def said_now(at: datetime) -> Moment:
    """A time in a refusal: read the moment it is said, so 今天 14:00 as the page beside it says."""
    return Moment(at, relative=True)


def moment(at: datetime | None) -> Moment | None:
    """`at` as a Moment, None as None (a demand without a time)."""
    return Moment(at) if at is not None else None
