"""The `yijia` command line: database, demo, workflows, ledger and the servers."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

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
    from flows.core import migrate

    migrate.upgrade(revision=revision)
    click.echo(f"database at {revision}: {_safe_url()}")


@db.command("downgrade")
@click.option("--revision", default="base", show_default=True)
def db_downgrade(revision: str) -> None:
    """Undo migrations down to a revision (base = empty)."""
    from flows.core import migrate

    migrate.downgrade(revision=revision)
    click.echo(f"database at {revision}")


@main.command()
def demo() -> None:
    """Load the Yichun demo (idempotent: a second run adds nothing)."""
    from tqdm import tqdm

    from flows.core.db import make_engine, make_sessionmaker
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
    """Serve the web app under gunicorn (refuses to start without a real secret key in production)."""
    from admin.security import keys

    settings = get_settings()
    try:
        keys.resolve(settings.secret_key, settings.env, settings.instance_dir)
    except keys.InsecureSecretKey as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    click.echo(f"Yijia web: http://{host}:{port}/")
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"{host}:{port}",
                               "--access-logfile", "-",
                               # gunicorn's largest request line (its default 4094 bytes is ~450
                               # Chinese characters in a query): a long pasted search reaches the
                               # app, which cuts it, instead of gunicorn's English "URI Too Long"
                               "--limit-request-line", "8190", "admin.wsgi:app"])


@main.group()
def workflows() -> None:
    """Workflow YAML: validate, draw, publish."""


@workflows.command("validate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="message language (default zh)")
def workflows_validate(files: tuple[Path, ...], lang: str | None) -> None:
    """Check workflow files (default: every file in workflows/); exit 1 listing every error.
    Points are checked against the city's default bounds (publishing checks the database's)."""
    from flows.workflow.compiler import format_problem, validate_source
    from schemas.workflow import PointBounds

    settings = get_settings()
    lang = lang or settings.locale
    paths = list(files) or sorted(settings.workflows_dir.glob("*.yaml"))
    failed = 0
    for path in paths:
        try:
            source = path.read_bytes()
        except OSError as exc:
            click.echo(f"{path}: {exc.strerror}", err=True)
            failed += 1
            continue
        problems = validate_source(source, str(path), max_bytes=settings.yaml_max_bytes, bounds=PointBounds())
        for problem in problems:
            click.echo(format_problem(problem, lang), err=True)
        failed += bool(problems)
        if not problems:
            click.echo(f"{path}: OK")
    sys.exit(1 if failed else 0)


@workflows.command("graph")
@click.argument("workflow_id")
def workflows_graph(workflow_id: str) -> None:
    """Print a workflow's state diagram (Mermaid), from workflows/ID.yaml or the database."""
    from flows.workflow.compiler import WorkflowInvalid, compile_source

    path = get_settings().workflows_dir / f"{workflow_id}.yaml"
    try:
        if path.exists():
            workflow = compile_source(path.read_bytes(), str(path))
        else:
            from flows.core.db import make_engine, make_sessionmaker
            from flows.workflow import registry

            with make_sessionmaker(make_engine())() as session:
                workflow = registry.load_latest(session, workflow_id)[1]
    except WorkflowInvalid as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except LookupError:
        click.echo(f"找不到工作流 unknown workflow: {workflow_id}", err=True)
        sys.exit(1)
    click.echo(workflow.mermaid, nl=False)


@workflows.command("publish")
def workflows_publish() -> None:
    """Publish changed files of workflows/ as new versions (running demands keep theirs)."""
    from flows.core.db import make_engine, make_sessionmaker
    from flows.workflow import registry
    from flows.workflow.compiler import WorkflowInvalid

    with make_sessionmaker(make_engine())() as session:
        try:
            rows = registry.sync_directory(session, get_settings().workflows_dir)
            session.commit()
        except WorkflowInvalid as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        for row in rows:
            click.echo(f"{row.workflow_id} v{row.version} {row.content_hash[:12]}")


@workflows.command("check-stored")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="message language (default zh)")
def workflows_check_stored(lang: str | None) -> None:
    """Compile every version stored in the database with today's compiler and all its rules;
    exit 1 naming each version a rule refuses (its demands keep running on it)."""
    from sqlalchemy import func, select

    from flows.core.db import make_engine, make_sessionmaker
    from flows.workflow import registry
    from flows.workflow.compiler import format_problem
    from schemas.tables import WorkflowVersion

    lang = lang or get_settings().locale
    with make_sessionmaker(make_engine())() as session:
        failing = registry.check_stored(session)
        total = session.scalar(select(func.count()).select_from(WorkflowVersion)) or 0
    for _row, problems in failing:
        for problem in problems:
            click.echo(format_problem(problem, lang), err=True)
    click.echo(f"{total - len(failing)}/{total} stored versions compile")
    sys.exit(1 if failing else 0)


@main.group()
def ledger() -> None:
    """The points ledger."""


@ledger.command("check")
def ledger_check() -> None:
    """Verify every ledger invariant; exit 1 naming each one that fails."""
    from flows.points import ledger as points

    _report(points.check, "ledger OK: double entry, zero sum, balances, no negatives, unique keys")


