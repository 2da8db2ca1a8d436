"""The channels besides the inbox, behind one small interface: a provider sends one message
to one address and says how it went. E-mail over SMTP (smtplib), SMS through an HTTP
provider, WeChat subscription messages through WeChat's API; each is a small class, chosen by
settings. Adding a provider is one class with `send`.

How a send can fail decides what the courier does: `TryLater` (the provider is busy or away,
429, 5xx, a time-out) is retried with back-off; `Undeliverable` (a refused address, a person
who did not subscribe) gives up at once."""
from __future__ import annotations

import smtplib
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import httpx

from schemas.settings import Settings, get_settings


class TryLater(Exception):
    """The send may work later; `after` is the provider's own wait (Retry-After), if it gave one."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


class Undeliverable(Exception):
    """The send will never work as it is (a refused address or recipient)."""


@dataclass(frozen=True)
class Outgoing:
    """One message on its way: where to, what, and its key — the same for every attempt, so a
    provider that honours idempotency keys delivers a retried send once."""

    key: str
    address: str
    title: str
    body: str
    link: str | None = None
    demand_id: int | None = None


class Provider(Protocol):
    channel: str
    # Whether a repeated send with the same key is delivered once (the provider deduplicates).
    idempotent: bool

    def send(self, message: Outgoing) -> str | None:
        """Send; the provider's id of the message (a receipt) or None."""
        ...


