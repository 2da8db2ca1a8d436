"""A posting's reason reads in the reader's language when the domain wrote it from the
catalogue; an admin's own words stay as they were written."""
from __future__ import annotations

from flows.core.i18n import Message
from flows.points import ledger, reads, shop
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
    assert chinese == ["退还积分：挂面2kg ×2", "兑换 挂面2kg ×2", "奖励"]  # what, not an internal number
    assert english == ["Points returned: 挂面2kg ×2", "Redeemed 挂面2kg ×2", "奖励"]


def test_a_refund_written_before_it_named_the_item_still_reads(factory):
    """Postings keep the catalogue key and parameters they were written with: the old key stays."""
    world = build_world(factory)
    with factory() as s:
        posting = ledger.post(s, "old-refund", ledger.PostingKind.AWARD, Message("shop.memo.refund", {"order": 7}),
                              [ledger.Move(ledger.issuance_account(s), -1),
                               ledger.Move(ledger.user_account(s, world["mem1"]), 1)])
        s.commit()
        assert ledger.memo_in(posting.memo, posting.data, "zh") == "退还积分（订单 7）"
