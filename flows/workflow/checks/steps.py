"""What each kind of step needs to make sense: one function per rule."""
from __future__ import annotations

from typing import Any

from flows.notices import templates as notice_templates
from flows.workflow.checks.base import Checker
from schemas.workflow import TIME_GUARDS, CompleteWith, NotifyEffect, NotifySpec


def one_winner_moves(c: Checker) -> None:
    """A one-winner claim is decided by the state change, so the step must move the demand."""
    for name, step in c.humans().items():
        if step.claim and step.claim.capacity == 1 and (step.to is None or step.to in step.sources):
            c.add(("steps", name, "claim"), "wf.one_winner_needs_move", step=name)


def evaluation_has_rating(c: Checker) -> None:
    for name, step in c.humans().items():
        rating = step.form.get("rating")
        if step.record == "evaluation" and (rating is None or rating.type != "rating"):
            c.add(("steps", name, "record"), "wf.evaluation_needs_rating", step=name)


def assign_has_member(c: Checker) -> None:
    for name, step in c.humans().items():
        assignee = step.form.get("assignee")
        if step.record == "assign" and (assignee is None or assignee.type != "member"):
            c.add(("steps", name, "record"), "wf.assign_needs_member", step=name)


def booking_only_on_start(c: Checker) -> None:
    for name, step in c.humans().items():
        if step.record == "booking":
            c.add(("steps", name, "record"), "wf.booking_on_start", step=name)


def resource_booking_has_times(c: Checker) -> None:
    """A resource is booked for the start form's `starts_at`–`ends_at`, both required."""
    for name, step in c.starts().items():
        if step.record != "resource_booking":
            continue
        fields = [step.form.get("starts_at"), step.form.get("ends_at")]
        if any(f is None or f.type != "datetime" or not f.required for f in fields):
            c.add(("steps", name, "record"), "wf.resource_booking_times", step=name)


def sla_cancel_has_state(c: Checker) -> None:
    """`then: cancel` moves the demand to a terminal state that means cancelled."""
    has_cancelled = any(s.terminal and s.outcome == "cancelled" for s in c.spec.states.values())
    for name, step in c.humans().items():
        if step.sla and step.sla.then == "cancel" and not has_cancelled:
            c.add(("steps", name, "sla", "then"), "wf.cancel_needs_state", step=name)


def complete_with_fields_known(c: Checker) -> None:
    for name, step in c.humans().items():
        if step.sla and isinstance(step.sla.then, CompleteWith):
            for field in step.sla.then.complete_with:
                if field not in step.form:
                    c.add(("steps", name, "sla", "then", "complete_with", field), "wf.complete_with_unknown",
                          step=name, field=field)


def points_have_recipients(c: Checker) -> None:
    """Points to a claimant or participants need a member claim (or an assignment) somewhere;
    points to an organisation need an organisation's claim."""
    holders = {s.claim.holder for s in c.humans().values() if s.claim}
    if any(s.record == "resource_booking" for s in c.starts().values()):
        holders.add("org")  # the resource's owner holds the request from the start
    assigns = any(s.record == "assign" for s in c.humans().values())
    for name, step in c.autos().items():
        for i, effect in enumerate(step.effects):
            rule = getattr(effect, "points", None)
            if rule and rule.to in ("claimant", "participants") and "member" not in holders and not assigns:
                c.add(("steps", name, "effects", i), "wf.needs_claim_step", step=name, what=rule.to)
            if rule and rule.to == "org" and "org" not in holders:
                c.add(("steps", name, "effects", i), "wf.needs_claim_step", step=name, what="org")


def _named_templates(c: Checker) -> list[tuple[tuple[Any, ...], str, str]]:
    """(where, step, template name) of every template the workflow names."""
    found: list[tuple[tuple[Any, ...], str, NotifySpec]] = [
        (("steps", name, "notify"), name, step.notify) for name, step in c.humans().items() if step.notify]
    found += [(("steps", name, "notify"), name, step.notify) for name, step in c.starts().items() if step.notify]
    found += [(("steps", name, "effects", i, "notify"), name, effect.notify) for name, step in c.autos().items()
              for i, effect in enumerate(step.effects) if isinstance(effect, NotifyEffect)]
    named = [((*path, "template"), name, spec.template) for path, name, spec in found if spec.template is not None]
    for name, step in c.humans().items():  # reminders and confirmations name templates the same way
        named += [(("steps", name, "remind", i, "template"), name, r.template) for i, r in enumerate(step.remind or ())]
        if step.confirm:
            named += [(("steps", name, "confirm", key), name, getattr(step.confirm, key))
                      for key in ("template", "release_template")]
    return named


def notify_templates_known(c: Checker) -> None:
    """A `notify:` names a shipped template, and the template names only the demand's fields."""
    known = notice_templates.shipped()
    for path, name, template_name in _named_templates(c):
        template = known.get(template_name)
        if template is None or template.category in notice_templates.OTHER_FIELDS:  # not about a demand
            c.add(path, "wf.notify_unknown_template", step=name, template=template_name)
            continue
        for field in sorted(template.fields() - template.allowed()):
            c.add(path, "wf.notify_unknown_field", step=name, template=template_name, field=field)


