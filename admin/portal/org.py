"""Reporting in (报到) and its approval, the organisation's back office (后台档案) and the
members asking to join it, a member's own organisation, and the community counter: confirm a
pickup, adjust points with a reason, see orders."""
from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from admin.auth import actor
from admin.database import db
from admin.dates import when
from admin.i18n import field_errors, flash_refusal, lang, refusal_text
from admin.params import MAX_ID, BadParam, arg_int, form_int, search_arg, to_id
from admin.portal import bp
from admin.portal.nav import nav
from flows.core.refusals import Refused
from flows.people import accounts, behalf, joining, orgs, preferences, regions
from flows.points import reads as points_reads
from flows.points import repeats, shop
from schemas.tables import Member, Order, OrderStatus, Organisation, Region, RegionLevel, Role, User


@bp.route("/checkin", methods=["GET", "POST"])
@login_required
def checkin():
    """A member reports in where they live; an org admin registers the organisation. Nobody
    else reports in (a resident belongs to the community they signed up in): 404, as every
    page of a role one does not have."""
    me = actor()
    if not nav().checkin:
        abort(404)
    if request.method == "POST":
        try:
            if request.form.get("org_id"):
                accounts.register_org(db(), me, form_int("org_id"), form_int("community_id", required=False) or 0)
            else:
                accounts.report_in(db(), me, form_int("community_id", required=False) or 0)
            flash(_("报到申请已提交，等待社区审核"), "success")
        except Refused as exc:
            flash_refusal(exc)
        return redirect(url_for("portal.checkin"))
    communities = db().scalars(select(Region).where(Region.level == RegionLevel.COMMUNITY).order_by(Region.path)).all()
    orgs = db().scalars(select(Organisation).where(Organisation.id.in_(me.org_admin_of))).all()
    return render_template("checkin.html", communities=communities, orgs=orgs, mine=accounts.mine(db(), me))


@bp.route("/approvals", methods=["GET", "POST"])
@login_required
def approvals():
    """The community admin approves or rejects report-ins of their own communities; for anyone
    who governs no community there is no such page (as for 待办)."""
    me = actor()
    if not me.admin_paths():
        abort(404)
    if request.method == "POST":
        kind = request.form.get("kind", "")
        if kind not in ("member", "org"):
            abort(400)
        if request.form.get("decision") != "approve":  # 退回 asks first, for a reason
            return redirect(url_for("portal.reject_registration", kind=kind, registration_id=form_int("id")))
        try:
            accounts.decide(db(), me, kind, form_int("id"), True)
            flash(_("已通过"), "success")
        except Refused as exc:
            flash_refusal(exc)
        return redirect(url_for("portal.approvals"))
    rows = accounts.pending(db(), me)
    return render_template("approvals.html", rows=rows, details=accounts.applicants(db(), rows))


@bp.route("/approvals/<any(member, org):kind>/<id:registration_id>/reject", methods=["GET", "POST"])
@login_required
def reject_registration(kind: str, registration_id: int):
    """退回 cannot be undone (the applicant must report in again): this page asks first, and for
    the reason the applicant will read."""
    me = actor()
    row = next((r for r in accounts.pending(db(), me) if r[0] == kind and r[1].id == registration_id), None)
    if row is None:
        if not accounts.is_mine_to_decide(db(), me, kind, registration_id):
            abort(404)
        flash_refusal(Refused("registration.decided"))  # decided meanwhile, or reached by the Back button
        return redirect(url_for("portal.approvals"))
    reason, error = "", None
    if request.method == "POST":
        reason = request.form.get("reason", "")
        try:
            accounts.decide(db(), me, kind, registration_id, False, reason=reason)
            flash(_("已退回，申请人会收到通知"), "success")
            return redirect(url_for("portal.approvals"))
        except Refused as exc:
            if "reason" not in exc.field_messages:
                flash_refusal(exc)
                return redirect(url_for("portal.approvals"))
            error = exc.fields_in(lang())["reason"]
    return render_template("reject.html", kind=kind, reg=row[1], who=row[2], community=row[3], reason=reason,
                           error=error, max_length=accounts.REASON_MAX), 422 if error else 200


@bp.get("/org")
@login_required
def org():
    """What the organisation grabbed, who signed up and served, their hours and points, and the
    organisation's own points (its account on the ledger)."""
    me = actor()
    if not me.org_admin_of:
        abort(404)
    mine = db().scalars(select(Organisation).where(Organisation.id.in_(me.org_admin_of)).order_by(Organisation.id))
    return render_template("org.html", requests=joining.pending(db(), me), orgs=[
        {"org": o, "records": orgs.back_office(db(), o.id), "balance": points_reads.org_balance(db(), o.id),
         "history": points_reads.org_history(db(), o.id, limit=10), "members": orgs.member_count(db(), o.id),
         "people": orgs.members(db(), o.id)}
        for o in mine])


