"""The workflow DSL: what a district's YAML may say, as strict, immutable pydantic models.

A workflow names its states and its steps. Steps come in three kinds (a discriminated union
on `kind`): `start` creates a demand, `human` is done by a person through a form, `auto` is
done by the system (award points, notify) as soon as the demand reaches its `from` state.
Form fields are a discriminated union on `type`. Nothing here is executed: rules are data
that the engine interprets from a fixed vocabulary, so admin text is never `eval`-ed.
See docs/workflows.md for the reference with examples.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

# The DSL's own version, hashed with every workflow (flows/workflow/compiler.content_hash):
# bump it when the meaning of a word or a default changes; adding a defaulted word does not.
DSL_VERSION = 1

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
Title = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
Help = Annotated[str, StringConstraints(max_length=500)]

# Form fields with these names fill the demand's own columns instead of its free `data`.
DEMAND_FIELDS = {
    "title": "text", "description": "text", "place": "text", "starts_at": "datetime",
    "ends_at": "datetime", "capacity": "integer", "location": "location", "required_skills": "choice",
}


class Spec(BaseModel):
    """Base of every DSL model: unknown keys are errors and values never change."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


# ---- durations ---------------------------------------------------------------------------

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
_MAX_MINUTES = 1000 * 366 * 24 * 60  # far above any SLA allowed, far below timedelta's limit


def parse_duration(value: Any) -> Any:
    """'3d', '12h', '1d12h', '30m' → timedelta; anything else is a clear error."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        match = _DURATION.match(value.strip())
        if match and any(match.groups()):
            if any(len(g or "") > 12 for g in match.groups()):
                raise PydanticCustomError("yijia_sla_range", "an SLA must be between 1 minute and 366 days", {})
            d, h, m = (int(g or 0) for g in match.groups())
            minutes = (d * 24 + h) * 60 + m
            if minutes > _MAX_MINUTES:  # beyond what a timedelta holds: say the range, never overflow
                raise PydanticCustomError("yijia_sla_range", "an SLA must be between 1 minute and 366 days", {})
            return timedelta(minutes=minutes)
    raise PydanticCustomError("yijia_duration", "expected a duration like 3d, 12h or 1d12h, got {value}",
                              {"value": repr(value)})


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


# ---- form fields -------------------------------------------------------------------------

class FieldBase(Spec):
    """What every form field has: a Chinese title, whether it is required, a hint."""

    title: Title
    required: bool = True
    help: Help | None = None


class TextField(FieldBase):
    type: Literal["text"]
    min_length: int = Field(0, ge=0, le=5000)
    max_length: int = Field(200, ge=1, le=5000)
    multiline: bool = False


class NumberField(FieldBase):
    type: Literal["number"]
    min: float | None = Field(None, ge=-1e9, le=1e9)
    max: float | None = Field(None, ge=-1e9, le=1e9)
    default: float | None = None


class IntegerField(FieldBase):
    type: Literal["integer"]
    min: int | None = Field(None, ge=-10**9, le=10**9)
    max: int | None = Field(None, ge=-10**9, le=10**9)
    default: int | None = None


class ChoiceField(FieldBase):
    type: Literal["choice"]
    choices: dict[Identifier, Title] = Field(min_length=1, max_length=100)
    multiple: bool = False


class DateTimeField(FieldBase):
    """A moment. `after` names another datetime field of the same form this one must come after
    (an activity's end after its start); `within` bounds how long after it (the activity's
    longest length), so an end typed a year late by mistake is refused at the form, in words."""

    type: Literal["datetime"]
    after: Identifier | None = None
    within: Duration | None = None

    @field_validator("within")
    @classmethod
    def _bounded(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and not timedelta(minutes=1) <= value <= timedelta(days=366):
            raise PydanticCustomError("yijia_sla_range", "an SLA must be between 1 minute and 366 days", {})
        return value


class DateField(FieldBase):
    type: Literal["date"]


class LocationField(FieldBase):
    type: Literal["location"]


class ImageField(FieldBase):
    type: Literal["image"]
    max_mb: float = Field(5, gt=0, le=20)


class RatingField(FieldBase):
    type: Literal["rating"]
    min: int = Field(1, ge=1, le=5)
    max: int = Field(5, ge=1, le=5)


class MemberField(FieldBase):
    """A member registered with the demand's community (for assigning work)."""

    type: Literal["member"]


FormField = Annotated[
    TextField | NumberField | IntegerField | ChoiceField | DateTimeField | DateField | LocationField | ImageField
    | RatingField | MemberField,
    Field(discriminator="type"),
]


# ---- who may act -------------------------------------------------------------------------

