"""`yijia demo`: a realistic, idempotent demo of Yichun's programme."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from flows.demo.reference import DEMO_PASSWORD, load_reference
from schemas.tables import Region

DEMO_LOGINS = [
    ("admin_city", "市级管理员 city admin"),
    ("admin_yimei", "伊美区管理员 district admin"),
    ("admin_yimei-s1-c1", "旭日社区管理员 community admin"),
    ("org01", "市财政局党支部 org admin"),
    ("m0054", "旭日社区在职党员 member"),
    ("res_yimei-s1-c1_1", "旭日社区居民 resident"),
]


def load_demo(factory: sessionmaker[Session], progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Load the demo unless it is there already; returns counts of what was added."""
    progress = progress or (lambda _stage, _n: None)
    added: dict[str, int] = {}
    with factory() as session, session.begin():
        if session.scalar(select(Region.id).where(Region.code == "yichun")) is None:
            added.update(load_reference(session, progress))
    from flows.demo.demands import load_demands  # needs the engine and the published workflows

    added.update(load_demands(factory, progress))
    return added


__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "load_demo"]
