"""The console's stuck list: complete and paged, with who holds each case, how long it has
waited, and the way into the Prefect UI (the district's overdue runs, its stuck list, each run)."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.admin.prefect_ui import prefect_ui
from tests.flows.walker import Walker


def test_stuck_list_is_complete_paged_and_links_to_prefect(login, world, factory):
    long_ago = datetime.now(UTC) - timedelta(days=20)
    for n in range(53):
        Walker(factory, world).start("res_a", "micro_wish", {"title": f"等了很久的心愿{n}"}, now=long_ago)
    claimed = Walker(factory, world)
    claimed.start("res_a", "micro_wish", {"title": "认领了没做"}, now=long_ago)
    claimed.act("cadm_a", "publish", now=long_ago)
    claimed.act("mem1", "claim", now=long_ago)
    Walker(factory, world).start("res_b", "micro_wish", {"title": "铁力市的心愿"}, community="cb", now=long_ago)

    client = login("dadm1")
    with prefect_ui():  # where the admin's browser reaches the Prefect UI (links are shown only there)
        first = client.get("/admin/").get_data(as_text=True)
        second = client.get("/admin/?stuck_page=2").get_data(as_text=True)
        city = login("cityadm").get("/admin/").get_data(as_text=True)
    assert "超时未处理（54）" in first and "第 1 / 2 页" in first
    assert first.count('<tr data-demand=') == 50 and "铁力市的心愿" not in first
    assert f"/v2/runs/?tags=overdue:district:{world['d1']}" in first
    assert f"/v2/artifacts/key/stuck-demands-yijia-d{world['d1']}" in first
    assert second.count('<tr data-demand=') == 4
    row = re.search(rf'<tr data-demand="{claimed.demand_id}">.*?</tr>', first + second, re.S).group(0)
    assert "认领人（mem1） · 财政局党支部" in row and "20 天 0 小时" in row
    assert f"/v2/runs/?tags=demand:{claimed.demand_id}" in row
    assert "社区管理员 · 旭日社区" in second + first
    assert client.get("/admin/?stuck_page=x").status_code == 400

    other = login("cadm_b").get("/admin/").get_data(as_text=True)
    assert "超时未处理（1）" in other and "铁力市的心愿" in other
    assert "超时未处理（55）" in city and "/v2/runs/?tags=overdue\"" in city and "/v2/artifacts/key/stuck-demands\"" in city
    english = login("dadm1").get("/admin/?lang=en").get_data(as_text=True)
    assert "Overdue (54)" in english and "community admin · 旭日社区" in english
