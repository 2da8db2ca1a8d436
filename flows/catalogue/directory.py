"""The convenience directory: enterprises and merchants near a community, with their items."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from flows.core.geo import km, nearness
from schemas.tables import DirectoryEntry, DirectoryService


def directory(session: Session, near: tuple[float, float] | None, q: str | None, limit: int = 40):
    """Entries with their service items, matching `q`, nearest first: (entry, items, km); each
    item is (name, the shared resource that offers it or None)."""
    query = select(DirectoryEntry)
    if q:
        like = f"%{q.strip()[:30]}%"
        matching = select(DirectoryService.entry_id).where(DirectoryService.name.like(like))
        query = query.where(or_(DirectoryEntry.name.like(like), DirectoryEntry.id.in_(matching)))
    if near is not None:
        query = query.order_by(nearness(DirectoryEntry.lat, DirectoryEntry.lng, near))
    entries = list(session.scalars(query.limit(limit)))
    services: dict[int, list[tuple[str, int | None]]] = {}
    for entry_id, name, resource_id in session.execute(
            select(DirectoryService.entry_id, DirectoryService.name, DirectoryService.resource_id)
            .where(DirectoryService.entry_id.in_([e.id for e in entries]))):
        services.setdefault(entry_id, []).append((name, resource_id))
    return [(e, services.get(e.id, []), km(near, e.lat, e.lng)) for e in entries]
