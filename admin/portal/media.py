"""Catalogue pictures (news covers, shop items, shared resources' photos) for anyone: served only when a catalogue row
names the key, so a proof photo's key (kept private) is never served here."""
from __future__ import annotations

from flask import abort, redirect, send_file, url_for
from sqlalchemy import select

from admin.database import db
from admin.portal import bp
from admin.portal.common import storage
from flows.core.storage import TYPES, is_storage_key
from schemas.tables import NewsPost, Resource, ShopItem


@bp.get("/media/<key>")
def media(key: str):
    used = is_storage_key(key) and db().scalar(
        select(NewsPost.id).where(NewsPost.cover == key).union_all(
            select(ShopItem.id).where(ShopItem.picture == key),
            select(Resource.id).where(Resource.photo == key)).limit(1)) is not None
    found = storage().open(key) if used else None  # read only what may be shown to anyone
    if found is None:
        abort(404)
    response = send_file(found, mimetype=TYPES[key.rsplit(".", 1)[1]], max_age=86_400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it on every site whatever the page links: the same mark as the pages' icon."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


__all__ = ["favicon", "media"]
