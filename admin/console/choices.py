"""The choices a console form offers for a foreign key: only rows of the admin's own regions,
read per request (the same form object serves admins of different districts)."""
from __future__ import annotations

from sqlalchemy import literal, or_, select

from admin.auth import actor
from admin.database import db
from flows.workflow import registry
from schemas.tables import AppointmentService, DirectoryEntry, Organisation, Region, RegionLevel, Resource, TaskType


def _in_scope(column):
    paths = actor().admin_paths()
    return column.in_(select(Region.id).where(or_(*[Region.path.startswith(p) for p in paths])))


def regions(level: RegionLevel):
    """The admin's regions of one level, in tree order."""
    def listed() -> list[tuple[int, str]]:
        rows = db().execute(select(Region.id, Region.name).where(Region.level == level, _in_scope(Region.id))
                            .order_by(Region.path))
        return [(region_id, name) for region_id, name in rows]
    return listed


def workflows() -> list[tuple[str, str]]:
    """Published workflows, by title."""
    return [(workflow_id, f"{title}（{workflow_id}）") for workflow_id, title in registry.titles(db())]


def districts():
    """The districts the admin works in: those they govern, or the one their community lies in."""
    paths = actor().admin_paths()
    return select(Region.id).where(Region.level == RegionLevel.DISTRICT, or_(
        *[Region.path.startswith(p) for p in paths], *[literal(p).startswith(Region.path) for p in paths]))


def task_types_for_services() -> list[tuple[int, str]]:
    """Active task types of the admin's districts, and the city-wide ones; a district's named
    with its district, as a city admin sees every district's 预约服务 and could not tell them
    apart (the walk). One that does not book slots is refused on saving (the service's check),
    not hidden: a service already holding one must still show, and keep, what it has."""
    rows = db().execute(select(TaskType.id, TaskType.name, TaskType.code, Region.name)
                        .outerjoin(Region, Region.id == TaskType.district_id).where(
        TaskType.is_active.is_(True), or_(TaskType.district_id.is_(None), TaskType.district_id.in_(districts())))
        .order_by(TaskType.district_id.is_(None), Region.path, TaskType.name))
    return [(type_id, f"{name}（{code}）" + (f" · {district}" if district else ""))
            for type_id, name, code, district in rows]


def services() -> list[tuple[int, str]]:
    rows = db().execute(select(AppointmentService.id, AppointmentService.name, Region.name)
                        .join(Region, Region.id == AppointmentService.community_id)
                        .where(_in_scope(AppointmentService.community_id)).order_by(Region.path, AppointmentService.name))
    return [(service_id, f"{name}（{community}）") for service_id, name, community in rows]


def resources() -> list[tuple[int, str]]:
    rows = db().execute(select(Resource.id, Resource.name, Region.name)
                        .join(Region, Region.id == Resource.community_id)
                        .where(_in_scope(Resource.community_id)).order_by(Region.path, Resource.name))
    return [(resource_id, f"{name}（{community}）") for resource_id, name, community in rows]


def entries() -> list[tuple[int, str]]:
    rows = db().execute(select(DirectoryEntry.id, DirectoryEntry.name, Region.name)
                        .join(Region, Region.id == DirectoryEntry.community_id)
                        .where(_in_scope(DirectoryEntry.community_id)).order_by(Region.path, DirectoryEntry.name))
    return [(entry_id, f"{name}（{community}）") for entry_id, name, community in rows]


def organisations() -> list[tuple[int, str]]:
    rows = db().execute(select(Organisation.id, Organisation.name).where(Organisation.district_id.in_(districts()))
                        .order_by(Organisation.name))
    return [(org_id, name) for org_id, name in rows]
