"""A member's own settings and record over the API (the organisation they belong to, their
skills, their service record), an organisation admin's back office, and cancelling an order:
the same domain calls as the portal's pages (flows.people.orgs and talent,
flows.engine.service_record, flows.points.reads and shop)."""

from spectree import Response
from sqlalchemy import select

from admin.api import ID, bp, spec
from admin.api.bearer import caller, signed_in
from admin.api.models import OrderOut
from admin.api.paging import json_response
from admin.api.points import _order
from admin.api.problems import ApiProblem, Problem
from admin.api.replays import idempotent
from admin.api.staff_models import (
    CancelRequest,
    Choice,
    JoinDecision,
    JoinRequest,
    JoinRequests,
    MemberOrg,
    MemberOrgRequest,
    MySkills,
    OrgActivity,
    OrgEntry,
    OrgMember,
    OrgOffice,
    OrgOffices,
    OrgPerson,
    ServedOut,
    ServiceRecordOut,
    SkillChoice,
    SkillsRequest,
)
from admin.database import db
from flows.engine import service_record
from flows.people import joining, orgs, talent
from flows.points import reads as points_reads
from flows.points import shop
from schemas.tables import Member, Organisation

TAG = "members and organisations"
BEARER: dict[str, list[str]] = {"bearer": []}


def _member_org() -> MemberOrg:
    member = db().get(Member, caller().user_id)
    if member is None:
        raise ApiProblem(404, "api.not_found")  # not a member: as the web's page, not there
    return MemberOrg(org_id=member.org_id, requested_org_id=member.org_requested_id,
                     choices=[Choice(id=i, name=n) for i, n in orgs.choices(db())])


@bp.get("/me/org")
@spec.validate(resp=Response(HTTP_200=MemberOrg, HTTP_304=None, HTTP_401=Problem, HTTP_404=Problem), tags=[TAG],
               security=BEARER)
@signed_in
def member_org():
    """The organisation I (a member) belong to, and those I may choose from."""
    return json_response(_member_org())


