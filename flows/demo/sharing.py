"""The demo's shared resources: the units, institutions and merchants around each community
lend rooms, equipment, vehicles and services, with opening hours and a closed day; and a few
hundred requests made through the engine, in every state of the resource request workflow.

Requests are spread so no two of one resource overlap (one a day each, at 10:00 local); past
ones were answered in the past, live ones are for the coming weeks."""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.clock import LOCAL_TZ
from schemas.tables import (
    DirectoryEntry,
    DirectoryService,
    Organisation,
    Region,
    Resource,
    ResourceClosure,
    ResourceHours,
    ResourceKind,
)

REQUESTS = 200
# (kind, name, capacity, equipment, weekly hours: (weekdays, opens, closes) in minutes)
SHARED = [
    (ResourceKind.ROOM, "会议室", 40, "投影仪、音响、话筒", (range(5), 9 * 60, 17 * 60)),
    (ResourceKind.ROOM, "多功能活动室", 80, "音响、桌椅", (range(7), 8 * 60, 20 * 60)),
    (ResourceKind.EQUIPMENT, "便携投影仪", None, "投影仪、幕布", (range(5), 9 * 60, 17 * 60)),
    (ResourceKind.VEHICLE, "公务面包车", 12, "11 座", (range(5), 8 * 60, 18 * 60)),
    (ResourceKind.SERVICE, "法律咨询", None, None, (range(5, 7), 9 * 60, 12 * 60)),
    (ResourceKind.SERVICE, "老人理发", None, None, (range(7), 8 * 60, 18 * 60)),
    (ResourceKind.SERVICE, "健康体检", None, None, (range(5), 8 * 60, 11 * 60)),
]
# Which stage each request ends in, in turn: done, approved, declined, cancelled, waiting.
STAGES = ["done", "done", "done", "approved", "approved", "declined", "cancelled", "requested", "done", "requested"]


def load_resources(session: Session, rng: random.Random, communities: list[Region], orgs: list[Organisation],
                   today: date) -> int:
    """Three or four resources around each community, each of an organisation; a service is one
    a directory merchant offers (its first item), and that item links to the resource."""
    entries: dict[int, list[DirectoryEntry]] = {}
    for listed in session.scalars(select(DirectoryEntry).order_by(DirectoryEntry.id)):
        entries.setdefault(listed.community_id, []).append(listed)
    count = 0
    for i, community in enumerate(communities):
        picks = [SHARED[(i + k) % len(SHARED)] for k in range(3 + i % 2)]
        for k, (kind, name, capacity, equipment, (days, opens, closes)) in enumerate(picks):
            org = orgs[(i * 3 + k) % len(orgs)]
            nearby = entries.get(community.id) or []
            entry = nearby[k % len(nearby)] if nearby and kind is ResourceKind.SERVICE else None
            item = session.scalar(select(DirectoryService).where(DirectoryService.entry_id == entry.id)
                                  .order_by(DirectoryService.id).limit(1)) if entry is not None else None
            owner = entry.name if entry is not None else org.work_unit
            name = item.name if item is not None else name  # the merchant lends what it offers
            resource = Resource(community_id=community.id, org_id=org.id, kind=kind, name=f"{owner}·{name}"[:64],
                                directory_entry_id=entry.id if entry else None, capacity=capacity,
                                equipment=equipment, location=f"{community.name}{rng.randint(1, 120)}号",
                                lat=(community.lat or 47.7) + rng.uniform(-0.01, 0.01),
                                lng=(community.lng or 128.9) + rng.uniform(-0.01, 0.01),
                                rules="请提前一天申请，用后恢复原样。", description=f"{owner}向{community.name}共享的{name}。")
            session.add(resource)
            session.flush()
            session.add_all([ResourceHours(resource_id=resource.id, weekday=d, opens=opens, closes=closes)
                             for d in days])
            session.add(ResourceClosure(resource_id=resource.id, day=today + timedelta(days=10 + k), note="设备检修"))
            if item is not None:
                item.resource_id = resource.id  # the directory's item links to the resource
            count += 1
    return count


