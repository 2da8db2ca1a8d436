"""The demo loads at the report's scale, and a second run adds nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from flows.demo import load_demo
from schemas.tables import (
    DirectoryService,
    Member,
    NewsPost,
    Organisation,
    Region,
    RegionLevel,
    ShopItem,
    User,
)


def _counts(session) -> dict[str, int]:
    def count(model, *where):
        return session.scalar(select(func.count()).select_from(model).where(*where))

    return {
        "districts": count(Region, Region.level == RegionLevel.DISTRICT),
        "communities": count(Region, Region.level == RegionLevel.COMMUNITY),
        "organisations": count(Organisation),
        "members": count(Member),
        "directory": count(DirectoryService),
        "news": count(NewsPost),
        "shop": count(ShopItem),
        "users": count(User),
    }


def test_demo_scale_and_idempotence(factory):
    load_demo(factory)
    with factory() as session:
        first = _counts(session)
        names = set(session.scalars(select(Region.name).where(Region.level == RegionLevel.DISTRICT)))
    assert names == {"伊美区", "铁力市", "嘉荫县"}
    assert first["communities"] >= 20
    assert first["organisations"] == 49
    assert first["members"] == 1415
    assert first["directory"] == 1125
    assert first["news"] == 36
    assert first["shop"] > 0
    load_demo(factory)
    with factory() as session:
        assert _counts(session) == first
