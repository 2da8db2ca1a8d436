"""Bodies of the staff's and admins' tools over the API (admin/api/staff.py): the work queue,
the community counter, 代办 (starting for a resident), attendance sheets."""

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from admin.api.models import Body, OrderOut, Page, Query

# ---- the work queue (待办) ------------------------------------------------------------------


class QueueQuery(Query):
    community_id: int | None = Field(None, ge=1, le=2**31 - 1, description="one of the communities I govern")
    overdue: bool | None = Field(None, description="true: only those past a step's deadline (超时未办); "
                                                   "false: only those not")
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(20, ge=1, le=50)


class QueueStep(BaseModel):
    step: str = Field(description="take it with POST /demands/{demand_id}/steps/{step}")
    title: str


class QueueItem(BaseModel):
    demand_id: int
    title: str
    community_id: int
    community: str
    workflow_title: str
    task_type: str = Field(description="the task type's name (环境整治), as the community calls the demand")
    state: str
    state_title: str
    since: AwareDatetime = Field(description="when the demand entered this state")
    due: AwareDatetime | None = Field(description="the earliest deadline of my steps, if any has one")
    overdue: bool
    steps: list[QueueStep]


class QueuePage(Page):
    items: list[QueueItem]


# ---- the community counter ------------------------------------------------------------------


class CounterOrder(OrderOut):
    """An order as the counter sees it: whose, and in which community."""

    community_id: int
    buyer: str


class CounterOrders(Page):
    total: int | None = Field(None, description="reserved orders in all (on the reserved list only)")
    items: list[CounterOrder]


class PickupRequest(Body):
    code: str = Field(min_length=1, max_length=32, description="the buyer's pickup code, typed or scanned")


class AdjustRequest(Body):
    user_id: int = Field(ge=1, le=2**31 - 1)
    amount: int = Field(ge=-100_000, le=100_000, description="non-zero; negative debits")
    reason: str = Field(min_length=1, max_length=255)


class AdjustmentOut(BaseModel):
    status: str = Field(description="`posted`, or `pending_approval` when above the city's approval line")
    user_id: int
    amount: int
    posting_id: int | None
    request_id: int | None
    replayed: bool


class CounterCommunity(BaseModel):
    id: int
    name: str
    phone: str | None


class CounterCommunities(BaseModel):
    items: list[CounterCommunity]


class PhoneRequest(Body):
    phone: str = Field(max_length=40, description="the number residents call; empty removes it")


# ---- 代办: starting for a resident ------------------------------------------------------------


class BehalfStartable(BaseModel):
    task_type_id: int
    code: str
    name: str
    category: str
    step: str
    step_title: str
    input_schema: str = Field(description="the `components.schemas` name of the start step's input")
    for_role: str = Field(description="whom it is started for: `resident` (or `member`)")
    communities: list[dict[str, Any]]


class BehalfStartables(BaseModel):
    items: list[BehalfStartable]


class PeopleQuery(Query):
    q: str | None = Field(None, max_length=32, description="part of the name")


class BehalfPerson(BaseModel):
    user_id: int
    name: str
    community_id: int
    community: str


class BehalfPeople(BaseModel):
    items: list[BehalfPerson] = Field(description="up to 100, by name: narrow with `q`")


class RegisterResident(Body):
    community_id: int = Field(ge=1, le=2**31 - 1)
    display_name: str = Field(min_length=1, max_length=64)
    phone: str | None = Field(None, max_length=20)
    password: str | None = Field(None, max_length=256, description="omitted: the account cannot log in yet")


class BehalfStart(Body):
    values: dict[str, Any] = Field(default_factory=dict, description="the start step's form: see its input schema")


# ---- attendance sheets ----------------------------------------------------------------------


class AttendanceQuery(Query):
    community_id: int | None = Field(None, ge=1, le=2**31 - 1, description="one of the communities I govern")


class AttendanceDemand(BaseModel):
    demand_id: int
    title: str
    community: str
    state_title: str
    participants: int
    signed_in: int
    signed_out: int


