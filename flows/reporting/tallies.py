"""Running totals for the dashboard, per community and local (Beijing) day.

Counting them from the sources on every dashboard view took 13 s with a million demands and
ten million ledger entries (bench/scale.py). So the transaction that changes what a figure
counts also adds to its tally: the engine when a demand reaches a successful ending, when a
claim is made or withdrawn, the ledger when an award or a redemption is posted.

Figures are keyed by the workflow's `category` (micro_wish, activity, volunteer, appointment,
urgent), never by workflow ids, so a district's own workflow is counted with the others; and
"done" is the workflow's own word (a terminal state whose `outcome` is done), never the literal
state name. `recount` computes the same figures from the sources, given what each published
workflow version means (`WorkflowFacts`, supplied by the caller: this room sits below the
workflow compiler); `check` compares the two and `rebuild` replaces the tallies with the recount.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, delete, func, insert, literal_column, select
from sqlalchemy.orm import Session

from flows.core.sql import upsert
from schemas.clock import LOCAL_OFFSET_HOURS, LOCAL_ZONE, local_day, utcnow
from schemas.tables import Account, AccountKind, Claim, ClaimStatus, Demand, Entry, Posting, PostingKind, Tally

TRACKED_CLAIMS = frozenset({"volunteer"})  # categories whose claims are a figure (志愿服务)
PARTICIPANTS_OF = frozenset({"activity"})  # categories whose done demands count their participants


@dataclass(frozen=True)
class WorkflowFacts:
    """What a published workflow version means to the figures: its category and the states
    that are a successful ending."""

    category: str
    done_states: frozenset[str]
    figure: str | None = None  # what its done demands count as, when not its category (资源共享)


def bump(session: Session, community_id: int, key: str, amount: int, at: datetime | None = None) -> None:
    """Add `amount` to a tally in the caller's transaction (an upsert: first of the day or not)."""
    if not amount:
        return
    upsert(session, Tally, {"community_id": community_id, "day": local_day(at or utcnow()), "key": key, "value": amount},
           on=["community_id", "day", "key"], add=["value"])


def demand_done(session: Session, demand: Demand, category: str, at: datetime) -> None:
    """A demand reached a successful ending: count it, and an activity's participants (the
    members whose sign-up still stands: a withdrawn sign-up is not a participant)."""
    bump(session, demand.community_id, f"done:{category}", 1, at)
    if category in PARTICIPANTS_OF:
        taken = session.scalar(select(func.count()).select_from(Claim).where(
            Claim.demand_id == demand.id, Claim.user_id.is_not(None), Claim.status != ClaimStatus.WITHDRAWN))
        bump(session, demand.community_id, "participants", int(taken or 0), at)


def claim_made(session: Session, demand: Demand, category: str, at: datetime) -> None:
    """A new claim (a claim step or an assignment): counted on the day it was made."""
    if category in TRACKED_CLAIMS:
        bump(session, demand.community_id, f"claims:{category}", 1, at)


def claims_withdrawn(session: Session, demand: Demand, category: str, claim_ids: Iterable[int]) -> None:
    """Claims withdrawn (by their holder, or released by an admin): each is taken off the day it
    was counted on, so the figure is what a recount of the standing claims says."""
    ids = list(claim_ids)
    if category not in TRACKED_CLAIMS or not ids:
        return
    for created_at in session.scalars(select(Claim.created_at).where(Claim.id.in_(ids))):
        bump(session, demand.community_id, f"claims:{category}", -1, created_at)


def posted(session: Session, kind: PostingKind, demand_id: int | None, moves: Iterable, at: datetime) -> None:
    """A new posting: awards count as issued in the demand's community, redemptions (and
    their reversals) as redeemed in the shop's."""
    if kind is PostingKind.AWARD and demand_id is not None:
        community_id = session.scalar(select(Demand.community_id).where(Demand.id == demand_id))
        if community_id is not None:
            bump(session, community_id, "issued", sum(m.amount for m in moves if m.amount > 0), at)
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

Key = tuple[int, date, str]


