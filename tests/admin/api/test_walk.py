"""The micro-wish loop over the API, as a mini-program would walk it: a resident posts, the
community admin publishes, a member claims and serves with a photo, the resident rates, the
member's points arrive and are spent in the supermarket. The database is checked after."""
from __future__ import annotations

from sqlalchemy import func, select

from flows.points import ledger
from schemas.tables import Demand, Event, Order, ShopItem
from tests.admin.test_portal import PNG


def test_micro_wish_loop_over_the_api(api, world, factory):
    resident, admin, member = api("res_a"), api("cadm_a"), api("mem1")
    offered = {s["code"]: s for s in resident.startables()}
    wish = offered["micro_wish"]
    assert wish["input_schema"] == "micro_wish.post" and wish["communities"][0]["id"] == world["ca"]

    started = resident.start(wish["task_type_id"], {"title": "帮忙换灯泡", "place": "3号楼"})
    demand_id = started["demand_id"]
    assert started["to_state"] == "review" and started["replayed"] is False

    page = admin.demand(demand_id)
    assert [s["step"] for s in page["steps"]][:1] == ["publish"] and page["state_title"] == "待审核"
    admin.step(demand_id, "publish")

    assert demand_id in [d["id"] for d in member.hall()]
    member.step(demand_id, "claim")
    photo = member.upload(PNG, "proof.png", "image/png")
    member.step(demand_id, "serve", {"hours": 2, "note": "换好了", "photo": photo})
    resident.step(demand_id, "evaluate", {"rating": 5, "comment": "谢谢"})

    done = resident.demand(demand_id)
    assert done["state"] == "done"
    steps = [e["step"] for e in done["timeline"] if ":" not in e["step"]]  # not the effects' lines
    assert steps == ["post", "publish", "claim", "serve", "evaluate", "award"]
    points = member.points()
    assert points["balance"] > 0 and points["items"][0]["demand_id"] == demand_id

    with factory() as s, s.begin():
        item = ShopItem(community_id=world["ca"], name="大米", price=1, stock=3)
        s.add(item)
    order = member.redeem(item.id, key="tap-1")
    again = member.redeem(item.id, key="tap-1")  # a double tap: one order
    assert again == order and len(order["pickup_code"]) >= 4
    assert [o["id"] for o in member.orders()] == [order["id"]]

    with factory() as s:
        d = s.get(Demand, demand_id)
        assert d.state == "done" and d.requester_id == world["res_a"]
        assert s.scalar(select(func.count()).select_from(Event).where(Event.demand_id == demand_id)) == len(done["timeline"])
        assert s.scalar(select(func.count()).select_from(Order).where(Order.user_id == world["mem1"])) == 1
        assert ledger.balance(s, world["mem1"]) == points["balance"] - 1
        assert ledger.check(s) == []