Role = Literal["resident", "member", "org_admin", "community_admin", "district_admin", "city_admin"]
Relation = Literal["any", "community", "requester", "claimant", "registered", "registered_org", "claiming_org",
                   "holder"]


class Actor(Spec):
    """A role plus a relation to the demand. `role: null` means any role (with the relation)."""

    role: Role | None = None
    relation: Relation = "any"


ACTOR_SHORTHANDS: dict[str, dict[str, Any]] = {
    "requester": {"relation": "requester"},
    "claimant": {"relation": "claimant"},
    "resident": {"role": "resident", "relation": "community"},
    "member": {"role": "member", "relation": "any"},
    "registered_member": {"role": "member", "relation": "registered"},
    "claiming_org_member": {"role": "member", "relation": "claiming_org"},
    "org_admin": {"role": "org_admin", "relation": "registered_org"},
    "claiming_org_admin": {"role": "org_admin", "relation": "claiming_org"},
    # whoever holds the demand: its organisation's admins, or its community's when no
    # organisation holds it (a resource the community itself shares)
    "holder_admin": {"relation": "holder"},
    "community_admin": {"role": "community_admin", "relation": "community"},
    "district_admin": {"role": "district_admin", "relation": "community"},
    "city_admin": {"role": "city_admin", "relation": "community"},
}


def _actor_shorthand(value: Any) -> Any:
    if isinstance(value, str):
        if value not in ACTOR_SHORTHANDS:
            raise PydanticCustomError("yijia_actor", "unknown actor {value}; use one of {expected}",
                                      {"value": value, "expected": ", ".join(ACTOR_SHORTHANDS)})
        return ACTOR_SHORTHANDS[value]
    return value


ActorSpec = Annotated[Actor, BeforeValidator(_actor_shorthand)]


# ---- guards, claims, SLAs ----------------------------------------------------------------

Guard = Literal["registered_in_community", "not_requester", "skills", "no_time_clash", "in_time_window", "after_start",
                "on_site"]
# The guards that read the demand's time against the clock: a step failing one is not offered.
TIME_GUARDS = ("in_time_window", "after_start")
Record = Literal["service", "sign_in", "sign_out", "evaluation", "withdraw", "assign", "booking", "release_booking",
                 "release", "release_resource", "give_up"]


class ClaimSpec(Spec):
    """The step makes a claim. capacity 1: one winner, decided by the state change;
    `demand`: up to the demand's own capacity, counted by a CHECK-guarded counter."""

    holder: Literal["member", "org"] = "member"
    capacity: Literal[1, "demand"] = 1


class TimeWindow(Spec):
    """When a step guarded by `in_time_window` may be done: from `opens` before the demand's
    start until `closes` after its end (a QR sign-in twelve days late is refused)."""

    opens: Duration = timedelta(hours=1)
    closes: Duration = timedelta(0)

    @field_validator("opens", "closes")
    @classmethod
    def _bounded(cls, value: timedelta) -> timedelta:
        if not timedelta(0) <= value <= timedelta(days=366):
            raise PydanticCustomError("yijia_window_range", "a time window must be between 0 and 366 days", {})
        return value


class CompleteWith(Spec):
    """When the SLA passes, the system does the step itself with these form values."""

    complete_with: dict[Identifier, bool | int | float | str] = Field(max_length=50)


class Sla(Spec):
    """How long a demand may wait for this step, and what happens then."""

    within: Duration
    then: Literal["escalate", "cancel"] | CompleteWith = "escalate"

    @field_validator("within")
    @classmethod
    def _bounded(cls, value: timedelta) -> timedelta:
        if not timedelta(minutes=1) <= value <= timedelta(days=366):
            raise PydanticCustomError("yijia_sla_range", "an SLA must be between 1 minute and 366 days", {})
        return value


# ---- effects of automatic steps ----------------------------------------------------------

class PointsRule(Spec):
    """points = round((base + per_hour × hours) × by_rating[rating]), never below zero."""

    to: Literal["claimant", "participants", "org", "requester"]
    base: Literal["task_type"] | Annotated[int, Field(ge=0, le=100000)] = "task_type"
    per_hour: float = Field(0, ge=0, le=10_000)
    by_rating: dict[Annotated[int, Field(ge=1, le=5)], Annotated[float, Field(ge=0, le=10)]] = Field(
        default_factory=dict)
    max: int | None = Field(None, ge=0, le=1_000_000)
    memo: Title | None = None


@dataclass(frozen=True)
class PointBounds:
    """The city's limits on what an award may say (schemas.tables.PointPolicy, edited by the
    city), as the compiler checks a workflow against them at publication."""

    max_base_points: int = 200
    max_per_hour: float = 20.0
    max_rating_factor: float = 2.0
    max_service_hours: float = 24  # one service record: at most a day (longer work is recorded per day)


