"""Random sequences of awards, retried postings, redemptions, cancellations, pickups,
expiries and reversals keep every ledger invariant, and the books match a simple model."""
from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from flows.core.refusals import Refused
from flows.points import ledger, shop
from schemas.tables import LimitPeriod, Order, OrderStatus, PostingKind, ShopItem, User
from tests.world import NOW, build_world

EXAMPLE = itertools.count()


class LedgerMachine(RuleBasedStateMachine):
    """Three people, two items; the model holds what every balance and stock must be."""

    factory = None
    world = None

    def __init__(self):
        super().__init__()
        self.n = next(EXAMPLE)
        self.now = NOW
        with self.factory() as s:
            users = [User(username=f"p{self.n}_{i}", display_name="党员", password_hash="x") for i in range(3)]
            s.add_all(users)
            s.flush()
            items = [ShopItem(community_id=self.world["ca"], name=f"物品{self.n}_{i}", price=price, stock=stock,
                              limit_qty=limit, limit_period=LimitPeriod.EVER)
                     for i, (price, stock, limit) in enumerate([(7, 4, None), (15, 3, 2)])]
            s.add_all(items)
            s.commit()
            self.users, self.items = [u.id for u in users], [i.id for i in items]
        self.balance = dict.fromkeys(self.users, 0)
        self.stock = {self.items[0]: 4, self.items[1]: 3}
        self.prices = {self.items[0]: 7, self.items[1]: 15}
        self.limits = {self.items[0]: None, self.items[1]: 2}
        self.bought = {}  # (user, item) → quantity held by live orders
        self.keys = {}    # award key → (user, amount)
        self.orders = {}  # id → (user, item, qty)
        self.awards = []  # posting ids that may be reversed
        self.reversed = set()

    @rule(user=st.integers(0, 2), amount=st.integers(1, 40), key=st.integers(0, 4))
    def award(self, user, amount, key):
        uid, name = self.users[user], f"p{self.n}:award:{key}"
        with self.factory() as s:
            try:
                posting = ledger.post(s, name, PostingKind.AWARD, "奖励", [
                    ledger.Move(ledger.issuance_account(s), -amount), ledger.Move(ledger.user_account(s, uid), amount)])
                s.commit()
            except ledger.LedgerError as exc:
                s.rollback()
                assert exc.code == "ledger.key_conflict" and self.keys[name] != (uid, amount)
                return
        if name in self.keys:
            assert self.keys[name] == (uid, amount)  # a replay: nothing moves
            return
        self.keys[name] = (uid, amount)
        self.balance[uid] += amount
        self.awards.append((posting.id, uid, amount))

    @rule(user=st.integers(0, 2), item=st.integers(0, 1), qty=st.integers(1, 3))
    def redeem(self, user, item, qty):
        uid, iid = self.users[user], self.items[item]
        cost, limit, held = self.prices[iid] * qty, self.limits[iid], self.bought.get((uid, iid), 0)
        with self.factory() as s:
            try:
                order = shop.redeem(s, uid, iid, qty, now=self.now)
            except Refused as exc:
                expected = ("shop.out_of_stock" if self.stock[iid] < qty else
                            "shop.limit" if limit is not None and held + qty > limit else "ledger.insufficient")
                assert exc.code == expected
                return
        assert self.stock[iid] >= qty and self.balance[uid] >= cost
        self.stock[iid] -= qty
        self.balance[uid] -= cost
        self.bought[(uid, iid)] = held + qty
        self.orders[order.id] = (uid, iid, qty)

    def _release(self, order_id):
        uid, iid, qty = self.orders.pop(order_id)
        self.stock[iid] += qty
        self.balance[uid] += self.prices[iid] * qty
        self.bought[(uid, iid)] -= qty

    @rule(pick=st.integers(0, 50))
    def cancel(self, pick):
        if not self.orders:
            return
        order_id = sorted(self.orders)[pick % len(self.orders)]
        with self.factory() as s:
            shop.cancel(s, self.orders[order_id][0], order_id, now=self.now)
        self._release(order_id)

    @rule(pick=st.integers(0, 50))
    def pickup(self, pick):
        if not self.orders:
            return
        order_id = sorted(self.orders)[pick % len(self.orders)]
        with self.factory() as s:
            code = s.get(Order, order_id).pickup_code
            shop.confirm_pickup(s, self.world["cadm_a"], code, now=self.now)
        self.orders.pop(order_id)  # handed over: stays bought, can no longer be refunded

    @rule(days=st.integers(1, 10))
    def time_passes(self, days):
        self.now += timedelta(days=days)
        with self.factory() as s:
            expired = {o.id for o in s.query(Order).filter(Order.id.in_(list(self.orders)),
                                                           Order.status == OrderStatus.RESERVED,
                                                           Order.expires_at < self.now)}
            shop.expire_due(s, now=self.now)
        for order_id in expired:
            self._release(order_id)

    @rule(pick=st.integers(0, 50))
    def reverse_award(self, pick):
        if not self.awards:
            return
        posting_id, uid, amount = self.awards[pick % len(self.awards)]
        with self.factory() as s:
            from schemas.tables import Posting

            try:
                ledger.reverse(s, s.get(Posting, posting_id), f"rev:{posting_id}", "撤销")
                s.commit()
            except ledger.LedgerError as exc:
                s.rollback()
                assert exc.code == "ledger.insufficient" and self.balance[uid] < amount
                return
        if posting_id in self.reversed:
            return  # the same reversal key again: a replay
        self.reversed.add(posting_id)
        self.balance[uid] -= amount

    @invariant()
    def books_balance(self):
        with self.factory() as s:
            assert ledger.check(s) == []
            for uid, expected in self.balance.items():
                assert ledger.balance(s, uid) == expected >= 0
            for iid, expected in self.stock.items():
                assert s.get(ShopItem, iid).stock == expected >= 0


def test_ledger_state_machine(factory):
    LedgerMachine.factory = factory
    LedgerMachine.world = build_world(factory)
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=25, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
