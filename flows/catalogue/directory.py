"""The convenience directory: enterprises and merchants near a community, with their items."""
from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from flows.core.geo import km, nearness
from schemas.tables import DirectoryEntry, DirectoryService


def directory(session: Session, near: tuple[float, float] | None, q: str | None, limit: int = 40,
              offset: int = 0):
    """Entries with their service items, matching `q`, nearest first (one page): (entry, items,
    km); each item is (name, the shared resource that offers it or None)."""
    order = [nearness(DirectoryEntry.lat, DirectoryEntry.lng, near)] if near is not None else []
    # the id breaks ties (equal distances, or no home to measure from), so pages never overlap
    entries = list(session.scalars(_matching(q).order_by(*order, DirectoryEntry.id).limit(limit).offset(offset)))
    services: dict[int, list[tuple[str, int | None]]] = {}
    for entry_id, name, resource_id in session.execute(
            select(DirectoryService.entry_id, DirectoryService.name, DirectoryService.resource_id)
            .where(DirectoryService.entry_id.in_([e.id for e in entries]))):
        services.setdefault(entry_id, []).append((name, resource_id))
    return [(e, services.get(e.id, []), km(near, e.lat, e.lng)) for e in entries]


def count(session: Session, q: str | None) -> int:
    """How many entries match `q` (all of them without one): the total `directory` pages through."""
    return session.scalar(select(func.count()).select_from(_matching(q).subquery())) or 0


def _matching(q: str | None):
    query = select(DirectoryEntry)
    if q:
        like = f"%{q.strip()[:30]}%"
        matching = select(DirectoryService.entry_id).where(DirectoryService.name.like(like))
        query = query.where(or_(DirectoryEntry.name.like(like), DirectoryEntry.id.in_(matching)))
    return query
