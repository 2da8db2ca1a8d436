"""User names are one per person whatever their case: ADMIN_CITY is a look-alike of
admin_city, not a new name. Every door that creates an account asks `taken`; every door that
finds an account by the name typed asks `find`; the database's unique index on
lower(username) (migration 0020) stops the one that slips between a check and its INSERT."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schemas.tables import User

# Names that would let a newcomer pass for the programme's staff, refused at sign-up; so is
# any name that starts with "admin" (the demo's and the city's admins are named admin_…).
RESERVED = frozenset({"admin", "root", "administrator", "system", "yijia", "support", "staff"})
RESERVED_PREFIX = "admin"


def key(name: str | None) -> str:
    """The form a name is compared in: stripped, lower case."""
    return (name or "").strip().lower()


def reserved(name: str | None) -> bool:
    """Whether a newcomer may not choose this name (staff names and look-alikes of them)."""
    return key(name) in RESERVED or key(name).startswith(RESERVED_PREFIX)


def find(session: Session, name: str | None) -> User | None:
    """The account with this name, in any case (log-in, an admin's reset, erasure)."""
    if not key(name):
        return None
    return session.scalar(select(User).where(func.lower(User.username) == key(name)))


def taken(session: Session, name: str | None) -> bool:
    """Whether an account already has this name, in any case."""
    return bool(key(name)) and session.scalar(
        select(User.id).where(func.lower(User.username) == key(name)).limit(1)) is not None


def taken_among(session: Session, names: Iterable[str]) -> set[str]:
    """The names (as `key`s) among `names` that accounts already have, read 500 at a time."""
    wanted = sorted({key(n) for n in names if key(n)})
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found |= {key(n) for n in session.scalars(
            select(User.username).where(func.lower(User.username).in_(wanted[start:start + 500])))}
    return found
