"""A demand's own time against the engine's clock: the rules every step and every door share.

Always measured by the `now` the engine was called with, never the wall clock, so an import or
a test that replays the past with `now=` gets the answer that moment would have had.

- A time a person sets (a start form's `starts_at`/`ends_at`, a 改期) is not in the past
  (schemas.clock.PAST_GRACE forgives a slow phone), nor more than a year ahead (HORIZON): a
  wish for 2099 is a slip of the year, and would sit in every list as the latest forever.
- A step held back by the demand's start (`after_start`, `in_time_window`) is not late before it
  may be done: its SLA runs from the later of entering the state and the step's opening
  (`sla_due`), so an appointment assigned six days ahead is not escalated after three.
- A timed demand whose end has passed is closed to claims: nobody signs up for, grabs or claims
  work that is over. A demand without an end (a wish's 希望时间 alone) never closes this way:
  its time is a wish, not an appointment.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flows.core.i18n import N_
from flows.core.refusals import Refused
from flows.engine.permissions import Refusal, local_text
from schemas.clock import HORIZON, is_past
from schemas.tables import Demand
from schemas.workflow import HumanStep

PAST = N_("这个时间已经过去了，请选择现在以后的时间")
FAR = N_("最远只能选一年以内的时间，请检查年份")


def refuse_out_of_reach(times: Mapping[str, datetime | None], now: datetime) -> None:
    """Refuse, with a sentence beside each field, the times set that have already passed or lie
    more than a year ahead."""
    wrong = {name: PAST if is_past(moment, now) else FAR for name, moment in times.items()
             if moment is not None and (is_past(moment, now) or moment > now + HORIZON)}
    if wrong:
        raise Refused("input", fields=wrong)


def ended(demand: Demand, now: datetime) -> bool:
    """Whether the demand's own time is over (it has an end, and the end has passed)."""
    return demand.ends_at is not None and demand.ends_at < now


def closed_to_claims(step: HumanStep, demand: Demand, now: datetime) -> Refusal | None:
    """A claim step (sign-up, grab, claim: the workflow's `claim:`) on a demand that is over."""
    if step.claim is not None and demand.ends_at is not None and ended(demand, now):
        return Refusal("ended", {"end": local_text(demand.ends_at)})
    return None


def sla_due(step: HumanStep, demand: Demand) -> datetime:
    """When `step`'s SLA runs out for the demand's stay in its state: `within` after it entered
    the state or, for a step its start holds back, after the step opens, whichever is later."""
    assert step.sla is not None
    start = demand.state_since
    if step.lead is not None and demand.starts_at is not None:
        start = max(start, demand.starts_at - step.lead)
    return start + step.sla.within
