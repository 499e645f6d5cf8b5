"""Live OpenECS servers for the tests: in-process (uvicorn in a thread) or as a child process.

Every end-to-end test talks to a real server over real HTTP through the
official SDKs. The in-process server also exposes its runtime, so a test can
step the engine clock instead of sleeping.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from openecs.app import build_app
from openecs.config import Settings
from openecs.core.accounts import Account, create_account
from openecs.runtime import Runtime

POSTGRES_ADMIN_URL = os.environ.get("OPENECS_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")

for _proxy in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_proxy, None)  # both Alibaba SDKs would send 127.0.0.1 traffic through it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_available() -> bool:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def create_postgres_database() -> str:
    """A fresh, empty database for one test session; returns its URL."""
    import psycopg

    name = f"openecs_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def drop_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Tenant:
    """An account the test owns, with everything a client needs to sign as it."""

    account: Account
    endpoint: str  # host:port, as the Alibaba SDKs want it

    @property
    def ak(self) -> str:
        return self.account.access_key_id

    @property
    def sk(self) -> str:
        return self.account.access_key_secret

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def project_id(self, region: str = "cn-north-4") -> str:
        return self.account.huawei_project_ids[region]


class InProcessServer:
    """uvicorn serving OpenECS in a background thread of the test process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        settings.port = self.port
        self.runtime = Runtime(settings)
        self.app = build_app(settings, runtime=self.runtime)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    @property
    def backend(self) -> str:
        return self.runtime.db.dialect

    def start(self) -> InProcessServer:
        self.thread.start()
        wait_healthy(self.url)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.runtime.close()

    def new_tenant(self, name: str | None = None) -> Tenant:
        with self.runtime.db.write() as conn:
            account = create_account(conn, name or f"t-{uuid.uuid4().hex[:12]}")
        return Tenant(account, self.endpoint)

    def advance(self, seconds: float) -> None:
        """Step the engine clock and let the worker run what fell due."""
        self.runtime.clock.advance(seconds)
        self.runtime.worker.drain()


def wait_healthy(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/_openecs/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"OpenECS at {url} did not become healthy")


class ChildServer:
    """``openecs serve`` as a child process: for restarts, kills and multi-process tests."""

    def __init__(self, *, data_dir: Path | None = None, database_url: str | None = None,
                 extra: list[str] | None = None, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.args = [sys.executable, "-m", "openecs", "serve", "--port", str(self.port),
                     "--log-level", "warning"]
        if data_dir is not None:
            self.args += ["--data-dir", str(data_dir)]
        if database_url is not None:
            self.args += ["--database-url", database_url]
        self.args += extra or []
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def start(self) -> ChildServer:
        self.proc = subprocess.Popen(self.args, env=self.env)
        wait_healthy(self.url)
        return self

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
