"""The points supermarket: redeem, pick up, cancel, expire, limits, adjustments, races."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from sqlalchemy import func, insert, select

from flows.core.db import make_engine, make_sessionmaker
from flows.core.refusals import Refused
from flows.points import ledger, reads, shop
from schemas.tables import (
    AuditLog,
    Event,
    LimitPeriod,
    Order,
    OrderStatus,
    Posting,
    PostingKind,
    Role,
    RoleGrant,
    ShopItem,
    User,
)
from tests.world import NOW, build_world


@pytest.fixture
def world(factory):
    return build_world(factory)


def _give(factory, user_id, amount, key=None):
    with factory() as s:
        ledger.post(s, key or f"gift:{user_id}:{amount}", PostingKind.AWARD, "奖励",
                    [ledger.Move(ledger.issuance_account(s), -amount), ledger.Move(ledger.user_account(s, user_id), amount)])
        s.commit()


def _item(factory, world, **kw):
    fields = {"community_id": world["ca"], "name": "大米5kg", "price": 30, "stock": 5}
    fields.update(kw)
    with factory() as s:
        item = ShopItem(**fields)
        s.add(item)
        s.commit()
        return item.id


def _balance(factory, user):
    with factory() as s:
        return ledger.balance(s, user)


def _stock(factory, item):
    with factory() as s:
        return s.get(ShopItem, item).stock


def test_redeem_pickup(factory, world):
    _give(factory, world["mem1"], 100)
    item = _item(factory, world)
    with factory() as s:
        order = shop.redeem(s, world["mem1"], item, 2, now=NOW)
    assert (order.status, order.points, len(order.pickup_code)) == (OrderStatus.RESERVED, 60, 8)
    assert _balance(factory, world["mem1"]) == 40 and _stock(factory, item) == 3
    with factory() as s, pytest.raises(Refused) as exc:
        shop.confirm_pickup(s, world["cadm_b"], order.pickup_code)  # another community's admin
    assert exc.value.code == "shop.bad_code"
    with factory() as s:
        done = shop.confirm_pickup(s, world["cadm_a"], order.pickup_code.lower(), now=NOW)
    assert done.status is OrderStatus.PICKED_UP
    with factory() as s, pytest.raises(Refused):
        shop.confirm_pickup(s, world["cadm_a"], order.pickup_code)  # not twice
    with factory() as s:
        steps = s.scalars(select(Event.step).where(Event.subject == "order").order_by(Event.id)).all()
        assert steps == ["redeem", "pickup"] and ledger.check(s) == []


def test_an_order_keeps_the_name_it_was_bought_under(factory, world):
    """Renaming an item (a new pack on the same shelf) must not rewrite what past orders say
    was bought: the buyer's list, the counter's lists and the refund's memo keep the old name."""
    _give(factory, world["mem1"], 100)
    item = _item(factory, world)
    with factory() as s:
        kept = shop.redeem(s, world["mem1"], item, now=NOW)
        cancelled = shop.redeem(s, world["mem1"], item, now=NOW)
    with factory() as s, s.begin():
        s.get(ShopItem, item).name = "大米10kg"
    with factory() as s:
        shop.cancel(s, world["mem1"], cancelled.id, now=NOW)
    with factory() as s:
        assert {name for _order, name in reads.my_orders(s, world["mem1"])} == {"大米5kg"}
        assert {name for _order, name, _who in reads.community_orders(s, [world["ca"]])} == {"大米5kg"}
        assert [name for _order, name, _who in reads.reserved_orders(s, [world["ca"]])[0]] == ["大米5kg"]
        refund = s.scalar(select(Posting).where(Posting.key == f"refund:order:{cancelled.id}"))
        assert "大米5kg" in refund.memo
        assert s.get(Order, kept.id).item_name == "大米5kg"


