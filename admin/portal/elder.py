"""长辈版 (elder mode): the switch on every page, what each page needs to draw it, and the
"what happens next" line of a demand's page.

The layout is chosen per device and per person: a device's own choice (a cookie set by the
switch) wins; without one, the account's (set by the person on any device, or by their community
staff in 账号管理) applies. So a grandmother's phone stays big after she logs out, and her
account is big on the community centre's computer too."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import g, redirect, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from admin.auth import actor, safe_next
from admin.database import db
from admin.dates import quick_days
from admin.portal import bp
from flows.people import preferences, regions
from flows.workflow.compiled import CompiledWorkflow

COOKIE = "yijia_elder"
YEAR = 365 * 24 * 3600


def is_elder() -> bool:
    """Whether this request is drawn in the elder layout (device first, then account)."""
    if "elder" not in g:
        device = request.cookies.get(COOKIE)
        if device in ("1", "0"):
            g.elder = device == "1"
        else:
            g.elder = bool(current_user.is_authenticated) and preferences.elder_mode(db(), current_user.id)
    return bool(g.elder)


@bp.post("/elder")
def switch():
    """The one-tap switch: this device remembers it, and so does the account of who is logged in."""
    on = request.form.get("on") == "1"
    if current_user.is_authenticated:
        preferences.set_own_elder_mode(db(), current_user.id, on)
    response = redirect(safe_next(request.form.get("next")))
    response.set_cookie(COOKIE, "1" if on else "0", max_age=YEAR, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response


def community_call() -> tuple[str, str] | None:
    """(community, phone) for the "call the community" button, for people who belong to one."""
    if not current_user.is_authenticated:
        return None
    if "community_call" not in g:
        g.community_call = preferences.community_phone(db(), regions.region_ids_of(db(), actor()))
    return g.community_call


def what_next(workflow: CompiledWorkflow, state: str, *, claimed: bool = False, requester: bool = False,
              takes: Callable[[str], bool] | None = None) -> str | None:
    """"Next the community 审核发布s, usually within 2 days", read from the workflow: the step the
    demand waits for, who takes it (its `by:`, in plain words: a resident read "接下来：派单", staff
    jargon with no one doing it) and its SLA; None in a final state, and for one who already
    claimed it when it still waits for more claims (a volunteer item with places left told them
    "next: 认领事项"). `requester`: the reader asked for it (a step of theirs is "您"); `takes(role)`:
    whether the reader holds that admin role over the demand (the step is theirs: "您", not
    "社区工作人员", which read to the admin as someone else's job, the walk)."""
    waiting = workflow.waiting_step(state)
    if waiting is None:
        return None
    _name, step = waiting
    if claimed and step.claim is not None:
        return None
    who = _who(step.by.role, step.by.relation, requester, takes)
    if who is None:
        if step.sla is None:
            return _("接下来：%(step)s。", step=step.title)
        return _("接下来：%(step)s，一般在 %(within)s内。", step=step.title, within=_duration(step.sla.within))
    if step.sla is None:
        return _("接下来由%(who)s%(step)s。", who=who, step=step.title)
    return _("接下来由%(who)s%(step)s，一般在 %(within)s内。", who=who, step=step.title,
             within=_duration(step.sla.within))


def _who(role: str | None, relation: str, requester: bool, takes: Callable[[str], bool] | None = None) -> str | None:
    """Who takes a step, as a resident says it (None: anyone, said without a subject)."""
    if relation == "requester":
        return _("您") if requester else _("发布人")
    if role in ("community_admin", "district_admin", "city_admin"):
        return _("您") if takes is not None and takes(role) else _("社区工作人员")
    if role == "org_admin" or relation in ("claiming_org", "registered_org", "holder"):
        return _("承接的党组织")
    if relation == "claimant" or role == "member":
        return _("服务党员")
    if role == "resident":
        return _("居民")
    return None


def _duration(span: timedelta) -> str:
    if span >= timedelta(days=1):
        return ngettext("%(num)s 天", "%(num)s 天", span.days)
    hours = max(1, int(span.total_seconds() // 3600))
    return ngettext("%(num)s 小时", "%(num)s 小时", hours)


class _Elder:
    """`elder` in templates, asked only when a page tests it: the error pages (500, the database
    away) never do, so drawing them needs no query."""

    def __bool__(self) -> bool:
        return is_elder()


@bp.app_context_processor
def _elder_context() -> dict:
    return {"elder": _Elder(), "community_call": community_call, "quick_days": quick_days}
