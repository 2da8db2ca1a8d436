"""Two `yijia worker` processes against one database and one Prefect server: every outbox row
delivered once, one run per demand, the SLA automations synced once; one worker SIGKILLed while
it holds rows and the other takes them over when the lease runs out."""
from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select

from flows.orchestration import automations
from schemas.tables import Outbox
from tests.flows.orchestration.live import client, runs, shows, undelivered, wait
from tests.flows.walker import Walker

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def test_two_workers_deliver_every_row_once(live, factory):
    world, _server, start_worker = live
    first, second = start_worker("first"), start_worker("second")
    walks = []
    for i in range(8):
        walk = Walker(factory, world)
        walk.start("res_a", "micro_wish", {"title": f"两个工作进程 {i}"})
        if i % 2:
            walk.act("cadm_a", "publish")
        walks.append(walk)
    wait(lambda: undelivered(factory) == 0, timeout=120)
    for i, walk in enumerate(walks):
        assert shows(walk.demand_id, "待认领" if i % 2 else "待审核"), [
            (r.name, r.state.name) for r in runs(walk.demand_id)]  # exactly one run each
    with factory() as s:
        rows = s.scalars(select(Outbox)).all()
        assert rows and all(r.delivered_at and r.leased_by is None for r in rows)
        # each delivered once: a row tried again only after a pass that failed (a loaded Prefect
        # server refusing), never because two workers held it
        retried = {r.demand_id for r in rows if r.attempts != 1}
        logs = first.log.read_text(errors="replace") + second.log.read_text(errors="replace")
        failed = {int(d) for d in re.findall(r"outbox delivery for demand (\d+) failed", logs)}
        for listed in re.findall(r"sending the events of demands \[([\d, ]*)\] failed", logs):
            failed |= {int(d) for d in listed.split(",") if d.strip()}
        assert retried <= failed, (retried, failed, logs[-3000:])
        wanted = {w.name for w in automations.all_watches(s)}

    def mine() -> list[str]:
        with client() as c:
            return [a.name for a in automations.ours(c)]

    # The leader syncs them while the other worker may already be relaying: wait for the set,
    # then it must be exactly the set (a second syncer would have doubled some).
    wait(lambda: len(mine()) >= len(wanted), timeout=120)
    assert sorted(mine()) == sorted(wanted)  # synced once: none doubled, none missing


def test_a_killed_workers_rows_are_taken_over_by_the_other(live, factory):
    world, _server, start_worker = live
    lease = {"YIJIA_RELAY_LEASE_SECONDS": "5"}
    hung = start_worker("hung", failpoint="relay-hang", **lease)
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "送到一半断电"})
    wait(lambda: "failpoint relay-hang" in hung.log.read_text(errors="replace"), timeout=120)
    with factory() as s:
        held = s.scalars(select(Outbox.leased_by).where(Outbox.delivered_at.is_(None))).all()
        assert held and all(held)  # the hung worker holds the rows
    taken = time.monotonic()
    start_worker("other", **lease)
    hung.kill()
    wait(lambda: undelivered(factory) == 0, timeout=90)
    print(f"taken over {time.monotonic() - taken:.1f} s after the dead worker took the rows (lease 5 s)")
    assert shows(walk.demand_id, "待审核")
    with factory() as s:
        assert s.scalar(select(func.max(Outbox.attempts))) == 1