def test_cancel_and_expiry_give_everything_back(factory, world):
    _give(factory, world["mem1"], 100)
    item = _item(factory, world, limit_qty=1, limit_period=LimitPeriod.MONTH)
    with factory() as s:
        first = shop.redeem(s, world["mem1"], item, now=NOW)
    with factory() as s:
        shop.cancel(s, world["mem1"], first.id, now=NOW)
    assert _balance(factory, world["mem1"]) == 100 and _stock(factory, item) == 5
    with factory() as s, pytest.raises(Refused) as exc:
        shop.cancel(s, world["mem1"], first.id, now=NOW)
    assert exc.value.code == "shop.not_reserved"
    with factory() as s:
        second = shop.redeem(s, world["mem1"], item, now=NOW)  # the limit counter came back too
    with factory() as s:
        assert shop.expire_due(s, now=NOW + timedelta(days=3)) == 0
        assert shop.expire_due(s, now=NOW + timedelta(days=8)) == 1
        assert s.get(Order, second.id).status is OrderStatus.EXPIRED
        assert ledger.check(s) == []
    assert _balance(factory, world["mem1"]) == 100 and _stock(factory, item) == 5


def test_other_peoples_orders_are_invisible(factory, world):
    _give(factory, world["mem1"], 100)
    with factory() as s:
        order = shop.redeem(s, world["mem1"], _item(factory, world), now=NOW)
    with factory() as s, pytest.raises(Refused) as exc:
        shop.cancel(s, world["mem2"], order.id)
    assert exc.value.code == "shop.not_found"


@pytest.mark.parametrize("setup, code", [
    ({"on_sale": False}, "shop.off_sale"),
    ({"stock": 0}, "shop.out_of_stock"),
    ({"price": 500}, "ledger.insufficient"),
])
def test_refusals_leave_nothing_behind(factory, world, setup, code):
    _give(factory, world["mem1"], 100)
    item = _item(factory, world, **setup)
    stock = _stock(factory, item)
    with factory() as s, pytest.raises(Refused) as exc:
        shop.redeem(s, world["mem1"], item, now=NOW)
    assert exc.value.code == code
    assert _stock(factory, item) == stock and _balance(factory, world["mem1"]) == 100
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 0


def test_per_person_limit(factory, world):
    _give(factory, world["mem1"], 1000)
    item = _item(factory, world, limit_qty=2, limit_period=LimitPeriod.DAY, stock=50)
    with factory() as s:
        shop.redeem(s, world["mem1"], item, 2, now=NOW)
    with factory() as s, pytest.raises(Refused) as exc:
        shop.redeem(s, world["mem1"], item, now=NOW)
    assert exc.value.code == "shop.limit" and "2" in exc.value.message()
    with factory() as s:
        shop.redeem(s, world["mem1"], item, now=NOW + timedelta(days=1))  # a new day


def test_double_tap_buys_once(factory, world):
    _give(factory, world["mem1"], 100)
    item = _item(factory, world)
    with factory() as s:
        a = shop.redeem(s, world["mem1"], item, request_key="tap-1", now=NOW)
    with factory() as s:
        b = shop.redeem(s, world["mem1"], item, request_key="tap-1", now=NOW)
    assert a.id == b.id and _balance(factory, world["mem1"]) == 70


def test_adjustment_needs_a_reason_and_is_audited(factory, world):
    with factory() as s, pytest.raises(Refused) as exc:
        shop.adjust(s, world["cadm_a"], world["mem1"], 50, "  ", request_key="a1")
    assert exc.value.code == "ledger.reason_required"
    with factory() as s, pytest.raises(Refused):
        shop.adjust(s, world["cadm_b"], world["mem1"], 50, "补录", request_key="a1")  # not their community
    with factory() as s:
        shop.adjust(s, world["cadm_a"], world["mem1"], 50, "补录纸质签到积分", request_key="a1")
        shop.adjust(s, world["cadm_a"], world["mem1"], 50, "补录纸质签到积分", request_key="a1")  # replay
        audit = s.scalars(select(AuditLog)).all()
        assert [a.reason for a in audit] == ["补录纸质签到积分"]
    assert _balance(factory, world["mem1"]) == 50


