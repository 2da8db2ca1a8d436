"""Moving a demand's time (改期): a community admin puts an activity off, through the engine, in
one transaction with an event.

Nothing else needs to follow: reminders and confirmations are planned from `starts_at` when they
come due (flows.engine.plans), so after a move the old ones are never reached and new ones come
at the new time.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.orm import Session

from flows.core.db import in_transaction
from flows.core.i18n import N_, language
from flows.core.moments import Moment
from flows.core.refusals import Refused
from flows.core.sql import changed
from flows.engine import effects, notices, replays, times
from flows.engine.door import once
from flows.engine.outcomes import Outcome
from flows.engine.writes import record_event
from flows.notices import outbox
from flows.people.actors import ActorContext, load_actor
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from flows.workflow.inputs import field_messages, input_model, span_messages
from schemas.clock import utcnow
from schemas.tables import Demand
from schemas.workflow import DateTimeField, NotifySpec

TITLE = N_("改期")
STEP = "reschedule"
FORM = {"starts_at": DateTimeField(type="datetime", title=N_("开始时间")),
        "ends_at": DateTimeField(type="datetime", title=N_("结束时间"), required=False,
                                 help=N_("不填则保持原来的时长"))}
_INPUT = input_model(STEP, FORM)


def timed(workflow: CompiledWorkflow) -> bool:
    """Whether the workflow's demands carry a time people set (the start form asks for
    `starts_at`); a booking's time is its slot's and moves only with the slot, and a resource
    request's is the range it holds on the resource (moved, it would no longer match what is
    held: another request is made instead)."""
    return any("starts_at" in s.form and s.record not in ("booking", "resource_booking")
               for s in workflow.start_steps().values())


def check(session: Session, actor: ActorContext, demand: Demand) -> CompiledWorkflow:
    """The demand's workflow if the actor may move its time now; else Refused, as the POST would
    answer (the form is shown only to who may send it)."""
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    if not actor.in_scope("community_admin", demand.community.path) or not timed(workflow):
        raise Refused("role")
    if workflow.is_terminal(demand.state):
        raise Refused("state", {"state": workflow.state_title(demand.state), "step": TITLE})
    return workflow


def reschedule(session: Session, actor: ActorContext | int, demand_id: int, data: Mapping[str, Any], *,
               now: datetime | None = None, request_key: str | None = None) -> Outcome:
    """Move the demand to `starts_at` (and `ends_at`; without one, the same length as before).
    Sent again with the same one-time key, the first outcome is answered."""
    now = now or utcnow()
    context = actor if isinstance(actor, ActorContext) else load_actor(session, actor)
    if context is None:
        raise Refused("role")
    key = replays.scoped(context.user_id, request_key)
    return once(session, key, lambda: _reschedule(session, context, demand_id, data, now, key))


def _reschedule(session: Session, actor: ActorContext, demand_id: int, data: Mapping[str, Any], now: datetime,
                key: str | None) -> Outcome:
    demand = session.get(Demand, demand_id)
    if demand is None:
        raise Refused("not_found")
    workflow = check(session, actor, demand)
    try:
        values = _INPUT.model_validate(dict(data))
    except ValidationError as exc:
        raise Refused("input", fields=field_messages(exc)) from None
    starts_at: datetime = values.starts_at  # type: ignore[attr-defined]
    ends_at: datetime | None = values.ends_at  # type: ignore[attr-defined]
    if ends_at is None and demand.starts_at and demand.ends_at:
        ends_at = starts_at + (demand.ends_at - demand.starts_at)
    if ends_at is not None and ends_at < starts_at:
        raise Refused("input", fields={"ends_at": N_("结束时间不能早于开始时间")})
    spans = span_messages(*_start_forms(workflow), SimpleNamespace(starts_at=starts_at, ends_at=ends_at))
    if spans:  # the start form's bounds (an activity's longest length) hold for a moved time too
        raise Refused("input", fields=spans)
    # only a time that changes must not be past (a running activity may still be extended), and
    # only a time typed is answered beside its field: an end kept by the length follows the start
    typed = {"starts_at": starts_at, "ends_at": values.ends_at}  # type: ignore[attr-defined]
    times.refuse_out_of_reach({k: v for k, v in typed.items() if v is not None and v != getattr(demand, k)}, now)
    observed = demand.state
    before = demand.starts_at
    was = {"starts_at": _iso(demand.starts_at), "ends_at": _iso(demand.ends_at)}

    def work() -> Outcome:
        if changed(session, update(Demand).where(Demand.id == demand.id, Demand.state == observed)
                   .values(starts_at=starts_at, ends_at=ends_at, rev=Demand.rev + 1)
                   .execution_options(synchronize_session=False)) != 1:
            raise Refused("state", {"state": workflow.state_title(observed), "step": TITLE})
        session.refresh(demand)
        event_id = record_event(session, demand, workflow, STEP, observed, observed, actor.user_id,
                                {"was": was, "starts_at": _iso(starts_at), "ends_at": _iso(ends_at),
                                 "step_title": TITLE}, now, request_key=key)
        if starts_at != before:
            _tell(session, demand, workflow, actor, before, event_id)
        return Outcome(demand_id=demand.id, step=STEP, step_title=TITLE, from_state=observed, to_state=observed,
                       state_title=workflow.state_title(observed), event_id=event_id)

    return in_transaction(session, work)


# Who a moved time concerns: whoever posted it, the people signed up or serving, the
# organisation that took it on (the one who moved it knows already).
TOLD = ("requester", "participants", "org_admins")
TEMPLATE = "activity_rescheduled"


def _tell(session: Session, demand: Demand, workflow: CompiledWorkflow, actor: ActorContext,
          before: datetime | None, event_id: int) -> None:
    """The people it concerns hear of the new time, in the move's transaction: without it they
    came on the old day (their messages still said the old time)."""
    users = [user for user in effects.notify_users(session, demand, TOLD) if user != actor.user_id]
    if not users:
        return
    composed = notices.compose(session, demand, workflow, NotifySpec(to=TOLD, template=TEMPLATE),
                               {"was": Moment(before) if before else ""})
    outbox.post(session, event_id=event_id, demand=demand, users=users, kind=f"{STEP}:notify", title=composed.title,
                body=composed.body, category=composed.category, render=composed.render, short=composed.short)


def fields_for(workflow: CompiledWorkflow, demand: Demand, locale: str | None = None) -> dict[str, DateTimeField]:
    """The 改期 form for this demand: its times named as its start form names them (a wish's
    希望时间), and no end for a demand that has none (a wish is a moment, not a span)."""
    zh, en = _start_forms(workflow)
    named = en if language(locale) == "en" else zh
    fields = {k: f for k, f in FORM.items() if k == "starts_at" or demand.ends_at is not None}
    return {k: f.model_copy(update={"title": named[k].title}) if k in named else f for k, f in fields.items()}


def _start_forms(workflow: CompiledWorkflow) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form (in Chinese, and in English) of the start step that set the time."""
    source = workflow.source
    for name, step in source.start_steps().items():
        if "starts_at" in step.form:
            english = source.in_language("en").step(name)
            return dict(step.form), dict(getattr(english, "form", None) or step.form)
    return {}, {}


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None
