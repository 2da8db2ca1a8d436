"""My messages (我的 → 消息): the inbox, and opening a message, which marks it read and goes to
what it is about. Only the recipient sees a message; anyone else gets the 404 a missing one gets."""
from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import login_required

from admin.auth import actor
from admin.database import db
from admin.portal import bp
from flows.core.refusals import Refused
from flows.notices import inbox as notices


@bp.get("/me/messages")
@login_required
def messages():
    """My messages, newest first, the unread ones marked."""
    return render_template("messages.html", messages=notices.inbox(db(), actor().user_id))


@bp.post("/me/messages/<id:notice_id>")
@login_required
def open_message(notice_id: int):
    """Mark the message read and go to its demand (or back to the inbox when it has none).

    A POST, not a GET: opening changes the message, and a link prefetched or crawled must not."""
    try:
        notice = notices.open_notice(db(), actor().user_id, notice_id)
    except Refused:
        abort(404)
    if notice.demand_id is not None:
        return redirect(url_for("portal.demand", demand_id=notice.demand_id))
    return redirect(url_for("portal.messages"))
