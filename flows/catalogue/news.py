"""News (宣传资讯): published posts, newest first."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.tables import NewsPost


def news(session: Session, limit: int = 30) -> list[NewsPost]:
    """Published posts, newest first (drafts have no publish time)."""
    return list(session.scalars(select(NewsPost).where(NewsPost.published_at.is_not(None))
                                .order_by(NewsPost.published_at.desc()).limit(limit)))