@main.group()
def stats() -> None:
    """The dashboard's tallies."""


@stats.command("check")
def stats_check() -> None:
    """Compare every tally with a recount from the demands, claims and ledger; exit 1 on a difference."""
    from flows.engine import figures

    _report(figures.check, "tallies OK: they match a recount from the sources")


@stats.command("rebuild")
def stats_rebuild() -> None:
    """Replace every tally with a recount from the sources (after a bulk import, say)."""
    from flows.core.db import make_engine, make_sessionmaker
    from flows.engine import figures

    with make_sessionmaker(make_engine())() as session:
        count = figures.rebuild(session)
        session.commit()
    click.echo(f"rebuilt {count} tallies")


def _report(check, ok: str) -> None:
    """Run a check on the configured database: each problem on stderr and exit 1, or `ok`."""
    from flows.core.db import make_engine, make_sessionmaker

    with make_sessionmaker(make_engine())() as session:
        problems = check(session)
    for problem in problems:
        click.echo(f"FAIL {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo(ok)


@main.group("shop")
def shop_group() -> None:
    """The points supermarkets."""


@shop_group.command("expire")
def shop_expire() -> None:
    """Expire orders not picked up in time: points and stock go back."""
    from flows.core.db import make_engine, make_sessionmaker
    from flows.points import shop

    with make_sessionmaker(make_engine())() as session:
        click.echo(f"expired {shop.expire_due(session)} orders")


@main.group()
def users() -> None:
    """A person's data on request (docs/security.md)."""


@users.command("export")
@click.argument("username")
def users_export(username: str) -> None:
    """Print everything stored about a user as JSON (their right of access)."""
    import json

    from flows.core.db import make_engine, make_sessionmaker
    from flows.core.refusals import Refused
    from flows.people import erasure

    with make_sessionmaker(make_engine())() as session:
        try:
            data = erasure.export(session, username)
        except Refused:
            click.echo(f"找不到用户 no such user: {username}", err=True)
            sys.exit(1)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@users.command("erase")
@click.argument("username")
@click.option("--yes", is_flag=True, help="do it (without it, only say what would happen)")
def users_erase(username: str, yes: bool) -> None:
    """Anonymise a user: name, phone, log-in, profile, their words and photos go; points and
    records stay counted under 已注销用户."""
    from flows.core import storage
    from flows.core.db import make_engine, make_sessionmaker
    from flows.core.refusals import Refused
    from flows.people import erasure

    if not yes:
        click.echo(f"would erase {username}; run again with --yes (export first: yijia users export {username})")
        sys.exit(1)
    with make_sessionmaker(make_engine())() as session:
        try:
            counts = erasure.erase(session, username, storage.configured())
        except Refused:
            click.echo(f"找不到用户 no such user: {username}", err=True)
            sys.exit(1)
    click.echo("erased: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


@main.command()
def worker() -> None:
    """Serve the Prefect deployments and relay the outbox (needs PREFECT_API_URL)."""
    from flows.orchestration import worker as prefect_worker

    prefect_worker.run()


@main.command()
def courier() -> None:
    """Deliver notifications (e-mail, SMS, WeChat) alone, without Prefect: the worker does this
    too; extra couriers share the rows safely (each row is leased to one of them)."""
    import logging
    import threading

    from flows.core.db import make_engine, make_sessionmaker
    from flows.notices import courier as notice_courier

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    try:
        notice_courier.run_forever(make_sessionmaker(make_engine()), stop)
    except KeyboardInterrupt:
        stop.set()


@main.command("prefect-ha")
@click.option("--database-url", envvar="PREFECT_API_DATABASE_CONNECTION_URL", required=True,
              help="postgresql+asyncpg://… of Prefect's own database")
@click.option("--servers", default=2, show_default=True, help="API servers behind nginx")
@click.option("--port", default=4200, show_default=True, help="nginx's port: the API URL workers use")
@click.option("--redis-url", default="redis://127.0.0.1:6379/2", show_default=True,
              help="Redis for messaging (this database number) and the services (the next one)")
def prefect_ha(database_url: str, servers: int, port: int, redis_url: str) -> None:
    """Prefect in high availability on this machine: API servers, the background services and
    nginx in front (docs/deploy.md); Ctrl-C stops them all."""
    from admin.ha import run

    sys.exit(run(database_url, servers, port, redis_url))


@main.command()
@click.option("--port", default=8000, show_default=True)
@click.option("--prefect-port", default=4200, show_default=True)
def up(port: int, prefect_port: int) -> None:
    """Start the Prefect server, the worker and the web app together; Ctrl-C stops them all.
    Development mode unless YIJIA_ENV says otherwise (a generated secret key, see docs/security.md)."""
    from admin.supervisor import run_all

    os.environ.setdefault("YIJIA_ENV", "development")
    get_settings.cache_clear()

    sys.exit(run_all(port, prefect_port))


def _safe_url() -> str:
    """The database URL without a password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


if __name__ == "__main__":
    main()