@bp.post("/org/requests/<id:member_id>")
@login_required
def decide_join(member_id: int):
    """通过 or 不通过 a member's request to join one of my organisations. No one-time key: the
    request is decided once, and a second tap (two admins, the Back button) is told so."""
    me = actor()
    if not me.org_admin_of:
        abort(404)
    decision = request.form.get("decision")
    if decision not in ("approve", "decline"):
        abort(400)
    approve = decision == "approve"
    try:
        name = joining.decide(db(), me, member_id, form_int("org_id"), approve)
    except Refused as exc:
        flash_refusal(exc)
    else:
        flash(_("已通过：%(name)s 加入了组织", name=name) if approve else _("已不通过：%(name)s 会收到通知", name=name),
              "success")
    return redirect(url_for("portal.org"))


@bp.route("/org/<id:org_id>/members/<id:member_id>/remove", methods=["GET", "POST"])
@login_required
def remove_member(org_id: int, member_id: int):
    """移出组织 asks first (the member must ask to join again), then takes the member off the
    organisation. Only its admins reach it; a member no longer listed is told, not an error."""
    me = actor()
    if org_id not in me.org_admin_of:
        abort(404)
    if request.method == "POST":
        try:
            name = joining.remove(db(), me, member_id, org_id)
        except Refused as exc:
            flash_refusal(exc)
        else:
            flash(_("已将%(name)s移出本组织，对方会收到通知", name=name), "success")
        return redirect(url_for("portal.org", list=org_id) + f"#members-{org_id}")  # the list open, as left
    row = db().execute(select(User.display_name, Member.work_unit, Organisation.name)
                       .join(Member, Member.user_id == User.id).join(Organisation, Organisation.id == Member.org_id)
                       .where(Member.user_id == member_id, Member.org_id == org_id)).first()
    if row is None:
        flash_refusal(Refused("org.not_member"))  # left meanwhile, or reached by the Back button
        return redirect(url_for("portal.org"))
    return render_template("org_remove.html", org_id=org_id, member_id=member_id, name=row[0], unit=row[1],
                           org=row[2])


def _said(before: tuple[int | None, int | None], after: tuple[int | None, int | None], names: dict[int, str]) -> str:
    """What the member's 提交 did, in words: asked, withdrew, left, or nothing."""
    (org_before, asked_before), (org_after, asked_after) = before, after
    if asked_after is not None and asked_after != asked_before:
        return _("已提交入组申请，等该组织的管理员通过后生效")
    if org_before is not None and org_after is None:
        return _("已退出%(org)s", org=names.get(org_before, ""))
    if asked_before is not None and asked_after is None:
        return _("已撤回加入%(org)s的申请", org=names.get(asked_before, ""))
    return _("没有变化")


@bp.route("/me/org", methods=["GET", "POST"])
@login_required
def member_org():
    """A member asks to join their organisation (its admins decide; then its grabbed activities
    reach their hall), or leaves it."""
    me = actor()
    member = db().get(Member, me.user_id)
    if member is None:
        abort(404)
    error = None
    names = dict(orgs.choices(db()))
    if request.method == "POST":
        before = (member.org_id, member.org_requested_id)
        try:
            member = joining.ask(db(), me, form_int("org_id", required=False))
        except Refused as exc:
            error = refusal_text(exc)
        else:
            flash(_said(before, (member.org_id, member.org_requested_id), names), "success")
            return redirect(url_for("portal.member_org"))
    return render_template("member_org.html", choices=list(names.items()), current=member.org_id,
                           requested=member.org_requested_id, names=names, error=error), (400 if error else 200)


@bp.get("/manage/pickup/<id:order_id>")
@login_required
def confirm_pickup(order_id: int):
    """发放 asks first: the goods leave the counter for good, so the admin checks the code the
    resident shows against the order before the one tap that hands them over (POST /manage)."""
    ids = [c.id for c in regions.admin_communities(db(), actor())]
    order = db().get(Order, order_id)
    if order is None or order.community_id not in ids:
        abort(404)
    if order.status is OrderStatus.PICKED_UP:  # the Back button after 确认发放, or a colleague was quicker
        flash(_("这笔兑换已经发放了"), "info")
        return redirect(url_for("portal.manage") + "#reserved")
    if order.status is not OrderStatus.RESERVED:  # cancelled or expired meanwhile
        flash_refusal(Refused("shop.not_reserved"))
        return redirect(url_for("portal.manage") + "#reserved")
    who = db().get(User, order.user_id)
    return render_template("confirm_pickup.html", order=order, item=order.item_name,
                           who=who.display_name if who else "")


