"""A posting's reason reads in the reader's language when the domain wrote it from the
catalogue; an admin's own words stay as they were written."""
from __future__ import annotations

from flows.points import reads, shop
from tests.flows.points.test_shop import _give, _item
from tests.world import NOW, build_world


def test_shop_memos_in_both_languages_and_free_text_unchanged(factory):
    world = build_world(factory)
    _give(factory, world["mem1"], 100)
    item_id = _item(factory, world, name="挂面2kg")
    with factory() as s:
        order = shop.redeem(s, world["mem1"], item_id, 2, now=NOW)
        shop.cancel(s, world["mem1"], order.id, now=NOW)
    with factory() as s:
        chinese = [h["memo"] for h in reads.points_history(s, world["mem1"])]
        english = [h["memo"] for h in reads.points_history(s, world["mem1"], locale="en")]
    assert chinese == [f"退还积分（订单 {order.id}）", "兑换 挂面2kg ×2", "奖励"]
    assert english == [f"Points returned (order {order.id})", "Redeemed 挂面2kg ×2", "奖励"]
