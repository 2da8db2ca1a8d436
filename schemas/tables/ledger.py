"""The points ledger: accounts, postings (one per idempotency key) and their entries.

Entries are append-only (database triggers refuse UPDATE and DELETE); a correction is a
reversing posting. `Account.balance` is a cache of the sum of its entries, kept by the
same transaction, and the CHECK keeps people's balances from going below zero.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from schemas.tables.base import Base, created_at, str_enum
from schemas.tables.demands import BigId


class AccountKind(str, enum.Enum):
    """Whose points: a person, an organisation, or a system account that balances them."""

    USER = "user"
    ORG = "org"
    ISSUANCE = "issuance"
    SHOP = "shop"


class PostingKind(str, enum.Enum):
    """Why points moved. A cancelled or expired order is given back by a REVERSAL; the CHECK
    that revision 0001 put on the append-only postings table still also allows 'refund', which
    nothing writes (rebuilding that table on SQLite to narrow it would drop its triggers)."""

    AWARD = "award"
    REDEEM = "redeem"
    ADJUST = "adjust"
    REVERSAL = "reversal"


class Account(Base):
    """A points account; `code` is stable (`user:7`, `org:3`, `issuance`, `shop:12`)."""

    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint("allow_negative OR balance >= 0", name="no_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[AccountKind] = mapped_column(str_enum(AccountKind))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    allow_negative: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_at()


class Posting(Base):
    """One movement of points, balanced by its entries; its key makes retries harmless."""

    __tablename__ = "postings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    kind: Mapped[PostingKind] = mapped_column(str_enum(PostingKind))
    amount: Mapped[int] = mapped_column(BigInteger)
    memo: Mapped[str] = mapped_column(String(255))
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("demands.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = created_at()


class Entry(Base):
    """One side of a posting: a signed amount on one account (positive = credit)."""

    __tablename__ = "entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="nonzero"),
        Index("ix_entries_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("postings.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = created_at()


class PointPolicy(Base):
    """The bounds the city sets on what districts tune (one row): base points, the per-hour rate
    and rating multipliers of task types, and the size of a manual adjustment above which a
    second admin must approve it."""

    __tablename__ = "point_policy"
    __table_args__ = (
        CheckConstraint("max_base_points >= 0 AND max_base_points <= 100000", name="base_range"),
        CheckConstraint("max_per_hour >= 0 AND max_per_hour <= 10000", name="per_hour_range"),
        CheckConstraint("max_rating_factor >= 0 AND max_rating_factor <= 10", name="factor_range"),
        CheckConstraint("adjust_threshold >= 1 AND adjust_threshold <= 100000", name="threshold_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    max_base_points: Mapped[int] = mapped_column(default=200)
    max_per_hour: Mapped[float] = mapped_column(default=20)
    max_rating_factor: Mapped[float] = mapped_column(default=2)
    adjust_threshold: Mapped[int] = mapped_column(default=100)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = created_at()


class AdjustmentStatus(str, enum.Enum):
    """A large manual adjustment waits for a second admin, who approves or rejects it."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PointAdjustment(Base):
    """A manual adjustment above the city's threshold, waiting for a second admin's approval;
    once approved it is posted on the ledger under `adjust:request:<id>`."""

    __tablename__ = "point_adjustments"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="nonzero"),
        Index("ix_point_adjustments_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(255))
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    request_key: Mapped[str] = mapped_column(String(160), unique=True)
    status: Mapped[AdjustmentStatus] = mapped_column(str_enum(AdjustmentStatus), default=AdjustmentStatus.PENDING)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    posting_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("postings.id"))
    created_at: Mapped[datetime] = created_at()


__all__ = ["Account", "AccountKind", "AdjustmentStatus", "Entry", "PointAdjustment", "PointPolicy", "Posting",
           "PostingKind"]
