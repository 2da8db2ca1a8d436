"""Running totals for the dashboard, per community and local (Beijing) day.

Counting them from the sources on every dashboard view took 13 s with a million demands and
ten million ledger entries (bench/scale.py). So the transaction that changes what a figure
counts also adds to its tally: the engine when a demand is done or a tracked claim is made,
the ledger when an award or a redemption is posted. `recount` computes the same figures from
the sources; `check` compares the two, and `rebuild` (the migration's backfill, the bulk
loaders' last step, `yijia stats rebuild`) replaces the tallies with the recount.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, delete, func, insert, literal, literal_column, select
from sqlalchemy.orm import Session

from flows.core.sql import upsert
from schemas.clock import LOCAL_OFFSET_HOURS, LOCAL_ZONE, local_day, utcnow
from schemas.tables import Account, AccountKind, Claim, Demand, Entry, Posting, PostingKind, Tally

DONE = ("micro_wish", "joint_activity", "appointment")  # demands done, per workflow
TRACKED_CLAIMS = ("volunteer_item",)  # claims counted when made
PARTICIPANTS_OF = "joint_activity"  # members who took part in a done activity


def bump(session: Session, community_id: int, key: str, amount: int, at: datetime | None = None) -> None:
    """Add `amount` to a tally in the caller's transaction (an upsert: first of the day or not)."""
    if not amount:
        return
    upsert(session, Tally, {"community_id": community_id, "day": local_day(at or utcnow()), "key": key, "value": amount},
           on=["community_id", "day", "key"], add=["value"])


def demand_done(session: Session, demand: Demand, at: datetime) -> None:
    """A demand reached `done`: count it, and an activity's participants."""
    if demand.workflow_id in DONE:
        bump(session, demand.community_id, f"done:{demand.workflow_id}", 1, at)
    if demand.workflow_id == PARTICIPANTS_OF:
        taken = session.scalar(select(func.count()).select_from(Claim).where(
            Claim.demand_id == demand.id, Claim.user_id.is_not(None)))
        bump(session, demand.community_id, "participants", int(taken or 0), at)


def claim_made(session: Session, demand: Demand, at: datetime) -> None:
    if demand.workflow_id in TRACKED_CLAIMS:
        bump(session, demand.community_id, f"claims:{demand.workflow_id}", 1, at)


def posted(session: Session, kind: PostingKind, demand_id: int | None, moves: Iterable, at: datetime) -> None:
    """A new posting: awards count as issued in the demand's community, redemptions (and
    their reversals) as redeemed in the shop's."""
    if kind is PostingKind.AWARD and demand_id is not None:
        demand = session.get(Demand, demand_id)
        if demand is not None:
            bump(session, demand.community_id, "issued", sum(m.amount for m in moves if m.amount > 0), at)
    elif kind in (PostingKind.REDEEM, PostingKind.REVERSAL):
        for move in moves:
            if move.account.kind is AccountKind.SHOP and move.account.community_id is not None:
                bump(session, move.account.community_id, "redeemed", move.amount, at)


def totals(session: Session, communities: list[int], since: datetime | None = None,
           until: datetime | None = None) -> dict[str, int]:
    """Sum of each tally over the communities and the local days of [since, until)."""
    clauses: list[ColumnElement[bool]] = [Tally.community_id.in_(communities)]
    if since is not None:
        clauses.append(Tally.day >= local_day(since))
    if until is not None:
        clauses.append(Tally.day < local_day(until))
    rows = session.execute(select(Tally.key, func.sum(Tally.value)).where(*clauses).group_by(Tally.key))
    return {key: int(value or 0) for key, value in rows}


# ---- recount from the sources ------------------------------------------------------------

def _day(session: Session, column):
    """The local day of a stored UTC time, in SQL (PostgreSQL knows the zone; SQLite gets its
    constant offset, see schemas.clock)."""
    # Constants written into the SQL, not bound: PostgreSQL matches a GROUP BY expression to
    # the selected one only when they are the same text.
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(literal_column(f"'{LOCAL_ZONE}'"), column))
    return func.date(column, literal_column(f"'+{LOCAL_OFFSET_HOURS} hours'"))


def _recount_queries(session: Session):
    day = _day
    yield (select(Demand.community_id, day(session, Demand.state_since), literal("done:") + Demand.workflow_id,
                  func.count())
           .where(Demand.state == "done", Demand.workflow_id.in_(DONE))
           .group_by(Demand.community_id, day(session, Demand.state_since), Demand.workflow_id))
    yield (select(Demand.community_id, day(session, Demand.state_since), literal("participants"), func.count())
           .join(Claim, Claim.demand_id == Demand.id)
           .where(Demand.state == "done", Demand.workflow_id == PARTICIPANTS_OF, Claim.user_id.is_not(None))
           .group_by(Demand.community_id, day(session, Demand.state_since)))
    yield (select(Demand.community_id, day(session, Claim.created_at), literal("claims:") + Demand.workflow_id,
                  func.count())
           .join(Claim, Claim.demand_id == Demand.id).where(Demand.workflow_id.in_(TRACKED_CLAIMS))
           .group_by(Demand.community_id, day(session, Claim.created_at), Demand.workflow_id))
    yield (select(Demand.community_id, day(session, Entry.created_at), literal("issued"), func.sum(Entry.amount))
           .select_from(Entry).join(Posting, Posting.id == Entry.posting_id).join(Demand, Demand.id == Posting.demand_id)
           .where(Posting.kind == PostingKind.AWARD, Entry.amount > 0)
           .group_by(Demand.community_id, day(session, Entry.created_at)))
    yield (select(Account.community_id, day(session, Entry.created_at), literal("redeemed"), func.sum(Entry.amount))
           .select_from(Entry).join(Posting, Posting.id == Entry.posting_id).join(Account, Account.id == Entry.account_id)
           .where(and_(Account.kind == AccountKind.SHOP, Account.community_id.is_not(None),
                       Posting.kind.in_([PostingKind.REDEEM, PostingKind.REVERSAL])))
           .group_by(Account.community_id, day(session, Entry.created_at)))


def recount(session: Session) -> dict[tuple[int, date, str], int]:
    """Every tally computed from the sources (slow on big data: for checks and rebuilds)."""
    result: dict[tuple[int, date, str], int] = defaultdict(int)
    for query in _recount_queries(session):
        for community_id, day, key, value in session.execute(query):
            if value:
                day = date.fromisoformat(day) if isinstance(day, str) else day
                result[(community_id, day, key)] += int(value)
    return dict(result)


def stored(session: Session) -> dict[tuple[int, date, str], int]:
    return {(c, d, k): int(v) for c, d, k, v in session.execute(
        select(Tally.community_id, Tally.day, Tally.key, Tally.value)) if v}


def check(session: Session) -> list[str]:
    """Tallies that differ from the recount, as sentences (empty when all agree)."""
    have, want = stored(session), recount(session)
    return [f"tally {key} is {have.get(key, 0)}, the sources say {want.get(key, 0)}"
            for key in sorted(set(have) | set(want), key=str) if have.get(key, 0) != want.get(key, 0)]


def rebuild(session: Session) -> int:
    """Replace every tally with the recount, in SQL (no rows through Python); returns the
    number of tallies. Runs in the caller's transaction."""
    session.execute(delete(Tally))
    for query in _recount_queries(session):
        session.execute(insert(Tally).from_select(["community_id", "day", "key", "value"], query))
    session.execute(delete(Tally).where(Tally.value == 0))
    return int(session.scalar(select(func.count()).select_from(Tally)) or 0)
