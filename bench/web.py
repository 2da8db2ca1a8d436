"""Web: requests per second and p50/p99 of the claim action through gunicorn, as deployed,
with a logged-in member, at 1, 10 and 50 clients; against a bare Flask endpoint and a
minimal claim doing only the same writes, on SQLite and PostgreSQL. The same claim over the
JSON API (bearer token, JSON body, problem details) runs on the same server in the same run.
Needs `wrk`.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select, update
from werkzeug.security import generate_password_hash

from bench.common import emit, fresh_databases
from flows.core.db import make_engine, make_sessionmaker
from schemas.tables import Demand, User, WorkflowVersion
from tests.world import build_world

CLIENTS = (1, 10, 50)
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
SPAN = 20_000  # ids per wrk thread per run: far more than 8 s of claims can use
DEMANDS = 9 * 2 * SPAN + 1_000  # (minimal + web + API claim) × 3 client counts × 2 threads
LUA = Path(__file__).with_name("claim.lua")


def _server(app: str, port: int, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level",
                             "warning", app], env=env, start_new_session=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz" if "wsgi" in app else
                                   f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except OSError as exc:
            if getattr(exc, "code", None):
                return proc  # it answered (404 for the minimal app's root): it is up
            time.sleep(0.2)
    raise RuntimeError(f"{app} did not start")


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


def _wrk(url: str, clients: int, args: list[str]) -> dict:
    threads = 1 if clients == 1 else 2
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{SECONDS}s", "--latency",
                          "-s", str(LUA), url, "--", *args] if args else
                         ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{SECONDS}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)", out, re.M)
        if not match:
            return 0.0
        value, unit = float(match.group(1)), match.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2)

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": round(rps), "p50_ms": ms("50%"), "p99_ms": ms("99%"),
            "bad_responses": int(bad.group(1)) if bad else 0,
            "socket_errors": sum(map(int, errors.groups())) if errors else 0}


def _login(port: int, username: str, password: str) -> tuple[str, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    opener.open(f"http://127.0.0.1:{port}/login", urllib.parse.urlencode(
        {"username": username, "password": password, "csrf_token": token}).encode())
    page = opener.open(f"http://127.0.0.1:{port}/hall").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, token


def _bearer(port: int, username: str, password: str) -> str:
    """An app's log-in: the Authorization header of a fresh access token."""
    answer = urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/token", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"username": username, "password": password, "device": "bench"}).encode()))
    return "Bearer " + json.loads(answer.read())["access_token"]


def _prepare(url: str) -> tuple[dict, int]:
    factory = make_sessionmaker(make_engine(url))
    world = build_world(factory)
    with factory() as s, s.begin():
        s.execute(update(User).where(User.id == world["mem1"]).values(password_hash=generate_password_hash("bench-pass")))
        version = s.scalar(select(WorkflowVersion).where(WorkflowVersion.workflow_id == "micro_wish"))
        now = datetime.now(UTC)
        rows = [{"task_type_id": world["tt_micro_wish"], "workflow_id": "micro_wish", "workflow_version": version.version,
                 "workflow_hash": version.content_hash, "state": "open", "state_since": now, "rev": 1,
                 "title": f"心愿 {i}", "community_id": world["ca"], "requester_id": world["res_a"], "capacity": 1,
                 "taken": 0, "required_skills": [], "data": {}, "created_at": now} for i in range(DEMANDS)]
        for chunk in range(0, DEMANDS, 20_000):
            s.execute(insert(Demand), rows[chunk:chunk + 20_000])
        first = s.scalar(select(Demand.id).order_by(Demand.id).limit(1))
    return world, first


def run() -> None:
    if shutil.which("wrk") is None:
        print('{"bench": "web", "skipped": "wrk is not installed (apt-get install wrk)"}')
        return
    for name, url in fresh_databases():
        world, first = _prepare(url)
        env = {**os.environ, "YIJIA_SECRET_KEY": secrets.token_urlsafe(48), "YIJIA_DATABASE_URL": url, "YIJIA_AUTO_STEPS": "inline",
               "BENCH_USER_ID": str(world["mem1"])}
        next_id = first
        figures: dict[str, dict] = {}
        for label, app, port in [("bare", "bench.apps:bare", 18101), ("minimal_claim", "bench.apps:minimal", 18102),
                                 ("claim", "admin.wsgi:app", 18103)]:
            proc = _server(app, port, env)
            try:
                cookie, token = _login(port, "mem1", "bench-pass") if label == "claim" else ("", "")
                bearer = _bearer(port, "mem1", "bench-pass") if label == "claim" else ""
                for clients in CLIENTS:
                    # the web form's claim and the API's, one after the other on the same server
                    for endpoint in ([label, "api_claim"] if label == "claim" else [label]):
                        pattern = {"bare": None, "minimal_claim": "/claim/%d", "claim": "/d/%d/step/claim",
                                   "api_claim": "/api/v1/demands/%d/steps/claim"}[endpoint]
                        args = ([str(next_id), str(SPAN), pattern, cookie, token] if endpoint == "claim" else
                                [str(next_id), str(SPAN), pattern, "", "", bearer] if endpoint == "api_claim" else
                                [str(next_id), str(SPAN), pattern] if pattern else [])
                        result = _wrk(f"http://127.0.0.1:{port}/", clients, args)
                        next_id += 2 * SPAN if pattern else 0
                        figures[f"{endpoint}@{clients}"] = result
                        emit("web", name, endpoint=endpoint, clients=clients, seconds=SECONDS, **result)
            finally:
                _stop(proc)
        for clients in CLIENTS:
            claim, minimal, bare_ = (figures[f"{k}@{clients}"]["rps"] for k in ("claim", "minimal_claim", "bare"))
            api = figures[f"api_claim@{clients}"]["rps"]
            emit("web-ratio", name, clients=clients, claim_over_minimal=round(claim / max(minimal, 1), 2),
                 claim_over_bare=round(claim / max(bare_, 1), 2), api_claim_over_web_claim=round(api / max(claim, 1), 2))


if __name__ == "__main__":
    run()
