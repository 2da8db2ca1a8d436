"""What a demand's event, and a message about it, are called in people's words: the step's
title from the demand's own workflow version, then what happened at it (通知, 提醒…). The
timeline, the console's deliveries and the dashboard's failed messages read them here, so no
page shows a code such as `publish:notify`."""
from __future__ import annotations

import string

from flask_babel import lazy_gettext as _l

from admin.database import db
from admin.i18n import lang
from flows.notices import templates
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from schemas.tables import Demand

# `<step>:<what>`: the events and messages the engine writes beside a step (flows/engine:
# effects, reminders, timeouts).
WHAT = {"notify": _l("通知"), "overdue": _l("超时提醒"), "timeout": _l("超时处理"), "remind": _l("提醒"),
        "ask": _l("请确认参加"), "confirm": _l("确认参加"), "release": _l("未确认，名额已释放")}


def event_title(workflow: CompiledWorkflow | None, step: str) -> str:
    """`publish:notify` as 审核发布 · 通知; a step the workflow does not know keeps its code."""
    if step == "reschedule":
        return str(_l("改期"))
    base, _, what = step.partition(":")
    title = workflow.spec.steps[base].title if workflow is not None and base in workflow.spec.steps else step
    return f"{title} · {WHAT[what]}" if what in WHAT else title


def message_kind(kind: str, demand_id: int | None) -> str:
    """A message's kind as people call it: a workflow's step (`give_up:notify` → 放弃抢单 · 通知),
    or a programme template by its title with the fields left out (`order_ready` → 兑换成功，
    可以领取：…). Never the message's own text: a pickup code stays out of the console."""
    if ":" in kind:
        demand = db().get(Demand, demand_id) if demand_id is not None else None
        workflow = registry.load(db(), demand.workflow_id, demand.workflow_version,
                                 demand.workflow_hash) if demand is not None else None
        return event_title(workflow, kind)
    template = templates.shipped().get(kind)
    if template is None:
        return kind
    return "".join(text + ("…" if field is not None else "")
                   for text, field, _spec, _conv in string.Formatter().parse(template.title.get(lang())))
