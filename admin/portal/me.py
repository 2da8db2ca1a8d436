"""My page: my tasks by state, my service record, my skills, my points and their reasons, the
shop and my orders."""
from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from admin.auth import actor
from admin.database import db
from admin.dates import when
from admin.i18n import flash_refusal, lang
from admin.params import form_int
from admin.portal import bp
from admin.portal.common import posted_request_key, qr_svg
from flows.core.refusals import Refused
from flows.engine import history, service_record
from flows.people import regions, talent
from flows.points import ledger, repeats, shop
from flows.points import reads as points_reads
from flows.workflow import registry
from schemas.clock import utcnow
from schemas.tables import Order, OrderStatus, Region, ShopItem


@bp.get("/me")
@login_required
def me():
    """Everything that is mine, grouped by where it stands."""
    me_ = actor()
    groups: dict[str, list] = {}
    for d in history.my_demands(db(), me_.user_id, me_.org_admin_of):
        wf = registry.load(db(), d.workflow_id, d.workflow_version, d.workflow_hash)
        groups.setdefault(wf.state_title(d.state), []).append(d)
    return render_template("me.html", groups=groups, balance=ledger.balance(db(), me_.user_id),
                           history=points_reads.points_history(db(), me_.user_id, limit=20, locale=lang()),
                           orders=points_reads.my_orders(db(), me_.user_id)[:5], governs=bool(me_.admin_paths()),
                           service=service_record.summary(db(), me_.user_id, limit=0),
                           is_member=talent.is_member(db(), me_.user_id))


@bp.get("/me/service")
@login_required
def my_service():
    """My service record: every demand I served on, its hours and the points it earned."""
    return render_template("service.html", service=service_record.summary(db(), actor().user_id))


@bp.route("/me/skills", methods=["GET", "POST"])
@login_required
def my_skills():
    """A member keeps their skills current, so the talent pool and the hall's match stay true."""
    me_ = actor()
    if not talent.is_member(db(), me_.user_id):
        abort(404)
    if request.method == "POST":
        try:
            talent.set_skills(db(), me_, request.form.getlist("skills"))
        except Refused as exc:
            flash_refusal(exc)
        else:
            flash(_("技能已保存"), "success")
            return redirect(url_for("portal.me"))
    return render_template("skills.html", skills=talent.skill_choices(db()), mine=talent.my_skills(db(), me_.user_id))


@bp.get("/points")
@login_required
def points():
    return render_template("points.html", balance=ledger.balance(db(), actor().user_id),
                           history=points_reads.points_history(db(), actor().user_id, locale=lang()))


@bp.get("/shop")
@login_required
def shop_page():
    """The supermarkets of my communities; one request key per page view stops a double tap."""
    items = points_reads.shop_items(db(), regions.region_ids_of(db(), actor()))
    return render_template("shop.html", items=items, balance=ledger.balance(db(), actor().user_id),
                           request_key=uuid.uuid4().hex)


@bp.post("/shop/<id:item_id>/redeem")
@login_required
def redeem(item_id: int):
    if item_id not in {i.id for i, _ in points_reads.shop_items(db(), regions.region_ids_of(db(), actor()))}:
        abort(404)
    key = posted_request_key()
    quantity = form_int("quantity", required=False, low=1, high=999) or 1
    earlier = None if request.form.get("again") else repeats.recent_order(db(), actor().user_id, item_id, key)
    if earlier is not None:  # the back button and a second tap, most often: ask first
        beyond = shop.beyond_limit(db(), actor().user_id, db().get_one(ShopItem, item_id), quantity)
        if beyond is not None:  # unless another one could only be refused: say so at once
            flash_refusal(beyond)
            return redirect(url_for("portal.orders"))
        return render_template(
            "repeat.html", back=url_for("portal.orders"), back_label=_("‹ 返回我的订单"),
            fields=[("request_key", key or ""), ("quantity", quantity)], yes=_("再兑换一份"),
            said=_("您在 %(when)s 刚兑换过%(item)s（取货码 %(code)s）。还要再兑换一份吗？",
                   when=when(earlier.at), item=earlier.item_name or "", code=earlier.pickup_code))
    try:
        order = shop.redeem(db(), actor().user_id, item_id, quantity, request_key=key)
    except Refused as exc:
        flash_refusal(exc)
        return redirect(url_for("portal.shop_page"))
    flash(_("兑换成功，取货码 %(code)s", code=order.pickup_code), "success")
    return redirect(url_for("portal.orders"))


@bp.get("/orders")
@login_required
def orders():
    mine = points_reads.my_orders(db(), actor().user_id)
    ids = {order.community_id for order, _name in mine}  # where each is collected: its community's shop
    places = {r.id: r.name for r in db().execute(select(Region.id, Region.name).where(Region.id.in_(ids)))} if ids else {}
    return render_template("orders.html", orders=mine, places=places, now=utcnow())


@bp.route("/orders/<id:order_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_order(order_id: int):
    """取消订单 asks first (GET), then cancels (POST): the points come back, the goods go back
    on the shelf, and the pickup code is void."""
    if request.method == "GET":
        order = db().get(Order, order_id)
        if order is None or order.user_id != actor().user_id:
            abort(404)
        if order.status is not OrderStatus.RESERVED:  # cancelled or picked up meanwhile (or by the Back button)
            return redirect(url_for("portal.orders"))
        return render_template("cancel_order.html", order=order, name=order.item_name)
    try:
        shop.cancel(db(), actor(), order_id)
        flash(_("订单已取消，积分已退回"), "success")
    except Refused as exc:
        flash_refusal(exc)
    return redirect(url_for("portal.orders"))


@bp.get("/orders/<id:order_id>/qr.svg")
@login_required
def order_qr(order_id: int):
    """The pickup code as a QR code, for the counter's scanner."""
    order = db().get(Order, order_id)
    if order is None or order.user_id != actor().user_id:
        abort(404)
    return qr_svg(order.pickup_code, title=order.pickup_code, scale=5)
