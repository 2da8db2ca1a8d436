"""Where a claim's CPU goes on PostgreSQL: CPU-seconds per request of the gunicorn workers and
of the PostgreSQL backends, for the minimal claim (three bare statements) and the full web
claim, under the same wrk load. The claim ÷ minimal ratio of `bench web` is a throughput
ratio on 2 shared cores, so it is set by the sum of both columns; this says which side to cut.
Needs `wrk`; `python -m bench claim_cpu` (not in the default run)."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess

from bench import web
from bench.common import emit, fresh_databases

TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime, in ticks
    return total / TICK


def _pids(*args: str) -> list[int]:
    return [int(p) for p in subprocess.run(["pgrep", *args], capture_output=True, text=True).stdout.split()]


def run() -> None:
    if shutil.which("wrk") is None:
        print('{"bench": "claim_cpu", "skipped": "wrk is not installed"}')
        return
    for name, url in fresh_databases(("postgresql",)):
        database = url.rsplit("/", 1)[1]
        world, first = web._prepare(url)
        env = {**os.environ, "YIJIA_SECRET_KEY": secrets.token_urlsafe(48), "YIJIA_DATABASE_URL": url,
               "YIJIA_AUTO_STEPS": "inline", "BENCH_USER_ID": str(world["mem1"])}
        next_id = first
        for label, app, port in [("minimal_claim", "bench.apps:minimal", 18202), ("claim", "admin.wsgi:app", 18203)]:
            proc = web._server(app, port, env)
            try:
                cookie, token = web._login(port, "mem1", "bench-pass") if label == "claim" else ("", "")
                pattern = "/claim/%d" if label == "minimal_claim" else "/d/%d/step/claim"
                for clients in (10, 50):
                    args = [str(next_id), str(web.SPAN), pattern] + ([cookie, token] if label == "claim" else [])
                    workers = _pids("-g", str(proc.pid))
                    web_before, pg_before = _cpu(workers), _cpu(_pids("-f", f"postgres: .*{database}"))
                    result = web._wrk(f"http://127.0.0.1:{port}/", clients, args)
                    web_after, pg_after = _cpu(workers), _cpu(_pids("-f", f"postgres: .*{database}"))
                    requests = max(result["rps"] * web.SECONDS, 1)
                    next_id += 2 * web.SPAN
                    emit("claim-cpu", name, endpoint=label, clients=clients, rps=result["rps"],
                         web_ms_cpu_per_request=round(1000 * (web_after - web_before) / requests, 2),
                         pg_ms_cpu_per_request=round(1000 * (pg_after - pg_before) / requests, 2))
            finally:
                web._stop(proc)


if __name__ == "__main__":
    run()
