"""Who holds a waiting step, who an overdue step is escalated to, and what is escalated to whom.

A step's holders are read from the workflow: its `by:` names a role and a relation (the
requester, the claimant, the claiming organisation, the admins of the community, the
district or the city). When the step waits past its SLA it is escalated, once per stay of
the demand in the step's state (`escalations` rows), to its holders and to the level above
them: a member's or resident's step to the community's admins, a community admin's to the
district's, a district admin's to the city's. Until notifications exist (#17) the people
escalated to see it in their work queues, which read `escalated_to(session, actor)`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from flows.core.i18n import N_, translate
from flows.engine.claims import active_claims
from flows.people.actors import ActorContext
from flows.people.regions import city_id, district_id
from flows.workflow.compiled import CompiledWorkflow
from schemas.tables import Claim, ClaimStatus, Demand, Escalation, Member, Organisation, Region, Role, User
from schemas.workflow import HumanStep

Target = dict[str, Any]  # {"role": "community_admin", "region_id": 7} | {"user_id": 42} | {"org_id": 3, "role": "org_admin"}

# A holder's role, said to people (console, queue) and to Prefect (no names there)
ROLE_TITLES = {
    "requester": N_("发布人"), "claimant": N_("认领人"), "org": N_("抢单的党组织"), "member": N_("党员"),
    "resident": N_("居民"), "org_admin": N_("党组织管理员"), "community_admin": N_("社区管理员"),
    "district_admin": N_("区县管理员"), "city_admin": N_("市级管理员"),
}
# who sees to it when a holder at this level lets a step wait
_ABOVE = {"community_admin": "district_admin", "district_admin": "city_admin"}


@dataclass(frozen=True)
class Holder:
    """Who a step waits for: a role, where (a community, an organisation), and for the console
    the person's name (None in what goes to Prefect, which has no log-in of its own)."""

    role: str
    where: str
    person: str | None = None

    def label(self, with_names: bool = False, locale: str | None = None) -> str:
        """`认领人 · 财政局党支部`, or with the person's name for those who may see it."""
        title = translate(ROLE_TITLES.get(self.role, self.role), locale)
        who = f"{title}（{self.person}）" if with_names and self.person else title
        return f"{who} · {self.where}" if self.where else who


def _regions(session: Session, demand: Demand) -> tuple[Region | None, int | None, int | None]:
    community = session.get(Region, demand.community_id)
    if community is None:
        return None, None, None
    return community, district_id(community.path), city_id(community.path)


def holders_of(session: Session, workflow: CompiledWorkflow, demand: Demand, step: str) -> tuple[list[Holder],
                                                                                                 list[Target]]:
    """Who may take `step` on `demand` now (as people read it) and as escalation targets."""
    spec = workflow.step(step)
    if not isinstance(spec, HumanStep):
        return [], []
    community, district, city = _regions(session, demand)
    where = community.name if community else ""
    role, relation = spec.by.role, spec.by.relation
    if relation == "requester" and demand.requester_id:
        user = session.get(User, demand.requester_id)
        return ([Holder("requester", where, user.display_name if user else None)],
                [{"user_id": demand.requester_id}])
    if relation == "claimant":
        holders: list[Holder] = []
        targets: list[Target] = []
        for claim in active_claims(session, demand.id):
            if claim.user_id is not None:
                user = session.get(User, claim.user_id)
                member = session.get(Member, claim.user_id)
                org = _org_name(session, member.org_id if member else None) or where
                holders.append(Holder("claimant", org, user.display_name if user else None))
                targets.append({"user_id": claim.user_id})
            elif claim.org_id is not None:
                holders.append(Holder("org", _org_name(session, claim.org_id) or ""))
                targets.append({"org_id": claim.org_id, "role": "org_admin"})
        return holders, targets
    if relation == "holder":
        if demand.org_id is not None:
            return [Holder("org_admin", _org_name(session, demand.org_id) or "")], [{"org_id": demand.org_id,
                                                                                     "role": "org_admin"}]
        return [Holder("community_admin", where)], [{"role": "community_admin", "region_id": demand.community_id}]
    if relation == "claiming_org" and demand.org_id is not None:
        holder_role = "org_admin" if role == "org_admin" else "member"
        return [Holder(holder_role, _org_name(session, demand.org_id) or "")], [{"org_id": demand.org_id,
                                                                                  "role": holder_role}]
    if role in ("community_admin", "district_admin", "city_admin"):
        region = {"community_admin": demand.community_id, "district_admin": district, "city_admin": city}[role]
        name = where if role == "community_admin" else (_region_name(session, region) or "")
        return [Holder(role, name)], [{"role": role, "region_id": region}]
    # anyone of a role may take it (a member's claim, an organisation's grab): it waits for
    # someone to come forward, and the community sees to that
    return [Holder(role or "member", where)], []


