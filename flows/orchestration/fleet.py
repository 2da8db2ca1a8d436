"""Duties one worker of the fleet does at a time: a lease per duty in `fleet_marks`.

Any number of `yijia worker` processes may run against one database and one Prefect server.
The outbox is shared by lease per demand (relay.take); the rest — syncing the SLA automations,
a pass of the monitor or the reconciler — is a duty: the worker that takes its lease does it,
the others skip it, and a worker that dies lets it go when the lease runs out. One UPDATE
with the condition decides between workers on both engines (PostgreSQL re-checks the
condition on the row a concurrent update wrote; SQLite has one writer)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schemas.clock import utcnow
from schemas.tables import FleetMark

AUTOMATIONS, MONITOR, RECONCILE = "automations", "monitor", "reconcile-pass"


def hold(session: Session, duty: str, holder: str, seconds: float, now: datetime | None = None) -> bool:
    """Take or renew the duty's lease for `seconds`: True when `holder` has it now."""
    now = now or utcnow()
    until = now + timedelta(seconds=seconds)
    hit = session.execute(update(FleetMark).where(
        FleetMark.name == duty, or_(FleetMark.holder.is_(None), FleetMark.holder == holder,
                                    FleetMark.expires_at.is_(None), FleetMark.expires_at < now),
    ).values(holder=holder, expires_at=until, updated_at=now).execution_options(synchronize_session=False))
    if getattr(hit, "rowcount", 0) == 1:
        session.commit()
        return True
    session.rollback()
    if session.get(FleetMark, duty) is not None:
        return False  # another worker holds it
    session.add(FleetMark(name=duty, value=0, holder=holder, expires_at=until, updated_at=now))
    try:
        session.commit()
        return True
    except IntegrityError:  # another worker created it first: theirs
        session.rollback()
        return False


def release(session: Session, duty: str, holder: str) -> None:
    session.execute(update(FleetMark).where(FleetMark.name == duty, FleetMark.holder == holder).values(
        holder=None, expires_at=None).execution_options(synchronize_session=False))
    session.commit()


@contextmanager
def duty(session: Session, name: str, holder: str, seconds: float) -> Iterator[bool]:
    """`with duty(...) as mine:` — do the work when `mine`; the lease is let go afterwards."""
    mine = hold(session, name, holder, seconds)
    try:
        yield mine
    finally:
        if mine:
            session.rollback()
            release(session, name, holder)
