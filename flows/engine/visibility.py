"""Who may see a demand, and which steps they may take on it now.

Visibility is decided here per object, so a URL typed by hand gets the same answer as a
link. Which states are private is read from the workflow, never listed in code: a demand is
private (its requester, the admins and the people already involved) until it reaches a state
in which someone else may act — a claim step, a member, a resident, a registered
organisation. From then on it is visible to the people of its community, the organisations
reported in to it, and whoever took part in it.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, contains_eager

from flows.engine import times
from flows.engine.claims import active_claims, is_claimant, own_place_held
from flows.engine.permissions import Refusal, check_actor, check_guards
from flows.people.actors import ADMIN_ROLES, ActorContext
from flows.people.regions import region_ids_of
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from schemas.clock import utcnow
from schemas.tables import Claim, ClaimStatus, Demand, Event, Region, ServiceRecord
from schemas.workflow import TIME_GUARDS, AutoStep, HumanStep, StartStep

_ADMIN_ROLE_NAMES = frozenset(r.value for r in ADMIN_ROLES)
# People who are already part of the demand: acting as them does not open it to anyone new
# (the holder: the admins of what a request asks for; a request for a room is between who asks
# and who lends, not for the neighbours to read).
_INVOLVED = frozenset({"requester", "claimant", "holder"})


@dataclass(frozen=True)
class Privacy:
    """A workflow's states by who may see a demand in them.

    `opening`: someone beyond the admins and the people involved may act here;
    `public`: reached only through an opening state; `private`: reached only without one;
    `either`: reached both ways (a cancelled wish), so the demand's own history decides.
    """

    opening: frozenset[str]
    public: frozenset[str]
    private: frozenset[str]
    either: frozenset[str]


def opens_to_others(step: HumanStep) -> bool:
    """A claim step, or a step whose actor is neither an admin nor someone already involved."""
    if step.claim is not None:
        return True
    return step.by.role not in _ADMIN_ROLE_NAMES and step.by.relation not in _INVOLVED


_privacy: dict[str, Privacy] = {}  # by content hash: compiled workflows never change


def privacy(workflow: CompiledWorkflow) -> Privacy:
    """The workflow's states sorted by visibility (computed once per workflow version)."""
    cached = _privacy.get(workflow.content_hash)
    if cached is not None:
        return cached
    steps = workflow.spec.steps.values()
    edges: dict[str, set[str]] = {state: set() for state in workflow.spec.states}
    for step in steps:
        if isinstance(step, (HumanStep, AutoStep)) and step.to is not None:
            for source in step.sources:
                edges.setdefault(source, set()).add(step.to)
    opening = {state for state in workflow.spec.states
               if any(opens_to_others(s) for s in workflow.human_steps_from(state).values())}
    after_opening = _reach(opening, edges, stop=frozenset())
    starts = {s.to for s in steps if isinstance(s, StartStep)}
    before_opening = _reach(starts - opening, edges, stop=frozenset(opening))
    result = Privacy(
        opening=frozenset(opening),
        public=frozenset(after_opening - before_opening),
        private=frozenset(set(workflow.spec.states) - after_opening),
        either=frozenset(after_opening & before_opening),
    )
    return _privacy.setdefault(workflow.content_hash, result)


def _reach(roots: set[str], edges: dict[str, set[str]], stop: frozenset[str]) -> set[str]:
    """States reachable from `roots` without entering a state in `stop`."""
    seen, queue = set(roots), deque(roots)
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen and nxt not in stop:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def is_private(session: Session, workflow: CompiledWorkflow, demand: Demand) -> bool:
    """Whether the demand is still private: by its state, or by its history when its state is
    reached both ways (was it ever in a state open to others?)."""
    states = privacy(workflow)
    if demand.state in states.public:
        return False
    if demand.state in states.either:
        return not session.scalar(select(exists().where(Event.demand_id == demand.id,
                                                        Event.to_state.in_(sorted(states.opening)))))
    return True


def can_see(session: Session, actor: ActorContext, demand: Demand) -> bool:
    """Whether `actor` may see `demand` at all (cheapest answers first: this is on every page)."""
    if demand.requester_id == actor.user_id:
        return True
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    private = is_private(session, workflow, demand)
    if not private and (demand.community_id in actor.registered_communities
                        or (demand.org_id is not None and actor.member_org_id == demand.org_id)):
        return True
    community = session.get_one(Region, demand.community_id)
    if actor.in_scope("community_admin", community.path):
        return True
    if (demand.org_id and demand.org_id in actor.org_admin_of) or took_part(session, actor, demand):
        return True
    if private:
        return False
    return demand.community_id in region_ids_of(session, actor) or held_a_place(session, actor, demand)