def _day(session: Session, column):
    """The local day of a stored UTC time, in SQL (PostgreSQL knows the zone; SQLite gets its
    constant offset, see schemas.clock)."""
    # Constants written into the SQL, not bound: PostgreSQL matches a GROUP BY expression to
    # the selected one only when they are the same text.
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(literal_column(f"'{LOCAL_ZONE}'"), column))
    return func.date(column, literal_column(f"'+{LOCAL_OFFSET_HOURS} hours'"))


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _demand_figures(session: Session, workflows: Mapping[str, WorkflowFacts], result: dict[Key, int]) -> None:
    """Done demands per category, and the standing participants of done activities, grouped in
    SQL by (community, day, version hash, state) and named here from the workflows' facts."""
    day = _day(session, Demand.state_since)
    done = select(Demand.community_id, day, Demand.workflow_hash, Demand.state, func.count()).group_by(
        Demand.community_id, day, Demand.workflow_hash, Demand.state)
    for community_id, when, content_hash, state, n in session.execute(done):
        facts = workflows.get(content_hash)
        if facts is not None and state in facts.done_states:
            result[(community_id, _as_date(when), f"done:{facts.figure or facts.category}")] += int(n)
    people = (select(Demand.community_id, day, Demand.workflow_hash, Demand.state, func.count())
              .join(Claim, Claim.demand_id == Demand.id)
              .where(Claim.user_id.is_not(None), Claim.status != ClaimStatus.WITHDRAWN)
              .group_by(Demand.community_id, day, Demand.workflow_hash, Demand.state))
    for community_id, when, content_hash, state, n in session.execute(people):
        facts = workflows.get(content_hash)
        if facts is not None and facts.category in PARTICIPANTS_OF and state in facts.done_states:
            result[(community_id, _as_date(when), "participants")] += int(n)
    claimed = _day(session, Claim.created_at)
    claims = (select(Demand.community_id, claimed, Demand.workflow_hash, func.count())
              .join(Claim, Claim.demand_id == Demand.id).where(Claim.status != ClaimStatus.WITHDRAWN)
              .group_by(Demand.community_id, claimed, Demand.workflow_hash))
    for community_id, when, content_hash, n in session.execute(claims):
        facts = workflows.get(content_hash)
        if facts is not None and facts.category in TRACKED_CLAIMS:
            result[(community_id, _as_date(when), f"claims:{facts.category}")] += int(n)


def _points_queries(session: Session):
    day = _day
    yield (select(Demand.community_id, day(session, Entry.created_at), func.sum(Entry.amount))
           .select_from(Entry).join(Posting, Posting.id == Entry.posting_id).join(Demand, Demand.id == Posting.demand_id)
           .where(Posting.kind == PostingKind.AWARD, Entry.amount > 0)
           .group_by(Demand.community_id, day(session, Entry.created_at))), "issued"
    yield (select(Account.community_id, day(session, Entry.created_at), func.sum(Entry.amount))
           .select_from(Entry).join(Posting, Posting.id == Entry.posting_id).join(Account, Account.id == Entry.account_id)
           .where(Account.kind == AccountKind.SHOP, Account.community_id.is_not(None),
                  Posting.kind.in_([PostingKind.REDEEM, PostingKind.REVERSAL]))
           .group_by(Account.community_id, day(session, Entry.created_at))), "redeemed"


def recount(session: Session, workflows: Mapping[str, WorkflowFacts] | None = None) -> dict[Key, int]:
    """Every tally computed from the sources (slow on big data: for checks and rebuilds).

    `workflows` maps each published version's content hash to its facts; without it only the
    points figures can be recounted (the demand figures need to know what the workflows mean).
    """
    result: dict[Key, int] = defaultdict(int)
    if workflows:
        _demand_figures(session, workflows, result)
    for query, key in _points_queries(session):
        for community_id, when, value in session.execute(query):
            if value:
                result[(community_id, _as_date(when), key)] += int(value)
    return {k: v for k, v in result.items() if v}


def stored(session: Session) -> dict[Key, int]:
    return {(c, d, k): int(v) for c, d, k, v in session.execute(
        select(Tally.community_id, Tally.day, Tally.key, Tally.value)) if v}


def check(session: Session, workflows: Mapping[str, WorkflowFacts] | None = None) -> list[str]:
    """Tallies that differ from the recount, as sentences (empty when all agree)."""
    have, want = stored(session), recount(session, workflows)
    if not workflows:  # nothing to say about the demand figures without the workflows' facts
        have = {k: v for k, v in have.items() if k[2] in ("issued", "redeemed")}
    return [f"tally {key} is {have.get(key, 0)}, the sources say {want.get(key, 0)}"
            for key in sorted(set(have) | set(want), key=str) if have.get(key, 0) != want.get(key, 0)]


def rebuild(session: Session, workflows: Mapping[str, WorkflowFacts] | None = None) -> int:
    """Replace every tally with the recount; returns the number of tallies. Runs in the
    caller's transaction. Without `workflows` the demand figures are left as they are."""
    counted = recount(session, workflows)
    if workflows:
        session.execute(delete(Tally))
    else:
        session.execute(delete(Tally).where(Tally.key.in_(["issued", "redeemed"])))
    rows = [{"community_id": c, "day": d, "key": k, "value": v} for (c, d, k), v in counted.items()]
    for start in range(0, len(rows), 5000):
        session.execute(insert(Tally), rows[start:start + 5000])
    return int(session.scalar(select(func.count()).select_from(Tally)) or 0)
