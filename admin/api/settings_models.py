"""Bodies of the settings, account, news and WeChat-binding operations (admin/api/settings.py)."""

from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field

from admin.api.models import Body

# ---- notification settings --------------------------------------------------------------------

class NoticeChannel(BaseModel):
    code: str = Field(description="email | sms | wechat")
    name: str


class NoticeCategory(BaseModel):
    code: str
    name: str
    channels: list[str] = Field(description="the channels besides the inbox this category comes on")
    mandatory: list[str] = Field(description="channels this category always uses: they cannot be switched off")


class QuietHours(BaseModel):
    start: str = Field(description="HH:MM, Beijing time")
    end: str
    channels: list[str] = Field(description="the channels that wait until the quiet hours end")


class NoticeSettings(BaseModel):
    channels: list[NoticeChannel] = Field(description="the channels this deployment sends on (the inbox always)")
    categories: list[NoticeCategory]
    quiet_hours: QuietHours | None
    email: str | None = Field(description="the verified address messages go to")
    email_pending: str | None = Field(description="a new address waiting for its owner to open the mailed link")
    phone: str | None = Field(description="masked")
    wechat_bound: bool
    verification_sent: bool = Field(False, description="this change mailed a verification link")


class NoticeSettingsIn(Body):
    channels: dict[str, list[str]] = Field(
        default_factory=dict, description="category → channels; a category left out comes on the inbox (and its "
                                          "mandatory channels) only")
    email: str | None = Field(None, max_length=254, description="left out: kept; null or empty: removed")


class EmailToken(Body):
    token: str = Field(min_length=1, max_length=100, description="the token at the end of the mailed link")


class Verification(BaseModel):
    email: str
    sent: bool = Field(description="false when a link went out less than a minute ago")


# ---- account ----------------------------------------------------------------------------------

class PasswordChange(Body):
    current: str = Field(min_length=1, max_length=256)
    new: str = Field(min_length=1, max_length=256, description="at least 12 characters, not like the user name")


class SessionsEnded(BaseModel):
    ended: int = Field(description="how many other log-ins (web and apps) ended")


class ElderMode(Body):
    on: bool = Field(description="长辈版: larger type, fewer things per screen, the community's phone at hand")


# ---- writing news -----------------------------------------------------------------------------

def _local(value: Any) -> Any:
    from flows.workflow.inputs import _local_datetime

    return _local_datetime(value)


class NewsPostIn(Body):
    region_id: int = Field(ge=1, le=2147483647, description="a city, district or community you govern")
    title: str = Field(min_length=1, max_length=128)
    summary: str | None = Field(None, max_length=255)
    body: str = Field(min_length=1, max_length=20000)
    cover: str | None = Field(None, max_length=64, description="a key from `POST /uploads`")
    published_at: Annotated[AwareDatetime, BeforeValidator(_local)] | None = Field(
        None, strict=False, description="null: a draft; a later time: published then (without an offset: Beijing time)")


class NewsPostOut(BaseModel):
    id: int
    region_id: int
    title: str
    summary: str | None
    body: str
    cover: str | None
    published_at: AwareDatetime | None
    state: str = Field(description="draft | scheduled | published")
    author_id: int | None
    created_at: AwareDatetime


class NewsPosts(BaseModel):
    items: list[NewsPostOut]
    next_cursor: str | None = None
