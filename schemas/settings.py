"""One settings object for the web app, the worker and the command line.

Values come from `YIJIA_*` environment variables (or a `.env` file), so the same code runs
as a one-room demo on SQLite and as a city deployment on PostgreSQL without edits.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Deployment settings; defaults make a local demo work with no configuration."""

    model_config = SettingsConfigDict(env_prefix="YIJIA_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{ROOT / 'var' / 'yijia.db'}",
        description="SQLAlchemy URL; SQLite (WAL) by default, postgresql+psycopg://… to scale out.",
    )
    # "production" unless told otherwise: the web app then refuses a missing, default or short
    # secret key. `make run` and `yijia up` say "development" (a random key is kept in
    # var/instance/); the test suite says "test" (a random key per app).
    env: Literal["development", "test", "production"] = "production"
    # Signs session cookies and form tokens; at least 32 characters (docs/security.md).
    secret_key: str = ""
    instance_dir: Path = ROOT / "var" / "instance"
    # Behind a TLS-terminating proxy: cookies are sent only over HTTPS and HSTS is on.
    behind_https: bool = False
    # How many proxies in front add X-Forwarded-For/-Proto/-Host; 0 trusts no such header, so a
    # client cannot pick its own address to dodge the per-client throttle.
    trusted_proxies: int = Field(default=0, ge=0, le=5)
    # Throttling counters: in each process's memory by default, shared by every web worker
    # and machine when a Redis URL is given (redis://host:6379/0).
    redis_url: str | None = None
    # Sessions end after this long unused, and this long after log-in whatever happens.
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 31)
    # Uploaded photos: this directory (a shared mount when web nodes run on several machines),
    # or, when a bucket is named, an S3-compatible object store (credentials from the AWS SDK's
    # usual chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a credentials file, a role).
    storage_dir: Path = ROOT / "var" / "storage"
    storage_s3_bucket: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    storage_s3_prefix: str = Field(default="", max_length=200)
    storage_s3_endpoint_url: str | None = None  # MinIO, Ceph, a cloud's S3 endpoint; None: AWS
    storage_s3_region: str | None = None
    workflows_dir: Path = ROOT / "workflows"
    base_url: str = "http://127.0.0.1:8000"
    prefect_ui_url: str = "http://127.0.0.1:4200"
    # Tags every Prefect run, so two Yijia databases (staging, production) can share a server.
    instance: str = Field(default="yijia", pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    locale: str = Field(default="zh", pattern="^(zh|en)$")
    # "inline": automated steps (award, notify) run in the action's own transaction.
    # "deferred": they wait for the worker (Prefect) that reads the outbox.
    auto_steps: str = Field(default="inline", pattern="^(inline|deferred)$")
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0, le=600_000)
    yaml_max_bytes: int = Field(default=256 * 1024, ge=1024, le=8 * 1024 * 1024)
    # A lifecycle run Running or Pending this long lost its worker; the reconciler runs it again.
    stale_run_seconds: float = Field(default=600, ge=0, le=86_400)
    # A worker holds a demand's outbox rows this long while it delivers them; when it dies,
    # another worker takes them over at expiry (flows/orchestration/relay.py `take`).
    relay_lease_seconds: float = Field(default=30, ge=2, le=600)
    # Demands a worker syncs with Prefect side by side in a pass. A Prefect server on PostgreSQL
    # takes 8 well; on SQLite (`yijia up`, development) its writers queue on one lock, and
    # `yijia up` sets 2 so a first catch-up does not answer "database is locked".
    relay_sync_threads: int = Field(default=8, ge=1, le=32)

    # Notifications (#17). The inbox is always on; each other channel is on when configured.
    # E-mail over SMTP (the standard library's smtplib; STARTTLS and log-in when given).
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65_535)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "伊家 <noreply@yijia.local>"
    # SMS through an HTTP provider (flows.notices.providers says what it is sent); the key goes
    # in the Authorization header, the notice's id in Idempotency-Key.
    sms_url: str | None = None
    sms_api_key: str = ""
    # WeChat subscription messages: the API's base URL (https://api.weixin.qq.com), the
    # mini-program's credentials and the subscription template the messages are sent with.
    wechat_api_url: str | None = None
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_template_id: str = ""
    # The mini-program page a WeChat message opens (`?demand=<id>` is added for a demand's).
    wechat_page: str = Field(default="pages/index/index", pattern=r"^[A-Za-z0-9_/\-]{1,128}$")
    # The JSON API (#18). WeChat log-in exchanges the mini-program's `wx.login` code at
    # `<wechat_api_url>/sns/jscode2session` with the app credentials above. Browser pages on
    # these origins may call the API (CORS); a mini-program needs none.
    api_cors_origins: list[str] = []
    # No SMS or WeChat push inside these local hours (HH:MM-HH:MM, may wrap midnight): such a
    # message waits until the end of the quiet hours, it is not dropped. Empty: no quiet hours.
    quiet_hours: str = Field(default="22:00-08:00", pattern=r"^$|^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
    # Kinds of message the programme makes mandatory, with the channels they always use
    # (a person may add channels to these kinds, never remove these).
    notice_mandatory: dict[str, list[str]] = {"escalation": ["sms"], "reminder": ["sms"]}
    notice_max_attempts: int = Field(default=6, ge=1, le=20)
    notice_timeout_seconds: float = Field(default=10, gt=0, le=120)
    # How many messages a courier sends at once (they wait on the network, not the CPU).
    notice_senders: int = Field(default=8, ge=1, le=64)
    # How long a courier holds a message it is sending before another may take it over (a
    # courier killed mid-send): longer than any send, short enough that a death costs little.
    notice_lease_seconds: float = Field(default=60, gt=0, le=3600)

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> Settings:
        """A courier holds a message for its lease while it sends (connect, then send, each up to
        the time-out): a shorter lease would let a second courier send it too."""
        if self.notice_lease_seconds < 3 * self.notice_timeout_seconds:
            raise ValueError("YIJIA_NOTICE_LEASE_SECONDS must be at least 3 × YIJIA_NOTICE_TIMEOUT_SECONDS")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment (immutable thereafter)."""
    return Settings()
