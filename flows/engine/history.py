"""A demand's timeline, and what a person asked for or took part in."""
from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from flows.workflow.compiled import CompiledWorkflow
from schemas.tables import Claim, ClaimStatus, Demand, Event, Organisation, Region, Role, RoleGrant, User
from schemas.workflow import HumanStep

STAFF = (Role.COMMUNITY_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN)


def timeline(session: Session, demand_id: int, workflow: CompiledWorkflow | None = None) -> list[dict[str, Any]]:
    """The demand's events with who did them, oldest first (`who` None: the system).
    `official`: the actor governs this demand's community (its community, district or city
    admin): their name (旭日社区书记) is the office's, shown to everyone, where a resident's or a
    member's is masked for strangers. An admin elsewhere acting here as a resident is not one.
    Given the `workflow`, a step an organisation takes as itself (一键抢单, 放弃抢单) names that
    organisation, for everyone: it acted, not the person who tapped for it. Each event names
    the organisation of its own claim: one that gave up and the one that grabbed after it are
    told apart."""
    rows: list[tuple[Event, str | None]] = [(event, name) for event, name in session.execute(
        select(Event, User.display_name).outerjoin(User, User.id == Event.actor_id)
        .where(Event.demand_id == demand_id).order_by(Event.id))]
    by_org = _org_events(session, workflow, [e for e, _ in rows])
    rows = [(e, by_org.get(e.id, name)) for e, name in rows]
    actors = {e.actor_id for e, _ in rows if e.actor_id is not None}
    officials: set[int] = set()
    if actors:
        community_path = session.scalar(select(Region.path).join(Demand, Demand.community_id == Region.id)
                                        .where(Demand.id == demand_id)) or ""
        grants = session.execute(select(RoleGrant.user_id, Region.path).join(Region, Region.id == RoleGrant.region_id)
                                 .where(RoleGrant.user_id.in_(actors), RoleGrant.role.in_(STAFF)))
        officials = {user_id for user_id, path in grants if path and community_path.startswith(path)}
    return [{"step": e.step, "from": e.from_state, "to": e.to_state, "at": e.at, "who": name,
             "actor_id": e.actor_id, "data": e.data, "official": e.actor_id in officials or e.id in by_org}
            for e, name in rows]


def _org_events(session: Session, workflow: CompiledWorkflow | None, events: list[Event]) -> dict[int, str]:
    """The organisation's name for each event an organisation took as itself: a claim by an
    organisation (its claim names it) and a giving up (its event does)."""
    if workflow is None:
        return {}
    steps = workflow.spec.steps
    claims: dict[int, int] = {}
    orgs: dict[int, int] = {}
    for e in events:
        spec = steps.get(e.step)
        if not isinstance(spec, HumanStep) or not isinstance(e.data, dict):
            continue
        if spec.claim is not None and spec.claim.holder == "org" and isinstance(e.data.get("claim_id"), int):
            claims[e.id] = e.data["claim_id"]
        elif spec.record == "give_up" and isinstance(e.data.get("org_id"), int):
            orgs[e.id] = e.data["org_id"]
    if claims:
        held = {claim: org for claim, org in session.execute(
            select(Claim.id, Claim.org_id).where(Claim.id.in_(set(claims.values())))) if org is not None}
        orgs.update({event: held[claim] for event, claim in claims.items() if claim in held})
    if not orgs:
        return {}
    names = dict(session.execute(select(Organisation.id, Organisation.name)
                                 .where(Organisation.id.in_(set(orgs.values())))).all())
    return {event: names[org] for event, org in orgs.items() if org in names}


def took_step(session: Session, demand_id: int, step: str, actor_id: int) -> bool:
    """Whether the last thing a person did on the demand was `actor_id` taking `step`: their step
    page reached again (the Back button after 撤回心愿) is answered as done, not as refused.
    (What the system did after it, an award say, does not count; what another person did does.)"""
    last = session.execute(select(Event.step, Event.actor_id).where(
        Event.demand_id == demand_id, Event.actor_id.is_not(None)).order_by(Event.id.desc()).limit(1)).first()
    return last is not None and tuple(last) == (step, actor_id)


def my_demands(session: Session, user_id: int, orgs: frozenset[int] | set[int] = frozenset()) -> list[Demand]:
    """What the user asked for or took part in, and what the organisations they administer
    (`orgs`) hold (an activity their organisation grabbed is theirs to run), newest first."""
    claimed = select(Claim.demand_id).where(Claim.user_id == user_id, Claim.status != ClaimStatus.WITHDRAWN)
    mine = [Demand.requester_id == user_id, Demand.id.in_(claimed)]
    if orgs:
        mine.append(Demand.org_id.in_(sorted(orgs)))
    return list(session.scalars(select(Demand).where(or_(*mine)).order_by(Demand.id.desc()).limit(200)))