def request_days(resource: Resource, hours: list[ResourceHours], closed: set[date], first: date,
                 count: int) -> list[datetime]:
    """The next `count` open days from `first` (not closed), each at the opening + 1 h, in UTC."""
    days: list[datetime] = []
    day = first
    open_on = {h.weekday: h for h in hours}
    while len(days) < count and day < first + timedelta(days=365):
        h = open_on.get(day.weekday())
        if h is not None and day not in closed and h.closes - h.opens >= 120:
            start = datetime.combine(day, time(h.opens // 60 + 1, h.opens % 60), LOCAL_TZ)
            days.append(start.astimezone(UTC))
        day += timedelta(days=1)
    return days


PURPOSES = ["党员活动日", "理论学习", "志愿者培训", "居民议事会", "老年大学课程", "文艺排练", "健康讲座", "亲子活动"]


def load_requests(session: Session, cast, now: datetime, start, act) -> int:
    """REQUESTS requests through the engine (`start`/`act` are the demo's own helpers, which skip
    what exists): each resource in turn, each request ending in its stage."""
    resources = list(session.scalars(select(Resource).order_by(Resource.id)))
    if not resources:
        return 0
    communities = {c.id: c for c in cast.communities}
    today = now.astimezone(LOCAL_TZ).date()
    hours: dict[int, list[ResourceHours]] = {}
    for row in session.scalars(select(ResourceHours)):
        hours.setdefault(row.resource_id, []).append(row)
    closed: dict[int, set[date]] = {}
    for closure in session.scalars(select(ResourceClosure)):
        closed.setdefault(closure.resource_id, set()).add(closure.day)
    per = REQUESTS // len(resources) + 2
    past = {r.id: request_days(r, hours.get(r.id, []), closed.get(r.id, set()), today - timedelta(days=60), per)
            for r in resources}
    future = {r.id: request_days(r, hours.get(r.id, []), closed.get(r.id, set()), today + timedelta(days=2), per)
              for r in resources}
    used: dict[tuple[int, bool], int] = {}
    added = 0
    for n in range(REQUESTS):
        resource, stage = resources[n % len(resources)], STAGES[n % len(STAGES)]
        live = stage in ("approved", "requested")
        k = used.get((resource.id, live), 0)
        used[(resource.id, live)] = k + 1
        days = (future if live else past)[resource.id]
        community = communities.get(resource.community_id)
        owner = cast.org_admin.get(resource.org_id)
        if k >= len(days) or community is None or owner is None:
            continue
        begins = days[k]
        requester = cast.admin[community.id] if n % 2 == 0 else cast.residents[community.id][n % 6]
        asked = now if live else begins - timedelta(days=3)
        data = {"title": f"{PURPOSES[n % len(PURPOSES)]}（{resource.name}，{day_and_hour(begins)}）",
                "starts_at": begins.isoformat(),
                "ends_at": (begins + timedelta(hours=1)).isoformat()}
        demand = start(requester, community, data, asked, resource.id)
        if demand is None:
            continue
        added += 1
        answered = min(asked + timedelta(hours=5), now)
        if stage == "declined":
            act(owner, demand, "decline", {"reason": "当天单位自用"}, answered)
        elif stage == "cancelled":
            act(requester, demand, "cancel", {}, answered)
        elif stage in ("approved", "done"):
            act(owner, demand, "approve", {}, answered)
        if stage == "done":
            act(owner, demand, "confirm_use", {"note": "按时使用，场地整洁"}, begins + timedelta(hours=2))
            act(requester, demand, "evaluate", {"rating": 5 if n % 3 else 4}, begins + timedelta(hours=3))
    return added


__all__ = ["REQUESTS", "load_requests", "load_resources"]


def day_and_hour(at: datetime) -> str:
    """A demo title's time, as people read it (12月3日 10:00, Beijing time): what tells two
    requests for one room apart, instead of a number (a stored naive time is UTC)."""
    local = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(LOCAL_TZ)
    return f"{local.month}月{local.day}日 {local:%H:%M}"