class PointsEffect(Spec):
    points: PointsRule


# `released`: the people whose places the step itself gave back (an organisation giving up the
# activity it grabbed releases its members' places).
Recipients = Literal["requester", "claimant", "claimants", "participants", "org_members", "org_admins",
                     "holder_admins", "community_admins", "district_admins", "released"]


def _recipients_form(value: Any) -> str:
    return "many" if isinstance(value, (list, tuple)) else "one"


# Who a `notify:` tells: one set of people, or several (a cancelled activity tells who signed
# up and the organisation that grabbed it); each person is told once. Only the form written
# is checked, so a misspelt name is one error, not one per form.
NotifyRecipients = Annotated[
    Annotated[Recipients, Tag("one")] | Annotated[tuple[Recipients, ...], Field(min_length=1, max_length=5), Tag("many")],
    Discriminator(_recipients_form)]


class NotifySpec(Spec):
    """Who is told, and what: a message template (workflows/notices/templates.yaml, title and
    text with the demand's fields, in Chinese and English) or, as before templates, a plain
    sentence. Absent keys stay out of the canonical dump, so published hashes do not move."""

    to: NotifyRecipients
    template: Identifier | None = Field(None, exclude_if=lambda value: value is None)
    message: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        None, exclude_if=lambda value: value is None)

    @field_validator("to", mode="after")
    @classmethod
    def _canonical(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        """Written in any order, once or twice, as a list of one: the same meaning, the same hash."""
        if isinstance(value, str):
            return value
        names = tuple(sorted(set(value)))
        return names[0] if len(names) == 1 else names

    @model_validator(mode="after")
    def _one_text(self) -> NotifySpec:
        if (self.template is None) == (self.message is None):
            raise PydanticCustomError("yijia_notify_text", "notify needs either template: or message:, not both", {})
        return self


def _before(value: timedelta) -> timedelta:
    """A reminder or a confirmation is asked for between 1 minute and 366 days before the start."""
    if not timedelta(minutes=1) <= value <= timedelta(days=366):
        raise PydanticCustomError("yijia_before_range", "before must be between 1 minute and 366 days", {})
    return value


class RemindSpec(Spec):
    """`before` the demand's start, remind `to` with a message template: once per demand,
    reminder and start time (a changed start plans it again; a cancelled demand gets none)."""

    before: Duration
    to: Recipients = "claimants"
    template: Identifier = "activity_reminder"

    @field_validator("before")
    @classmethod
    def _bounded(cls, value: timedelta) -> timedelta:
        return _before(value)


class ConfirmSpec(Spec):
    """On a member claim step: from `before` the start, claimants are asked to confirm their
    place (`template`); a claim still unconfirmed `release_if_unconfirmed` after the request
    is released (`release_template` tells its holder) so the next member can claim."""

    before: Duration
    release_if_unconfirmed: Duration
    template: Identifier = "confirm_request"
    release_template: Identifier = "claim_released"

    @field_validator("before", "release_if_unconfirmed")
    @classmethod
    def _bounded(cls, value: timedelta) -> timedelta:
        return _before(value)


def _one_or_many(value: Any) -> Any:
    """`remind: {before: 1d}` or a list of them: one reminder is a list of one."""
    return [value] if isinstance(value, dict) else value


class NotifyEffect(Spec):
    notify: NotifySpec


def _effect_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        keys = [k for k in ("points", "notify") if k in value]
        return keys[0] if len(keys) == 1 else None
    return getattr(value, "__effect__", None) or ("points" if isinstance(value, PointsEffect) else "notify")


Effect = Annotated[
    Annotated[PointsEffect, Tag("points")] | Annotated[NotifyEffect, Tag("notify")],
    Discriminator(_effect_tag, custom_error_type="yijia_effect",
                  custom_error_message="an effect is either points: {...} or notify: {...}"),
]


# ---- steps -------------------------------------------------------------------------------

States = Identifier | Annotated[list[Identifier], Field(min_length=1, max_length=50)]


class StepBase(Spec):
    title: Title
    help: Help | None = None


class StartStep(StepBase):
    """Creates a demand in state `to`; its form fills the demand (title, place, time...)."""

    kind: Literal["start"]
    by: ActorSpec
    to: Identifier
    form: dict[Identifier, FormField] = Field(default_factory=dict, max_length=40)
    # booking: an appointment slot; resource_booking: a time range of a shared resource, held
    # for the resource's owner (the owning organisation is the demand's claiming organisation)
    record: Literal["booking", "resource_booking"] | None = None
    # Who is told of the new demand (#17): e.g. a resource's owner of a request (`org_admins`).
    notify: NotifySpec | None = Field(None, exclude_if=lambda value: value is None)


class HumanStep(StepBase):
    """A person does this through a form; it may move the demand, claim it or record work."""

    kind: Literal["human"] = "human"
    by: ActorSpec
    from_: States = Field(alias="from")
    to: Identifier | None = None
    form: dict[Identifier, FormField] = Field(default_factory=dict, max_length=40)
    guards: list[Guard] = Field(default_factory=list, max_length=10)
    claim: ClaimSpec | None = None
    record: Record | None = None
    sla: Sla | None = None
    # Left out of the canonical dump when absent, so adding the key changed no published hash.
    window: TimeWindow | None = Field(None, exclude_if=lambda value: value is None)
    # Who is told when the step is done (#17), in the step's own transaction.
    notify: NotifySpec | None = Field(None, exclude_if=lambda value: value is None)
    # Reminders before the demand's start while this step is still ahead (#17).
    remind: Annotated[tuple[RemindSpec, ...], BeforeValidator(_one_or_many), Field(min_length=1, max_length=5)] | None = (
        Field(None, exclude_if=lambda value: value is None))
    # On a claim step: claimants confirm their place before the start, or it is released (#17).
    confirm: ConfirmSpec | None = Field(None, exclude_if=lambda value: value is None)

    @property
    def time_window(self) -> TimeWindow:
        """The window of the `in_time_window` guard: the step's own, or 1 h before start to the end."""
        return self.window or TimeWindow()

    @property
    def lead(self) -> timedelta | None:
        """How long before the demand's start its time guards let the step be done (0 for
        `after_start`); None for a step the start does not hold back."""
        leads = ([timedelta(0)] if "after_start" in self.guards else []) + (
            [self.time_window.opens] if "in_time_window" in self.guards else [])
        return min(leads) if leads else None

    @property
    def sources(self) -> tuple[str, ...]:
        """The states this step may start from."""
        return (self.from_,) if isinstance(self.from_, str) else tuple(self.from_)


class AutoStep(StepBase):
    """Done by the system as soon as the demand is in `from`: safe to run twice."""

    kind: Literal["auto"]
    from_: Identifier = Field(alias="from")
    to: Identifier
    effects: list[Effect] = Field(default_factory=list, max_length=20)

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.from_,)


