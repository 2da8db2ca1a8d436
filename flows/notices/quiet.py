"""Quiet hours: no SMS or WeChat push at night (default 22:00–08:00, Beijing time). A message
due inside them waits until they end; it is deferred, never dropped. E-mail and the inbox do
not wake anyone and are sent at once."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from schemas.clock import as_local
from schemas.settings import get_settings

QUIET_CHANNELS = frozenset({"sms", "wechat"})


def _bounds(spec: str) -> tuple[time, time] | None:
    if not spec:
        return None
    start, end = (time.fromisoformat(part) for part in spec.split("-"))
    return (start, end) if start != end else None


def hours() -> tuple[str, str] | None:
    """(start, end) of the quiet hours as people read them ('22:00', '08:00'), or None."""
    bounds = _bounds(get_settings().quiet_hours)
    return (bounds[0].strftime("%H:%M"), bounds[1].strftime("%H:%M")) if bounds else None


def not_before(channel: str, now: datetime, spec: str | None = None) -> datetime | None:
    """When a message on `channel` written at `now` may be sent: None for at once, else the end
    of the quiet hours `now` falls in (in UTC, as every stored time)."""
    bounds = _bounds(get_settings().quiet_hours if spec is None else spec)
    if channel not in QUIET_CHANNELS or bounds is None:
        return None
    start, end = bounds
    local = as_local(now)
    clock = local.time()
    inside = start <= clock or clock < end if start > end else start <= clock < end
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=local.tzinfo).astimezone(UTC)
