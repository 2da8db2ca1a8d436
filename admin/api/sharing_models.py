"""The bodies of shared resources (资源共享) over the API: search and suggestions with the reasons
why, a resource with what is needed to choose a time, its request, and 我的资源 for holders."""

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, Strict

from admin.api.models import Body, Query
from schemas.clock import LOCAL_TZ
from schemas.tables import ResourceKind

MAX_ID = 2**31 - 1


def _beijing(value: datetime) -> datetime:
    """A time without an offset is Beijing time (as on the website); one UTC cannot hold is
    refused here, not a 500 further on."""
    at = value if value.tzinfo is not None else value.replace(tzinfo=LOCAL_TZ)
    try:
        at.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("out of range") from exc
    return at


# A JSON string read as a time (Strict(False): bodies are strict, admin/api/models.Body).
When = Annotated[datetime, Strict(False), AfterValidator(_beijing)]
Kind = Annotated[ResourceKind, Strict(False)]


# ---- finding a resource ---------------------------------------------------------------------

class ResourceQuery(Query):
    kind: ResourceKind | None = None
    q: str | None = Field(None, max_length=30, description="words in the name, description or equipment")
    starts_at: When | None = Field(None, description="with `ends_at`: whether it is open and free then")
    ends_at: When | None = None
    capacity: int | None = Field(None, ge=1, le=10000, description="at least this many people")


class SuggestionQuery(Query):
    starts_at: When
    ends_at: When
    community_id: int | None = Field(None, ge=1, le=MAX_ID, description="the activity's community: near it, in its "
                                                                     "district (else near me)")
    capacity: int | None = Field(None, ge=1, le=10000)


class Reason(BaseModel):
    code: str = Field(description="match.kind, match.words, match.free, match.busy, match.near, match.rated or "
                                  "match.capacity")
    text: str


class ResourceItem(BaseModel):
    id: int
    name: str
    kind: ResourceKind
    kind_title: str
    community_id: int
    community: str
    capacity: int | None
    location: str | None
    photo: str | None = Field(description="a picture's key: GET /media/{key} on the website")
    distance_km: float | None = Field(description="from my community (the activity's, for suggestions)")
    rating: float | None = Field(description="the average rating of its past uses")
    free: bool | None = Field(description="open and not booked at the time asked; null when none was asked")
    reasons: list[Reason]


class ResourceList(BaseModel):
    items: list[ResourceItem]


# ---- one resource ---------------------------------------------------------------------------

class DetailQuery(Query):
    days: int = Field(14, ge=1, le=60, description="how many days ahead `busy` and `closed_days` cover")


class Opening(BaseModel):
    weekday: int = Field(description="0 Monday … 6 Sunday")
    opens: str = Field(description="HH:MM, Beijing time")
    closes: str


class ClosedDay(BaseModel):
    day: date
    note: str | None


class BusyRange(BaseModel):
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class ResourceOut(BaseModel):
    id: int
    name: str
    kind: ResourceKind
    kind_title: str
    community_id: int
    community: str
    org_id: int | None = Field(description="the organisation that shares it; null: the community itself")
    owner: str
    description: str | None
    location: str | None
    capacity: int | None
    equipment: str | None
    rules: str | None
    photo: str | None
    is_active: bool
    hours: list[str] = Field(description="weekly hours as people write them ('周一 09:00-17:00'); empty: any "
                                         "time by arrangement")
    openings: list[Opening]
    closed_days: list[ClosedDay]
    busy: list[BusyRange] = Field(description="the ranges already held")
    may_manage: bool = Field(description="I may keep it (我的资源)")


class ResourceRequest(Body):
    title: str = Field(min_length=1, max_length=200, description="what it is for (the workflow's form limits it)")
    starts_at: When
    ends_at: When
    capacity: int | None = Field(None, ge=1, le=10000)
    for_demand: int | None = Field(None, ge=1, le=MAX_ID, description="the activity this is for: one of the same community that the "
                                                                  "caller published, took on for their organisation or governs")
    note: str | None = Field(None, max_length=1000)


# ---- 我的资源 --------------------------------------------------------------------------------

class MyResource(BaseModel):
    id: int
    name: str
    kind: ResourceKind
    community_id: int
    community: str
    org_id: int | None
    is_active: bool


class Place(BaseModel):
    org_id: int | None = Field(description="null: the community's own resource")
    org: str | None
    community_id: int
    community: str


class ReceivedRequest(BaseModel):
    demand_id: int
    resource_id: int
    resource: str
    title: str
    state: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    held: bool = Field(description="the range is still held (false once declined or cancelled)")


class MyResources(BaseModel):
    items: list[MyResource]
    places: list[Place] = Field(description="where I may list a new resource")
    requests: list[ReceivedRequest] = Field(description="the newest 50 requests for my resources")


class NewResource(Body):
    name: str = Field(min_length=1, max_length=64)
    kind: Kind = ResourceKind.ROOM
    community_id: int = Field(ge=1, le=MAX_ID)
    org_id: int | None = Field(None, ge=1, le=MAX_ID, description="my organisation's; omit for the community's own")


class ResourceEdit(Body):
    """All of what the resource says (as the web's form: an omitted field is cleared)."""

    name: str = Field(min_length=1, max_length=64)
    kind: Kind
    description: str | None = Field(None, max_length=2000)
    location: str | None = Field(None, max_length=255)
    capacity: int | None = Field(None, ge=1, le=10000)
    equipment: str | None = Field(None, max_length=255)
    rules: str | None = Field(None, max_length=2000)
    photo: str | None = Field(None, max_length=64, description="an upload's key (POST /uploads); omitted or null "
                                                               "keeps the photo")
    hours: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=21,
        description="'周一至周五 09:00-17:00' or 'mon-fri 09:00-17:00', one opening a line; empty: by arrangement")


class ClosedDayIn(Body):
    day: Annotated[date, Strict(False)]
    note: str | None = Field(None, max_length=128)


# ---- the service matrix ---------------------------------------------------------------------

class MatrixRow(BaseModel):
    name: str
    org_id: int | None
    work_unit: str | None
    resources: list[MyResource]
    served: int
    rating: float | None
    points: int


class Matrix(BaseModel):
    community_id: int
    community: str
    items: list[MatrixRow]
