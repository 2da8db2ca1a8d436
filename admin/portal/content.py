"""News (宣传资讯), the convenience directory, booking appointment slots, and the bookings a community has (预约安排)."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from admin.auth import actor
from admin.database import db
from admin.i18n import flash_refusal
from admin.params import arg_int, search_arg
from admin.portal import bp
from admin.portal.common import flash_outcome, new_request_key, posted_request_key
from admin.portal.paging import requested
from flows import engine
from flows.catalogue import directory as directory_reads
from flows.catalogue import news as news_reads
from flows.catalogue import services
from flows.core.refusals import Refused
from flows.engine import booked
from flows.engine import queue as queue_reads
from flows.people import regions
from schemas.clock import utcnow
from schemas.tables import AppointmentService, AppointmentSlot, NewsPost, Region

DIRECTORY_PAGE = 20
NEWS_PAGE = 20


@bp.get("/news")
def news():
    page = requested("page", NEWS_PAGE)
    posts = news_reads.news(db(), limit=NEWS_PAGE, offset=page.offset)
    return render_template("news.html", posts=posts, regions=news_reads.region_names(db(), posts),
                           page=page.of(news_reads.published_count(db())))


@bp.get("/news/<id:post_id>")
def news_post(post_id: int):
    post = db().get(NewsPost, post_id)
    if post is None or not news_reads.is_published(post):
        abort(404)
    return render_template("news_post.html", post=post, region=db().get(Region, post.region_id))


@bp.get("/directory")
def directory():
    """Enterprises and merchants near my community, searchable, nearest first."""
    near = None
    if current_user.is_authenticated:
        ids = regions.region_ids_of(db(), actor())
        home = db().scalar(select(Region).where(Region.id.in_(ids)).limit(1)) if ids else None
        near = (home.lat, home.lng) if home is not None and home.lat is not None and home.lng is not None else None
    q = search_arg()
    page = requested("page", DIRECTORY_PAGE)
    rows = directory_reads.directory(db(), near, q or None, limit=DIRECTORY_PAGE, offset=page.offset)
    total = directory_reads.count(db(), q or None)
    return render_template("directory.html", rows=rows, q=q, page=page.of(total), total=total)


@bp.get("/book")
@login_required
def book():
    """Slots with places left; the ones I hold are marked, with a link to my booking."""
    held = services.held_slots(db(), actor().user_id)
    slots = services.bookable_slots(db(), regions.region_ids_of(db(), actor()), utcnow(), held=held)
    # the services on offer, to choose one first: fourteen slots of three services in one list,
    # each with its 备注 box, were a long scroll for an elderly resident (the walk)
    offered = list(dict.fromkeys((slot.service_id, name) for slot, name, _community in slots))
    chosen = arg_int("service")
    if chosen is not None and chosen in {service_id for service_id, _name in offered}:
        slots = [row for row in slots if row[0].service_id == chosen]
    else:
        chosen = None
    return render_template("book.html", slots=slots, held=held, request_key=new_request_key(), offered=offered,
                           chosen=chosen)


@bp.post("/book/<id:slot_id>")
@login_required
def book_slot(slot_id: int):
    """Booking a slot starts a demand of the appointment workflow (through the engine)."""
    slot = db().get(AppointmentSlot, slot_id)
    service = db().get(AppointmentService, slot.service_id) if slot else None
    if slot is None or service is None or service.community_id not in regions.region_ids_of(db(), actor()):
        abort(404)
    try:
        outcome = engine.start(db(), actor(), service.task_type_id,
                               {"title": services.booking_title(service, slot), "note": request.form.get("note", "")},
                               slot_id=slot_id,
                               request_key=posted_request_key())
    except Refused as exc:
        flash_refusal(exc)
        return redirect(url_for("portal.book", service=service.id))  # the service chosen stays chosen
    flash_outcome(outcome)
    return redirect(url_for("portal.demand", demand_id=outcome.demand_id))


BOOKINGS_PAGE = 20  # slots a page


@bp.get("/bookings")
@login_required
def bookings():
    """预约安排: the coming slots of the communities I govern (or one of them) that hold
    bookings, each booking with where it stands and who is sent, opening its page (to arrange,
    or to call it off)."""
    governed = queue_reads.scope(db(), actor())
    if not governed:
        abort(404)
    community_id = arg_int("community")
    if community_id is not None and community_id not in governed:
        abort(404)
    page = requested("page", BOOKINGS_PAGE)
    slots, total = booked.coming(db(), [community_id] if community_id else list(governed), utcnow(),
                                 limit=BOOKINGS_PAGE, offset=page.offset)
    return render_template("bookings.html", slots=slots, total=total, page=page.of(total),
                           governed=sorted(governed.values(), key=lambda c: c.path), community_id=community_id)
