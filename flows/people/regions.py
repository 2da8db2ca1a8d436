"""Where people belong: the communities a person is attached to, the ones an admin governs,
and the district a region lies in (read from its materialised path)."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from flows.people.actors import ActorContext
from schemas.tables import Region, RegionLevel, Role


def _ancestor(path: str, depth: int) -> int | None:
    parts = path.strip("/").split("/")
    return int(parts[depth]) if len(parts) > depth and parts[depth] else None


def district_id(path: str) -> int | None:
    """The district of the region at `path` (`/city/district/…/`), or None for the city itself."""
    return _ancestor(path, 1)


def city_id(path: str) -> int | None:
    """The city of the region at `path` (`/city/…/`)."""
    return _ancestor(path, 0)


def communities_of(actor: ActorContext) -> set[int]:
    """Communities where the actor serves or whose organisation reported in."""
    ids = set(actor.registered_communities)
    for orgs in actor.org_communities.values():
        ids |= set(orgs)
    return ids


def region_ids_of(session: Session, actor: ActorContext) -> set[int]:
    """Community ids the actor is attached to by a grant (resident) or a registration."""
    ids = communities_of(actor)
    paths = [g.region_path for g in actor.grants if g.role is Role.RESIDENT and g.region_path]
    if paths:
        ids |= set(session.scalars(select(Region.id).where(Region.path.in_(paths))))
    return ids


def communities_under(session: Session, paths: list[str]) -> list[Region]:
    """Communities inside any of the region paths, in tree order."""
    if not paths:
        return []
    return list(session.scalars(select(Region).where(Region.level == RegionLevel.COMMUNITY,
                                                     or_(*[Region.path.startswith(p) for p in paths]))
                                .order_by(Region.path)))


def admin_communities(session: Session, actor: ActorContext) -> list[Region]:
    """Communities the actor administers (directly, or as a district or city admin)."""
    return communities_under(session, actor.admin_paths())


def admin_districts(session: Session, actor: ActorContext) -> list[Region]:
    """The districts an admin works in: every district for a city admin, else the districts
    their grants lie in (a community admin's district included), in tree order."""
    paths = actor.admin_paths()
    if not paths:
        return []
    query = select(Region).where(Region.level == RegionLevel.DISTRICT).order_by(Region.path)
    districts = list(session.scalars(query))
    return [d for d in districts if any(d.path.startswith(p) or p.startswith(d.path) for p in paths)]


def may_publish_for(actor: ActorContext, district: Region | None) -> bool:
    """Who may publish a workflow line: the city's templates only a city admin; a district's
    line its district admins (and the city admin)."""
    if actor.highest_admin_role() is Role.CITY_ADMIN:
        return True
    return district is not None and actor.in_scope(Role.DISTRICT_ADMIN, district.path)


def names(session: Session, ids: set[int]) -> dict[int | None, str]:
    """{region id: name} for a few regions."""
    if not ids:
        return {}
    rows = session.execute(select(Region.id, Region.name).where(Region.id.in_(ids)))
    return {row.id: row.name for row in rows}
def districts_of(session: Session, actor: ActorContext) -> list[int]:
    """The districts the actor belongs to, nearest first: those of their own grants and
    registrations, then (for a city admin) every district they govern."""
    paths = [g.region_path for g in actor.grants if g.region_path]
    paths += list(session.scalars(select(Region.path).where(Region.id.in_(region_ids_of(session, actor)))))
    found: list[int] = []
    for path in paths:
        district = district_id(path)
        if district is not None and district not in found:
            found.append(district)
    wide = [p for p in actor.admin_paths() if district_id(p) is None]
    if wide:
        for district in session.scalars(select(Region.id).where(
                Region.level == RegionLevel.DISTRICT, or_(*[Region.path.startswith(p) for p in wide]))
                .order_by(Region.id)):
            if district not in found:
                found.append(district)
    return found