def _step_kind(value: Any) -> str:
    if isinstance(value, dict):
        kind = value.get("kind", "human")
        return kind if isinstance(kind, str) else "?"
    return getattr(value, "kind", "human")


Step = Annotated[
    Annotated[StartStep, Tag("start")] | Annotated[HumanStep, Tag("human")] | Annotated[AutoStep, Tag("auto")],
    Discriminator(_step_kind, custom_error_type="yijia_step_kind",
                  custom_error_message="kind must be start, human or auto"),
]


Outcome = Literal["done", "cancelled", "rejected"]


class StateSpec(Spec):
    """A state a demand can be in. A terminal state says what ending it means (`outcome`):
    the figures count `done` demands, Prefect shows `cancelled` and `rejected` runs as
    cancelled. Without one, a terminal state means `done`."""

    title: Title
    terminal: bool = False
    outcome: Outcome | None = None
    help: Help | None = None


class Words(Spec):
    """A state's, a field's or a choice's words in another language."""

    title: Title | None = None
    help: Help | None = None


class StepWords(Words):
    """A step's words in another language, with its form's fields (and their choices)."""

    fields: dict[Identifier, Words] = Field(default_factory=dict, max_length=50)
    choices: dict[Identifier, dict[Identifier, Title]] = Field(default_factory=dict, max_length=50)


class Translation(Spec):
    """The workflow's own words in another language (`en:`): what a reader who chose that
    language sees for its title, states, steps and fields. Only words: every name must be the
    workflow's own, and what is left out reads in Chinese."""

    title: Title | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    states: dict[Identifier, Words] = Field(default_factory=dict, max_length=50)
    steps: dict[Identifier, StepWords] = Field(default_factory=dict, max_length=60)


class WorkflowSpec(Spec):
    """A whole workflow file. `id` is stable across versions; versions are assigned on publish."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    id: Identifier
    title: Title
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    category: Literal["micro_wish", "activity", "volunteer", "appointment", "urgent"]
    states: dict[Identifier, StateSpec] = Field(min_length=2, max_length=50)
    steps: dict[Identifier, Step] = Field(min_length=1, max_length=60)
    # The same words in English, for readers who chose it (absent: everything reads in Chinese).
    en: Translation | None = None
