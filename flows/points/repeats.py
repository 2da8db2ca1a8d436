"""Is this the same thing again? A redemption or a points adjustment that repeats one made
minutes ago.

A form's one-time key makes the same form sent twice count once. It does not catch the same
form shown twice: pages are not cached (they carry names and points), so the back button
fetches the form again with a fresh key, the browser fills in what was typed, and a second tap
redeemed a second notebook or credited a second +5. Both can be meant (two notebooks, two
rewards), so the portal does not refuse them: it asks first (`admin/templates/repeat.html`)
when the same person redeemed the same item, or the same admin adjusted the same person's
points for the same reason, within `WINDOW`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.core.text import visible
from flows.points import shop
from schemas.clock import utcnow
from schemas.tables import Account, AdjustmentStatus, Entry, Order, OrderStatus, PointAdjustment, Posting, PostingKind

WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Earlier:
    """What was done a moment ago: when, and how much (points, signed; or the quantity)."""

    at: datetime
    amount: int
    pickup_code: str | None = None
    item_name: str | None = None  # an order's item, as it was bought (its name may have changed since)


def recent_order(session: Session, user_id: int, item_id: int, request_key: str | None,
                 now: datetime | None = None) -> Earlier | None:
    """The person's order of this item placed within the window and not cancelled since; None
    for a form sent again with its key (a replay, which redeeming answers with the same order)."""
    since = (now or utcnow()) - WINDOW
    if request_key and session.scalar(select(Order.id).where(Order.request_key == shop.order_key(user_id, request_key))):
        return None
    order = session.scalars(select(Order).where(
        Order.user_id == user_id, Order.item_id == item_id, Order.created_at >= since,
        Order.status != OrderStatus.CANCELLED).order_by(Order.id.desc()).limit(1)).first()
    return Earlier(order.created_at, order.quantity, order.pickup_code, order.item_name) if order is not None else None


def recent_adjustment(session: Session, actor_id: int, user_id: int, reason: str, request_key: str | None,
                      now: datetime | None = None) -> Earlier | None:
    """The admin's adjustment of this person's points for this reason within the window:
    posted on the ledger, or filed for a second admin's approval (and not refused); None for a
    form sent again with its key (a replay)."""
    since = (now or utcnow()) - WINDOW
    if request_key and shop.adjusted_before(session, shop.adjust_key(actor_id, request_key)):
        return None
    reason = visible(reason)[:255]
    posted = session.execute(
        select(Entry.created_at, Entry.amount).join(Posting, Posting.id == Entry.posting_id)
        .join(Account, Account.id == Entry.account_id)
        .where(Account.code == f"user:{user_id}", Entry.created_at >= since, Posting.kind == PostingKind.ADJUST,
               Posting.actor_id == actor_id, Posting.memo == reason)
        .order_by(Entry.id.desc()).limit(1)).first()
    if posted is not None:
        return Earlier(posted.created_at, posted.amount)
    filed = session.scalars(select(PointAdjustment).where(
        PointAdjustment.user_id == user_id, PointAdjustment.requested_by == actor_id,
        PointAdjustment.created_at >= since, PointAdjustment.reason == reason,
        PointAdjustment.status != AdjustmentStatus.REJECTED).order_by(PointAdjustment.id.desc()).limit(1)).first()
    return Earlier(filed.created_at, filed.amount) if filed is not None else None
