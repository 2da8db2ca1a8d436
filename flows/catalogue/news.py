"""News (宣传资讯): posts whose publish time has come, newest first. A post without one is a
draft; one with a later time is scheduled and appears by itself when the time comes.

Who writes it: an admin (community, district or city) for a region they govern — the city,
a district or a community, never a street — as on the console's 宣传资讯 page and over the
API. Every write is audited as the console's are (flows.core.audit: who, the row, before →
after), so a post's history reads the same whichever way it was written."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from flows.core import audit
from flows.core.db import in_transaction
from flows.core.i18n import N_
from flows.core.refusals import Refused
from flows.core.text import visible
from flows.people.actors import ActorContext
from schemas.clock import HORIZON, utcnow
from schemas.tables import NewsPost, Region, RegionLevel

# The levels a post may belong to (the console offers these; a street has no readers of its own).
LEVELS = (RegionLevel.CITY, RegionLevel.DISTRICT, RegionLevel.COMMUNITY)


def news(session: Session, limit: int = 30, now: datetime | None = None, offset: int = 0) -> list[NewsPost]:
    """Published posts, newest first (a page of them: `offset`)."""
    return list(session.scalars(select(NewsPost).where(NewsPost.published_at <= (now or utcnow()))
                                .order_by(NewsPost.published_at.desc(), NewsPost.id.desc())
                                .offset(offset).limit(limit)))


def published_count(session: Session, now: datetime | None = None) -> int:
    """How many posts readers can see now (the list's pages: the 31st post had no way to it)."""
    return int(session.scalar(select(func.count()).select_from(NewsPost).where(
        NewsPost.published_at <= (now or utcnow()))) or 0)


def region_names(session: Session, posts: list[NewsPost]) -> dict[int, str]:
    """The region each post belongs to, by name (who it is from: 伊美区, 旭日社区)."""
    ids = {p.region_id for p in posts if p.region_id is not None}
    return dict(session.execute(select(Region.id, Region.name).where(Region.id.in_(ids))).all()) if ids else {}


def is_published(post: NewsPost, now: datetime | None = None) -> bool:
    """Whether readers may see the post now."""
    return post.published_at is not None and post.published_at <= (now or utcnow())


@dataclass(frozen=True)
class Draft:
    """What a writer gives: the region, the text, a cover (a storage key) and the publish time
    (None: a draft; later than now: scheduled)."""

    region_id: int
    title: str
    body: str
    summary: str | None = None
    cover: str | None = None
    published_at: datetime | None = None


def may_post(actor: ActorContext) -> bool:
    """Whether this person writes news at all (an admin of some region)."""
    return bool(actor.admin_paths())


def check_region(session: Session, actor: ActorContext, region_id: int | None) -> Region:
    """The region a post may belong to for this admin, else refused beside `region_id`."""
    region = session.get(Region, region_id) if region_id is not None else None
    if region is None or region.level not in LEVELS or not any(
            region.path.startswith(p) for p in actor.admin_paths()):
        raise Refused("input", fields={"region_id": N_("只能为您管辖的市、区县或社区发布资讯")})
    return region


def _writer(actor: ActorContext) -> int:
    if not may_post(actor) or actor.user_id is None:
        raise Refused("role")
    return actor.user_id


def _scope(actor: ActorContext):
    return NewsPost.region_id.in_(select(Region.id).where(or_(*[Region.path.startswith(p)
                                                               for p in actor.admin_paths()])))


def managed(session: Session, actor: ActorContext, limit: int, before: int | None = None) -> list[NewsPost]:
    """The posts of the admin's regions, drafts and scheduled ones included, newest first."""
    _writer(actor)
    query = select(NewsPost).where(_scope(actor))
    if before is not None:
        query = query.where(NewsPost.id < before)
    return list(session.scalars(query.order_by(NewsPost.id.desc()).limit(limit)))


def managed_post(session: Session, actor: ActorContext, post_id: int) -> NewsPost:
    """One post of the admin's regions; any other is not found (as one that does not exist)."""
    _writer(actor)
    post = session.scalar(select(NewsPost).where(NewsPost.id == post_id, _scope(actor)))
    if post is None:
        raise Refused("news.not_found")
    return post


def check_publish_time(published_at: datetime | None, now: datetime | None = None) -> None:
    """A publish time within a year: a post set for 2099 (a slip of the year) would wait unseen
    for good. A time passed is fine: the post is published at once."""
    if published_at is not None and published_at > (now or utcnow()) + HORIZON:
        raise Refused("input", fields={"published_at": N_("发布时间最远只能选一年以内，请检查年份")})


def _checked(session: Session, actor: ActorContext, draft: Draft) -> Draft:
    check_region(session, actor, draft.region_id)
    check_publish_time(draft.published_at)
    title, body = visible(draft.title), visible(draft.body)
    fields = {**({"title": N_("请填写标题")} if not title else {}), **({"body": N_("请填写正文")} if not body else {})}
    if fields:
        raise Refused("input", fields=fields)
    return Draft(**{**asdict(draft), "title": title, "body": body, "summary": visible(draft.summary) or None})


def post(session: Session, actor: ActorContext, draft: Draft) -> NewsPost:
    """Write a new post (a draft, scheduled or published at once), audited as created."""
    author = _writer(actor)
    fields = _checked(session, actor, draft)

    def work() -> NewsPost:
        row = NewsPost(author_id=author, **asdict(fields))
        session.add(row)
        session.flush()
        audit.record(session, author, "create", NewsPost.__tablename__, audit.row_id(row), None,
                     {k: v for k, v in audit.snapshot(row).items() if v is not None})
        return row

    return in_transaction(session, work)


def edit(session: Session, actor: ActorContext, post_id: int, draft: Draft) -> NewsPost:
    """Change a post of the admin's regions (moving it only to another of them), audited with
    what changed; nothing changed, nothing written."""
    author = _writer(actor)
    row = managed_post(session, actor, post_id)
    fields = _checked(session, actor, draft)
    return _update(session, author, row, asdict(fields))


def withdraw(session: Session, actor: ActorContext, post_id: int) -> NewsPost:
    """Take a post back to a draft: readers no longer see it (it can be published again)."""
    return _update(session, _writer(actor), managed_post(session, actor, post_id), {"published_at": None})


def _update(session: Session, author: int, row: NewsPost, values: dict) -> NewsPost:
    def work() -> NewsPost:
        for key, value in values.items():
            setattr(row, key, value)
        before, after = audit.diff(row, False)
        if after or before:
            audit.record(session, author, "update", NewsPost.__tablename__, audit.row_id(row), before, after)
        return row

    return in_transaction(session, work)
