"""Drive demands through the engine the way the web app does: a fresh session per action,
and after each one a save-and-resume check (reload from the database, compare) and a check
that the dashboard's tallies still equal a recount from the sources."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from flows import engine
from flows.engine import figures
from flows.points import ledger
from schemas.tables import Demand, Event
from tests.world import NOW


class Walker:
    def __init__(self, factory, world):
        self.factory, self.w = factory, world
        self.demand_id: int | None = None
        self.steps: list[tuple[str, str | None, str]] = []

    def start(self, user: str, task_type: str, data: dict, *, community: str = "ca", slot: int | None = None,
              now: datetime = NOW):
        with self.factory() as s:
            outcome = engine.start(s, self.w[user], self.w[f"tt_{task_type}"], data,
                                   community_id=self.w[community], slot_id=slot, now=now)
        self.demand_id = outcome.demand_id
        self._resumed(outcome)
        return outcome

    def act(self, user: str, step: str, data: dict | None = None, *, now: datetime = NOW, demand_id=None,
            present: bool = True):
        """`present`: the person is at the demand's place (they scanned its sign-in QR code)."""
        with self.factory() as s:
            outcome = engine.act(s, self.w[user], demand_id or self.demand_id, step, data or {}, now=now,
                                 present=present)
        if demand_id is None:
            self._resumed(outcome)
        return outcome

    def rated_wish(self, title: str, rating: int) -> Walker:
        """A micro-wish posted, published, claimed by mem1, served for an hour and rated: the
        award is due next."""
        self.start("res_a", "micro_wish", {"title": title})
        for user, step, data in [("cadm_a", "publish", {}), ("mem1", "claim", {}),
                                 ("mem1", "serve", {"hours": 1, "note": "好"}), ("res_a", "evaluate", {"rating": rating})]:
            self.act(user, step, data)
        return self

    def published_activity(self, title: str, capacity: int, starts_at: datetime) -> Walker:
        """A two-hour joint activity created and published by cadm_a, open to grab."""
        self.start("cadm_a", "env_cleanup", {"title": title, "description": "d", "place": "p", "capacity": capacity,
                                             "starts_at": starts_at.isoformat(),
                                             "ends_at": (starts_at + timedelta(hours=2)).isoformat()})
        self.act("cadm_a", "publish")
        return self

    def recruiting_activity(self, title: str, capacity: int, starts_at: datetime) -> Walker:
        """A published activity grabbed by org1 and joined by mem1: recruiting, with places left."""
        self.published_activity(title, capacity, starts_at)
        for user, step in [("orgadm1", "grab"), ("mem1", "sign_up")]:
            self.act(user, step)
        return self

    def _resumed(self, outcome) -> None:
        """Save-and-resume: a new session sees exactly what the action answered."""
        with self.factory() as s:
            demand = s.get(Demand, outcome.demand_id)
            assert demand.state == outcome.to_state
            event = s.get(Event, outcome.event_id)
            assert (event.step, event.from_state) == (outcome.step, outcome.from_state)
            assert figures.check(s) == [], f"tallies drifted after {outcome.step}"
        self.steps.append((outcome.step, outcome.from_state, outcome.to_state))

    def state(self) -> str:
        with self.factory() as s:
            return s.get(Demand, self.demand_id).state

    def events(self) -> list[tuple[str, str | None, str | None]]:
        with self.factory() as s:
            return [(e.step, e.from_state, e.to_state) for e in
                    s.scalars(select(Event).where(Event.demand_id == self.demand_id).order_by(Event.id))]

    def balance(self, user: str) -> int:
        with self.factory() as s:
            return ledger.balance(s, self.w[user])

    def ledger_ok(self) -> list[str]:
        with self.factory() as s:
            return ledger.check(s)