@pytest.fixture
def shoppers(db_url, factory, world):
    with factory() as s, s.begin():
        s.execute(insert(User), [{"username": f"buyer{i}", "display_name": "党员", "password_hash": "x",
                                  "locale": "zh", "is_active": True, "created_at": NOW} for i in range(50)])
        ids = s.scalars(select(User.id).where(User.username.like("buyer%")).order_by(User.id)).all()
        s.execute(insert(RoleGrant), [{"user_id": u, "role": Role.MEMBER, "region_id": world["ca"]} for u in ids])
    for user in ids:
        _give(factory, user, 100)
    wide = make_engine(db_url, pool_size=20, max_overflow=30, pool_timeout=60)
    yield ids, make_sessionmaker(wide)
    wide.dispose()


def _together(calls):
    barrier = Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        try:
            return call()
        except Refused as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [f.result(timeout=120) for f in [pool.submit(run, c) for c in calls]]


@pytest.mark.parametrize("round_", range(2))
def test_fifty_buyers_last_ten_items(factory, world, shoppers, round_):
    ids, wide = shoppers
    item = _item(factory, world, stock=10, price=30)

    def buy(user):
        def call():
            with wide() as s:
                return shop.redeem(s, user, item, now=NOW)
        return call

    results = _together([buy(u) for u in ids])
    orders = [r for r in results if isinstance(r, Order)]
    assert len(orders) == 10 and {r for r in results if isinstance(r, str)} == {"shop.out_of_stock"}
    assert _stock(factory, item) == 0
    with factory() as s:
        assert ledger.check(s) == []
        spent = sum(100 - ledger.balance(s, u) for u in ids)
        assert spent == 10 * 30


def test_two_tabs_cannot_overspend(factory, world, shoppers):
    ids, wide = shoppers
    user = ids[0]
    items = [_item(factory, world, name=f"商品{i}", price=60, stock=5) for i in range(2)]

    def buy(item):
        def call():
            with wide() as s:
                return shop.redeem(s, user, item, now=NOW)
        return call

    results = _together([buy(items[0]), buy(items[1])])
    assert sorted(type(r).__name__ for r in results) == ["Order", "str"]
    assert "ledger.insufficient" in results
    assert _balance(factory, user) == 40
    assert sorted(_stock(factory, i) for i in items) == [4, 5]


def test_nobody_adjusts_their_own_account(factory, world):
    with factory() as s, s.begin():
        s.add(RoleGrant(user_id=world["cadm_a"], role=Role.MEMBER, region_id=world["ca"]))
    with factory() as s, pytest.raises(Refused) as exc:
        shop.adjust(s, world["cadm_a"], world["cadm_a"], 10, "自己加分", request_key="self")
    assert exc.value.code == "ledger.own_account"
    assert _balance(factory, world["cadm_a"]) == 0


def test_large_adjustment_waits_for_a_second_admin(factory, world):
    from schemas.tables import AdjustmentStatus, PointAdjustment

    with factory() as s:
        asked = shop.adjust(s, world["cadm_a"], world["mem1"], 500, "年度优秀党员奖励", request_key="big")
        again = shop.adjust(s, world["cadm_a"], world["mem1"], 500, "年度优秀党员奖励", request_key="big")
    assert asked.posting is None and asked.request is not None and again.replay and again.request.id == asked.request.id
    assert _balance(factory, world["mem1"]) == 0
    with factory() as s, pytest.raises(Refused) as exc:
        shop.decide_adjustment(s, world["cadm_a"], asked.request.id, True)
    assert exc.value.code == "ledger.same_admin"
    with factory() as s, pytest.raises(Refused) as exc:
        shop.decide_adjustment(s, world["cadm_b"], asked.request.id, True)  # another community's admin
    assert exc.value.code == "role"
    with factory() as s:
        done = shop.decide_adjustment(s, world["dadm1"], asked.request.id, True)
        assert done.status is AdjustmentStatus.APPROVED and done.posting_id is not None
    with factory() as s, pytest.raises(Refused) as exc:
        shop.decide_adjustment(s, world["cityadm"], asked.request.id, False)
    assert exc.value.code == "ledger.decided"
    assert _balance(factory, world["mem1"]) == 500
    with factory() as s:
        assert ledger.check(s) == []
        assert s.get(PointAdjustment, asked.request.id).decided_by == world["dadm1"]
        assert [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.id))] == [
            "adjust_requested", "adjust_approved"]


