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


__all__ = ["Account", "AccountKind", "Entry", "Posting", "PostingKind"]
