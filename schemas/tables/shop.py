"""Each community's points supermarket (积分超市): items with stock, and redemption orders."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from schemas.tables.base import Base, created_at, str_enum


class LimitPeriod(str, enum.Enum):
    """The window a per-person purchase limit counts over."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    EVER = "ever"


class OrderStatus(str, enum.Enum):
    """An order reserves stock and points until it is picked up, cancelled or expires."""

    RESERVED = "reserved"
    PICKED_UP = "picked_up"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ShopItem(Base):
    """A catalogue item of one community's shop; stock never goes below zero."""

    __tablename__ = "shop_items"
    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("stock >= 0", name="stock_nonnegative"),
        CheckConstraint("limit_qty IS NULL OR limit_qty > 0", name="limit_positive"),
        UniqueConstraint("community_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    picture: Mapped[str | None] = mapped_column(String(255))
    price: Mapped[int]
    stock: Mapped[int] = mapped_column(default=0)
    limit_qty: Mapped[int | None]
    limit_period: Mapped[LimitPeriod] = mapped_column(str_enum(LimitPeriod), default=LimitPeriod.MONTH)
    on_sale: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at()


class PurchaseCounter(Base):
    """How many of an item a person bought in one period: the limit is a CHECK-guarded
    counter, so two tabs redeeming at once cannot both slip under it."""

    __tablename__ = "purchase_counters"
    __table_args__ = (
        UniqueConstraint("user_id", "item_id", "period"),
        CheckConstraint("qty >= 0", name="qty_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("shop_items.id"))
    period: Mapped[str] = mapped_column(String(16))
    qty: Mapped[int] = mapped_column(default=0)


class Order(Base):
    """A redemption: points debited and stock reserved in one transaction, with a pickup code."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("points > 0", name="points_positive"),
        Index("ix_orders_user", "user_id", "id"),
        Index("ix_orders_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("shop_items.id"), index=True)
    # The item's name when it was bought: a later rename of the item (or a new item in its place)
    # must not change what a past order, its receipt or the counter's list says was bought.
    item_name: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    quantity: Mapped[int] = mapped_column(default=1)
    points: Mapped[int]
    period: Mapped[str] = mapped_column(String(16))
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus), default=OrderStatus.RESERVED)
    pickup_code: Mapped[str] = mapped_column(String(16), unique=True)
    # The client's token for this redemption: a double tap or a retried request finds the
    # first order instead of buying twice.
    request_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    expires_at: Mapped[datetime]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()


class StockMove(Base):
    """A relative change of an item's stock by an admin (restock, write-off), with its reason;
    its key makes a resubmitted form harmless. Redemptions move stock through orders."""

    __tablename__ = "stock_moves"
    __table_args__ = (CheckConstraint("delta <> 0", name="nonzero"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("shop_items.id"), index=True)
    delta: Mapped[int]
    stock_after: Mapped[int]
    reason: Mapped[str] = mapped_column(String(255))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    request_key: Mapped[str] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = created_at()
