"""People and organisations: users with scoped roles, party organisations, members and
their registration (报到) with a community, and the talent pool (skills, availability)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, false, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schemas.tables.base import Base, created_at, str_enum


class Role(str, enum.Enum):
    """What a user may be; a grant scopes it to a region or an organisation."""

    RESIDENT = "resident"
    MEMBER = "member"
    ORG_ADMIN = "org_admin"
    COMMUNITY_ADMIN = "community_admin"
    DISTRICT_ADMIN = "district_admin"
    CITY_ADMIN = "city_admin"


class RegistrationStatus(str, enum.Enum):
    """A registration (报到) waits for the community admin, who approves or rejects it."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class User(Base):
    """Anyone who logs in. Passwords are stored only as hashes."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))
    # Where messages reach the person besides the inbox (#17): e-mail they typed in 通知设置,
    # the WeChat openid bound at a mini-program log-in (#18).
    email: Mapped[str | None] = mapped_column(String(254))
    # A new address waits here until its owner opens the link mailed to it (flows.notices.verification).
    email_pending: Mapped[str | None] = mapped_column(String(254))
    email_token_hash: Mapped[str | None] = mapped_column(String(64))
    email_token_at: Mapped[datetime | None]
    wechat_openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set by an admin's reset and by imports (a temporary password): every page asks for a new
    # password until it is changed. Log-in throttling is not kept here (admin/security/throttle.py).
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # 长辈版 (elder mode): larger text and controls, one task per screen. Set by the person (one
    # tap on any page) or by their community's staff; a device may also switch it on by cookie.
    elder_mode: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = created_at()

    grants: Mapped[list[RoleGrant]] = relationship(back_populates="user")
    member: Mapped[Member | None] = relationship(back_populates="user", uselist=False)

    # One person per name whatever its case (M0054 would pass for m0054): the doors check first
    # (flows/people/usernames.py) and this index stops the request that races past the check.
    __table_args__ = (Index("uq_users_username_lower", func.lower(username), unique=True),)


class LoginSession(Base):
    """One log-in on one device: the cookie holds a random token, this row its SHA-256. Deleting
    the row ends the session everywhere its cookie was copied (log-out, password change, an
    admin's "sign out everywhere"); `seen_at` and `created_at` give the idle and absolute timeouts."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = created_at()
    seen_at: Mapped[datetime]

    __table_args__ = (Index("ix_login_sessions_created_at", "created_at"),)


class AppToken(Base):
    """One app (the mini-program, a phone app) signed in on one device: a short-lived access
    token and a long-lived refresh token, both kept only as SHA-256. A refresh rotates both; the
    refresh token it replaced is remembered, so a stolen copy used after the owner refreshed
    ends the whole device session. Listed, and revocable, on the owner's devices page."""

    __tablename__ = "app_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16))  # password | wechat
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    access_expires_at: Mapped[datetime]
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    previous_refresh_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    refresh_expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = created_at()
    seen_at: Mapped[datetime]


class ApiReplay(Base):
    """The answer given to a POST with an `Idempotency-Key`, per sender: the same key again is
    answered with it, never a second effect; the same key with another body is refused."""

    __tablename__ = "api_replays"

    key: Mapped[str] = mapped_column(String(96), primary_key=True)  # <user>:<key>
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(255))  # where a created thing is (a 201's Location)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (Index("ix_api_replays_created_at", "created_at"),)


class WeChatTicket(Base):
    """A spent WeChat bind ticket (admin/api/signin.py): the ticket is signed and lives ten
    minutes; its random id is kept here once it bound an account, so it binds only once."""

    __tablename__ = "wechat_tickets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    spent_at: Mapped[datetime] = created_at()

    __table_args__ = (Index("ix_wechat_tickets_spent_at", "spent_at"),)


class WeChatBindCode(Base):
    """The short form of a bind ticket, for an admin to type (账号管理): the unbound WeChat user
    reads it out from the mini-program, the admin binds it to the person's account. Lives as
    long as its ticket; binding spends the ticket (`ticket_id`), so code and ticket bind once."""

    __tablename__ = "wechat_bind_codes"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (Index("ix_wechat_bind_codes_created_at", "created_at"),)


class RoleGrant(Base):
    """A role held in a scope: a region (residents, admins) or an organisation (org admins)."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "region_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)

    user: Mapped[User] = relationship(back_populates="grants")


class Organisation(Base):
    """A party organisation (党组织) of a work unit; it reports to a paired community."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    work_unit: Mapped[str] = mapped_column(String(128))
    district_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(64))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = created_at()


class OrgRegistration(Base):
    """An organisation's report-in (报到) with a community; one per pair."""

    __tablename__ = "org_registrations"
    __table_args__ = (UniqueConstraint("org_id", "community_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(
        str_enum(RegistrationStatus), default=RegistrationStatus.PENDING
    )
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()


member_skills = Table(
    "member_skills",
    Base.metadata,
    Column("member_id", ForeignKey("members.user_id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skills.id"), primary_key=True),
    Index("ix_member_skills_skill_id", "skill_id"),
)


class Skill(Base):
    """A skill of the talent pool (人才资源库), matched against demands' required skills."""

    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))


class Member(Base):
    """An in-service party member (在职党员): a user with a work organisation and skills."""

    __tablename__ = "members"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # The organisation the member asked to join, waiting for its admins (flows/people/joining.py).
    org_requested_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    org_requested_at: Mapped[datetime | None]
    work_unit: Mapped[str | None] = mapped_column(String(128))
    availability: Mapped[str | None] = mapped_column(String(128))
    bio: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(back_populates="member")
    skills: Mapped[list[Skill]] = relationship(secondary=member_skills)


class MemberRegistration(Base):
    """A member's report-in (报到) with the community where they live; one per pair."""

    __tablename__ = "member_registrations"
    __table_args__ = (UniqueConstraint("member_id", "community_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.user_id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(
        str_enum(RegistrationStatus), default=RegistrationStatus.PENDING
    )
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
