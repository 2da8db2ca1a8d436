"""The `yijia` command line: database, demo, workflows, ledger and the servers."""
from __future__ import annotations

import os
import sys
import time

import click

from schemas.settings import get_settings


@click.group()
def main() -> None:
    """伊家 Yijia — 双报到、双服务 low-code platform."""


@main.group()
def db() -> None:
    """Database schema (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema to the newest revision."""
    from flows import migrate

    migrate.upgrade(revision=revision)
    click.echo(f"database at {revision}: {_safe_url()}")


@db.command("downgrade")
@click.option("--revision", default="base", show_default=True)
def db_downgrade(revision: str) -> None:
    """Undo migrations down to a revision (base = empty)."""
    from flows import migrate

    migrate.downgrade(revision=revision)
    click.echo(f"database at {revision}")


@main.command()
def demo() -> None:
    """Load the Yichun demo (idempotent: a second run adds nothing)."""
    from tqdm import tqdm

    from flows.db import make_engine, make_sessionmaker
    from flows.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo

    started = time.perf_counter()
    factory = make_sessionmaker(make_engine())
    with tqdm(total=8, desc="demo", unit="step", file=sys.stderr) as bar:
        def progress(stage: str, n: int) -> None:
            bar.set_postfix_str(f"{stage}: {n}")
            bar.update(1)

        added = load_demo(factory, progress)
        bar.update(bar.total - bar.n)
    if added:
        click.echo("已载入 loaded: " + ", ".join(f"{k}={v}" for k, v in added.items()))
    else:
        click.echo("演示数据已存在，未重复载入 (demo already loaded, nothing added)")
    click.echo(f"用时 took {time.perf_counter() - started:.1f}s. 演示账号 demo log-ins (password {DEMO_PASSWORD}):")
    for username, role in DEMO_LOGINS:
        click.echo(f"  {username:<22} {role}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=1, show_default=True, help="gunicorn sync workers (one per core at most)")
def web(host: str, port: int, workers: int) -> None:
    """Serve the web app under gunicorn."""
    click.echo(f"Yijia web: http://{host}:{port}/")
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"{host}:{port}",
                               "--access-logfile", "-", "admin.wsgi:app"])


def _safe_url() -> str:
    """The database URL without a password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


if __name__ == "__main__":
    main()
