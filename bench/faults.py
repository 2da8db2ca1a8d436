"""Faults too slow for `make test`: PostgreSQL restarted while members claim through gunicorn.

Eight clients claim a stream of open micro-wishes (each claim a POST through the real stack,
logged in); three seconds in, the PostgreSQL cluster is restarted. Every answer is sorted:
done (302), "busy, nothing changed, retry" (503), anything else (a failure of ours). Then
the database is checked against the answers: no claim answered "done" may be missing (lost),
none answered 503 may exist (half-done), no demand may be over capacity, and the ledger must
balance. (The other faults are tests: tests/admin/test_faults.py, tests/flows/orchestration/test_prefect_faults.py.)
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request

from sqlalchemy import func, select

from bench import web
from bench.common import emit, fresh_databases, pg_available
from bench.web import _login, _prepare, _server, _stop
from flows.core.db import make_engine, make_sessionmaker
from flows.points import ledger
from schemas.tables import Claim, Demand

CLIENTS = 8
SECONDS = 10
RESTART_AT = 3.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _restart_postgres() -> float:
    version = sorted(os.listdir("/etc/postgresql"))[0]
    started = time.perf_counter()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                   capture_output=True)
    return time.perf_counter() - started


def run() -> None:
    if not pg_available() or not shutil.which("pg_ctlcluster"):
        print('{"bench": "faults", "skipped": "needs a local PostgreSQL cluster (pg_ctlcluster)"}')
        return
    web.DEMANDS = 40_000  # far more than 10 s of claims can use
    for name, url in fresh_databases(("postgresql",)):
        world, first = _prepare(url)
        env = {**os.environ, "YIJIA_SECRET_KEY": secrets.token_urlsafe(48), "YIJIA_DATABASE_URL": url, "YIJIA_AUTO_STEPS": "inline"}
        proc = _server("admin.wsgi:app", 18104, env)
        answers: dict[int, str] = {}
        lock = threading.Lock()
        try:
            cookie, token = _login(18104, "mem1", "bench-pass")
            opener = urllib.request.build_opener(_NoRedirect)
            stop = time.monotonic() + SECONDS
            next_id = [first]

            def client():
                while time.monotonic() < stop:
                    with lock:
                        demand_id = next_id[0]
                        next_id[0] += 1
                    request = urllib.request.Request(f"http://127.0.0.1:18104/d/{demand_id}/step/claim", data=b"",
                                                     headers={"Cookie": cookie, "X-CSRFToken": token})
                    try:
                        with opener.open(request, timeout=30) as answer:
                            kind = f"http {answer.status}"
                    except urllib.error.HTTPError as exc:
                        kind = {302: "done", 503: "busy"}.get(exc.code, f"http {exc.code}")
                    except OSError as exc:
                        kind = f"socket {type(exc).__name__}"
                    with lock:
                        answers[demand_id] = kind

            threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
            for t in threads:
                t.start()
            time.sleep(RESTART_AT)
            restart_seconds = _restart_postgres()
            for t in threads:
                t.join()
        finally:
            _stop(proc)
        factory = make_sessionmaker(make_engine(url))
        with factory() as s:
            claimed = set(s.scalars(select(Claim.demand_id).where(Claim.demand_id.in_(list(answers)))))
            over = s.scalar(select(func.count()).select_from(Demand).where(Demand.taken > Demand.capacity))
            problems = ledger.check(s)
        counts: dict[str, int] = {}
        for kind in answers.values():
            counts[kind] = counts.get(kind, 0) + 1
        lost = sum(1 for d, kind in answers.items() if kind == "done" and d not in claimed)
        half_done = sum(1 for d, kind in answers.items() if kind == "busy" and d in claimed)
        emit("faults", name, scenario="postgresql restarted under load", clients=CLIENTS, seconds=SECONDS,
             restart_seconds=round(restart_seconds, 1), requests=len(answers), answers=counts,
             lost=lost, half_done=half_done, over_capacity=over, ledger_problems=len(problems),
             other_failures=sum(v for k, v in counts.items() if k not in ("done", "busy")))


if __name__ == "__main__":
    run()
