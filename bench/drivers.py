"""What the benchmarks share: child servers, the ACS3 signer, keep-alive clients, /proc readings.

Every benchmark starts its servers as child processes on free ports and
drives them from client threads that each own one persistent connection. The
default client is a raw socket writing pre-serialized requests, because
http.client and httpx cost more CPU per call than a bare ASGI server (so with
them a fast server's figures would measure the client). Server CPU time and
resident memory come from ``/proc/<pid>``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
HEALTH = "/_openecs/health"

# method, path with query, headers, body
Request = tuple[str, str, dict[str, str], bytes]


# -- child servers
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Server:
    """A server child process, up once ``health`` answers 200."""

    name: str
    args: list[str]
    port: int
    health: str = HEALTH
    proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> Server:
        self.proc = subprocess.Popen(self.args, cwd=REPO, env=child_env())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=1)
                conn.request("GET", self.health)
                if conn.getresponse().status == 200:
                    conn.close()
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"{self.name} did not answer {self.health}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the server process so far (all its threads)."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_mb(self) -> float:
        """Resident memory of the server process now, in MiB."""
        pages = int(Path(f"/proc/{self.pid}/statm").read_text().split()[1])
        return pages * PAGE_SIZE / 2**20


def openecs_server(data_dir: Path, database_url: str | None, *extra: str) -> Server:
    """``openecs serve`` on a free port, its store in ``data_dir`` (or ``database_url``)."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "openecs",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--log-level",
        "warning",
        *extra,
    ]
    if database_url:
        args += ["--database-url", database_url]
    return Server("OpenECS", args, port)


def bare_server() -> Server:
    """bench/hello_asgi.py: the baseline, under the same uvicorn settings as OpenECS."""
    port = free_port()
    args = [sys.executable, str(REPO / "bench" / "hello_asgi.py"), "--port", str(port)]
    return Server("bare ASGI", args, port)


def plain_get(port: int) -> Request:
    """What the bare server gets: a plain GET /."""
    return "GET", "/", {"host": f"{HOST}:{port}", "accept": "application/json"}, b""


def create_account(data_dir: Path, database_url: str | None) -> tuple[str, str]:
    """A fresh account on the server's store, through the CLI; returns (key id, secret)."""
    args = [
        sys.executable,
        "-m",
        "openecs",
        "accounts",
        "create",
        f"bench-{uuid.uuid4().hex[:12]}",
        "--json",
        "--data-dir",
        str(data_dir),
    ]
    if database_url:
        args += ["--database-url", database_url]
    out = subprocess.run(args, cwd=REPO, env=child_env(), check=True, capture_output=True)
    account = json.loads(out.stdout)
    return account["access_key_id"], account["access_key_secret"]


def bootstrap_keys() -> tuple[str, str]:
    """The bootstrap account's keys, as the server takes them (environment, then defaults)."""
    return (
        os.environ.get("OPENECS_ACCESS_KEY_ID", "openecs-access-key-id"),
        os.environ.get("OPENECS_ACCESS_KEY_SECRET", "openecs-access-key-secret"),
    )


# -- Alibaba ACS3-HMAC-SHA256, as the Tea SDK signs
def pct(value: str) -> str:
    return quote(value, safe="-_.~")


def acs3_request(
    ak: str,
    sk: str,
    port: int,
    action: str,
    query: list[tuple[str, str]],
    version: str = "2014-05-26",
) -> Request:
    """One RPC call as the Tea SDK sends it: POST /, parameters in the query, empty body."""
    payload_hash = hashlib.sha256(b"").hexdigest()
    headers = {
        "accept": "application/json",
        "host": f"{HOST}:{port}",
        "user-agent": "AlibabaCloud (Linux; x86_64) Python/3.11 Core/0.4.3 TeaDSL/2",
        "x-acs-action": action,
        "x-acs-content-sha256": payload_hash,
        "x-acs-date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-version": version,
    }
    canonical_query = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(query))
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        [
            "POST",
            "/",
            canonical_query,
            "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)),
            signed,
            payload_hash,
        ]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    signature = hmac.new(sk.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"ACS3-HMAC-SHA256 Credential={ak},SignedHeaders={signed},Signature={signature}"
    )
    path = "/?" + "&".join(f"{pct(k)}={pct(v)}" for k, v in query)
    return "POST", path, headers, b""