@bp.route("/manage", methods=["GET", "POST"])
@login_required
def manage():
    """The community counter: pickup by code, point adjustments, recent orders."""
    me = actor()
    communities = regions.admin_communities(db(), me)
    if not communities:
        abort(404)
    if request.method == "POST":
        try:
            if request.form.get("action") == "phone":
                region = preferences.set_community_phone(db(), me, form_int("community_id"), request.form.get("phone", ""))
                flash(_("%(community)s的电话已保存", community=region.name), "success")
            elif request.form.get("action") == "pickup":
                order = shop.confirm_pickup(db(), me, request.form.get("code", ""))
                buyer = db().get(User, order.user_id)
                flash(_("已确认领取：%(item)s ×%(quantity)s（%(name)s）", item=order.item_name,
                        quantity=order.quantity, name=buyer.display_name if buyer else ""), "success")
            else:
                user_id, amount = _typed_int("user_id"), _typed_int("amount", low=-1_000_000, high=1_000_000)
                reason, key = request.form.get("reason", ""), request.form.get("request_key") or uuid.uuid4().hex
                person = db().get(User, user_id)
                earlier = None if request.form.get("again") else repeats.recent_adjustment(
                    db(), me.user_id, user_id, reason, key)
                if earlier is not None:  # the back button and a second tap, most often: ask first
                    return render_template(
                        "repeat.html", back=url_for("portal.manage"), back_label=_("‹ 返回社区管理"),
                        fields=[("action", "adjust"), ("user_id", user_id), ("amount", amount), ("reason", reason),
                                ("request_key", key)],
                        yes=_("再调整一次"),
                        said=_("您在 %(when)s 刚为%(name)s调整过积分（%(amount)s，原因：%(reason)s）。"
                               "还要再调整一次 %(again)s 吗？", when=when(earlier.at),
                               name=person.display_name if person else "", amount=f"{earlier.amount:+d}",
                               reason=reason.strip(), again=f"{amount:+d}"))
                done = shop.adjust(db(), me, user_id, amount, reason, request_key=key)
                name = person.display_name if person else ""
                flash(_("已为%(name)s调整积分 %(amount)s", name=name, amount=f"{amount:+d}") if done.posting is not None
                      else _("数额超过市里设定的审批线，已提交，等待另一位管理员在后台审批"), "success")
        except Refused as exc:
            errors = field_errors(exc)
            if not errors:
                flash_refusal(exc)
            if request.form.get("action") not in ("adjust", "phone"):
                return redirect(url_for("portal.manage"))
            # a refused adjustment or phone: the person chosen and what was typed stay, each
            # problem beside its field (a redirect lost them, and the admin searched again)
            return _manage_page(me, communities, request.form, errors), 400
        return redirect(url_for("portal.manage"))
    return _manage_page(me, communities, None, {})


def _typed_int(name: str, *, low: int | None = 1, high: int | None = MAX_ID) -> int:
    """A number of the adjustment form, its problem said beside its field (not the 400 page,
    which lost the person chosen and the reason typed)."""
    try:
        return form_int(name, low=low, high=high)
    except BadParam as exc:
        raise Refused("input", fields={name: str(exc.description)}) from None


def _manage_page(me, communities, form, errors: dict[str, str]) -> str:
    """The counter's page; `form` is a refused adjustment's or phone's typed values."""
    ids = [c.id for c in communities]
    reserved, reserved_total = points_reads.reserved_orders(db(), ids)
    # whose points: found by name among the members and residents of these communities (the
    # form asked for a user id, which nobody at a counter knows)
    who = search_arg("who")
    found = [p for role in (Role.MEMBER.value, Role.RESIDENT.value)
             for p in behalf.people(db(), me, role, ids, q=who, limit=20)] if who else []
    adjusting = form is not None and form.get("action") == "adjust"
    chosen_id = to_id(form.get("user_id")) if adjusting else arg_int("user_id")
    chosen = next((p for role in (Role.MEMBER.value, Role.RESIDENT.value)
                   if (p := behalf.person(db(), me, chosen_id, role)) is not None), None) if chosen_id else None
    return render_template("manage.html", orders=points_reads.community_orders(db(), ids), reserved=reserved,
                           phones=communities if len(communities) <= 3 else [],  # a community's own admin
                           reserved_total=reserved_total, who=who, found=found, chosen=chosen,
                           request_key=(form.get("request_key") if adjusting else None) or uuid.uuid4().hex,
                           form=form, errors=errors)