def notify_step_fields_known(c: Checker) -> None:
    """A template that names its step's form fields (`step_fields`) is used by a step's own
    `notify:` whose form has them (at run time a missing one would read as empty)."""
    known = notice_templates.shipped()
    for path, name, template_name in _named_templates(c):
        template = known.get(template_name)
        if template is None or template.category in notice_templates.OTHER_FIELDS:
            continue
        form = getattr(c.spec.steps.get(name), "form", None) or {}
        typed = path[2] == "notify" and not any(isinstance(p, int) for p in path)  # a step's own notify
        for field in [f for f in template.step_fields if not typed or f not in form]:
            c.add(path, "wf.notify_unknown_field", step=name, template=template_name, field=field)


def reminders_have_a_time(c: Checker) -> None:
    """`remind` and `confirm` count back from the demand's start: the start form must ask for
    `starts_at`, or they would never fire."""
    timed = any("starts_at" in s.form for s in c.starts().values())
    for name, step in c.humans().items():
        for key in ("remind", "confirm"):
            if getattr(step, key) is not None and not timed:
                c.add(("steps", name, key), "wf.remind_needs_start", step=name, key=key)


def time_guards_have_a_time(c: Checker) -> None:
    """`in_time_window` and `after_start` read the demand's time: its start form asks for
    `starts_at` or books a slot (which has one), or the guard would never hold anything back."""
    timed = any("starts_at" in s.form or s.record == "booking" for s in c.starts().values())
    for name, step in c.humans().items():
        for guard in (g for g in step.guards if g in TIME_GUARDS):
            if not timed:
                c.add(("steps", name, "guards"), "wf.time_guard_needs_time", step=name, guard=guard)


def confirm_on_member_claim(c: Checker) -> None:
    """Confirmation is of a member's place: only a member claim step has one to confirm or
    release, and the release must come before the start (`release_if_unconfirmed` < `before`)."""
    for name, step in c.humans().items():
        if step.confirm is None:
            continue
        if step.claim is None or step.claim.holder != "member":
            c.add(("steps", name, "confirm"), "wf.confirm_needs_claim", step=name)
        if step.confirm.release_if_unconfirmed >= step.confirm.before:
            c.add(("steps", name, "confirm", "release_if_unconfirmed"), "wf.confirm_release_late", step=name)


def give_up_by_the_claiming_org(c: Checker) -> None:
    """`record: give_up` withdraws the claiming organisation's own claim: only its admins
    (`claiming_org_admin`) hold one to give up."""
    grabs = [s for s in c.humans().values() if s.claim is not None and s.claim.holder == "org"]
    for name, step in c.humans().items():
        if step.record != "give_up":
            continue
        if step.by.relation != "claiming_org" or step.by.role != "org_admin":
            c.add(("steps", name, "by"), "wf.give_up_by", step=name)
        # given up, the demand goes back where an organisation may grab it again
        if step.to is None or not any(step.to in grab.sources for grab in grabs):
            c.add(("steps", name, "to" if step.to is not None else "record"), "wf.give_up_reopens", step=name)


def released_told_by_a_release(c: Checker) -> None:
    """`released` names the people whose places the step itself gave back: only a step that
    gives places back (`record: give_up`) has any; anywhere else it would tell nobody."""
    def names(told: Any) -> tuple[str, ...]:
        return told if isinstance(told, tuple) else (told,)

    told: list[tuple[tuple[Any, ...], str, Any]] = []
    for name, step in c.humans().items():
        if step.notify and step.record != "give_up":
            told.append((("steps", name, "notify", "to"), name, step.notify.to))
        told += [(("steps", name, "remind", i, "to"), name, r.to) for i, r in enumerate(step.remind or ())]
    told += [(("steps", name, "notify", "to"), name, s.notify.to) for name, s in c.starts().items() if s.notify]
    told += [(("steps", name, "effects", i, "notify", "to"), name, effect.notify.to) for name, auto in c.autos().items()
             for i, effect in enumerate(auto.effects) if isinstance(effect, NotifyEffect)]
    for path, name, to in told:
        if "released" in names(to):
            c.add(path, "wf.released_without_release", step=name)


STEPS = (one_winner_moves, evaluation_has_rating, assign_has_member, booking_only_on_start, resource_booking_has_times,
         sla_cancel_has_state, complete_with_fields_known, points_have_recipients, notify_templates_known,
         reminders_have_a_time, confirm_on_member_claim, give_up_by_the_claiming_org, released_told_by_a_release)
# Rules added after versions were published with them: for publishing only (a stored version
# that breaks one still runs; `registry.check_stored` lists it).
PUBLISHING = (time_guards_have_a_time, notify_step_fields_known)
