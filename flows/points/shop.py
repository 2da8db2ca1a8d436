"""Each community's points supermarket (积分超市): redeem, pick up, cancel, expire.

Redeeming takes stock, counts the per-person limit, debits the points and issues a pickup
code in one transaction; each of the three is a conditional UPDATE, so the last item, the
limit and the balance each have exactly one winner however many taps arrive together.
Cancelling or expiring puts everything back with a reversing posting. Every change of an
order appends to the event log.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows.core import journal
from flows.core.db import in_transaction
from flows.core.i18n import N_, Message, render
from flows.core.moments import Moment
from flows.core.refusals import Refused
from flows.core.sql import changed, insert_once, upsert
from flows.core.text import visible
from flows.notices import outbox
from flows.people.actors import ActorContext, load_actor
from flows.people.regions import district_id
from flows.points import ledger, rules
from schemas.clock import LOCAL_TZ, utcnow
from schemas.tables import (
    AdjustmentStatus,
    AuditLog,
    LimitPeriod,
    Order,
    OrderStatus,
    PointAdjustment,
    Posting,
    PostingKind,
    PurchaseCounter,
    Region,
    RegionLevel,
    RoleGrant,
    ShopItem,
    StockMove,
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


def order_key(user_id: int, request_key: str) -> str:
    """An order's key: the buyer's own form key (two people's keys never meet)."""
    return f"{user_id}:{request_key}"


def beyond_limit(session: Session, user_id: int, item: ShopItem, quantity: int,
                 now: datetime | None = None) -> Refused | None:
    """The refusal redeeming `quantity` more would meet at the per-person limit, read before
    asking "buy another?": a question whose yes can only be refused is not asked. (A read, not
    the guard: `redeem`'s counter decides.)"""
    if item.limit_qty is None:
        return None
    bought = session.scalar(select(PurchaseCounter.qty).where(
        PurchaseCounter.user_id == user_id, PurchaseCounter.item_id == item.id,
        PurchaseCounter.period == period_key(item.limit_period, now or utcnow()))) or 0
    return Refused("shop.limit", {"limit": item.limit_qty}) if bought + quantity > item.limit_qty else None


def redeem(session: Session, user_id: int, item_id: int, quantity: int = 1, *, request_key: str | None = None,
           now: datetime | None = None) -> Order:
    """Buy `quantity` of an item with points; returns the reserved order with its pickup code."""
    now = now or utcnow()
    if not 1 <= quantity <= 99:
        raise Refused("input", fields={"quantity": N_("数量应为 1 到 99")})
    if request_key:
        existing = session.scalar(select(Order).where(Order.request_key == order_key(user_id, request_key)))
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
        order = Order(item_id=item_id, item_name=item.name, user_id=user_id, community_id=item.community_id, quantity=quantity,
                      points=points, period=period, pickup_code=_pickup_code(), expires_at=now + timedelta(days=PICKUP_DAYS),
                      request_key=order_key(user_id, request_key) if request_key else None)
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
        event_id = journal.record(session, subject="order", subject_id=order.id, step="redeem", from_state=None,
                                  to_state=OrderStatus.RESERVED.value, actor_id=user_id, at=now,
                                  data={"item": item.name, "quantity": quantity, "points": points})
        _tell(session, "order_ready", order, item, event_id, now)
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
    memo = Message("shop.memo.refund_item", {"item": order.item_name, "quantity": order.quantity})
    ledger.reverse(session, posting, f"refund:order:{order.id}", memo, actor_id)
    event_id = journal.record(session, subject="order", subject_id=order.id, step=to.value, from_state="reserved",
                              to_state=to.value, actor_id=actor_id, at=now, data={"reason": reason} if reason else {})
    session.refresh(order)
    item = session.get(ShopItem, order.item_id)
    if actor_id != order.user_id and item is not None:  # who cancelled their own order knows; anyone else's is told
        said = Message("shop.expired") if to is OrderStatus.EXPIRED else reason or Message("shop.cancelled_by_community")
        _tell(session, "order_cancelled", order, item, event_id, now, reason=said)
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


def _tell(session: Session, template: str, order: Order, item: ShopItem, event_id: int, now: datetime, *,
          reason: str | Message = "") -> None:
    """Tell the person who redeemed: ready for pickup (with the code), about to expire, or
    cancelled by the community or the clock (the points back)."""
    community = session.get(Region, item.community_id)
    outbox.tell(session, event_id=event_id, users=[order.user_id], template=template, now=now,
                values={"item": order.item_name, "quantity": order.quantity, "code": order.pickup_code,
                        "points": order.points, "reason": reason,
                        "expires_at": Moment(order.expires_at),
                        "community": community.name if community else ""},
                district_id=district_id(community.path) if community else None, community_id=item.community_id)


def remind_expiring(session: Session, *, within: timedelta = timedelta(hours=24), now: datetime | None = None) -> int:
    """Tell each person whose order expires within `within` (once per order: the event's
    request key is the order's); the hourly expiry flow calls this. Returns how many were told."""
    now = now or utcnow()
    due = session.scalars(select(Order).where(Order.status == OrderStatus.RESERVED, Order.expires_at > now,
                                              Order.expires_at <= now + within)).all()
    told = 0
    for order in due:
        def work(order: Order = order) -> bool:
            try:
                with session.begin_nested():
                    event_id = journal.record(session, subject="order", subject_id=order.id, step="expiring",
                                              from_state="reserved", to_state="reserved", actor_id=None, at=now,
                                              request_key=f"order:{order.id}:expiring")
            except IntegrityError:
                return False  # told already
            item = session.get(ShopItem, order.item_id)
            if item is not None:
                _tell(session, "order_expiring", order, item, event_id, now)
            return True

        told += in_transaction(session, work)
    return told


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


@dataclass(frozen=True)
class Adjustment:
    """What an adjustment did: posted at once (`posting`), or waits for a second admin
    (`request`); `replay` when the same form was sent before."""

    posting: Posting | None = None
    request: PointAdjustment | None = None
    replay: bool = False


def adjust(session: Session, actor: ActorContext | int, user_id: int, amount: int, reason: str, *,
           request_key: str, now: datetime | None = None) -> Adjustment:
    """An admin credits or debits a person's points, with a mandatory reason, audited.

    Separation of duties: nobody adjusts their own account; an adjustment larger than the
    city's threshold (PointPolicy.adjust_threshold) is only a request until a second admin
    approves it (`decide_adjustment`). The same form sent twice (same key) does it once.
    """
    now = now or utcnow()
    actor = _adjusting_admin(session, actor, user_id)
    reason = visible(reason)[:255]
    if not reason:
        raise Refused("ledger.reason_required", fields={"reason": N_("必须填写原因")})
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0 or abs(amount) > 100_000:
        raise Refused("input", fields={"amount": N_("调整数额应为 -100000 到 100000 之间的非零整数")})
    key = adjust_key(actor.user_id, request_key)
    # A debit the balance cannot cover is refused now, not queued for a second admin whose
    # approval the ledger would refuse anyway (a replay of one already made is not a new debit).
    if amount < 0 and -amount > ledger.balance(session, user_id) and not adjusted_before(session, key):
        raise Refused("ledger.insufficient")
    if abs(amount) > rules.policy(session).adjust_threshold:
        return in_transaction(session, lambda: _request(session, actor, user_id, amount, reason, key, now))

    def work() -> Adjustment:
        try:
            posting, made = ledger.post_once(
                session, key, PostingKind.ADJUST, reason,
                [ledger.Move(ledger.issuance_account(session), -amount),
                 ledger.Move(ledger.user_account(session, user_id), amount)],
                actor_id=actor.user_id, data={"reason": reason, "user_id": user_id})
        except ledger.LedgerError as exc:
            raise Refused(exc.code, exc.params) from None
        if made:
            session.add(AuditLog(actor_id=actor.user_id, action="adjust_points", table_name="accounts",
                                 row_id=f"user:{user_id}", after={"amount": amount, "posting": posting.id},
                                 reason=reason, at=now))
            _tell_adjusted(session, actor.user_id, user_id, amount, reason, posting.id, now)
        return Adjustment(posting=posting, replay=not made)

    return in_transaction(session, work)


def _tell_adjusted(session: Session, admin_id: int | None, user_id: int, amount: int, reason: str, posting_id: int,
                   now: datetime) -> None:
    """The person hears of an adjustment of their points, with its reason and their balance, in
    the posting's transaction: an award tells them, and an admin's +10 or -10 told nobody (the
    walk). Worded as the district of their community words it."""
    community = session.scalar(select(Region).join(RoleGrant, RoleGrant.region_id == Region.id).where(
        RoleGrant.user_id == user_id, Region.level == RegionLevel.COMMUNITY).order_by(RoleGrant.id).limit(1))
    event_id = journal.record(session, subject="users", subject_id=user_id, step="adjust_points", from_state=None,
                              to_state=None, actor_id=admin_id, at=now, data={"amount": amount, "posting": posting_id})
    outbox.tell(session, event_id=event_id, users=[user_id], template="points_adjusted", now=now,
                values={"points": f"{amount:+d}", "balance": ledger.balance(session, user_id), "reason": reason},
                district_id=district_id(community.path) if community else None,
                community_id=community.id if community else None)


def adjust_key(actor_id: int | None, request_key: str) -> str:
    """The ledger key of an admin's adjustment sent with this form key."""
    return f"adjust:{actor_id}:{request_key}"[:160]


def adjusted_before(session: Session, key: str) -> bool:
    """Whether this adjustment's key was already posted or filed (a retry, not a new one)."""
    return (ledger.find(session, key) is not None or session.scalar(
        select(PointAdjustment.id).where(PointAdjustment.request_key == key)) is not None)


def _adjusting_admin(session: Session, actor: ActorContext | int | None, user_id: int) -> ActorContext:
    """The actor, if they administer a community the person belongs to and are not that person."""
    admin = actor if isinstance(actor, ActorContext) else load_actor(session, actor) if actor else None
    communities = session.scalars(select(RoleGrant.region_id).where(RoleGrant.user_id == user_id)).all()
    if admin is None or not any(_admin_of(session, admin, c) for c in communities if c is not None):
        raise Refused("role")
    if admin.user_id == user_id:
        raise Refused("ledger.own_account")
    return admin


def _request(session: Session, actor: ActorContext, user_id: int, amount: int, reason: str, key: str,
             now: datetime) -> Adjustment:
    """File a request for a second admin; the key is claimed by the INSERT itself."""
    request_id = insert_once(
            session, PointAdjustment, on=["request_key"],
        user_id=user_id, amount=amount, reason=reason, requested_by=actor.user_id, request_key=key,
        status=AdjustmentStatus.PENDING, created_at=now)
    made = request_id is not None
    request = session.scalars(select(PointAdjustment).where(PointAdjustment.request_key == key)).one()
    if (request.user_id, request.amount) != (user_id, amount):  # the key of another adjustment
        raise Refused("ledger.key_conflict")
    if made:
        session.add(AuditLog(actor_id=actor.user_id, action="adjust_requested", table_name="point_adjustments",
                             row_id=str(request.id), after={"user_id": user_id, "amount": amount},
                             reason=reason, at=now))
    return Adjustment(request=request, replay=not made)


def decide_adjustment(session: Session, actor: ActorContext | int, request_id: int, approve: bool, *,
                      now: datetime | None = None) -> PointAdjustment:
    """A second admin approves (the points are posted) or rejects a pending adjustment: not
    the admin who asked, not the person whose points they are; one decision wins."""
    now = now or utcnow()
    request = session.get(PointAdjustment, request_id)
    if request is None:
        raise Refused("ledger.no_request")
    admin = _adjusting_admin(session, actor, request.user_id)
    if admin.user_id == request.requested_by:
        raise Refused("ledger.same_admin")
    status = AdjustmentStatus.APPROVED if approve else AdjustmentStatus.REJECTED

    def work() -> PointAdjustment:
        moved = session.execute(update(PointAdjustment).where(
            PointAdjustment.id == request_id, PointAdjustment.status == AdjustmentStatus.PENDING)
            .values(status=status, decided_by=admin.user_id, decided_at=now).returning(PointAdjustment.id)
            .execution_options(synchronize_session=False)).scalar_one_or_none()
        if moved is None:
            raise Refused("ledger.decided")
        after: dict[str, Any] = {"status": status.value}
        if approve:
            try:
                posting = ledger.post(session, f"adjust:request:{request_id}", PostingKind.ADJUST, request.reason,
                                      [ledger.Move(ledger.issuance_account(session), -request.amount),
                                       ledger.Move(ledger.user_account(session, request.user_id), request.amount)],
                                      actor_id=admin.user_id,
                                      data={"reason": request.reason, "user_id": request.user_id,
                                            "requested_by": request.requested_by, "approved_by": admin.user_id})
            except ledger.LedgerError as exc:
                raise Refused(exc.code, exc.params) from None
            session.execute(update(PointAdjustment).where(PointAdjustment.id == request_id)
                            .values(posting_id=posting.id).execution_options(synchronize_session=False))
            after.update(posting=posting.id, amount=request.amount)
            _tell_adjusted(session, admin.user_id, request.user_id, request.amount, request.reason, posting.id, now)
        session.add(AuditLog(actor_id=admin.user_id, action="adjust_approved" if approve else "adjust_rejected",
                             table_name="point_adjustments", row_id=str(request_id),
                             before={"status": AdjustmentStatus.PENDING.value}, after=after, reason=request.reason,
                             at=now))
        session.refresh(request)
        return request

    return in_transaction(session, work)


def restock(session: Session, actor: ActorContext | int, item_id: int, delta: int, reason: str,
            request_key: str, *, now: datetime | None = None) -> StockMove:
    """Add (or, negative, write off) stock of an item by an admin of its community: a relative
    change, so redemptions made meanwhile are never overwritten; audited with its reason; the
    same form sent twice (same key) moves the stock once."""
    now = now or utcnow()
    admin = actor if isinstance(actor, ActorContext) else load_actor(session, actor)
    item = session.get(ShopItem, item_id)
    if item is None or admin is None or not _admin_of(session, admin, item.community_id):
        raise Refused("shop.not_found")
    reason = visible(reason)[:255]
    fields = {}
    if not reason:
        fields["reason"] = N_("必须填写原因")
    if not delta or abs(delta) > 10_000:
        fields["delta"] = N_("数量应为 -10000 到 10000 之间的非零整数")
    if fields:
        raise Refused("input", fields=fields)
    key = f"restock:{admin.user_id}:{request_key}"[:160]

    def work() -> StockMove:
        move_id = insert_once(
            session, StockMove, on=["request_key"],
            item_id=item_id, delta=delta, stock_after=0, reason=reason, actor_id=admin.user_id, request_key=key,
            created_at=now)
        if move_id is None:  # sent before: that move stands
            return session.scalars(select(StockMove).where(StockMove.request_key == key)).one()
        after = session.execute(update(ShopItem).where(ShopItem.id == item_id, ShopItem.stock + delta >= 0)
                                .values(stock=ShopItem.stock + delta).returning(ShopItem.stock)
                                .execution_options(synchronize_session=False)).scalar_one_or_none()
        if after is None:
            raise Refused("shop.stock_negative", fields={"delta": N_("库存不能减到 0 以下")})
        session.execute(update(StockMove).where(StockMove.id == move_id).values(stock_after=after)
                        .execution_options(synchronize_session=False))
        session.add(AuditLog(actor_id=admin.user_id, action="restock", table_name="shop_items", row_id=str(item_id),
                             before={"stock": after - delta}, after={"stock": after, "delta": delta}, reason=reason,
                             at=now))
        session.flush()
        move = session.get(StockMove, move_id)
        assert move is not None
        session.refresh(move)
        session.expire(item, ["stock"])
        return move

    return in_transaction(session, work)


def _who(session: Session, actor: ActorContext | int) -> ActorContext | None:
    """The acting context, loaded when given a user id (None for an unknown or inactive user)."""
    return actor if isinstance(actor, ActorContext) else load_actor(session, actor)


def _admin_of(session: Session, actor: ActorContext, community_id: int) -> bool:
    region = session.get(Region, community_id)
    return region is not None and actor.in_scope("community_admin", region.path)
