"""Shared by the admins' and organisations' journeys: a person on their phone who taps their
way from the home page, and the little world they need (task types named as people read them).

The browser and server fixtures and the `Person` helper come from tests/admin/test_browser.py;
import `browser`, `server` and `pytestmark` from here in a journey module.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import update

from schemas.tables import TaskCategory, TaskType
from tests.admin.test_browser import ARTIFACTS, PNG, Person, browser, pytestmark, server  # noqa: F401

# The test world names task types by their codes; people read these names.
NAMES = {"micro_wish": "微心愿", "env_cleanup": "环境整治", "volunteer": "志愿服务事项", "appointment": "预约服务"}


def name_task_types(factory, world) -> int:
    """Give the world's task types their Chinese names and add 急难愁盼 (urgent needs, run by
    the micro-wish workflow); returns the urgent type's id."""
    with factory() as s, s.begin():
        for code, name in NAMES.items():
            s.execute(update(TaskType).where(TaskType.code == code).values(name=name))
        urgent = TaskType(code="urgent_need", name="急难愁盼", category=TaskCategory.URGENT, default_points=20,
                          workflow_id="micro_wish")
        s.add(urgent)
        s.flush()
        return urgent.id


class Staff(Person):
    """A person who reaches everything by tapping, starting from their home page."""

    def __init__(self, chromium, base: str, username: str, journey: str, **kw):
        super().__init__(chromium, base, username, ARTIFACTS / journey, **kw)

    @property
    def path(self) -> str:
        return self.page.url.removeprefix(self.base)

    def home(self) -> None:
        """Tap the brand in the top bar: every page leads home."""
        self.page.locator("a.brand").click()
        self.page.wait_for_load_state()

    def tap_link(self, text: str) -> None:
        self.page.get_by_role("link", name=text, exact=True).first.click()
        self.page.wait_for_load_state()

    def tap_card(self, text: str, within: str = "main") -> None:
        """Tap the card (a whole-card link) that shows `text`."""
        self.page.locator(f"{within} a.card", has_text=text).first.click()
        self.page.wait_for_load_state()

    def tap_tab(self, text: str) -> None:
        self.page.locator("nav.tabs a", has_text=text).first.click()
        self.page.wait_for_load_state()

    def flash(self) -> str:
        return " ".join(self.page.locator(".flash").all_inner_texts())

    def shows(self, text: str, within: str = "main") -> bool:
        return text in self.page.locator(within).inner_text()

    def desktop(self) -> None:
        """The console is used at a desk: a wide window, as in tests/admin/test_browser.py."""
        self.page.set_viewport_size({"width": 1280, "height": 900})


def shots_dir(journey: str) -> Path:
    """Where a journey's screenshots go (for pages driven without the Staff helper)."""
    path = ARTIFACTS / journey
    path.mkdir(parents=True, exist_ok=True)
    return path
