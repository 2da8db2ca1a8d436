"""Who may see a demand, and which steps they may take on it now.

Visibility is decided here per object, so a URL typed by hand gets the same answer as a
link: a demand awaiting an admin's first action is private to its requester and the admins;
otherwise it is visible to the people of its community, the organisations reported in to it,
and whoever holds a claim on it.
"""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, contains_eager

from flows.engine.claims import active_claims, is_claimant
from flows.engine.permissions import check_actor
from flows.people.actors import ActorContext
from flows.people.regions import region_ids_of
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from schemas.tables import Demand, Region
from schemas.workflow import HumanStep, StartStep


def is_private(workflow: CompiledWorkflow, state: str) -> bool:
    """A demand waits for an admin's first look (review, draft, a fresh booking)."""
    entered = {s.to for s in workflow.spec.steps.values() if isinstance(s, StartStep)}
    return state in entered and any(s.by.role == "community_admin" for s in workflow.human_steps_from(state).values())


def can_see(session: Session, actor: ActorContext, demand: Demand) -> bool:
    """Whether `actor` may see `demand` at all (cheapest answers first: this is on every page)."""
    if demand.requester_id == actor.user_id:
        return True
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    private = is_private(workflow, demand.state)
    if not private and (demand.community_id in actor.registered_communities
                        or (demand.org_id is not None and actor.member_org_id == demand.org_id)):
        return True
    community = session.get_one(Region, demand.community_id)
    if actor.in_scope("community_admin", community.path):
        return True
    claims = active_claims(session, demand.id)
    if is_claimant(actor, claims) or (demand.org_id and demand.org_id in actor.org_admin_of):
        return True
    if private:
        return False
    return demand.community_id in region_ids_of(session, actor)


def visible_demand(session: Session, actor: ActorContext, demand_id: int) -> Demand | None:
    """The demand if the actor may see it; None otherwise (the page then says 'not found')."""
    # The community comes in the same statement: every check after this one needs its path.
    demand = session.scalar(_DEMAND_WITH_COMMUNITY, {"demand_id": demand_id})
    return demand if demand is not None and can_see(session, actor, demand) else None


_DEMAND_WITH_COMMUNITY = (select(Demand).join(Demand.community).options(contains_eager(Demand.community))
                          .where(Demand.id == bindparam("demand_id")))


def available_steps(session: Session, actor: ActorContext, demand: Demand) -> list[tuple[str, HumanStep]]:
    """Human steps the actor may start now (guards are checked again on submit)."""
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    community = session.get_one(Region, demand.community_id)
    claims = active_claims(session, demand.id)
    steps = []
    for name, step in workflow.human_steps_from(demand.state).items():
        if check_actor(actor, step.by, community_id=demand.community_id, community_path=community.path,
                       demand=demand, claims=claims) is None:
            if step.claim and step.claim.holder == "member" and any(c.user_id == actor.user_id for c in claims):
                continue
            steps.append((name, step))
    return steps
