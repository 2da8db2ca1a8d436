"""Small local stand-ins for the third parties we cannot reach from a test: an SMS provider and
WeChat's API (HTTP servers recording what they receive, able to fail, stall and answer 429),
and a real SMTP server (aiosmtpd) collecting the mail it is sent."""
from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller


@dataclass
class Provider:
    """An SMS provider and WeChat's API on one port. `script` holds what the next sends answer:
    an int is a status (500, 429…), "slow:<s>" stalls before answering, "wx:<code>" answers
    WeChat's errcode in a 200, "ok" succeeds; when it
    is empty every send succeeds. Sends with a key already delivered are answered with the first
    message's id and not delivered again, as a provider honouring Idempotency-Key does.
    WeChat's code-to-session answers the openid `o-<code>`; a code `err<n>` answers errcode n,
    `down` a 500."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)
    script: deque = field(default_factory=deque)
    retry_after: str = "1"
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    server: ThreadingHTTPServer | None = None

    def start(self) -> Provider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                try:
                    self._write(status, data, headers)
                except (BrokenPipeError, ConnectionResetError):  # the caller gave up waiting (a time-out)
                    pass

            def _write(self, status: int, data: bytes, headers: dict[str, str] | None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # WeChat's access token and its mini-program log-in
                url = urlparse(self.path)
                if url.path == "/sns/jscode2session":
                    query = parse_qs(url.query)
                    with provider.lock:
                        provider.requests.append({"path": url.path, "query": query, "body": None, "key": None,
                                                  "auth": None})
                    code = query.get("js_code", [""])[0]
                    if code == "down":
                        return self._answer(500, {})
                    if code.startswith("err"):  # "err40029": WeChat's errcode in a 200
                        return self._answer(200, {"errcode": int(code[3:]), "errmsg": "stand-in"})
                    return self._answer(200, {"openid": f"o-{code}", "session_key": "not-kept"})
                if url.path == "/cgi-bin/token":
                    self._answer(200, {"access_token": "standin-token", "expires_in": 7200})
                else:
                    self._answer(404, {})

            def do_POST(self):
                size = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(size) or b"{}")
                url = urlparse(self.path)
                key = self.headers.get("Idempotency-Key") or f"wechat-{len(provider.requests)}"
                with provider.lock:
                    provider.requests.append({"path": url.path, "query": parse_qs(url.query), "body": body,
                                              "key": self.headers.get("Idempotency-Key"),
                                              "auth": self.headers.get("Authorization")})
                    step = provider.script.popleft() if provider.script else "ok"
                if isinstance(step, str) and step.startswith("slow:"):
                    time.sleep(float(step.split(":")[1]))
                    step = "ok"
                if isinstance(step, str) and step.startswith("wx:"):  # a WeChat errcode in a 200
                    return self._answer(200, {"errcode": int(step[3:]), "errmsg": "stand-in"})
                if step == 429:
                    return self._answer(429, {"error": "slow down"}, {"Retry-After": provider.retry_after})
                if isinstance(step, int):
                    return self._answer(step, {"error": "provider trouble"})
                with provider.lock:
                    first = provider.delivered.setdefault(key, {"id": f"msg-{len(provider.delivered) + 1}", **body})
                if url.path.startswith("/cgi-bin/"):
                    return self._answer(200, {"errcode": 0, "errmsg": "ok", "msgid": first["id"]})
                return self._answer(200, {"id": first["id"]})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.arrived: list[float] = []
        self.received: list[float] = []  # every DATA seen, accepted yet or not
        self.delay = 0.0  # seconds to sit on each message before accepting it (a slow server)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.received.append(time.time())
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.arrived.append(time.time())
        return "250 OK"


class Smtp:
    """A real SMTP server on a free port; `messages` is what it accepted, in order."""

    def __init__(self) -> None:
        self.handler = _Inbox()
        with socket.socket() as probe:  # aiosmtpd checks its port by connecting: it needs a number
            probe.bind(("127.0.0.1", 0))
            self._port = probe.getsockname()[1]
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self._port)

    def start(self) -> Smtp:
        self.controller.start()
        return self

    @property
    def port(self) -> int:
        return self._port

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages

    def stop(self) -> None:
        self.controller.stop()
