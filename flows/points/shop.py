"""Each community's points supermarket (积分超市): redeem, pick up, cancel, expire.

Redeeming takes stock, counts the per-person limit, debits the points and issues a pickup
code in one transaction; each of the three is a conditional UPDATE, so the last item, the
limit and the balance each have exactly one winner however many taps arrive together.
Cancelling or expiring puts everything back with a reversing posting. Every change of an
order appends to the event log.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows.core import journal
from flows.core.db import in_transaction
from flows.core.i18n import N_, Message, render
from flows.core.refusals import Refused
from flows.core.sql import changed, upsert
from flows.people.actors import ActorContext, load_actor
from flows.points import ledger
from schemas.clock import LOCAL_TZ, utcnow
from schemas.tables import (
    LimitPeriod,
    Order,
    OrderStatus,
    Posting,
    PostingKind,
    PurchaseCounter,
    Region,
    ShopItem,
)

PICKUP_DAYS = 7
EXPIRED = render("shop.expired")  # the reason kept in an expired order's event (the log is in Chinese)
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud at a counter


def period_key(period: LimitPeriod, now: datetime) -> str:
    """The window a purchase counts in, in Beijing time (a day ends at local midnight)."""
    local = now.astimezone(LOCAL_TZ)
    if period is LimitPeriod.DAY:
        return local.strftime("%Y-%m-%d")
    if period is LimitPeriod.WEEK:
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if period is LimitPeriod.MONTH:
        return local.strftime("%Y-%m")
    return "ever"


def _pickup_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def redeem(session: Session, user_id: int, item_id: int, quantity: int = 1, *, request_key: str | None = None,
           now: datetime | None = None) -> Order:
    """Buy `quantity` of an item with points; returns the reserved order with its pickup code."""
    now = now or utcnow()
    if not 1 <= quantity <= 99:
        raise Refused("input", fields={"quantity": N_("数量应为 1 到 99")})
    if request_key:
        existing = session.scalar(select(Order).where(Order.request_key == f"{user_id}:{request_key}"))
        if existing is not None:
            return existing
    item = session.get(ShopItem, item_id)
    if item is None:
        raise Refused("shop.not_found")

    def work() -> Order:
        taken = changed(session, update(ShopItem).where(ShopItem.id == item_id, ShopItem.on_sale.is_(True),
                                                       ShopItem.stock >= quantity)
                                .values(stock=ShopItem.stock - quantity)
                                .execution_options(synchronize_session=False))
        if taken != 1:
            session.refresh(item)
            raise Refused("shop.off_sale" if not item.on_sale else "shop.out_of_stock")
        period = period_key(item.limit_period, now)
        if item.limit_qty is not None:
            upsert(session, PurchaseCounter, {"user_id": user_id, "item_id": item_id, "period": period, "qty": 0})
            counted = changed(session, update(PurchaseCounter).where(
                PurchaseCounter.user_id == user_id, PurchaseCounter.item_id == item_id,
                PurchaseCounter.period == period, PurchaseCounter.qty + quantity <= item.limit_qty)
                .values(qty=PurchaseCounter.qty + quantity).execution_options(synchronize_session=False))
            if counted != 1:
                raise Refused("shop.limit", {"limit": item.limit_qty})
        points = item.price * quantity
        order = Order(item_id=item_id, user_id=user_id, community_id=item.community_id, quantity=quantity,
                      points=points, period=period, pickup_code=_pickup_code(), expires_at=now + timedelta(days=PICKUP_DAYS),
                      request_key=f"{user_id}:{request_key}" if request_key else None)
        order.created_at = now
        session.add(order)
        try:
            session.flush()
        except IntegrityError:
            raise Refused("shop.retry") from None
        try:
            memo = Message("shop.memo.redeem", {"item": item.name, "quantity": quantity})
            ledger.post(session, f"redeem:order:{order.id}", PostingKind.REDEEM, memo,
                        [ledger.Move(ledger.user_account(session, user_id), -points),
                         ledger.Move(ledger.shop_account(session, item.community_id), points)],
                        order_id=order.id, actor_id=user_id)
        except ledger.LedgerError as exc:
            raise Refused(exc.code, exc.params) from None
        journal.record(session, subject="order", subject_id=order.id, step="redeem", from_state=None,
                       to_state=OrderStatus.RESERVED.value, actor_id=user_id, at=now,
                       data={"item": item.name, "quantity": quantity, "points": points})
        return order

    return in_transaction(session, work)


def _release(session: Session, order: Order, to: OrderStatus, actor_id: int | None, now: datetime,
             reason: str | None) -> Order:
    """Reserved → cancelled/expired: stock, limit counter and points all come back."""
    moved = changed(session, update(Order).where(Order.id == order.id, Order.status == OrderStatus.RESERVED)
                            .values(status=to, decided_by=actor_id, decided_at=now)
                            .execution_options(synchronize_session=False))
    if moved != 1:
        session.refresh(order)
        raise Refused("shop.not_reserved")
    session.execute(update(ShopItem).where(ShopItem.id == order.item_id)
                    .values(stock=ShopItem.stock + order.quantity).execution_options(synchronize_session=False))
    session.execute(update(PurchaseCounter).where(
        PurchaseCounter.user_id == order.user_id, PurchaseCounter.item_id == order.item_id,
        PurchaseCounter.period == order.period, PurchaseCounter.qty >= order.quantity)
        .values(qty=PurchaseCounter.qty - order.quantity).execution_options(synchronize_session=False))
    posting = session.scalars(select(Posting).where(Posting.key == f"redeem:order:{order.id}")).one()
    ledger.reverse(session, posting, f"refund:order:{order.id}", Message("shop.memo.refund", {"order": order.id}), actor_id)
    journal.record(session, subject="order", subject_id=order.id, step=to.value, from_state="reserved",
                   to_state=to.value, actor_id=actor_id, at=now, data={"reason": reason} if reason else {})
    session.refresh(order)
    return order


def cancel(session: Session, actor: ActorContext | int, order_id: int, *, reason: str | None = None,
           now: datetime | None = None) -> Order:
    """The buyer, or an admin of the shop's community, cancels a reserved order."""
    now = now or utcnow()
    who = _who(session, actor)
    order = session.get(Order, order_id)
    if order is None or who is None:
        raise Refused("shop.not_found")
    if order.user_id != who.user_id and not _admin_of(session, who, order.community_id):
        raise Refused("shop.not_found")  # someone else's order does not exist for you
    return in_transaction(session, lambda: _release(session, order, OrderStatus.CANCELLED, who.user_id, now, reason))