class Smtp:
    """E-mail through the configured SMTP server. SMTP has no idempotency key: a send cut off
    after the server accepted it and before the courier recorded it is sent again (at most once
    more, see docs/notifications.md); the Message-ID is the notice's, so mail clients show one."""

    channel = "email"
    idempotent = False

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self._local = threading.local()  # one open connection per sending thread, reused

    def _connection(self) -> smtplib.SMTP:
        smtp = getattr(self._local, "smtp", None)
        if smtp is None:
            smtp = smtplib.SMTP(self.s.smtp_host or "", self.s.smtp_port, timeout=self.s.notice_timeout_seconds)
            if self.s.smtp_starttls:
                smtp.starttls()
            if self.s.smtp_user:
                smtp.login(self.s.smtp_user, self.s.smtp_password or "")
            self._local.smtp = smtp
        return smtp

    def _drop(self) -> None:
        smtp = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if smtp is not None:
            try:
                smtp.close()
            except OSError:
                pass

    def send(self, message: Outgoing) -> str | None:
        mail = EmailMessage()
        mail["From"] = self.s.mail_from
        mail["To"] = message.address  # checked when the person saved it (flows.notices.choices.EMAIL)
        mail["Subject"] = " ".join(message.title.split())  # one line: a header cannot carry a newline
        mail["Message-ID"] = f"<{message.key}@{self.s.instance}.yijia>"  # the same on every attempt
        mail.set_content(message.body + (f"\n\n{message.link}" if message.link else ""))
        for reused in (True, False):
            fresh = getattr(self._local, "smtp", None) is None
            try:
                self._connection().send_message(mail)
                return str(mail["Message-ID"])
            except smtplib.SMTPRecipientsRefused as exc:  # the codes, not the address
                codes = sorted({code for code, _ in exc.recipients.values()})
                raise Undeliverable(f"recipient refused: {codes}") from exc
            except smtplib.SMTPResponseException as exc:
                self._drop()
                if 500 <= exc.smtp_code < 600:
                    raise Undeliverable(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
                raise TryLater(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                if reused and not fresh:
                    continue  # the server closed an idle connection: once more on a new one
                raise TryLater(f"{type(exc).__name__}: {exc}") from exc
        raise TryLater("no connection")


def _http_outcome(response: httpx.Response) -> None:
    """Raise what an HTTP answer means for the courier; return for a 2xx."""
    if response.status_code == 429:
        after = response.headers.get("Retry-After", "")
        raise TryLater("429 too many requests", float(after) if after.replace(".", "", 1).isdigit() else None)
    if response.status_code >= 500:
        raise TryLater(f"{response.status_code} from the provider")
    if response.status_code >= 400:  # the status only: providers quote the number in their text
        raise Undeliverable(f"{response.status_code} from the provider")


class HttpSms:
    """SMS through an HTTP provider: POST `sms_url` with JSON {to, text, id}, the API key as a
    bearer token and the notice's key in `Idempotency-Key` (the provider delivers a repeated
    key once and answers with the same message id). Answers: 2xx with {"id": ...} sent; 429
    (with Retry-After) and 5xx retried; other 4xx given up."""

    channel = "sms"
    idempotent = True

    def __init__(self, settings: Settings) -> None:
        self.s = settings

    def send(self, message: Outgoing) -> str | None:
        text = f"【伊家】{message.title} {message.body}".strip()[:500]
        try:
            response = httpx.post(self.s.sms_url or "", json={"to": message.address, "text": text, "id": message.key},
                                  headers={"Idempotency-Key": message.key,
                                           **({"Authorization": f"Bearer {self.s.sms_api_key}"}
                                              if self.s.sms_api_key else {})},
                                  timeout=self.s.notice_timeout_seconds)
        except httpx.HTTPError as exc:
            raise TryLater(f"{type(exc).__name__}: {exc}") from exc
        _http_outcome(response)
        try:
            return str(response.json().get("id") or "") or None
        except ValueError:
            return None


class WeChat:
    """WeChat subscription messages (小程序订阅消息): an access token from `/cgi-bin/token` with the
    app's credentials (kept until it expires), then `/cgi-bin/message/subscribe/send` to the
    person's openid with the configured template. WeChat answers errors as `errcode`s in a 200:
    an expired token is fetched again, a person who has not subscribed (43101) is given up, a
    busy system (-1, 45009) retried. WeChat has no idempotency key (see docs/notifications.md)."""

    channel = "wechat"
    idempotent = False
    _lock = threading.Lock()
    _token: tuple[str, float] | None = None

    def __init__(self, settings: Settings) -> None:
        self.s = settings

    def _access_token(self, fresh: bool = False) -> str:
        with self._lock:
            if fresh or WeChat._token is None or WeChat._token[1] < time.monotonic():
                try:
                    answer = httpx.get(f"{self.s.wechat_api_url}/cgi-bin/token", params={
                        "grant_type": "client_credential", "appid": self.s.wechat_app_id,
                        "secret": self.s.wechat_app_secret}, timeout=self.s.notice_timeout_seconds)
                except httpx.HTTPError as exc:
                    raise TryLater(f"token: {type(exc).__name__}") from exc
                _http_outcome(answer)
                body = answer.json()
                if "access_token" not in body:
                    raise TryLater(f"token: errcode {body.get('errcode')}")
                WeChat._token = (body["access_token"], time.monotonic() + int(body.get("expires_in", 7200)) - 300)
            return WeChat._token[0]

    def send(self, message: Outgoing) -> str | None:
        # a page of the mini-program (a path, not a URL), opened on the demand when there is one
        page = self.s.wechat_page + (f"?demand={message.demand_id}" if message.demand_id else "")
        payload = {"touser": message.address, "template_id": self.s.wechat_template_id,
                   "page": page, "data": {"thing1": {"value": message.title[:20]},
                                                        "thing2": {"value": (message.body or message.title)[:20]}}}
        for fresh in (False, True):
            try:
                answer = httpx.post(f"{self.s.wechat_api_url}/cgi-bin/message/subscribe/send",
                                    params={"access_token": self._access_token(fresh)}, json=payload,
                                    timeout=self.s.notice_timeout_seconds)
            except httpx.HTTPError as exc:
                raise TryLater(f"{type(exc).__name__}: {exc}") from exc
            _http_outcome(answer)
            code = int(answer.json().get("errcode", 0))
            if code == 0:
                return str(answer.json().get("msgid") or "") or None
            if code in (40001, 42001) and not fresh:
                continue  # the token expired early: once more with a new one
            if code in (-1, 45009, 40001, 42001):
                raise TryLater(f"errcode {code}")
            raise Undeliverable(f"errcode {code}")
        raise TryLater("token refused twice")


def configured(settings: Settings | None = None) -> dict[str, Provider]:
    """The providers this deployment has, by channel."""
    s = settings or get_settings()
    found: dict[str, Provider] = {}
    if s.smtp_host:
        found["email"] = Smtp(s)
    if s.sms_url:
        found["sms"] = HttpSms(s)
    if s.wechat_api_url:
        found["wechat"] = WeChat(s)
    return found
