"""News (宣传资讯): posts whose publish time has come, newest first. A post without one is a
draft; one with a later time is scheduled and appears by itself when the time comes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.clock import utcnow
from schemas.tables import NewsPost


def news(session: Session, limit: int = 30, now: datetime | None = None) -> list[NewsPost]:
    """Published posts, newest first."""
    return list(session.scalars(select(NewsPost).where(NewsPost.published_at <= (now or utcnow()))
                                .order_by(NewsPost.published_at.desc()).limit(limit)))


def is_published(post: NewsPost, now: datetime | None = None) -> bool:
    """Whether readers may see the post now."""
    return post.published_at is not None and post.published_at <= (now or utcnow())
