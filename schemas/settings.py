"""One settings object for the web app, the worker and the command line.

Values come from `YIJIA_*` environment variables (or a `.env` file), so the same code runs
as a one-room demo on SQLite and as a city deployment on PostgreSQL without edits.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Deployment settings; defaults make a local demo work with no configuration."""

    model_config = SettingsConfigDict(env_prefix="YIJIA_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{ROOT / 'var' / 'yijia.db'}",
        description="SQLAlchemy URL; SQLite (WAL) by default, postgresql+psycopg://… to scale out.",
    )
    # A default secret that must be overridden in production: sessions signed with it are forgeable.
    secret_key: str = "dev-only-change-me"
    storage_dir: Path = ROOT / "var" / "storage"
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment (immutable thereafter)."""
    return Settings()
