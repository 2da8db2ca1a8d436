"""What every benchmark shares: the machine's facts, a fresh database per engine, JSON lines."""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from flows.core import migrate
from flows.core.db import make_engine

PG_URL = os.environ.get("YIJIA_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/yijia_bench")


def machine() -> dict[str, Any]:
    """Cores, memory, commit and date, stamped on every figure."""
    mem_kb = 0
    try:
        with open("/proc/meminfo") as f:
            mem_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=False).stdout.strip() or "unknown"
    except OSError:
        commit = "unknown"
    return {"cores": os.cpu_count(), "mem_gib": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "commit": commit, "date": datetime.now(UTC).isoformat(timespec="seconds")}


def emit(bench: str, engine: str, **figures: Any) -> None:
    """Print one result line."""
    print(json.dumps({"bench": bench, "engine": engine, **figures, **machine()}, ensure_ascii=False), flush=True)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary_ms(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99 of latencies given in seconds, in milliseconds."""
    return {"p50_ms": round(percentile(samples, 50) * 1000, 2), "p95_ms": round(percentile(samples, 95) * 1000, 2),
            "p99_ms": round(percentile(samples, 99) * 1000, 2),
            "mean_ms": round(statistics.fmean(samples) * 1000, 2) if samples else 0.0}


def pg_available() -> bool:
    try:
        engine = make_engine(pg_admin(PG_URL), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def pg_admin(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def fresh_databases(engines: tuple[str, ...] = ("sqlite", "postgresql")) -> Iterator[tuple[str, str]]:
    """(engine name, URL of a new migrated database) for each engine available here
    (`BENCH_ENGINES=sqlite` or `=postgresql` narrows the run)."""
    wanted = os.environ.get("BENCH_ENGINES")
    for name in engines:
        if wanted and name not in wanted.split(","):
            continue
        if name == "sqlite":
            folder = tempfile.mkdtemp(prefix="yijia-bench-")
            url = f"sqlite:///{folder}/bench.db"
        else:
            if not pg_available():
                continue
            url = PG_URL
            admin = make_engine(pg_admin(url), isolation_level="AUTOCOMMIT")
            db = make_url(url).database
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{db}"'))
            admin.dispose()
        migrate.upgrade(url)
        yield name, url
        discard(url)  # the consumer is done with it


def discard(url: str) -> None:
    """Drop a benchmark's database when it is done (the scale run leaves gigabytes)."""
    if url.startswith("sqlite"):
        import shutil
        from pathlib import Path

        shutil.rmtree(Path(url.split("///", 1)[1]).parent, ignore_errors=True)
        return
    admin = make_engine(pg_admin(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()
