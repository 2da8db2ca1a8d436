"""My messages and the programme's news over the API (the inbox's and the news page's reads)."""

from spectree import Response

from admin.api import ID, bp, spec
from admin.api.bearer import caller, signed_in
from admin.api.models import CursorQuery, MessageOut, Messages, News, NewsItem
from admin.api.paging import decode_id, encode, json_response, page_of
from admin.api.problems import Problem, locale
from admin.database import db
from flows.catalogue import news as news_reads
from flows.notices import inbox
from schemas.tables import Notification

TAG = "messages and news"
BEARER: dict[str, list[str]] = {"bearer": []}


def _message(n: Notification) -> MessageOut:
    title, body = inbox.words(n, locale())
    return MessageOut(id=n.id, title=title, body=body or None, demand_id=n.demand_id, read=n.read_at is not None,
                      created_at=n.created_at)


@bp.get("/me/messages")
@spec.validate(query=CursorQuery, resp=Response(HTTP_200=Messages, HTTP_304=None, HTTP_400=Problem, HTTP_401=Problem,
                                                HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
def messages(query: CursorQuery):
    """My inbox, newest first, with the unread count; paged by cursor."""
    user_id = caller().user_id
    rows, after = page_of(inbox.inbox(db(), user_id, limit=query.limit + 1, before=decode_id(query.cursor)),
                          query.limit, lambda n: n.id)
    return json_response(Messages(unread=inbox.unread_count(db(), user_id), items=[_message(n) for n in rows],
                                  next_cursor=after))


@bp.post(f"/me/messages/<{ID}:message_id>/read")
@spec.validate(resp=Response(HTTP_200=MessageOut, HTTP_401=Problem, HTTP_404=Problem), tags=[TAG], security=BEARER)
@signed_in
def read_message(message_id: int):
    """Mark one of my messages read (again is harmless)."""
    return json_response(_message(inbox.open_notice(db(), caller().user_id, message_id)))


@bp.get("/news")
@spec.validate(query=CursorQuery, resp=Response(HTTP_200=News, HTTP_304=None, HTTP_400=Problem, HTTP_422=Problem),
               tags=[TAG])
def news(query: CursorQuery):
    """The programme's published news, newest first (no log-in needed); paged by cursor (the
    list stopped at the newest 30, with no way to older posts)."""
    offset = decode_id(query.cursor) or 0  # posts skipped: a new post moves a page by one, nothing is lost
    rows = news_reads.news(db(), limit=query.limit + 1, offset=offset)
    shown = rows[:query.limit]
    after = encode(offset + len(shown)) if len(rows) > query.limit else None
    return json_response(News(items=[NewsItem(id=p.id, title=p.title, summary=p.summary, published_at=p.published_at)
                                     for p in shown], next_cursor=after))
