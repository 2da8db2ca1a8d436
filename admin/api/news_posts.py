"""Writing news (宣传资讯) over the API, for the admins who write it on the console's page: the
same domain calls (flows.catalogue.news), the same rule on regions (the city, a district or a
community they govern), the same audit rows."""

from datetime import UTC

from spectree import Response

from admin.api import ID, bp, spec
from admin.api.bearer import caller, signed_in
from admin.api.models import CursorQuery, aware
from admin.api.paging import decode_id, json_response, page_of
from admin.api.problems import ApiProblem, Problem, locale
from admin.api.replays import idempotent
from admin.api.settings_models import NewsPostIn, NewsPostOut, NewsPosts
from admin.database import db
from admin.portal.common import storage
from flows.catalogue import news
from flows.core.i18n import render
from flows.core.storage import is_storage_key
from schemas.clock import utcnow
from schemas.tables import NewsPost

TAG = "writing news"
BEARER: dict[str, list[str]] = {"bearer": []}


def _out(post: NewsPost) -> NewsPostOut:
    published = aware(post.published_at)
    published = published.astimezone(UTC) if published is not None else None
    state = "draft" if published is None else "published" if published <= utcnow() else "scheduled"
    return NewsPostOut(id=post.id, region_id=post.region_id, title=post.title, summary=post.summary, body=post.body,
                       cover=post.cover, published_at=published, state=state, author_id=post.author_id,
                       created_at=(aware(post.created_at) or utcnow()).astimezone(UTC))


def _draft(json: NewsPostIn) -> news.Draft:
    """The body as the domain's draft; a cover must be a file `/uploads` stored (the console
    stores the picture itself: here the app names one)."""
    if json.cover is not None and (not is_storage_key(json.cover) or storage().size(json.cover) is None):
        raise ApiProblem(422, "api.invalid", errors={"cover": render("api.upload_unknown", None, locale())})
    return news.Draft(region_id=json.region_id, title=json.title, body=json.body, summary=json.summary,
                      cover=json.cover, published_at=json.published_at)


@bp.get("/news/posts")
@spec.validate(query=CursorQuery, resp=Response(HTTP_200=NewsPosts, HTTP_304=None, HTTP_400=Problem, HTTP_401=Problem,
                                                HTTP_403=Problem, HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
def news_posts(query: CursorQuery):
    """The posts of the regions I govern (drafts and scheduled ones too), newest first."""
    rows, after = page_of(news.managed(db(), caller(), query.limit + 1, before=decode_id(query.cursor)),
                          query.limit, lambda p: p.id)
    return json_response(NewsPosts(items=[_out(p) for p in rows], next_cursor=after))


@bp.post("/news/posts")
@spec.validate(json=NewsPostIn, resp=Response(HTTP_201=NewsPostOut, HTTP_401=Problem, HTTP_403=Problem,
                                              HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def write_news(json: NewsPostIn):
    """Write a post for a region I govern: a draft (`published_at` null), scheduled (a later
    time) or published at once."""
    return json_response(_out(news.post(db(), caller(), _draft(json))), 201)


@bp.put(f"/news/posts/<{ID}:post_id>")
@spec.validate(json=NewsPostIn, resp=Response(HTTP_200=NewsPostOut, HTTP_401=Problem, HTTP_403=Problem,
                                              HTTP_404=Problem, HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def edit_news(post_id: int, json: NewsPostIn):
    """Change a post of my regions (all of it: send every field)."""
    return json_response(_out(news.edit(db(), caller(), post_id, _draft(json))))


@bp.post(f"/news/posts/<{ID}:post_id>/withdraw")
@spec.validate(resp=Response(HTTP_200=NewsPostOut, HTTP_401=Problem, HTTP_403=Problem, HTTP_404=Problem),
               tags=[TAG], security=BEARER)
@signed_in
@idempotent
def withdraw_news(post_id: int):
    """Take a post back to a draft: readers no longer see it."""
    return json_response(_out(news.withdraw(db(), caller(), post_id)))
