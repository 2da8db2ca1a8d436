"""Prefect in high availability, as Prefect documents it (docs/deploy.md): several API servers
(`prefect server start --no-services`) and one process of background services (`prefect server
services start`) on one PostgreSQL database, with Redis for messaging, causal ordering, lease
storage and the services' coordination, behind nginx, which sends each request to an API
server that answers (a dead one is skipped, websockets included).

`yijia prefect-ha` runs it on one machine (for trying it, the tests and the benchmark); on
several machines the same commands and settings run under systemd (deploy/systemd/).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

NGINX = """daemon off;
worker_processes 1;
pid {home}/nginx.pid;
error_log {home}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {home}/nginx-body;
    proxy_temp_path {home}/nginx-proxy;
    fastcgi_temp_path {home}/nginx-fastcgi;
    uwsgi_temp_path {home}/nginx-uwsgi;
    scgi_temp_path {home}/nginx-scgi;
    upstream prefect_api {{
{servers}
        keepalive 16;
    }}
    map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 16m;
        location / {{
            proxy_pass http://prefect_api;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            # a server that refuses the connection or is gone: the next one, also for a POST
            # (it never arrived); never after a time-out, which may have been processed
            proxy_next_upstream error http_502 http_503 non_idempotent;
            proxy_connect_timeout 1s;
            proxy_read_timeout 300s;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str, timeout: float = 90, proc: subprocess.Popen | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            if proc is not None and proc.poll() is not None:
                return False
            time.sleep(0.3)
    return False


@dataclass
class PrefectHA:
    """`database_url`: postgresql+asyncpg://… (its own database); `redis`: host, port and the
    first of two database numbers (messaging, then the services' coordination)."""

    database_url: str
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    redis_db: int = 2
    servers: int = 2
    port: int = field(default_factory=free_port)  # nginx, in front: the one URL clients use
    home: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="yijia-prefect-ha-")))
    api_ports: list[int] = field(default_factory=list)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def env(self) -> dict[str, str]:
        return {**os.environ, "PREFECT_HOME": str(self.home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_API_DATABASE_CONNECTION_URL": self.database_url,
                "PREFECT_API_DATABASE_MIGRATE_ON_START": "false",
                "PREFECT_MESSAGING_BROKER": "prefect_redis.messaging",
                "PREFECT_MESSAGING_CACHE": "prefect_redis.messaging",
                "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": "prefect_redis.ordering",
                "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect_redis.lease_storage",
                "PREFECT_REDIS_MESSAGING_HOST": self.redis_host, "PREFECT_REDIS_MESSAGING_PORT": str(self.redis_port),
                "PREFECT_REDIS_MESSAGING_DB": str(self.redis_db),
                "PREFECT_SERVER_DOCKET_URL": f"redis://{self.redis_host}:{self.redis_port}/{self.redis_db + 1}",
                "PREFECT_UI_ENABLED": "false", "PREFECT_API_URL": self.api,
                "PREFECT_SERVER_DATABASE_TIMEOUT": "30"}

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.home / f"{name}.log", "ab")
        proc = subprocess.Popen(args, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def start(self) -> PrefectHA:
        python = sys.executable
        subprocess.run([python, "-m", "prefect", "server", "database", "upgrade", "-y"], env=self.env(),
                       check=True, capture_output=True, timeout=600)
        self.api_ports = self.api_ports or [free_port() for _ in range(self.servers)]
        for i in range(len(self.api_ports)):
            self.start_server(i)  # one after the other: each registers the block types as it starts
        self._spawn("services", [python, "-m", "prefect", "server", "services", "start"])
        self._nginx()
        if not healthy(f"{self.api}/health", proc=self.procs["nginx"]):
            raise RuntimeError(f"nginx did not start; see {self.home}/nginx-error.log")
        return self

    def start_server(self, i: int) -> None:
        proc = self._spawn(f"api-{i}", [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                        "--port", str(self.api_ports[i]), "--no-services"])
        if not healthy(f"http://127.0.0.1:{self.api_ports[i]}/api/health", proc=proc):
            raise RuntimeError(f"Prefect API server {i} did not start; see {self.home}/api-{i}.log")

    def stop_server(self, i: int, sig: int = signal.SIGKILL) -> None:
        self._stop(f"api-{i}", sig)

    def _nginx(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in self.api_ports)
        conf = self.home / "nginx.conf"
        conf.write_text(NGINX.format(home=self.home, servers=servers, port=self.port))
        self._spawn("nginx", [nginx, "-c", str(conf), "-p", str(self.home), "-e", str(self.home / "nginx-error.log")])

    def _stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop(self) -> None:
        for name in list(self.procs)[::-1]:
            self._stop(name)


def run(database_url: str, servers: int, port: int, redis_url: str) -> int:
    """`yijia prefect-ha`: run until interrupted; prints the URL the workers and the UI use."""
    from urllib.parse import urlparse

    redis = urlparse(redis_url)
    ha = PrefectHA(database_url, redis.hostname or "127.0.0.1", redis.port or 6379,
                   int((redis.path or "/2").lstrip("/") or 2), servers, port)
    try:
        ha.start()
        print(f"Prefect API (nginx in front of {servers} servers): {ha.api}  logs: {ha.home}", flush=True)
        while all(p.poll() is None for p in ha.procs.values()):
            time.sleep(1)
        print("a process of the HA set ended; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        ha.stop()
