"""Throttling that protects without locking anyone out.

Failed log-ins are counted in fixed windows (so a count starts again when its window ends),
per client address and per account name (never cleared by a success: an attacker with one
account of their own must not reset their count by logging in to it), with tiers that make the wait grow the longer an
attack goes on (about a minute, then an hour, then a day). The per-account count applies only
to clients that have themselves been failing: an attacker guessing one account from many
addresses is slowed, and the owner typing the right password from a client that has not been
failing still gets in. No answer depends on whether the account exists.

Counters live in each process's memory by default and in Redis when `YIJIA_REDIS_URL` is set
(shared by every web worker and machine). They are kept outside the database on purpose: a
throttle that writes a row per wrong password would let an attacker load the database.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

# Failures per client address (any account): spraying one password over many names.
CLIENT_FAILURES = "10/minute;30/hour;100/day"
# Failures per account name, counted against clients that have been failing themselves.
ACCOUNT_FAILURES = "5/minute;20/hour;50/day"
# Sign-ups per client address (each "this name is not available" answer tells something).
SIGNUPS = "5/minute;20/hour"
# Password changes and admin resets per user: each is a guess at the current password, or work.
ACCOUNT_CHANGES = "5/minute;20/hour"


class Throttled(Exception):
    """Too many attempts: wait `retry_after` seconds (the 429 page says so). `what` was
    throttled ("login", "signup", "account" or "other"), so the page's advice fits it: a
    forgotten password is a log-in's trouble, not a sign-up's."""

    def __init__(self, retry_after: int, what: str = "other"):
        super().__init__(retry_after)
        self.retry_after = max(1, retry_after)
        self.what = what


# What each counter's namespace counts, as the 429 page tells it.
_WHAT = {"login-client": "login", "login-account": "login", "wechat-client": "login", "signup": "signup",
         "account": "account"}


@dataclass
class Throttle:
    """The counters of one app; `limits` strings may be changed per app (tests use seconds)."""

    limiter: FixedWindowRateLimiter
    client_failures: list[RateLimitItem]
    account_failures: list[RateLimitItem]
    signups: list[RateLimitItem]
    account_changes: list[RateLimitItem]

    # -- log-in ----------------------------------------------------------------------------
    def check_login(self, client: str, account: str) -> None:
        """Raise Throttled if this client may not try this account now."""
        self._check(self.client_failures, "login-client", client)
        if self._has_failed(client):
            self._check(self.account_failures, "login-account", _name(account))

    def login_failed(self, client: str, account: str) -> None:
        for item in self.client_failures:
            self.limiter.hit(item, "login-client", client)
        for item in self.account_failures:
            self.limiter.hit(item, "login-account", _name(account))

    # -- WeChat log-in (the API) --------------------------------------------------------------
    def check_wechat(self, client: str) -> None:
        """Raise Throttled if this client sent too many bad WeChat codes lately. Log-ins that
        work are not counted: one Wi-Fi (a community centre's, a carrier's NAT) is one client
        for many people, and a code cannot be made up, only replayed or guessed."""
        self._check(self.client_failures, "wechat-client", client)

    def wechat_failed(self, client: str) -> None:
        for item in self.client_failures:
            self.limiter.hit(item, "wechat-client", client)

    # -- other forms -------------------------------------------------------------------------
    def hit(self, kind: str, key: str) -> None:
        """Count one attempt of `kind` ("signup", "account"), raising Throttled once over."""
        self.check(kind, key)
        self.count(kind, key)

    def check(self, kind: str, key: str) -> None:
        """Raise Throttled if `key` is over the limit of `kind`, counting nothing."""
        self._check(self.signups if kind == "signup" else self.account_changes, kind, key)

    def count(self, kind: str, key: str) -> None:
        """Count one attempt of `kind` that did something worth limiting (see `check`)."""
        for item in self.signups if kind == "signup" else self.account_changes:
            self.limiter.hit(item, kind, key)

    # -- helpers -----------------------------------------------------------------------------
    def _check(self, items: list[RateLimitItem], *keys: str) -> None:
        waits = [self._wait(item, *keys) for item in items if not self.limiter.test(item, *keys)]
        if waits:
            raise Throttled(max(waits), _WHAT.get(keys[0], "other"))

    def _wait(self, item: RateLimitItem, *keys: str) -> int:
        reset, _ = self.limiter.get_window_stats(item, *keys)
        return math.ceil(reset - time.time())

    def _has_failed(self, client: str) -> bool:
        widest = self.client_failures[-1]
        _, remaining = self.limiter.get_window_stats(widest, "login-client", client)
        return remaining < widest.amount


def _name(account: str) -> str:
    return account.strip().lower()[:64]


def init_app(app: Flask, redis_url: str | None) -> None:
    """Counters for this app: Redis when configured, else this process's memory."""
    app.config.setdefault("YIJIA_THROTTLE_STORAGE", redis_url or "memory://")
    storage = storage_from_string(app.config["YIJIA_THROTTLE_STORAGE"])
    app.extensions["yijia.throttle"] = Throttle(
        limiter=FixedWindowRateLimiter(storage),
        client_failures=parse_many(app.config.get("YIJIA_LIMIT_CLIENT_FAILURES", CLIENT_FAILURES)),
        account_failures=parse_many(app.config.get("YIJIA_LIMIT_ACCOUNT_FAILURES", ACCOUNT_FAILURES)),
        signups=parse_many(app.config.get("YIJIA_LIMIT_SIGNUPS", SIGNUPS)),
        account_changes=parse_many(app.config.get("YIJIA_LIMIT_ACCOUNT_CHANGES", ACCOUNT_CHANGES)))


def throttle() -> Throttle:
    return current_app.extensions["yijia.throttle"]


def client_address() -> str:
    """The client's address as the proxies we trust report it (ProxyFix, when configured)."""
    return request.remote_addr or "unknown"