# -- clients: one persistent connection per thread
class RawClient:
    """A socket that writes pre-serialized requests and reads Content-Length responses.

    The default load generator: its CPU cost per call is a fraction of the
    bare server's, where http.client's and httpx's are larger than it (so with
    them the bare figures measure the client). It refuses what it cannot
    parse (chunked bodies, a connection closed mid-answer) rather than guess.
    A server that answers ``Connection: close`` (werkzeug, hence moto, always
    does) gets a new connection before the next call: ``ready()`` opens it,
    outside the caller's latency timer.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buf = b""
        self.ready()

    def ready(self) -> None:
        """Open the connection if the server closed the last one."""
        if self.sock is None:
            self.sock = socket.create_connection((HOST, self.port), timeout=120)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buf = b""

    @staticmethod
    def prepare(req: Request) -> bytes:
        method, path, headers, body = req
        lines = [f"{method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
        if method == "POST":
            lines.append(f"content-length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def _more(self, buf: bytes) -> bytes:
        assert self.sock is not None
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return buf + chunk

    def call(self, req: bytes) -> tuple[int, bytes]:
        self.ready()
        assert self.sock is not None
        self.sock.sendall(req)
        buf = self.buf
        while (end := buf.find(b"\r\n\r\n")) < 0:
            buf = self._more(buf)
        head = buf[:end].decode("latin-1").lower()
        if not head.startswith("http/1.1 ") or "transfer-encoding:" in head:
            raise ConnectionError(f"unexpected response head: {head[:200]!r}")
        length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
        stop = end + 4 + length
        while len(buf) < stop:
            buf = self._more(buf)
        self.buf = buf[stop:]
        if "\r\nconnection: close" in head:
            self.close()
        return int(head[9:12]), buf[end + 4 : stop]

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class StdlibClient:
    """http.client on a persistent connection."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.conn.connect()
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @staticmethod
    def prepare(req: Request) -> Request:
        return req

    def ready(self) -> None:
        """http.client reconnects by itself."""

    def call(self, req: Request) -> tuple[int, bytes]:
        self.conn.request(req[0], req[1], body=req[3] or None, headers=req[2])
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def close(self) -> None:
        self.conn.close()


class HttpxClient:
    """httpx.Client on a persistent connection."""

    def __init__(self, port: int) -> None:
        import httpx

        self.client = httpx.Client(base_url=f"http://{HOST}:{port}", timeout=30, trust_env=False)

    @staticmethod
    def prepare(req: Request) -> Request:
        return req

    def ready(self) -> None:
        """httpx reconnects by itself."""

    def call(self, req: Request) -> tuple[int, bytes]:
        resp = self.client.request(req[0], req[1], headers=req[2], content=req[3] or None)
        return resp.status_code, resp.content

    def close(self) -> None:
        self.client.close()


CLIENTS: dict[str, type[RawClient] | type[StdlibClient] | type[HttpxClient]] = {
    "raw": RawClient,
    "http.client": StdlibClient,
    "httpx": HttpxClient,
}


# -- figures
def percentile_ms(sorted_ns: list[int], q: float) -> float:
    """The q-quantile of sorted nanosecond latencies, in ms (0.0 for none)."""
    if not sorted_ns:
        return 0.0
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))] / 1e6


def parse_clients(text: str) -> list[int]:
    """``4`` or ``1,4``: the client counts to run (argparse type)."""
    import argparse

    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("takes positive integers, e.g. 4 or 1,4")
    return values