class AttendanceDemands(BaseModel):
    total: int = Field(description="in all (the first 50 are listed, oldest first)")
    items: list[AttendanceDemand]


class AttendanceStep(BaseModel):
    step: str
    title: str
    record: str = Field(description="`sign_in` or `sign_out`")


class AttendanceRow(BaseModel):
    user_id: int
    name: str
    signed_in_at: AwareDatetime | None
    signed_out_at: AwareDatetime | None
    hours: float | None
    open_steps: list[str] = Field(description="the steps that can still be confirmed for this person")


class AttendanceSheet(BaseModel):
    demand_id: int
    title: str
    state: str
    state_title: str
    steps: list[AttendanceStep] = Field(description="the attendance steps the demand's state allows now")
    people: list[AttendanceRow]


class AttendanceConfirm(Body):
    user_id: int = Field(ge=1, le=2**31 - 1)
    step: str = Field(min_length=1, max_length=64, description="one of the sheet's `steps`")


# ---- 改期 -------------------------------------------------------------------------------------


class RescheduleRequest(Body):
    starts_at: datetime = Field(strict=False, description="the new start (without an offset: Beijing time)")
    ends_at: datetime | None = Field(None, strict=False, description="omitted: the same length as before")


# ---- a member's organisation, skills and service record; an organisation's back office ---------


class Choice(BaseModel):
    id: int
    name: str


class MemberOrg(BaseModel):
    org_id: int | None = Field(description="the organisation I belong to, or null")
    requested_org_id: int | None = Field(None, description="the organisation I asked to join, waiting for its admins")
    choices: list[Choice]


class MemberOrgRequest(Body):
    org_id: int | None = Field(..., ge=1, le=2**31 - 1,
                               description="the organisation to ask to join (its admins decide); null: leave mine")


class JoinRequest(BaseModel):
    member_id: int
    name: str
    work_unit: str | None
    org_id: int
    org: str
    asked_at: AwareDatetime | None


class JoinRequests(BaseModel):
    items: list[JoinRequest]


class JoinDecision(Body):
    org_id: int = Field(..., ge=1, le=2**31 - 1, description="the organisation asked to be joined")
    approve: bool


class SkillChoice(BaseModel):
    code: str
    name: str


class MySkills(BaseModel):
    skills: list[str] = Field(description="my skills' codes")
    choices: list[SkillChoice]


class SkillsRequest(Body):
    skills: list[str] = Field(max_length=30, description="the codes of all my skills (replaces them)")


class ServedOut(BaseModel):
    demand_id: int
    title: str
    hours: float
    signed_in_at: AwareDatetime | None
    points: int


class ServiceRecordOut(BaseModel):
    hours: float
    activities: int
    points: int
    items: list[ServedOut] = Field(description="the latest 100, newest first")


class OrgPerson(BaseModel):
    name: str
    signed_in_at: AwareDatetime | None
    signed_out_at: AwareDatetime | None
    hours: float | None
    points: int


class OrgActivity(BaseModel):
    demand_id: int
    title: str
    state: str
    starts_at: AwareDatetime | None
    people: list[OrgPerson]


class OrgEntry(BaseModel):
    amount: int
    at: AwareDatetime
    memo: str
    demand_id: int | None


class OrgMember(BaseModel):
    member_id: int
    name: str
    work_unit: str | None


class OrgOffice(BaseModel):
    id: int
    name: str
    balance: int = Field(description="the organisation's own points")
    members: int
    people: list[OrgMember] = Field(description="its members by name (at most 500), each removable with "
                                                "DELETE /org/{id}/members/{member_id}")
    history: list[OrgEntry] = Field(description="the latest 10 ledger entries")
    activities: list[OrgActivity] = Field(description="the latest 100 grabbed activities")


class OrgOffices(BaseModel):
    items: list[OrgOffice]


class CancelRequest(Body):
    reason: str | None = Field(None, max_length=200)