def test_a_debit_the_balance_cannot_cover_is_refused_before_it_is_queued(factory, world):
    """Every door (web, API) reaches shop.adjust: a large debit used to wait for a second admin
    whose approval the ledger then refused. A retry of one already made is not a new debit."""
    from schemas.tables import PointAdjustment

    with factory() as s:
        shop.adjust(s, world["cadm_a"], world["mem1"], 90, "补记", request_key="credit")
        for amount, key in ((-91, "small"), (-100_000, "large")):
            with pytest.raises(Refused) as exc:
                shop.adjust(s, world["cadm_a"], world["mem1"], amount, "扣回", request_key=key)
            assert exc.value.code == "ledger.insufficient"
        assert s.scalar(select(func.count()).select_from(PointAdjustment)) == 0
        shop.adjust(s, world["cadm_a"], world["mem1"], -90, "扣回", request_key="all")
        assert shop.adjust(s, world["cadm_a"], world["mem1"], -90, "扣回", request_key="all").replay
    assert _balance(factory, world["mem1"]) == 0


@pytest.mark.parametrize("amount", [True, 10.0, "10"])
def test_an_adjustment_is_a_whole_number_not_a_yes_or_a_text(factory, world, amount):
    with factory() as s, pytest.raises(Refused) as exc:
        shop.adjust(s, world["cadm_a"], world["mem1"], amount, "补记", request_key="loose")
    assert set(exc.value.field_messages) == {"amount"}


def test_ten_parallel_posts_of_one_adjustment_are_one(factory, world, shoppers):
    """The same form sent ten times at once: one posting, one audit row, no error."""
    _, wide = shoppers

    def send():
        with wide() as s:
            return shop.adjust(s, world["cadm_a"], world["mem1"], 30, "补录", request_key="same-form").posting.id

    results = _together([send] * 10)
    assert len(set(results)) == 1 and all(isinstance(r, int) for r in results)
    assert _balance(factory, world["mem1"]) == 30
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)) == 1
        assert ledger.check(s) == []


def test_restock_is_relative_audited_and_once(factory, world):
    item = _item(factory, world, stock=10)
    _give(factory, world["mem1"], 100)
    with factory() as s:
        shop.redeem(s, world["mem1"], item, quantity=3, now=NOW)
    with factory() as s:
        move = shop.restock(s, world["cadm_a"], item, 5, "新到一批", "form-1")
        assert move.stock_after == 12
        assert shop.restock(s, world["cadm_a"], item, 5, "新到一批", "form-1").id == move.id  # resent
    for user, delta, reason, code in [("cadm_b", 5, "越权", "shop.not_found"), ("cadm_a", -13, "盘亏", "shop.stock_negative"),
                                      ("cadm_a", 5, " ", "input"), ("cadm_a", 0, "零", "input")]:
        with factory() as s, pytest.raises(Refused) as exc:
            shop.restock(s, world[user], item, delta, reason, f"k-{delta}-{user}")
        assert exc.value.code == code
    assert _stock(factory, item) == 12
    with factory() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "restock")).all()
        assert [(a.before, a.after["stock"], a.reason) for a in audit] == [({"stock": 7}, 12, "新到一批")]


@pytest.mark.parametrize("round_", range(2))
def test_restock_under_concurrent_redemptions_ends_exact(factory, world, shoppers, round_):
    """Forty buyers and five restocks at once: the stock is the start, plus every restock,
    minus every order; nothing is overwritten."""
    ids, wide = shoppers
    item = _item(factory, world, stock=10, price=30)

    def buy(user):
        def call():
            with wide() as s:
                return shop.redeem(s, user, item, now=NOW)
        return call

    def add(n):
        def call():
            with wide() as s:
                return shop.restock(s, world["cadm_a"], item, 4, "补货", f"r{round_}-{n}")
        return call

    results = _together([buy(u) for u in ids[:40]] + [add(n) for n in range(5)])
    orders = [r for r in results if isinstance(r, Order)]
    assert all(isinstance(r, (Order, str)) or r.__class__.__name__ == "StockMove" for r in results)
    assert _stock(factory, item) == 10 + 5 * 4 - len(orders)
    assert 10 <= len(orders) <= 30
    with factory() as s:
        assert ledger.check(s) == []
