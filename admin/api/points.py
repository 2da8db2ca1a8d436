"""Me, my points and the points supermarket over the API: the same ledger reads and the same
shop door as the web pages (a redeem's Idempotency-Key is the shop's order key)."""

from spectree import Response

from admin.api import bp, spec
from admin.api.bearer import caller, signed_in
from admin.api.models import (
    CursorQuery,
    Me,
    OrderOut,
    Orders,
    Points,
    PointsEntry,
    RedeemRequest,
    ShopItemOut,
    ShopItems,
)
from admin.api.paging import decode_id, json_response, page_of
from admin.api.problems import ApiProblem, Problem, locale
from admin.api.replays import idempotent, key
from admin.database import db
from flows.notices import inbox
from flows.people import regions
from flows.points import ledger, shop
from flows.points import reads as points_reads
from schemas.tables import Order, ShopItem, User

TAG = "points"
BEARER: dict[str, list[str]] = {"bearer": []}


@bp.get("/me")
@spec.validate(resp=Response(HTTP_200=Me, HTTP_304=None, HTTP_401=Problem), tags=[TAG], security=BEARER)
@signed_in
def me():
    """Who I am: roles, communities, skills, points and unread messages."""
    person = caller()
    user = db().get_one(User, person.user_id)
    return json_response(Me(id=user.id, username=user.username, display_name=user.display_name,
                            roles=sorted({g.role.value for g in person.grants}),
                            communities=sorted(regions.region_ids_of(db(), person)), skills=sorted(person.skills),
                            points=ledger.balance(db(), user.id), unread=inbox.unread_count(db(), user.id),
                            wechat_bound=user.wechat_openid is not None))


@bp.get("/me/points")
@spec.validate(query=CursorQuery, resp=Response(HTTP_200=Points, HTTP_304=None, HTTP_400=Problem, HTTP_401=Problem,
                                                HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
def my_points(query: CursorQuery):
    """My balance and ledger entries, newest first, paged by cursor."""
    user_id = caller().user_id
    rows, after = page_of(points_reads.points_history(db(), user_id, query.limit + 1, locale(),
                                                      before=decode_id(query.cursor)), query.limit, lambda r: r["id"])
    items = [PointsEntry(amount=r["amount"], at=r["created_at"], memo=r["memo"], kind=str(r["kind"].value),
                         demand_id=r["demand_id"], order_id=r["order_id"]) for r in rows]
    return json_response(Points(balance=ledger.balance(db(), user_id), items=items, next_cursor=after))

def _shop_items() -> list[tuple[ShopItem, str]]:
    return points_reads.shop_items(db(), regions.region_ids_of(db(), caller()))


@bp.get("/shop/items")
@spec.validate(resp=Response(HTTP_200=ShopItems, HTTP_304=None, HTTP_401=Problem), tags=[TAG], security=BEARER)
@signed_in
def shop_items():
    """What the supermarkets of my communities sell, and my balance."""
    return json_response(ShopItems(balance=ledger.balance(db(), caller().user_id), items=[
        ShopItemOut(id=i.id, name=i.name, community=c, price=i.price, stock=i.stock) for i, c in _shop_items()]))


def _order(order: Order, name: str) -> OrderOut:
    return OrderOut(id=order.id, item=name, quantity=order.quantity, points=order.points, status=order.status.value,
                    pickup_code=order.pickup_code, expires_at=order.expires_at, created_at=order.created_at)


@bp.post("/shop/orders")
@spec.validate(json=RedeemRequest, resp=Response(HTTP_201=OrderOut, HTTP_400=Problem, HTTP_401=Problem,
                                                 HTTP_404=Problem, HTTP_409=Problem, HTTP_422=Problem),
               tags=[TAG], security=BEARER)
@signed_in
@idempotent
def redeem(json: RedeemRequest):
    """Redeem points for an item of my communities' supermarkets: a reserved order with its
    pickup code. The Idempotency-Key is the order's key: never two orders for one tap."""
    if json.item_id not in {i.id for i, _ in _shop_items()}:
        raise ApiProblem(404, "shop.not_found")
    order = shop.redeem(db(), caller().user_id, json.item_id, json.quantity, request_key=key())
    return json_response(_order(order, order.item_name), 201)


@bp.get("/me/orders")
@spec.validate(query=CursorQuery, resp=Response(HTTP_200=Orders, HTTP_304=None, HTTP_400=Problem, HTTP_401=Problem,
                                                HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
def my_orders(query: CursorQuery):
    """My orders with their pickup codes, newest first, paged by cursor."""
    rows, after = page_of(points_reads.my_orders(db(), caller().user_id, query.limit + 1, decode_id(query.cursor)),
                          query.limit, lambda row: row[0].id)
    return json_response(Orders(items=[_order(o, n) for o, n in rows], next_cursor=after))
