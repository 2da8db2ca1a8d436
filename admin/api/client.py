"""A small reference client of the API (httpx), for app developers and for our own tests.

It shows what an app must do and nothing more: log in, keep the token pair, refresh once when
the access token expired, send an `Idempotency-Key` with every POST (a retry after a lost
answer reuses the key, so it is never done twice), follow `next_cursor`, and turn a problem
answer into an exception that carries its `code` and sentence. docs/api.md walks a
mini-program developer through the same calls.

    client = Client("https://yijia.example.org")
    client.login("zhangsan", "…")
    wish = client.start(task_type_id, {"title": "帮忙修灯", "details": "…"})
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx

PREFIX = "/api/v1"


class ApiError(Exception):
    """A problem answer (RFC 9457): `status`, `code` (stable, for branching) and `detail`."""

    def __init__(self, problem: dict[str, Any]):
        super().__init__(f"{problem.get('status')} {problem.get('code')}: {problem.get('detail')}")
        self.problem = problem
        self.status: int = problem.get("status", 0)
        self.code: str = problem.get("code", "")
        self.detail: str = problem.get("detail", "")
        self.errors: dict[str, str] = problem.get("errors") or {}


class Client:
    def __init__(self, base_url: str, *, transport: httpx.BaseTransport | None = None, language: str = "zh",
                 device: str = "python"):
        self.http = httpx.Client(base_url=base_url.rstrip("/") + PREFIX, transport=transport, timeout=30,
                                 headers={"Accept-Language": language})
        self.device = device
        self.tokens: dict[str, Any] | None = None

    # ---- plumbing ---------------------------------------------------------------------------
    def _send(self, method: str, path: str, *, retry: bool = True, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens['access_token']}"
        response = self.http.request(method, path, headers=headers, **kwargs)
        if response.status_code == 401 and retry and self.tokens and not path.startswith("/auth/"):
            self.refresh()  # the access token expired: one refresh, then the same request again
            return self._send(method, path, retry=False, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise ApiError(response.json())
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self._send("GET", path, params={k: v for k, v in params.items() if v is not None}).json()

    def post(self, path: str, body: dict[str, Any] | None = None, *, key: str | None = None) -> Any:
        """POST with an Idempotency-Key (a new one unless given: pass the same to retry)."""
        response = self._send("POST", path, json=body or {}, headers={"Idempotency-Key": key or uuid.uuid4().hex})
        return response.json() if response.content else None

    def pages(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paged list, following `next_cursor`."""
        cursor = None
        while True:
            page = self.get(path, cursor=cursor, **params)
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    # ---- log-in -----------------------------------------------------------------------------
    def login(self, username: str, password: str) -> dict[str, Any]:
        self.tokens = None
        self.tokens = self._send("POST", "/auth/token", json={"username": username, "password": password,
                                                             "device": self.device}).json()
        return self.tokens

    def login_wechat(self, code: str) -> dict[str, Any]:
        """Log in with `wx.login()`'s code; raises ApiError `api.wechat_unbound` (its
        `errors["ticket"]` is for `bind_wechat`) when this WeChat user has no account yet."""
        self.tokens = None
        self.tokens = self._send("POST", "/auth/wechat", json={"code": code, "device": self.device}).json()
        return self.tokens

    def bind_wechat(self, ticket: str, username: str, password: str) -> dict[str, Any]:
        self.tokens = self._send("POST", "/auth/wechat/bind", json={
            "ticket": ticket, "username": username, "password": password, "device": self.device}).json()
        return self.tokens

    def refresh(self) -> dict[str, Any]:
        assert self.tokens is not None
        self.tokens = self._send("POST", "/auth/refresh", json={"refresh_token": self.tokens["refresh_token"]}).json()
        return self.tokens

    def logout(self) -> None:
        self._send("POST", "/auth/logout")
        self.tokens = None

    # ---- the programme ------------------------------------------------------------------------
    def me(self) -> dict[str, Any]:
        return self.get("/me")

    def hall(self, **filters: Any) -> list[dict[str, Any]]:
        return list(self.pages("/hall", **filters))

    def startables(self) -> list[dict[str, Any]]:
        return self.get("/start")["items"]

    def start(self, task_type_id: int, values: dict[str, Any], *, community_id: int | None = None,
              key: str | None = None) -> dict[str, Any]:
        return self.post(f"/start/{task_type_id}", {"values": values, "community_id": community_id}, key=key)

    def demand(self, demand_id: int) -> dict[str, Any]:
        return self.get(f"/demands/{demand_id}")

    def step(self, demand_id: int, step: str, values: dict[str, Any] | None = None, *,
             key: str | None = None, presence_code: str | None = None) -> dict[str, Any]:
        """`presence_code`: for 签到/签退, the `code` of the link in the sign-in QR code scanned at the door."""
        body: dict[str, Any] = {"values": values or {}}
        if presence_code is not None:
            body["presence_code"] = presence_code
        return self.post(f"/demands/{demand_id}/steps/{step}", body, key=key)

    def upload(self, data: bytes, filename: str = "photo.jpg", content_type: str = "image/jpeg") -> str:
        return self._send("POST", "/uploads", files={"file": (filename, data, content_type)}).json()["key"]

    def points(self) -> dict[str, Any]:
        return self.get("/me/points")

    def shop(self) -> dict[str, Any]:
        return self.get("/shop/items")

    def redeem(self, item_id: int, quantity: int = 1, *, key: str | None = None) -> dict[str, Any]:
        return self.post("/shop/orders", {"item_id": item_id, "quantity": quantity}, key=key)

    def orders(self) -> list[dict[str, Any]]:
        return list(self.pages("/me/orders"))

    def messages(self) -> dict[str, Any]:
        return self.get("/me/messages")

    # ---- shared resources (资源共享) ------------------------------------------------------------
    def resources(self, **filters: Any) -> list[dict[str, Any]]:
        """Search: `kind`, `q`, `starts_at`/`ends_at` (ISO 8601), `capacity`."""
        return self.get("/resources", **filters)["items"]

    def resource_suggestions(self, starts_at: str, ends_at: str, **filters: Any) -> list[dict[str, Any]]:
        return self.get("/resources/suggestions", starts_at=starts_at, ends_at=ends_at, **filters)["items"]

    def resource(self, resource_id: int, **params: Any) -> dict[str, Any]:
        return self.get(f"/resources/{resource_id}", **params)

    def request_resource(self, resource_id: int, title: str, starts_at: str, ends_at: str, *,
                         key: str | None = None, **extra: Any) -> dict[str, Any]:
        """Request a time: the outcome of the started demand (`demand_id`)."""
        return self.post(f"/resources/{resource_id}/requests",
                         {"title": title, "starts_at": starts_at, "ends_at": ends_at, **extra}, key=key)

    def my_resources(self) -> dict[str, Any]:
        return self.get("/my/resources")

    def new_resource(self, name: str, community_id: int, *, kind: str = "room", org_id: int | None = None,
                     key: str | None = None) -> dict[str, Any]:
        return self.post("/my/resources", {"name": name, "kind": kind, "community_id": community_id,
                                           "org_id": org_id}, key=key)

    def my_resource(self, resource_id: int) -> dict[str, Any]:
        return self.get(f"/my/resources/{resource_id}")

    def edit_resource(self, resource_id: int, values: dict[str, Any], *, key: str | None = None) -> dict[str, Any]:
        """Every field of the resource (an omitted one is cleared), `hours` as lines."""
        return self._send("PUT", f"/my/resources/{resource_id}", json=values,
                          headers={"Idempotency-Key": key or uuid.uuid4().hex}).json()

    def close_resource_day(self, resource_id: int, day: str, note: str | None = None, *,
                           key: str | None = None) -> dict[str, Any]:
        return self.post(f"/my/resources/{resource_id}/closed-days", {"day": day, "note": note}, key=key)

    def service_matrix(self, community_id: int) -> dict[str, Any]:
        return self.get(f"/communities/{community_id}/matrix")

    # ---- staff tools (admins: the work queue, the counter, 代办, attendance) --------------------
    def put(self, path: str, body: dict[str, Any] | None = None, *, key: str | None = None) -> Any:
        """PUT with an Idempotency-Key, as `post`."""
        response = self._send("PUT", path, json=body or {}, headers={"Idempotency-Key": key or uuid.uuid4().hex})
        return response.json() if response.content else None

    def queue(self, **filters: Any) -> list[dict[str, Any]]:
        """Everything waiting on me (`community_id`, `overdue` filter it), every page."""
        return list(self.pages("/queue", **filters))

    def reserved_orders(self) -> list[dict[str, Any]]:
        return list(self.pages("/counter/reserved"))

    def community_orders(self) -> list[dict[str, Any]]:
        return list(self.pages("/counter/orders"))

    def confirm_pickup(self, code: str, *, key: str | None = None) -> dict[str, Any]:
        return self.post("/counter/pickups", {"code": code}, key=key)

    def adjust_points(self, user_id: int, amount: int, reason: str, *, key: str | None = None) -> dict[str, Any]:
        """`status` says `posted`, or `pending_approval` above the city's approval line."""
        return self.post("/counter/adjustments", {"user_id": user_id, "amount": amount, "reason": reason}, key=key)

    def counter_communities(self) -> list[dict[str, Any]]:
        return self.get("/counter/communities")["items"]

    def set_community_phone(self, community_id: int, phone: str, *, key: str | None = None) -> dict[str, Any]:
        return self.put(f"/counter/communities/{community_id}/phone", {"phone": phone}, key=key)

    def behalf_startables(self) -> list[dict[str, Any]]:
        """What I may start for a resident (代办)."""
        return self.get("/behalf")["items"]

    def behalf_people(self, task_type_id: int, q: str | None = None) -> list[dict[str, Any]]:
        return self.get(f"/behalf/{task_type_id}/people", q=q)["items"]

    def register_resident(self, task_type_id: int, community_id: int, display_name: str, *,
                          phone: str | None = None, key: str | None = None) -> dict[str, Any]:
        return self.post(f"/behalf/{task_type_id}/people", {"community_id": community_id,
                                                            "display_name": display_name, "phone": phone}, key=key)

    def start_for(self, task_type_id: int, user_id: int, values: dict[str, Any], *,
                  key: str | None = None) -> dict[str, Any]:
        """Start a demand for the person (代办): they are its requester."""
        return self.post(f"/behalf/{task_type_id}/people/{user_id}/start", {"values": values}, key=key)

    def attendance_demands(self, community_id: int | None = None) -> dict[str, Any]:
        """Activities under way whose attendance I may confirm (`total`, `items`)."""
        return self.get("/attendance", community_id=community_id)

    def attendance_sheet(self, demand_id: int) -> dict[str, Any]:
        return self.get(f"/demands/{demand_id}/attendance")

    def confirm_attendance(self, demand_id: int, user_id: int, step: str, *, key: str | None = None) -> dict[str, Any]:
        """Confirm a participant's sign-in or sign-out for them."""
        return self.post(f"/demands/{demand_id}/attendance", {"user_id": user_id, "step": step}, key=key)

    def reschedule(self, demand_id: int, starts_at: str, ends_at: str | None = None, *,
                   key: str | None = None) -> dict[str, Any]:
        """改期: move a demand's time (ISO 8601; `ends_at` omitted keeps its length)."""
        body = {"starts_at": starts_at, **({"ends_at": ends_at} if ends_at else {})}
        return self.post(f"/demands/{demand_id}/reschedule", body, key=key)

    def member_org(self) -> dict[str, Any]:
        """The organisation I (a member) belong to, the one I asked to join (`requested_org_id`),
        and the choices."""
        return self.get("/me/org")

    def ask_org(self, org_id: int | None, *, key: str | None = None) -> dict[str, Any]:
        """Ask to join `org_id` (I belong once its admins approve), or with None leave my
        organisation and withdraw a waiting request."""
        return self.put("/me/org", {"org_id": org_id}, key=key)

    def join_requests(self) -> list[dict[str, Any]]:
        """Members waiting to join the organisations I administer, oldest first."""
        return self.get("/org/join-requests")["items"]

    set_member_org = ask_org  # the name before joining needed the organisation's approval

    def decide_join_request(self, member_id: int, org_id: int, approve: bool, *, key: str | None = None) -> Any:
        """通过 (approve) or 不通过 a member's request to join `org_id`; once only (409 join.decided)."""
        return self.post(f"/org/join-requests/{member_id}", {"org_id": org_id, "approve": approve}, key=key)

    def remove_member(self, org_id: int, member_id: int, *, key: str | None = None) -> None:
        """移出: take a member off one of my organisations (409 org.not_member once they are gone;
        the same `key` again is answered as the first time)."""
        self.delete(f"/org/{org_id}/members/{member_id}", key=key)

    def my_skills(self) -> dict[str, Any]:
        return self.get("/me/skills")

    def set_my_skills(self, skills: list[str], *, key: str | None = None) -> dict[str, Any]:
        return self.put("/me/skills", {"skills": skills}, key=key)

    def service_record(self) -> dict[str, Any]:
        return self.get("/me/service")

    def org_office(self) -> list[dict[str, Any]]:
        """My organisations' back office (an organisation admin's)."""
        return self.get("/org")["items"]

    def cancel_order(self, order_id: int, reason: str | None = None, *, key: str | None = None) -> dict[str, Any]:
        """Cancel a reserved order (the buyer's, or as the community's admin): points go back."""
        return self.post(f"/shop/orders/{order_id}/cancel", {"reason": reason}, key=key)

    # ---- settings, account, news, WeChat binding ---------------------------------------------
    def notice_settings(self) -> dict[str, Any]:
        return self.get("/me/settings/notices")

    def change_notice_settings(self, channels: dict[str, list[str]], email: str | None | object = ...,
                               *, key: str | None = None) -> dict[str, Any]:
        """Channels per category; `email` left out keeps the address, None removes it."""
        body: dict[str, Any] = {"channels": channels}
        if email is not ...:
            body["email"] = email
        return self.put("/me/settings/notices", body, key=key)

    def resend_verification(self) -> dict[str, Any]:
        return self.post("/me/settings/email/verification")

    def confirm_email(self, token: str) -> dict[str, Any]:
        return self.post("/me/settings/email/confirm", {"token": token})

    def delete(self, path: str, *, key: str | None = None) -> None:
        """DELETE with an Idempotency-Key, as `post`."""
        self._send("DELETE", path, headers={"Idempotency-Key": key or uuid.uuid4().hex})

    def unbind_wechat(self) -> None:
        """Unbind my WeChat (the device sessions WeChat opened end, this one too if it is one)."""
        self.delete("/me/wechat")

    def change_password(self, current: str, new: str) -> dict[str, Any]:
        """Every other log-in ends (the website's and other apps'); this one stays."""
        return self.post("/me/password", {"current": current, "new": new})

    def sign_out_others(self) -> dict[str, Any]:
        return self.post("/me/sign-out-others")

    def elder_mode(self) -> bool:
        return bool(self.get("/me/elder-mode")["on"])

    def set_elder_mode(self, on: bool) -> bool:
        return bool(self.put("/me/elder-mode", {"on": on})["on"])

    def news(self) -> list[dict[str, Any]]:
        """Every published post, newest first (every page)."""
        return list(self.pages("/news"))

    def news_posts(self) -> list[dict[str, Any]]:
        """The posts of the regions I govern (an admin), drafts included."""
        return list(self.pages("/news/posts"))

    def write_news(self, region_id: int, title: str, body: str, *, key: str | None = None,
                   **more: Any) -> dict[str, Any]:
        """`more`: summary, cover (a key from `upload`), published_at (ISO 8601; left out: a draft)."""
        return self.post("/news/posts", {"region_id": region_id, "title": title, "body": body, **more}, key=key)

    def edit_news(self, post_id: int, region_id: int, title: str, body: str, **more: Any) -> dict[str, Any]:
        return self.put(f"/news/posts/{post_id}", {"region_id": region_id, "title": title, "body": body, **more})

    def withdraw_news(self, post_id: int) -> dict[str, Any]:
        return self.post(f"/news/posts/{post_id}/withdraw")