@bp.put("/me/org")
@spec.validate(json=MemberOrgRequest, resp=Response(HTTP_200=MemberOrg, HTTP_401=Problem, HTTP_403=Problem,
                                                    HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def set_member_org(json: MemberOrgRequest):
    """Ask to join an organisation (`requested_org_id` until its admins decide; then `org_id`, and
    the activities it grabs reach my hall), or with `null` leave mine at once. Not a member:
    403; an unknown organisation: 422."""
    joining.ask(db(), caller(), json.org_id)
    return json_response(_member_org())


@bp.get("/org/join-requests")
@spec.validate(resp=Response(HTTP_200=JoinRequests, HTTP_304=None, HTTP_401=Problem, HTTP_404=Problem), tags=[TAG],
               security=BEARER)
@signed_in
def join_requests():
    """Members asking to join my organisations (an organisation admin's), oldest first."""
    me = caller()
    if not me.org_admin_of:
        raise ApiProblem(404, "api.not_found")
    return json_response(JoinRequests(items=[
        JoinRequest(member_id=r.member_id, name=r.name, work_unit=r.work_unit, org_id=r.org_id, org=r.org,
                    asked_at=r.asked_at) for r in joining.pending(db(), me)]))


@bp.post(f"/org/join-requests/<{ID}:member_id>")
@spec.validate(json=JoinDecision, resp=Response(HTTP_204=None, HTTP_401=Problem, HTTP_404=Problem, HTTP_409=Problem,
                                                HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def decide_join(member_id: int, json: JoinDecision):
    """Approve (the member becomes one of the organisation's) or decline a request to join one
    of my organisations; decided once (a second decision is a 409)."""
    joining.decide(db(), caller(), member_id, json.org_id, json.approve)
    return "", 204


def _skills() -> MySkills:
    me = caller()
    if not talent.is_member(db(), me.user_id):
        raise ApiProblem(404, "api.not_found")
    return MySkills(skills=sorted(talent.my_skills(db(), me.user_id)),
                    choices=[SkillChoice(code=s.code, name=s.name) for s in talent.skill_choices(db())])


@bp.get("/me/skills")
@spec.validate(resp=Response(HTTP_200=MySkills, HTTP_304=None, HTTP_401=Problem, HTTP_404=Problem), tags=[TAG],
               security=BEARER)
@signed_in
def my_skills():
    """My skills (a member's), and every skill of the talent pool."""
    return json_response(_skills())


@bp.put("/me/skills")
@spec.validate(json=SkillsRequest, resp=Response(HTTP_200=MySkills, HTTP_400=Problem, HTTP_401=Problem,
                                                 HTTP_403=Problem, HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def set_my_skills(json: SkillsRequest):
    """Replace my skills with these codes (the hall's match and the talent pool follow). Not a
    member: 403; an unknown code: 422."""
    talent.set_skills(db(), caller(), json.skills)
    return json_response(_skills())


@bp.get("/me/service")
@spec.validate(resp=Response(HTTP_200=ServiceRecordOut, HTTP_304=None, HTTP_401=Problem), tags=[TAG],
               security=BEARER)
@signed_in
def my_service():
    """My service record: hours, activities, points earned, and each demand I served on."""
    summary = service_record.summary(db(), caller().user_id)
    return json_response(ServiceRecordOut(hours=summary.hours, activities=summary.activities, points=summary.points,
                                          items=[ServedOut(demand_id=r.demand_id, title=r.title, hours=r.hours,
                                                           signed_in_at=r.signed_in_at, points=r.points)
                                                 for r in summary.rows]))


@bp.get("/org")
@spec.validate(resp=Response(HTTP_200=OrgOffices, HTTP_304=None, HTTP_401=Problem, HTTP_404=Problem), tags=[TAG],
               security=BEARER)
@signed_in
def org_office():
    """My organisations' back office (an organisation admin's): what each grabbed, who signed
    up and served with their hours and points, its members and its own points."""
    me = caller()
    if not me.org_admin_of:
        raise ApiProblem(404, "api.not_found")
    mine = db().scalars(select(Organisation).where(Organisation.id.in_(me.org_admin_of)).order_by(Organisation.id))
    items = []
    for o in mine:
        activities = [OrgActivity(demand_id=r["demand"].id, title=r["demand"].title, state=r["demand"].state,
                                  starts_at=r["demand"].starts_at,
                                  people=[OrgPerson(name=p["name"], signed_in_at=p["in"], signed_out_at=p["out"],
                                                    hours=float(p["hours"]) if p["hours"] is not None else None,
                                                    points=p["points"]) for p in r["people"]])
                      for r in orgs.back_office(db(), o.id)]
        history = [OrgEntry(amount=h["amount"], at=h["created_at"], memo=h["memo"], demand_id=h["demand_id"])
                   for h in points_reads.org_history(db(), o.id, limit=10)]
        items.append(OrgOffice(id=o.id, name=o.name, balance=points_reads.org_balance(db(), o.id),
                               members=orgs.member_count(db(), o.id), history=history, activities=activities,
                               people=[OrgMember(member_id=m, name=n, work_unit=u) for m, n, u in orgs.members(db(), o.id)]))
    return json_response(OrgOffices(items=items))


@bp.delete(f"/org/<{ID}:org_id>/members/<{ID}:member_id>")
@spec.validate(resp=Response(HTTP_204=None, HTTP_401=Problem, HTTP_404=Problem, HTTP_409=Problem), tags=[TAG],
               security=BEARER)
@signed_in
@idempotent
def remove_member(org_id: int, member_id: int):
    """Take a member off one of my organisations (移出: they are told, and may ask again). Not
    an organisation I administer: 404; no longer its member (a colleague, the member leaving
    first, a second call with a new key): 409 `org.not_member`; the same key again: its 204."""
    if org_id not in caller().org_admin_of:
        raise ApiProblem(404, "api.not_found")
    joining.remove(db(), caller(), member_id, org_id)
    return "", 204


@bp.post(f"/shop/orders/<{ID}:order_id>/cancel")
@spec.validate(json=CancelRequest, resp=Response(HTTP_200=OrderOut, HTTP_400=Problem, HTTP_401=Problem,
                                                 HTTP_404=Problem, HTTP_409=Problem, HTTP_422=Problem),
               tags=[TAG], security=BEARER)
@signed_in
@idempotent
def cancel_order(order_id: int, json: CancelRequest):
    """Cancel a reserved order, its points given back: the buyer, or an admin of the shop's
    community. Someone else's order: 404; no longer reserved: 409."""
    order = shop.cancel(db(), caller(), order_id, reason=(json.reason or "").strip() or None)
    return json_response(_order(order, order.item_name))
