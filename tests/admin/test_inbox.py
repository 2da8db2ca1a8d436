"""The inbox over HTTP: a message opens only for its recipient (a 404 for anyone else, as for
a message that does not exist), opening needs a POST, and the list is the person's own."""
from __future__ import annotations

from sqlalchemy import select

from schemas.tables import Notification
from tests.flows.walker import Walker


def _message(factory, demand_id):
    with factory() as s:
        return s.scalars(select(Notification).where(Notification.demand_id == demand_id,
                                                    Notification.kind == "award:notify")).one()


def test_only_the_recipient_opens_a_message(app, world, factory, login):
    walk = Walker(factory, world).rated_wish("修理纱窗", 5)
    message = _message(factory, walk.demand_id)
    for someone_else in ("res_b", "mem1", "cadm_a", "cityadm"):
        client = login(someone_else)
        assert "您的心愿已完成：修理纱窗" not in client.get("/me/messages").get_data(as_text=True)
        assert client.post(f"/me/messages/{message.id}").status_code == 404
    assert _message(factory, walk.demand_id).read_at is None
    assert app.test_client().post(f"/me/messages/{message.id}").status_code == 302  # to the log-in page
    owner = login("res_a")
    assert owner.get(f"/me/messages/{message.id}").status_code == 405  # opening changes it: POST only
    page = owner.get("/me/messages").get_data(as_text=True)
    assert "修理纱窗" in page and 'id="unread-badge"' in page
    answer = owner.post(f"/me/messages/{message.id}")
    assert answer.status_code == 302 and answer.location.endswith(f"/d/{walk.demand_id}")
    assert _message(factory, walk.demand_id).read_at is not None
    assert owner.post("/me/messages/99999").status_code == 404
