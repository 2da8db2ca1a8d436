"""The test world plus what is shared: org1's meeting room in community A (open weekdays
09:00–17:00, closed on one Wednesday), org2's projector in community B, and the resource
request task type."""
from __future__ import annotations

from datetime import date, datetime

from schemas.clock import LOCAL_TZ
from schemas.tables import Resource, ResourceClosure, ResourceHours, ResourceKind, TaskCategory, TaskType
from tests.world import World

CLOSED_DAY = date(2026, 12, 2)  # a Wednesday


def local(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    """A moment in Beijing time, 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


def add_sharing(factory, world: World) -> World:
    """Add the resources and the task type to `world` (ids: room, projector, tt_resource)."""
    with factory() as s, s.begin():
        room = Resource(community_id=world["ca"], org_id=world["org1"], kind=ResourceKind.ROOM, name="财政局三楼会议室",
                        capacity=40, equipment="投影仪、音响", lat=47.72, lng=128.84, location="财政局三楼")
        projector = Resource(community_id=world["cb"], org_id=world["org2"], kind=ResourceKind.EQUIPMENT,
                             name="便携投影仪", lat=47.9, lng=129.1)
        s.add_all([room, projector])
        s.flush()
        s.add_all([ResourceHours(resource_id=room.id, weekday=d, opens=9 * 60, closes=17 * 60) for d in range(5)])
        s.add(ResourceClosure(resource_id=room.id, day=CLOSED_DAY, note="设备检修"))
        task_type = TaskType(code="resource", name="资源共享申请", category=TaskCategory.APPOINTMENT, default_points=6,
                             workflow_id="resource_request")
        s.add(task_type)
        s.flush()
        world.ids.update(room=room.id, projector=projector.id, tt_resource=task_type.id)
    return world


def add_community_room(factory, world: World) -> World:
    """A room community A shares itself (no organisation: its admins answer): id `hall`."""
    with factory() as s, s.begin():
        hall = Resource(community_id=world["ca"], org_id=None, kind=ResourceKind.ROOM, name="社区活动室", capacity=30)
        s.add(hall)
        s.flush()
        world.ids["hall"] = hall.id
    return world


def request(start: datetime, end: datetime, title: str = "党员活动", **extra) -> dict:
    """The request form's values."""
    return {"title": title, "starts_at": start.isoformat(), "ends_at": end.isoformat(), **extra}
