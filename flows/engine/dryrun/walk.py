"""Walking a sample demand through the engine: each step taken by the sandbox party that
holds exactly the role and relation the step names (the requester, the claimant, a member,
the organisation's admin, an admin of the right level)."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from flows import engine
from flows.core.i18n import Message
from flows.core.refusals import Refused
from flows.engine.dryrun.samples import sample
from flows.engine.dryrun.sandbox import PARTIES, Sandbox
from flows.workflow.compiled import CompiledWorkflow
from schemas.tables import Demand
from schemas.workflow import HumanStep, StartStep

# Steps done beside the path, in the state they start from, so that what follows has what it
# needs: a claim or a sign-up, a sign-in before a sign-out, hours for the award.
_ALONGSIDE = ("sign_in", "sign_out", "service")
_ROLE_PARTY = {"resident": "resident", "org_admin": "org_admin", "community_admin": "community_admin",
               "district_admin": "district_admin", "city_admin": "city_admin"}


@dataclass
class DryStep:
    """One step of the walk: who took it, from and to which state, or why it was refused."""

    step: str
    title: str
    actor: str
    from_state: str | None
    to_state: str | None
    ok: bool
    refusal: Message | None = None
    fields: dict[str, Message] = field(default_factory=dict)

    def message(self, locale: str | None = None) -> str:
        if self.refusal is None:
            return ""
        details = "；".join(f"{k}: {v.render(locale)}" for k, v in self.fields.items())
        return self.refusal.render(locale) + (f"（{details}）" if details else "")


class SampleDemand:
    """One sample demand and who holds what on it."""

    def __init__(self, box: Sandbox, workflow: CompiledWorkflow, when: datetime):
        self.box, self.workflow, self.when = box, workflow, when
        self.demand_id: int | None = None
        self.state = ""
        self.requester = ""
        self.claimants: list[str] = []
        self.done: set[str] = set()

    # -- who ------------------------------------------------------------------------------
    def party_for(self, step: StartStep | HumanStep) -> str:
        party = self._party(step)
        if isinstance(step, HumanStep) and "not_requester" in step.guards and party == self.requester:
            return f"{party}2" if f"{party}2" in PARTIES else party
        return party

    def _party(self, step: StartStep | HumanStep) -> str:
        by = step.by
        if by.relation == "requester":
            return self.requester
        if by.relation == "claimant":
            # a participant's record is a member's (the organisation that grabbed it is a
            # claimant too, but it does not sign in); anything else: the first claimant
            members = [p for p in self.claimants if p != "org_admin"]
            wants_member = isinstance(step, HumanStep) and step.record in _ALONGSIDE + ("withdraw",)
            return (members if wants_member and members else self.claimants or ["member"])[0]
        if by.role in _ROLE_PARTY:
            return _ROLE_PARTY[by.role]
        if by.relation == "holder":  # the sample organisation when it holds the demand, else the community
            return "org_admin" if self._held_by_org() else "community_admin"
        if by.relation == "registered_org":
            return "org_admin"
        return self._member(step)

    def _held_by_org(self) -> bool:
        from schemas.tables import Demand

        with self.box.factory() as s:
            demand = s.get(Demand, self.demand_id) if self.demand_id else None
            return demand is not None and demand.org_id is not None

    def _member(self, step: StartStep | HumanStep) -> str:
        """A member who may take it: not the requester when a guard says so, not one who has
        already claimed when the step claims again."""
        avoid = set(self.claimants) if isinstance(step, HumanStep) and step.claim else set()
        if isinstance(step, HumanStep) and "not_requester" in step.guards:
            avoid.add(self.requester)
        return next((p for p in ("member", "member2") if p not in avoid), "member")

    # -- doing ----------------------------------------------------------------------------
    def start(self) -> DryStep:
        name, spec = next(iter(self.workflow.start_steps().items()))
        party = self.party_for(spec)
        with self.box.factory() as s:
            slot = self.box.new_slot(s, self.when) if spec.record == "booking" else None
            resource = self.box.new_resource(s) if spec.record == "resource_booking" else None
            s.commit()
            data = sample(spec.form, self.box.user("member"), self.when)
            if resource is not None:
                data.pop("for_demand", None)  # the sandbox has no activity to book it for
            try:
                done = engine.start(s, self.box.user(party), self.box.ids["task_type"], data,
                                    community_id=self.box.ids["community"], slot_id=slot, now=self.when, auto=True,
                                    resource_id=resource)
            except Refused as exc:
                return _refused(name, spec.title, party, None, exc)
            except Exception as exc:  # the sandbox's answer to any text: a failed step, never a 500
                return _crashed(name, spec.title, party, None, exc)
        self.demand_id, self.state, self.requester = done.demand_id, done.to_state, party
        return DryStep(name, spec.title, party, None, done.to_state, True)

    def take(self, name: str) -> DryStep:
        spec = self.workflow.step(name)
        assert isinstance(spec, HumanStep) and self.demand_id is not None
        party = self.party_for(spec)
        # a sign-out two hours after the sign-in, so that hours are counted
        when = self.when + timedelta(hours=2) if spec.record == "sign_out" else self.when
        with self.box.factory() as s:
            starts = s.scalar(select(Demand.starts_at).where(Demand.id == self.demand_id))
            if "after_start" in spec.guards and starts is not None:
                # the sample's clock moves on to its start (a booked slot is days away), as time would
                when = max(when, starts if starts.tzinfo else starts.replace(tzinfo=UTC))
            try:
                done = engine.act(s, self.box.user(party), self.demand_id, name,
                                  sample(spec.form, self.box.user("member"), self.when), now=when, auto=True,
                                  present=True)  # the dry run's people are where the steps happen
            except Refused as exc:
                return _refused(name, spec.title, party, self.state, exc)
            except Exception as exc:
                return _crashed(name, spec.title, party, self.state, exc)
        if spec.claim:
            self.claimants.append("org_admin" if spec.claim.holder == "org" else party)
        if spec.record == "assign":
            self.claimants.append("member")  # the sample assignee
        self.done.add(name)
        self.state = done.to_state
        return DryStep(name, spec.title, party, done.from_state, done.to_state, True)

    def alongside(self, skip: str | None = None) -> list[DryStep]:
        """The claims and records due in the current state before moving on (each once)."""
        taken = []
        for name, spec in self.workflow.human_steps_from(self.state).items():
            stays = spec.to is None or spec.to == self.state
            if name == skip or name in self.done or not stays:
                continue
            if spec.claim or spec.record in _ALONGSIDE:
                step = self.take(name)
                taken.append(step)
                if not step.ok:
                    break
        return taken

    def path_to(self, targets: set[str]) -> list[str]:
        """Moving steps along a shortest path to one of `targets`, avoiding endings that mean
        cancelled or rejected when another way exists."""
        unhappy = {s for s in self.workflow.spec.states if self.workflow.outcome(s) not in (None, "done")} - targets
        for avoid in (unhappy, set()):
            queue: deque[tuple[str, list[str]]] = deque([(self.state, [])])
            seen = {self.state}
            while queue:
                state, path = queue.popleft()
                if state in targets:
                    return path
                auto = self.workflow.auto_step_from(state)
                moves = [(auto[0], auto[1].to)] if auto else []
                moves += [(n, s.to) for n, s in self.workflow.human_steps_from(state).items() if s.to and s.to != state]
                for name, target in moves:
                    if target not in seen and target not in avoid:
                        seen.add(target)
                        queue.append((target, path + [name]))
        return []


def _refused(name: str, title: str, party: str, state: str | None, exc: Refused) -> DryStep:
    return DryStep(name, title, party, state, None, False, Message(exc.code, exc.params), dict(exc.field_messages))


def _crashed(name: str, title: str, party: str, state: str | None, exc: Exception) -> DryStep:
    detail = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
    return DryStep(name, title, party, state, None, False, Message("dry.crashed", {"detail": detail}))
