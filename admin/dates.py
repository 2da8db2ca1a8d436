"""Dates as people in Yichun say them, in their language: 今天 14:30, 明天 09:00, 11月28日 周六.

Stored times are UTC (schemas.clock); these filters show Beijing time. `quick_days` gives the
elder wish form its 今天 / 明天 / 本周 buttons in place of a date picker, whose look and format
belong to the browser."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask_babel import get_locale
from flask_babel import gettext as _

from schemas.clock import LOCAL_TZ, utcnow

_WEEKDAYS_ZH = "一二三四五六日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _english() -> bool:
    return str(get_locale()).startswith("en")


def _local(value: datetime) -> datetime:
    """Beijing time; a naive value is UTC, as everything stored is (schemas.clock)."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(LOCAL_TZ)


def _date_words(d: date, today: date) -> str:
    if _english():
        words = f"{_WEEKDAYS_EN[d.weekday()]} {d.day} {_MONTHS_EN[d.month - 1]}"
        return words if d.year == today.year else f"{words} {d.year}"
    words = f"{d.month}月{d.day}日 周{_WEEKDAYS_ZH[d.weekday()]}"
    return words if d.year == today.year else f"{d.year}年{words}"


def day(value: datetime | date | None, now: datetime | None = None) -> str:
    """The date alone: 今天, 明天, 昨天, or 11月28日 周六 (the year only when it is not this one)."""
    if value is None:
        return ""
    today = _local(now or utcnow()).date()
    d = _local(value).date() if isinstance(value, datetime) else value
    relative = {0: _("今天"), 1: _("明天"), -1: _("昨天")}.get((d - today).days)
    return relative or _date_words(d, today)


def when(value: datetime | None, now: datetime | None = None) -> str:
    """Date and time: 今天 14:30, 明天 09:00, 11月28日 周六 09:00."""
    if value is None:
        return ""
    return f"{day(value, now)} {_local(value):%H:%M}"


def span(start: datetime | None, end: datetime | None, now: datetime | None = None) -> str:
    """A time range: 12月5日 周六 09:00 – 11:00 within one day; ending another day, the end
    says its date too (an end a year later read as the same day's 11:00)."""
    if start is None:
        return ""
    if end is None:
        return when(start, now)
    same_day = _local(start).date() == _local(end).date()
    return f"{when(start, now)} – {_local(end):%H:%M}" if same_day else f"{when(start, now)} – {when(end, now)}"


def quick_days(now: datetime | None = None) -> list[tuple[str, str, str]]:
    """The elder wish form's time buttons: (key, label, value for a datetime-local field).

    今天 is the next full hour (not after 21:00), 明天 and 本周 a morning at nine; 本周 is the
    last day of this week and is left out when that is tomorrow or today."""
    here = _local(now or utcnow())
    today = here.date()
    nine = time(9, 0)
    options = []
    soon = (here + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    if soon.date() == today and soon.hour <= 21:
        options.append(("today", _("今天"), soon.strftime("%Y-%m-%dT%H:%M")))
    tomorrow = today + timedelta(days=1)
    options.append(("tomorrow", _("明天"), datetime.combine(tomorrow, nine).strftime("%Y-%m-%dT%H:%M")))
    sunday = today + timedelta(days=6 - today.weekday())
    if sunday > tomorrow:
        options.append(("week", _("本周"), datetime.combine(sunday, nine).strftime("%Y-%m-%dT%H:%M")))
    return options
