"""Real processes for the tests and benchmarks that stop, kill and restart them: a Prefect
server (SQLite or PostgreSQL behind it) and `yijia worker`."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pgid: int) -> float:
    """User + system CPU of every live process in a process group, plus what its reaped
    children used (the runner starts one process per flow run)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5 of stat: the process group
            total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


class Process:
    """A child in its own process group, so that stop/kill reach everything it started."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.args, self.env, self.log = args, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> Process:
        out = open(self.log, "ab")
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True, cwd=ROOT)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def kill(self) -> None:
        """SIGKILL to the whole group: no clean-up, as when a machine loses power."""
        self.stop(signal.SIGKILL)

    @property
    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid) if self.proc else 0.0


class PrefectServer(Process):
    """`prefect server start` on a port of its own, on SQLite (default) or `database_url`;
    with its web UI when `ui` (at `base`)."""

    def __init__(self, database_url: str | None = None, port: int | None = None, home: Path | None = None,
                 ui: bool = False):
        self.port = port or free_port()
        self.home = home or Path(tempfile.mkdtemp(prefix="yijia-prefect-"))
        ui_env = {"PREFECT_UI_ENABLED": "true", "PREFECT_UI_API_URL": self.api,
                  "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false"} if ui else {"PREFECT_UI_ENABLED": "false"}
        env = {**os.environ, "PREFECT_HOME": str(self.home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
               **ui_env, "PREFECT_API_URL": self.api,
               "PREFECT_SERVER_DATABASE_TIMEOUT": "30", "PREFECT_SERVER_DATABASE_SQLALCHEMY_CONNECT_ARGS_TIMEOUT": "30"}
        if database_url:
            env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
        super().__init__([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                          "--port", str(self.port)], env, self.home / "server.log")

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> PrefectServer:
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.api}/health", timeout=1)
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"Prefect server exited; see {self.log}") from None
                time.sleep(0.3)
        raise RuntimeError(f"Prefect server not healthy after {timeout}s; see {self.log}")


def _pg_admin():
    """A connection to the `postgres` database; plain SQLAlchemy, so that the helpers never
    read (and cache) Yijia's settings while a test has changed its environment."""
    from sqlalchemy import create_engine

    return create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")


def pg_prefect_url(name: str) -> str:
    """A fresh PostgreSQL database for a Prefect server (asyncpg driver)."""
    from sqlalchemy import text

    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


def drop_pg_database(name: str) -> None:
    from sqlalchemy import text

    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def worker(database_url: str, api: str, instance: str, log: Path, failpoint: str | None = None,
           **extra: str) -> Process:
    """`yijia worker` for one Yijia database against one Prefect server, with a test-only
    failpoint installed when one is named (tests/failpoints.py)."""
    env = {**os.environ, "YIJIA_DATABASE_URL": database_url, "YIJIA_AUTO_STEPS": "deferred",
           "YIJIA_INSTANCE": instance, "PREFECT_API_URL": api, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_HOME": str(log.parent), **extra}
    command = ["-m", "tests.failpoints", failpoint, "worker"] if failpoint else ["-m", "admin.cli", "worker"]
    return Process([sys.executable, *command], env, log)
