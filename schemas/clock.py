"""The one clock: every stored time is UTC; people read Beijing time.

It lives in the lowest room because the tables' column defaults need `utcnow` and `schemas`
imports nothing of ours. China has had no daylight saving since 1991, so the zone's offset is
also a constant that SQLite (which has no time-zone database) can use in SQL.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_ZONE = "Asia/Shanghai"
LOCAL_TZ = ZoneInfo(LOCAL_ZONE)
# "+8 hours", for SQLite's date functions (see the module docstring).
LOCAL_OFFSET_HOURS = int((datetime(2026, 1, 1, tzinfo=LOCAL_TZ).utcoffset() or timedelta()).total_seconds() // 3600)


def utcnow() -> datetime:
    """Timezone-aware now, in UTC."""
    return datetime.now(UTC)


def local_day(at: datetime) -> date:
    """The calendar day in Beijing of an aware time."""
    return at.astimezone(LOCAL_TZ).date()


def as_local(at: datetime) -> datetime:
    """An aware time as Beijing time; a naive one is taken to be Beijing time already."""
    return at.replace(tzinfo=LOCAL_TZ) if at.tzinfo is None else at.astimezone(LOCAL_TZ)


# How far behind the server's clock a time a person sets may lie and still count as "not past":
# a phone's clock a few minutes slow, or a form asking for "now" that took a while to fill in.
# Ten minutes forgives both; an activity dated yesterday is still refused.
PAST_GRACE = timedelta(minutes=10)
# How far ahead a person may set a time: further is a slip of the year (2099 for 2026).
HORIZON = timedelta(days=366)


def is_past(moment: datetime, now: datetime) -> bool:
    """Whether a time a person set has passed, by the caller's `now` (see PAST_GRACE)."""
    return moment < now - PAST_GRACE