def expire_due(session: Session, *, now: datetime | None = None) -> int:
    """Expire every reserved order past its pickup deadline; returns how many. Safe to rerun."""
    now = now or utcnow()
    ids = session.scalars(select(Order.id).where(Order.status == OrderStatus.RESERVED, Order.expires_at < now)).all()
    session.rollback()
    done = 0
    for order_id in ids:
        order = session.get_one(Order, order_id)
        try:
            in_transaction(session, partial(_release, session, order, OrderStatus.EXPIRED, None, now, EXPIRED))
            done += 1
        except Refused:
            pass  # picked up or cancelled meanwhile
    return done


def confirm_pickup(session: Session, actor: ActorContext | int, code: str, *, now: datetime | None = None) -> Order:
    """A community admin hands over the goods against the pickup code (typed or scanned)."""
    now = now or utcnow()
    who = _who(session, actor)
    order = session.scalar(select(Order).where(Order.pickup_code == code.strip().upper()))
    if order is None or who is None or not _admin_of(session, who, order.community_id):
        raise Refused("shop.bad_code")

    def work() -> Order:
        moved = changed(session, update(Order).where(Order.id == order.id, Order.status == OrderStatus.RESERVED)
                                .values(status=OrderStatus.PICKED_UP, decided_by=who.user_id, decided_at=now)
                                .execution_options(synchronize_session=False))
        if moved != 1:
            raise Refused("shop.not_reserved")
        journal.record(session, subject="order", subject_id=order.id, step="pickup", from_state="reserved",
                       to_state="picked_up", actor_id=who.user_id, at=now)
        session.refresh(order)
        return order

    return in_transaction(session, work)


def adjust(session: Session, actor: ActorContext | int, user_id: int, amount: int, reason: str, *,
           request_key: str, now: datetime | None = None) -> Posting:
    """An admin credits or debits a person's points, with a mandatory reason, audited."""
    from schemas.tables import AuditLog, RoleGrant

    who = _who(session, actor)
    reason = (reason or "").strip()
    if not reason:
        raise Refused("ledger.reason_required", fields={"reason": N_("必须填写原因")})
    if amount == 0 or abs(amount) > 100_000:
        raise Refused("input", fields={"amount": N_("调整数额应为 -100000 到 100000 之间的非零整数")})
    communities = session.scalars(select(RoleGrant.region_id).where(RoleGrant.user_id == user_id,
                                                                     RoleGrant.region_id.is_not(None))).all()
    if who is None or not any(_admin_of(session, who, c) for c in communities if c is not None):
        raise Refused("role")

    key = f"adjust:{who.user_id}:{request_key}"

    def work() -> Posting:
        replay = session.scalar(select(Posting.id).where(Posting.key == key)) is not None
        try:
            posting = ledger.post(session, key, PostingKind.ADJUST, reason,
                                  [ledger.Move(ledger.issuance_account(session), -amount),
                                   ledger.Move(ledger.user_account(session, user_id), amount)],
                                  actor_id=who.user_id, data={"reason": reason, "user_id": user_id})
        except ledger.LedgerError as exc:
            raise Refused(exc.code, exc.params) from None
        if replay:
            return posting
        session.add(AuditLog(actor_id=who.user_id, action="adjust_points", table_name="accounts",
                             row_id=f"user:{user_id}", after={"amount": amount, "posting": posting.id}, reason=reason))
        return posting

    return in_transaction(session, work)


def _who(session: Session, actor: ActorContext | int) -> ActorContext | None:
    """The acting context, loaded when given a user id (None for an unknown or inactive user)."""
    return actor if isinstance(actor, ActorContext) else load_actor(session, actor)


def _admin_of(session: Session, actor: ActorContext, community_id: int) -> bool:
    region = session.get(Region, community_id)
    return region is not None and actor.in_scope("community_admin", region.path)