def held_a_place(session: Session, actor: ActorContext, demand: Demand) -> bool:
    """The actor once held a place on the (public) demand, withdrawn since: one whose place went
    when their organisation gave the activity up is told so, and the message's link must open."""
    return actor.user_id is not None and bool(session.scalar(select(exists().where(
        Claim.demand_id == demand.id, Claim.user_id == actor.user_id))))


def took_part(session: Session, actor: ActorContext, demand: Demand) -> bool:
    """The actor holds, or held until the demand ended, a claim on it (a withdrawn one does not count)."""
    claims = session.scalars(select(Claim).where(Claim.demand_id == demand.id,
                                                 Claim.status.in_([ClaimStatus.ACTIVE, ClaimStatus.DONE]))).all()
    return is_claimant(actor, list(claims))


def visible_demand(session: Session, actor: ActorContext, demand_id: int) -> Demand | None:
    """The demand if the actor may see it; None otherwise (the page then says 'not found')."""
    # The community comes in the same statement: every check after this one needs its path.
    demand = session.scalar(_DEMAND_WITH_COMMUNITY, {"demand_id": demand_id})
    return demand if demand is not None and can_see(session, actor, demand) else None


_DEMAND_WITH_COMMUNITY = (select(Demand).join(Demand.community).options(contains_eager(Demand.community))
                          .where(Demand.id == bindparam("demand_id")))


def available_steps(session: Session, actor: ActorContext, demand: Demand,
                    now: datetime | None = None) -> list[tuple[str, HumanStep]]:
    """Human steps the actor may start now (the other guards are checked again on submit; a
    step whose time guards fail now, or a claim on a demand that is over, is not offered)."""
    return steps_now_and_later(session, actor, demand, now)[0]


def steps_now_and_later(session: Session, actor: ActorContext, demand: Demand, now: datetime | None = None
                        ) -> tuple[list[tuple[str, HumanStep]], list[tuple[str, HumanStep, Refusal]]]:
    """The steps the actor may start now, and those that are theirs but not yet (or no longer)
    by the clock, each with its time guard's refusal: 结束活动 before the activity has started
    says when it can be done, instead of a page with no button and no reason."""
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    community = session.get_one(Region, demand.community_id)
    claims = active_claims(session, demand.id)
    now = now or utcnow()
    steps, later = [], []
    for name, step in workflow.human_steps_from(demand.state).items():
        if check_actor(actor, step.by, community_id=demand.community_id, community_path=community.path,
                       demand=demand, claims=claims) is None:
            if step.claim and step.claim.holder == "member" and any(c.user_id == actor.user_id for c in claims):
                continue
            if not own_place_held(step.record, actor, claims):
                continue  # 取消报名, 签到 for an organisation's admin who holds no place of their own
            if step.record in ("sign_in", "sign_out") and not _attendance_left(session, actor, claims, step.record):
                continue  # signed in already (or out): the page shows what is left, not a refusal to come
            if times.closed_to_claims(step, demand, now):
                continue  # over: nobody joins it any more
            timing = [g for g in step.guards if g in TIME_GUARDS]
            refusal = check_guards(session, actor, timing, demand, now=now, window=step.time_window) if timing else None
            if refusal is not None:
                later.append((name, step, refusal))
                continue
            steps.append((name, step))
    return steps, later


def _attendance_left(session: Session, actor: ActorContext, claims, record: str) -> bool:
    """Whether the actor's own place still waits for this attendance record: a sign-in once, a
    sign-out once (as the record's writer accepts them; attendance.open_for for the sheet)."""
    mine = next((c for c in claims if c.user_id is not None and c.user_id == actor.user_id), None)
    if mine is None:
        return True
    signed = session.execute(select(ServiceRecord.signed_in_at, ServiceRecord.signed_out_at)
                             .where(ServiceRecord.claim_id == mine.id)).first()
    if record == "sign_in":
        return signed is None or signed.signed_in_at is None
    # a sign-out after the sign-in (the writer refuses one before it: not_signed_in)
    return signed is not None and signed.signed_in_at is not None and signed.signed_out_at is None
