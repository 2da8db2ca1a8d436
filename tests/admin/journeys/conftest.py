"""Fixtures of the journey tests: a server, one Chromium per module, and the world's task types
under the names people read (微心愿, 预约服务 …)."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from schemas.tables import TaskType
from tests.admin.journeys.people import launch, serve

NAMES = {"micro_wish": "微心愿", "env_cleanup": "环境整治", "volunteer": "志愿服务事项", "appointment": "预约服务"}


@pytest.fixture
def server(app, factory, world):
    with factory() as s, s.begin():
        for code, name in NAMES.items():
            s.execute(update(TaskType).where(TaskType.code == code).values(name=name))
    yield from serve(app)


@pytest.fixture(scope="module")
def browser():
    yield from launch()
