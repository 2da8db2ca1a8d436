"""What the points pages show: a person's history, the shops they can buy in, orders."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.points.ledger import memo_in
from schemas.tables import Account, Entry, Order, OrderStatus, Posting, Region, ShopItem, User


def points_history(session: Session, user_id: int, limit: int = 100,
                   locale: str | None = None, before: int | None = None) -> list[dict[str, Any]]:
    """The user's ledger entries with the reason for each (in the reader's language), newest
    first (older than entry `before`, for paging)."""
    query = (select(Entry.id, Entry.amount, Entry.created_at, Posting.memo, Posting.kind, Posting.demand_id,
                    Posting.order_id, Posting.data)
             .join(Account, Account.id == Entry.account_id).join(Posting, Posting.id == Entry.posting_id)
             .where(Account.code == f"user:{user_id}"))
    if before is not None:
        query = query.where(Entry.id < before)
    rows = session.execute(query.order_by(Entry.id.desc()).limit(limit))
    return [{**r._mapping, "memo": memo_in(r.memo, r.data, locale)} for r in rows]


def shop_items(session: Session, community_ids: set[int]) -> list[tuple[ShopItem, str]]:
    """Items on sale in the shops of these communities, with the community's name."""
    return list(session.execute(select(ShopItem, Region.name).join(Region, Region.id == ShopItem.community_id)
                                .where(ShopItem.community_id.in_(community_ids), ShopItem.on_sale.is_(True))
                                .order_by(ShopItem.community_id, ShopItem.price)).all())


def my_orders(session: Session, user_id: int, limit: int = 100, before: int | None = None
              ) -> list[tuple[Order, str]]:
    """The user's orders with the item's name as bought, newest first (older than order `before`, for paging)."""
    query = select(Order, Order.item_name).where(Order.user_id == user_id)
    if before is not None:
        query = query.where(Order.id < before)
    return [(order, name) for order, name in session.execute(query.order_by(Order.id.desc()).limit(limit))]


def community_orders(session: Session, community_ids: list[int], limit: int = 200,
                     before: int | None = None) -> list[tuple[Order, str, str]]:
    """Orders of these communities' shops with the item and the buyer, for the counter, newest
    first (those older than the order `before`, a cursor)."""
    where = [Order.community_id.in_(community_ids)] + ([Order.id < before] if before is not None else [])
    return list(session.execute(select(Order, Order.item_name, User.display_name).join(User, User.id == Order.user_id)
                                .where(*where).order_by(Order.id.desc()).limit(limit)).all())


def org_balance(session: Session, org_id: int) -> int:
    """An organisation's own points (its account on the ledger; 0 before its first award)."""
    value = session.scalar(select(Account.balance).where(Account.code == f"org:{org_id}"))
    return int(value or 0)


def org_history(session: Session, org_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The organisation's ledger entries with the reason for each, newest first."""
    rows = session.execute(select(Entry.amount, Entry.created_at, Posting.memo, Posting.demand_id)
                           .join(Account, Account.id == Entry.account_id).join(Posting, Posting.id == Entry.posting_id)
                           .where(Account.code == f"org:{org_id}").order_by(Entry.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


def reserved_orders(session: Session, community_ids: list[int], limit: int = 50,
                    after: int | None = None, offset: int = 0) -> tuple[list[tuple[Order, str, str]], int]:
    """Orders waiting to be handed out at these communities' counters, oldest first (those after
    the order `after`, a cursor, or past the first `offset`), and how many in all."""
    where = (Order.community_id.in_(community_ids), Order.status == OrderStatus.RESERVED)
    total = session.scalar(select(func.count()).select_from(Order).where(*where)) or 0
    rows = session.execute(select(Order, Order.item_name, User.display_name).join(User, User.id == Order.user_id)
                           .where(*where, *([Order.id > after] if after is not None else []))
                           .order_by(Order.id).limit(limit).offset(offset)).all()
    return [(order, item, who) for order, item, who in rows], total
