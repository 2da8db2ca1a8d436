"""`yijia up`: the Prefect server, the worker and the web app as one command.

Starts them in order (the server must answer before the worker connects), prints where
each is, restarts none of them silently, and stops them all on Ctrl-C or when one dies.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from admin.ha import healthy
from schemas.settings import ROOT


def run_all(port: int, prefect_port: int) -> int:
    """Run the three processes until interrupted; returns an exit code."""
    api = f"http://127.0.0.1:{prefect_port}/api"
    env = {**os.environ, "PREFECT_API_URL": api, "YIJIA_AUTO_STEPS": "deferred",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_HOME": str(ROOT / "var" / "prefect")}
    # The SQLite server answers "database is locked" under bursts; the client retries those,
    # and a longer server-side timeout keeps them from surfacing (see docs/prefect.md).
    env.setdefault("PREFECT_SERVER_DATABASE_TIMEOUT", "30")
    env.setdefault("PREFECT_SERVER_DATABASE_SQLALCHEMY_CONNECT_ARGS_TIMEOUT", "30")
    prefect_db = env.get("PREFECT_SERVER_DATABASE_CONNECTION_URL") or env.get("PREFECT_API_DATABASE_CONNECTION_URL")
    if (prefect_db or "sqlite").startswith("sqlite"):
        env.setdefault("YIJIA_RELAY_SYNC_THREADS", "2")  # one writer at a time in Prefect's SQLite database
    python = sys.executable
    procs: list[tuple[str, subprocess.Popen]] = []

    def start(name: str, args: list[str]) -> None:
        procs.append((name, subprocess.Popen(args, env=env, start_new_session=True)))

    def stop_all(*_args) -> None:
        # Ctrl-C in a terminal (or make, or a service manager) often sends more than one signal;
        # a second one must not cut the shutdown short and leave children running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for _, proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _, proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    # Started in the background by a script, SIGINT arrives ignored; Ctrl-C must still stop us.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        start("prefect", [python, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                          "--port", str(prefect_port)])
        print(f"Prefect UI: http://127.0.0.1:{prefect_port}  (starting…)", flush=True)
        if not healthy(f"{api}/health"):
            print("Prefect server did not start; see its output above", file=sys.stderr)
            return 1
        start("worker", [python, "-m", "admin.cli", "worker"])
        start("web", [python, "-m", "admin.cli", "web", "--port", str(port)])
        print(f"\n  伊家 Yijia:  http://127.0.0.1:{port}/\n  管理后台:    http://127.0.0.1:{port}/admin/\n"
              f"  Prefect UI:  http://127.0.0.1:{prefect_port}\n  Ctrl-C 停止全部 stops all\n", flush=True)
        while all(proc.poll() is None for _, proc in procs):
            time.sleep(1)
        dead = [name for name, proc in procs if proc.poll() is not None]
        print(f"stopped: {', '.join(dead)} exited", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all()
