"""The API's bodies as pydantic models: the OpenAPI document is generated from these (and from
each workflow's step forms, see admin/api/document.py), never written by hand."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Body(BaseModel):
    """A JSON request body: strict, so `true` or `"10"` is not read as a number, nor `1` as
    `true` (pydantic's lax mode would coerce them, and an adjustment of `true` points was posted
    as +1). JSON has the types; a client sending the wrong one has a bug to be told about (422).
    Times, dates and enums arrive as JSON strings: their fields say `Strict(False)`."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """A query string: every value arrives as text, so numbers and booleans are read from it."""

    model_config = ConfigDict(extra="forbid")


# ---- log-in ---------------------------------------------------------------------------------

class PasswordLogin(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    device: str = Field("app", max_length=64, description="shown on the person's devices page")


class RefreshRequest(Body):
    refresh_token: str = Field(min_length=1, max_length=128)


class WeChatLogin(Body):
    code: str = Field(min_length=1, max_length=128, description="the code `wx.login()` gave the mini-program")
    device: str = Field("微信小程序", max_length=64)


class WeChatBind(Body):
    ticket: str = Field(min_length=1, max_length=512, description="from the `api.wechat_unbound` problem")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    device: str = Field("微信小程序", max_length=64)


class Tokens(BaseModel):
    token_type: str = "Bearer"
    access_token: str
    expires_at: AwareDatetime
    refresh_token: str
    refresh_expires_at: AwareDatetime
    device_id: int


class Device(BaseModel):
    id: int
    device: str
    via: str
    created_at: AwareDatetime
    seen_at: AwareDatetime
    current: bool


class Devices(BaseModel):
    items: list[Device]


# ---- me -------------------------------------------------------------------------------------

class Me(BaseModel):
    id: int
    username: str
    display_name: str
    roles: list[str]
    communities: list[int]
    skills: list[str]
    points: int
    unread: int
    wechat_bound: bool


# ---- demands --------------------------------------------------------------------------------

class HallItem(BaseModel):
    id: int
    title: str
    task_type: str
    community: str
    state: str
    starts_at: AwareDatetime | None
    distance_km: float | None
    skill_match: bool


class Page(BaseModel):
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")


class HallPage(Page):
    items: list[HallItem]


class HallQuery(Query):
    community_id: int | None = Field(None, ge=1, le=2**31 - 1)
    task_type_id: int | None = Field(None, ge=1, le=2**31 - 1)
    skill: str | None = Field(None, max_length=32)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(20, ge=1, le=50)


class StepRef(BaseModel):
    step: str
    title: str
    input_schema: str = Field(description="the `components.schemas` name of this step's input")
    ends: bool = Field(False, description="taking it ends the demand for good (read from the workflow): "
                                          "ask the person to confirm before sending it")
    asks_first: bool = Field(False, description="ask the person to confirm before sending it: it ends the demand, "
                                                "or gives back places others hold (放弃抢单); `help` says what it does")
    help: str | None = Field(None, description="the step's own explanation, from the workflow")


class ClosedStep(BaseModel):
    step: str
    title: str
    code: str = Field(description="why it is closed, the same code the step would be refused with "
                                  "(`full`, `ended`, `guard.skills`, `closed.claiming_org` …)")
    detail: str = Field(description="the reason in the reader's language, to show instead of the step's button")


class Note(BaseModel):
    title: str = Field(description="the form field's title, as the workflow names it")
    value: str


class TimelineEntry(BaseModel):
    step: str
    title: str
    to_state: str
    at: AwareDatetime
    who: str | None
    notes: list[Note] = Field(default_factory=list, description=(
        "what was typed in the step (a rejection's reason, a service's note and hours); free text only "
        "to those who may see the demand's personal data"))


class DemandOut(BaseModel):
    id: int
    title: str
    workflow: str
    workflow_version: int
    task_type: str
    community_id: int
    state: str
    state_title: str
    starts_at: AwareDatetime | None
    ends_at: AwareDatetime | None
    place: str | None
    created_at: AwareDatetime
    data: dict[str, Any]
    steps: list[StepRef]
    closed: list[ClosedStep] = Field(default_factory=list,
                                     description="steps meant for the reader that they cannot take now, each with "
                                                 "why (not listed in `steps`): a claim step closed to their role, "
                                                 "or a step whose time has not come (guard.after_start) or has gone")
    timeline: list[TimelineEntry]


class StepRequest(Body):
    values: dict[str, Any] = Field(default_factory=dict,
                                   description="the step's form: see the step's input schema")
    presence_code: str | None = Field(
        None, max_length=64, description="for a step guarded by `on_site` (签到, 签退): the `code` of the link in the "
                                         "sign-in QR code shown at the activity's door (`/d/{id}/here?code=…`)")


class StartRequest(Body):
    community_id: int | None = Field(None, ge=1, le=2**31 - 1)
    values: dict[str, Any] = Field(default_factory=dict)


class OutcomeOut(BaseModel):
    demand_id: int
    step: str
    from_state: str | None
    to_state: str
    state_title: str
    replayed: bool
    message: str


class Startable(BaseModel):
    task_type_id: int
    code: str
    name: str
    category: str
    step: str
    step_title: str
    input_schema: str
    communities: list[dict[str, Any]]


class Startables(BaseModel):
    items: list[Startable]


class Upload(BaseModel):
    key: str = Field(description="put this in an image field of a step's values")


# ---- points and the shop --------------------------------------------------------------------

class PointsEntry(BaseModel):
    amount: int
    at: AwareDatetime
    memo: str
    kind: str
    demand_id: int | None
    order_id: int | None


class Points(Page):
    balance: int
    items: list[PointsEntry]


class CursorQuery(Query):
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(20, ge=1, le=100)


class ShopItemOut(BaseModel):
    id: int
    name: str
    community: str
    price: int
    stock: int


class ShopItems(BaseModel):
    balance: int
    items: list[ShopItemOut]


class RedeemRequest(Body):
    item_id: int = Field(ge=1, le=2**31 - 1)
    quantity: int = Field(1, ge=1, le=99)


class OrderOut(BaseModel):
    id: int
    item: str
    quantity: int
    points: int
    status: str
    pickup_code: str
    expires_at: AwareDatetime | None
    created_at: AwareDatetime


class Orders(Page):
    items: list[OrderOut]


# ---- messages and news ----------------------------------------------------------------------

class MessageOut(BaseModel):
    id: int
    title: str
    body: str | None
    demand_id: int | None
    read: bool
    created_at: AwareDatetime


class Messages(Page):
    unread: int
    items: list[MessageOut]


class NewsItem(BaseModel):
    id: int
    title: str
    summary: str | None
    published_at: AwareDatetime | None


class News(BaseModel):
    items: list[NewsItem]
    next_cursor: str | None = None  # the next page's `cursor`; none after the last


def aware(value: datetime | None) -> datetime | None:
    """Stored times are UTC; SQLite hands them back naive."""
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


# ---- registrations, appointments, the directory --------------------------------------------

class Community(BaseModel):
    id: int
    name: str
    path: str


class Communities(BaseModel):
    items: list[Community]


class ReportIn(Body):
    community_id: int = Field(ge=1, le=2**31 - 1)
    org_id: int | None = Field(None, ge=1, le=2**31 - 1,
                               description="register this organisation (its admin) instead of myself")


class RegistrationOut(BaseModel):
    kind: str
    id: int
    community_id: int
    status: str


class Pending(BaseModel):
    kind: str
    id: int
    who: str
    community: str
    created_at: AwareDatetime


class PendingList(BaseModel):
    items: list[Pending]


class Decision(Body):
    approve: bool
    reason: str | None = Field(None, max_length=200, description="why it is rejected: required to reject")


class Slot(BaseModel):
    id: int
    service: str
    community: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    places_left: int
    held_demand_id: int | None


class Slots(BaseModel):
    items: list[Slot]


class BookRequest(Body):
    note: str = Field("", max_length=200)


class DirectoryItem(BaseModel):
    id: int
    kind: str
    name: str
    address: str | None
    phone: str | None
    hours: str | None
    distance_km: float | None
    services: list[str]


class DirectoryQuery(Query):
    q: str | None = Field(None, max_length=30)


class Directory(BaseModel):
    items: list[DirectoryItem]
