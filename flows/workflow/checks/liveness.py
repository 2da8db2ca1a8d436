"""Liveness: a workflow that validates can run. Every step can be taken by someone in some
situation the demand can really be in, every state a demand can reach has a way on that
someone (or the system) can take, and the system never loops on its own.

A *situation* is what exists on a demand besides its state, as far as who may act depends
on it: a claim (so there is a claimant), an organisation's claim (so there is a claiming
organisation), a sign-in (so a sign-out can follow). The situations each state can be in are
found by walking the workflow from its start step, taking only steps someone could take.
"""
from __future__ import annotations

from collections import deque
from functools import cached_property

from flows.workflow.checks.base import Checker
from schemas.workflow import AutoStep, HumanStep

CLAIM, ORG_CLAIM, SIGNED_IN = "claim", "org_claim", "signed_in"
Situation = frozenset[str]
Step = HumanStep | AutoStep

# Records that act on the actor's own claim (flows/engine/records.own_claim).
_ON_OWN_CLAIM = ("service", "sign_in", "sign_out", "withdraw")
# A start step runs before the demand exists: nobody is its requester, claimant, claiming org or holder yet.
_NEEDS_A_DEMAND = ("requester", "claimant", "claiming_org", "holder")


def produced(step: Step) -> frozenset[str]:
    """What taking the step adds to the demand's situation."""
    if isinstance(step, AutoStep):
        return frozenset()
    facts = set()
    if step.claim:
        facts.add(CLAIM)
        if step.claim.holder == "org":
            facts.add(ORG_CLAIM)
    if step.record == "assign":
        facts.add(CLAIM)
    if step.record == "sign_in":
        facts.add(SIGNED_IN)
    return frozenset(facts)


def after(step: Step, situation: Situation) -> list[Situation]:
    """The situations taking the step can leave. Giving up (`record: give_up`) takes the
    organisation's claim away, and its members' places with it: what is left may still hold
    others' claims (residents who volunteered), or none."""
    added = situation | produced(step)
    if isinstance(step, HumanStep) and step.record == "give_up":
        return [added - {ORG_CLAIM}, added - {ORG_CLAIM, CLAIM, SIGNED_IN}]
    return [added]


def needed(step: Step) -> list[tuple[str, str]]:
    """(fact, why) the step needs before anyone can take it, most basic first."""
    if isinstance(step, AutoStep):
        return []
    needs = []
    if step.by.relation == "claimant":
        needs.append((CLAIM, "relation"))
    elif step.record in _ON_OWN_CLAIM:
        needs.append((CLAIM, "record"))
    if step.by.relation == "claiming_org":
        needs.append((ORG_CLAIM, "relation"))
    if step.record == "sign_out":
        needs.append((SIGNED_IN, "record"))
    return needs


class Walk:
    """The situations each state can be in, walking only steps someone can take."""

    def __init__(self, c: Checker):
        self.c = c
        self.auto = {s.from_: (n, s) for n, s in c.autos().items()}

    def moves(self, state: str) -> list[tuple[str, Step]]:
        """The steps that can happen in `state`: its automated step alone if it has one (it
        fires at once), else its human steps."""
        if state in self.auto:
            return [self.auto[state]]
        return [(n, s) for n, s in self.c.humans().items() if state in s.sources]

    @staticmethod
    def takeable(step: Step, situation: Situation) -> bool:
        return all(fact in situation for fact, _ in needed(step))

    @cached_property
    def situations(self) -> dict[str, set[Situation]]:
        result: dict[str, set[Situation]] = {s: set() for s in self.c.spec.states}
        queue: deque[tuple[str, Situation]] = deque()

        def arrive(state: str, situation: Situation) -> None:
            if state in result and situation not in result[state]:
                result[state].add(situation)
                queue.append((state, situation))

        for start in self.c.starts().values():
            # a resource's request is held for the resource's owner from the start
            arrive(start.to, frozenset({ORG_CLAIM}) if start.record == "resource_booking" else frozenset())
        while queue:
            state, situation = queue.popleft()
            if self.c.is_terminal(state):
                continue
            for _, step in self.moves(state):
                if self.takeable(step, situation):
                    for left in after(step, situation):
                        arrive(step.to or state, left)
        return result

    def unfinishable(self) -> dict[str, list[Situation]]:
        """Reachable non-terminal states with a situation from which no ending can be reached."""
        finish = {(s, f) for s, fs in self.situations.items() if self.c.is_terminal(s) for f in fs}
        changed = True
        while changed:
            changed = False
            for state, facts in self.situations.items():
                for situation in facts:
                    if (state, situation) in finish or self.c.is_terminal(state):
                        continue
                    for _, step in self.moves(state):
                        if self.takeable(step, situation) and any(
                                (step.to or state, left) in finish for left in after(step, situation)):
                            finish.add((state, situation))
                            changed = True
                            break
        return {state: [f for f in facts if (state, f) not in finish] for state, facts in self.situations.items()
                if not self.c.is_terminal(state) and any((state, f) not in finish for f in facts)}