def escalation_targets(session: Session, workflow: CompiledWorkflow, demand: Demand, step: str) -> list[Target]:
    """The step's holders and the admins of the level above them."""
    spec = workflow.step(step)
    _, targets = holders_of(session, workflow, demand, step)
    _, district, city = _regions(session, demand)
    role = spec.by.role if isinstance(spec, HumanStep) else None
    if isinstance(spec, HumanStep) and spec.by.relation == "holder":  # the holder's own level
        role = "org_admin" if demand.org_id is not None else "community_admin"
    above = _ABOVE.get(role or "")
    if above is None and role not in ("district_admin", "city_admin"):
        above = "community_admin"
    if above == "community_admin":
        targets.append({"role": "community_admin", "region_id": demand.community_id})
    elif above == "district_admin" and district is not None:
        targets.append({"role": "district_admin", "region_id": district})
    elif above == "city_admin" and city is not None:
        targets.append({"role": "city_admin", "region_id": city})
    unique: list[Target] = []
    for target in targets:
        if target not in unique:
            unique.append(target)
    return unique


def describe(session: Session, targets: list[Target]) -> list[Holder]:
    """Escalation targets as people read them."""
    result = []
    for target in targets:
        if "user_id" in target:
            user = session.get(User, target["user_id"])
            result.append(Holder("member", "", user.display_name if user else None))
        elif "org_id" in target:
            result.append(Holder(target.get("role", "org_admin"), _org_name(session, target["org_id"]) or ""))
        else:
            result.append(Holder(target["role"], _region_name(session, target.get("region_id")) or ""))
    return result


def is_target(actor: ActorContext, target: Target, community_path: str) -> bool:
    """Whether an escalation to `target` reaches `actor` (higher admins see their communities')."""
    if "user_id" in target:
        return target["user_id"] == actor.user_id
    if "org_id" in target:
        if target.get("role") == "member":
            return actor.member_org_id == target["org_id"]
        return target["org_id"] in actor.org_admin_of
    role = target.get("role")
    if role == "community_admin":
        return actor.in_scope(Role.COMMUNITY_ADMIN, community_path)  # district and city admins too
    if role == "district_admin":
        return actor.in_scope(Role.DISTRICT_ADMIN, community_path) or actor.in_scope(Role.CITY_ADMIN, community_path)
    if role == "city_admin":
        return actor.in_scope(Role.CITY_ADMIN, community_path)
    return False


@dataclass(frozen=True)
class Overdue:
    """A step escalated during the demand's current stay: what a work queue shows."""

    demand_id: int
    step: str
    step_title: str
    due_at: datetime
    escalated_at: datetime
    escalated_to: list[Holder]


def current(session: Session, demand: Demand) -> list[Escalation]:
    """The escalations of the demand's current stay (none once it has moved on)."""
    return list(session.scalars(select(Escalation).where(
        Escalation.demand_id == demand.id, Escalation.state == demand.state,
        Escalation.entered_at == demand.state_since).order_by(Escalation.id)))


def escalated_to(session: Session, actor: ActorContext, *, limit: int = 100) -> list[Overdue]:
    """The overdue steps escalated to this person that still wait, newest first (their queue)."""
    from flows.workflow import registry

    stay = and_(Escalation.demand_id == Demand.id, Escalation.state == Demand.state,
                Escalation.entered_at == Demand.state_since)
    query = (select(Escalation, Demand, Region.path).join(Demand, stay).join(Region, Region.id == Demand.community_id)
             .order_by(Escalation.escalated_at.desc()))
    paths = actor.admin_paths()
    mine = [Demand.requester_id == actor.user_id,
            Demand.id.in_(select(Claim.demand_id).where(Claim.status == ClaimStatus.ACTIVE, or_(
                Claim.user_id == actor.user_id, Claim.org_id.in_(sorted(actor.org_admin_of)))))]
    if actor.member_org_id is not None:
        mine.append(Demand.org_id == actor.member_org_id)
    # admins: their regions' demands; anyone: the demands they asked for or hold
    query = query.where(or_(*[Region.path.startswith(p) for p in paths], *mine))
    result = []
    for escalation, demand, path in session.execute(query.limit(limit * 5)):
        if not any(is_target(actor, t, path) for t in escalation.targets or []):
            continue
        workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
        spec = workflow.step(escalation.step)
        result.append(Overdue(demand.id, escalation.step, spec.title if spec else escalation.step, escalation.due_at,
                              escalation.escalated_at, describe(session, escalation.targets or [])))
        if len(result) >= limit:
            break
    return result


def _org_name(session: Session, org_id: int | None) -> str | None:
    org = session.get(Organisation, org_id) if org_id else None
    return org.name if org else None


def _region_name(session: Session, region_id: int | None) -> str | None:
    region = session.get(Region, region_id) if region_id else None
    return region.name if region else None
