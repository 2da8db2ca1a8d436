"""When a resource is open: recurring weekly hours and closed days, in Beijing time.

A resource with no weekly hours is open by arrangement (any time); one with hours is open only
inside one of them, on a day that is not closed. A booked range must fit in one opening."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.core.i18n import N_, Message, language
from flows.core.refusals import Refused
from schemas.clock import LOCAL_TZ
from schemas.tables import ResourceClosure, ResourceHours

WEEKDAYS = "一二三四五六日"
# Weekday names as people write them, Monday first: read in both languages, written in the reader's.
DAY_NAMES = {"zh": [f"周{c}" for c in WEEKDAYS], "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}


def clock(minutes: int) -> str:
    """540 → '09:00'."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def hours_lines(rows: list[ResourceHours], lang: str = "zh") -> list[str]:
    """Weekly hours as people read and write them: ['周一 09:00-17:00', …] (or 'Mon 09:00-17:00')."""
    names = DAY_NAMES.get(lang, DAY_NAMES["zh"])
    return [f"{names[r.weekday]} {clock(r.opens)}-{clock(r.closes)}"
            for r in sorted(rows, key=lambda r: (r.weekday, r.opens))]


@dataclass(frozen=True)
class Weekday:
    """A weekday in a sentence, written in the reader's language when the sentence is rendered."""

    weekday: int

    def render(self, locale: str | None = None) -> str:
        return DAY_NAMES[language(locale)][self.weekday]


def day_hours(rows: list[ResourceHours]) -> str:
    """One day's openings without the day's name (the sentence names it once): '08:00-12:00、14:00-20:00'."""
    return "、".join(f"{clock(r.opens)}-{clock(r.closes)}" for r in sorted(rows, key=lambda r: r.opens))


def hours_text(rows: list[ResourceHours], lang: str = "zh") -> str:
    """Weekly hours on one line, days in a row with the same hours said once: '周一至周五
    09:00-17:00；周六 09:00-12:00' (five identical days read as one fact, not five)."""
    names = DAY_NAMES.get(lang, DAY_NAMES["zh"])
    by_day: dict[int, list[str]] = {}
    for r in sorted(rows, key=lambda r: (r.weekday, r.opens)):
        by_day.setdefault(r.weekday, []).append(f"{clock(r.opens)}-{clock(r.closes)}")
    runs: list[tuple[int, int, list[str]]] = []
    for day, spans in sorted(by_day.items()):
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == spans:
            runs[-1] = (runs[-1][0], day, spans)
        else:
            runs.append((day, day, spans))
    zh = lang == "zh"

    def days(first: int, last: int) -> str:
        if first == last:
            return names[first]
        return names[first] + (("、" if zh else ", ") if last == first + 1 else ("至" if zh else "–")) + names[last]

    return ("；" if zh else "; ").join(f"{days(first, last)} {('、' if zh else ', ').join(spans)}"
                                      for first, last, spans in runs)


def weekly_hours(session: Session, resource_id: int) -> list[ResourceHours]:
    """The resource's weekly openings, Monday first."""
    return list(session.scalars(select(ResourceHours).where(ResourceHours.resource_id == resource_id)
                                .order_by(ResourceHours.weekday, ResourceHours.opens)))


def closures(session: Session, resource_id: int, first: date, last: date) -> list[ResourceClosure]:
    """The closed days between two local dates, inclusive."""
    return list(session.scalars(select(ResourceClosure).where(
        ResourceClosure.resource_id == resource_id, ResourceClosure.day >= first, ResourceClosure.day <= last)
        .order_by(ResourceClosure.day)))


def check_open(session: Session, resource_id: int, starts_at: datetime, ends_at: datetime) -> None:
    """Refused unless the resource is open for the whole range (see the module's rule)."""
    start, end = starts_at.astimezone(LOCAL_TZ), ends_at.astimezone(LOCAL_TZ)
    closed = closures(session, resource_id, start.date(), end.date())
    if closed:
        raise Refused("resource.closed_day", {"day": closed[0].day.isoformat(), "note": closed[0].note or "闭馆"})
    rows = weekly_hours(session, resource_id)
    if not rows:
        return
    day = [r for r in rows if r.weekday == start.weekday()]
    first, last = start.hour * 60 + start.minute, end.hour * 60 + end.minute
    if end.date() != start.date():  # only up to midnight: an opening never spans two days
        last = 1440 if end.date() == start.date() + timedelta(days=1) and last == 0 else 1441
    if not any(r.opens <= first and last <= r.closes for r in day):
        # the day once: 周一：08:00-20:00 (the day's lines each began with it: 周一：周一 08:00-20:00)
        raise Refused("resource.outside_hours", {"day": Weekday(start.weekday()),
                                                 "hours": day_hours(day) or Message(N_("不开放"))})


def is_open(session: Session, resource_id: int, starts_at: datetime, ends_at: datetime) -> bool:
    """Whether `check_open` would let the range through."""
    try:
        check_open(session, resource_id, starts_at, ends_at)
    except Refused:
        return False
    return True


_DAY = r"(?:周|星期)?([一二三四五六日天]|mon|tue|wed|thu|fri|sat|sun)[a-z]*"
_LINE = re.compile(rf"^{_DAY}(?:\s*[-–~至到]\s*{_DAY})?\s+"
                   r"([01]?\d|2[0-3])[:：]([0-5]\d)\s*[-–~至到]\s*([01]?\d|2[0-4])[:：]([0-5]\d)$")


def parse_hours(text: str) -> list[tuple[int, int, int]]:
    """'周一至周五 09:00-17:00' lines → [(weekday, opens, closes)]; Refused on a line it cannot read."""
    out: list[tuple[int, int, int]] = []
    for part in filter(None, (p.strip() for p in re.split(r"[\n;；,，]+", text or ""))):
        match = _LINE.match(part.lower())
        if match is None:
            raise Refused("input", fields={"hours": Message("resource.hours_format", {"part": part[:20]})})
        first, last = _weekday(match.group(1)), _weekday(match.group(2) or match.group(1))
        opens = int(match.group(3)) * 60 + int(match.group(4))
        closes = int(match.group(5)) * 60 + int(match.group(6))
        if closes <= opens or closes > 1440 or last < first:
            raise Refused("input", fields={"hours": Message("resource.hours_format", {"part": part[:20]})})
        out.extend((weekday, opens, closes) for weekday in range(first, last + 1))
    return out


def _weekday(token: str) -> int:
    """'一' or 'mon' → 0 … '日', '天' or 'sun' → 6."""
    token = token.replace("天", "日")
    return WEEKDAYS.index(token) if token in WEEKDAYS else [d.lower() for d in DAY_NAMES["en"]].index(token)