def one_start_step(c: Checker) -> None:
    """The portal starts a demand with the workflow's start step: a second one is never used."""
    for name in list(c.starts())[1:]:
        c.add(("steps", name), "wf.start_twice", step=name, first=next(iter(c.starts())))


def start_by_someone_who_exists(c: Checker) -> None:
    for name, step in c.starts().items():
        if step.by.relation in _NEEDS_A_DEMAND:
            c.add(("steps", name, "by"), "wf.start_by_relation", step=name, relation=step.by.relation)


def guards_not_contradicting(c: Checker) -> None:
    """`by: requester` with the guard `not_requester` can be taken by nobody."""
    for name, step in c.humans().items():
        if step.by.relation == "requester" and "not_requester" in step.guards:
            c.add(("steps", name, "guards"), "wf.guard_contradiction", step=name)


def human_not_beside_auto(c: Checker) -> None:
    """An automated step fires as soon as the demand arrives: a human step from the same state
    never gets its turn."""
    auto = {s.from_: n for n, s in c.autos().items()}
    for name, step in c.humans().items():
        for source in step.sources:
            if source in auto:
                c.add(("steps", name, "from"), "wf.human_beside_auto", step=name, state=source, auto=auto[source])


def autos_do_not_cycle(c: Checker) -> None:
    """Automated steps chained back to where they began would move a demand forever."""
    nxt = {s.from_: (n, s.to) for n, s in c.autos().items()}
    order = list(c.spec.steps)
    reported: set[frozenset[str]] = set()
    for origin in nxt:
        path, state = [], origin
        while state in nxt and state not in path:
            path.append(state)
            state = nxt[state][1]
        if state not in path:
            continue
        names = [nxt[s][0] for s in path[path.index(state):]]
        if frozenset(names) in reported:
            continue
        reported.add(frozenset(names))
        last = max(names, key=order.index)
        c.add(("steps", last, "to"), "wf.auto_cycle", steps=" → ".join(names + names[:1]))


_MISSING = {(CLAIM, "relation"): "wf.claimant_before_claim", (CLAIM, "record"): "wf.record_before_claim",
            (ORG_CLAIM, "relation"): "wf.org_before_org_claim", (SIGNED_IN, "record"): "wf.sign_out_before_sign_in"}


def every_step_someone_can_take(c: Checker) -> None:
    """Each human step needs, in at least one situation of a state it starts from, the people
    its `by:` and its record name: a claimant only after a claim, a claiming organisation only
    after an organisation's claim, a sign-out only after a sign-in."""
    walk = Walk(c)
    for name, step in c.humans().items():
        live = [s for s in step.sources if walk.situations[s] and s not in walk.auto]
        if not live or any(walk.takeable(step, f) for s in live for f in walk.situations[s]):
            continue  # unreachable sources are reported by the graph rules
        seen = set().union(*(f for s in live for f in walk.situations[s]))
        fact, why = next(((f, w) for f, w in needed(step) if f not in seen), needed(step)[0])
        c.add(("steps", name, "by" if why == "relation" else "record"), _MISSING[(fact, why)], step=name,
              state=live[0], record=step.record or "", who=step.by.relation)


def every_state_has_a_way_on(c: Checker) -> None:
    """From every state a demand can reach, in every situation it can be in there, someone (or
    the system) can take steps that lead to an ending."""
    for state in Walk(c).unfinishable():
        steps = [n for n, s in c.spec.steps.items() if state in getattr(s, "sources", ())]
        c.add(("states", state), "wf.stuck_state", state=state, steps=", ".join(steps) or "—")


LIVENESS = (one_start_step, start_by_someone_who_exists, guards_not_contradicting, human_not_beside_auto,
            autos_do_not_cycle, every_step_someone_can_take)
FINAL = (every_state_has_a_way_on,)
