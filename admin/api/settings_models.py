"""Bodies of the settings, account, news and WeChat-binding operations (admin/api/settings.py)."""

from pydantic import BaseModel, Field

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
