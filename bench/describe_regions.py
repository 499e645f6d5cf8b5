"""Benchmark: a signed Alibaba DescribeRegions on OpenECS against a bare ASGI hello-world.

Both servers run as child processes under the same uvicorn settings (one
worker, automatic loop and HTTP implementation, access log off; see
bench/hello_asgi.py), so the measured difference is what OpenECS adds per
call: signature check, nonce write to the store, thread-pool hop, routing,
parameter checking and JSON. Each of C client threads owns one keep-alive
connection: a raw socket by default, because http.client and httpx cost more
CPU per call than the bare server itself (``--client`` picks them anyway).
OpenECS gets ACS3-HMAC-SHA256 requests signed as the Tea SDK signs them (fresh
nonce and current x-acs-date each, signed before the timed loop, so one run
must finish within the 15-minute signature window), the hello-world plain GETs.

Besides calls/s and latency it reports CPU time per call of each server
process (from /proc) and of the client process, so that a client-bound run is
visible rather than mistaken for a fast server.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from drivers import (
    CLIENTS,
    Request,
    Server,
    acs3_request,
    bare_server,
    create_account,
    openecs_server,
    parse_clients,
    plain_get,
)

TARGET_RATIO = 3.0


def signed_describe_regions(ak: str, sk: str, port: int) -> Request:
    """One DescribeRegions as the Tea SDK sends it (POST /, ACS3-HMAC-SHA256, empty body)."""
    return acs3_request(ak, sk, port, "DescribeRegions", [("RegionId", "cn-hangzhou")])


# -- one timed run
@dataclass
class Result:
    name: str
    clients: int
    calls: int
    seconds: float
    latencies_ns: list[int]
    server_cpu: float
    client_cpu: float
    failures: int = 0
    sample_failure: str = ""
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.seconds

    @property
    def us_per_call(self) -> float:
        return self.seconds / self.calls * 1e6

    def percentile_ms(self, q: float) -> float:
        lat = self.latencies_ns
        return lat[min(len(lat) - 1, int(q * len(lat)))] / 1e6

    @property
    def server_us_per_call(self) -> float:
        return self.server_cpu / self.calls * 1e6

    @property
    def client_us_per_call(self) -> float:
        return self.client_cpu / self.calls * 1e6

    def as_json(self) -> dict[str, object]:
        return {
            "server": self.name,
            "clients": self.clients,
            "calls": self.calls,
            "calls_per_s": round(self.calls_per_s, 1),
            "p50_ms": round(self.percentile_ms(0.50), 3),
            "p99_ms": round(self.percentile_ms(0.99), 3),
            "server_cpu_us_per_call": round(self.server_us_per_call, 1),
            "client_cpu_us_per_call": round(self.client_us_per_call, 1),
            "failures": self.failures,
        }


def run(
    server: Server,
    make_request: Callable[[], Request],
    *,
    calls: int,
    warmup: int,
    clients: int,
    client_kind: str,
) -> Result:
    """``warmup`` then ``calls`` requests over ``clients`` threads; only the latter are timed."""
    kind = CLIENTS[client_kind]
    per_thread = [calls // clients + (1 if i < calls % clients else 0) for i in range(clients)]
    warm = max(1, warmup // clients)
    # Every request is built, signed and serialized here, outside the timed loop.
    batches = [[kind.prepare(make_request()) for _ in range(warm + n)] for n in per_thread]
    latencies: list[list[int]] = [[] for _ in range(clients)]
    statuses: list[dict[int, int]] = [{} for _ in range(clients)]
    failures: list[str] = []  # a few sample bodies; list.append is atomic
    errors: list[BaseException] = []
    ready = threading.Barrier(clients + 1)
    go = threading.Barrier(clients + 1)

    def worker(i: int) -> None:
        try:
            client = kind(server.port)
        except BaseException as exc:
            errors.append(exc)
            ready.abort()
            return
        reqs, lat, seen = batches[i], latencies[i], statuses[i]
        clock = time.perf_counter_ns
        try:
            for n, req in enumerate(reqs):
                if n == warm:
                    ready.wait()
                    go.wait()
                t0 = clock()
                status, body = client.call(req)
                if n >= warm:
                    lat.append(clock() - t0)
                seen[status] = seen.get(status, 0) + 1
                if status != 200 and len(failures) < 3:
                    failures.append(f"{status} {body[:300]!r}")
        except threading.BrokenBarrierError:
            pass
        except BaseException as exc:
            errors.append(exc)
            ready.abort()
            go.abort()
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    try:
        ready.wait()
        cpu0, own0 = server.cpu_seconds(), time.process_time()
        t0 = time.perf_counter()
        go.wait()
    except threading.BrokenBarrierError:
        pass
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{server.name}: a client failed: {errors[0]!r}") from errors[0]
    seconds = time.perf_counter() - t0
    cpu1, own1 = server.cpu_seconds(), time.process_time()

    merged: dict[int, int] = {}
    for seen in statuses:
        for status, n in seen.items():
            merged[status] = merged.get(status, 0) + n
    return Result(
        name=server.name,
        clients=clients,
        calls=calls,
        seconds=seconds,
        latencies_ns=sorted(x for lat in latencies for x in lat),
        server_cpu=cpu1 - cpu0,
        client_cpu=own1 - own0,
        failures=sum(merged.values()) - merged.get(200, 0),  # warm-up calls included
        sample_failure=failures[0] if failures else "",
        statuses=merged,
    )


# -- profiling (optional; py-spy is not a project dependency)
class PySpy:
    """``py-spy record`` attached to a server for the duration of a ``with`` block."""

    def __init__(self, pid: int, out: Path) -> None:
        exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        self.args = [
            exe,
            "record",
            "--pid",
            str(pid),
            "--rate",
            "500",
            "--threads",
            "--format",
            "raw",
            "-o",
            str(out),
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PySpy:
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL)
        time.sleep(1.0)  # let it attach before the timed calls start
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        self.proc.wait(60)


# -- report
def print_pair(bare: Result, ecs: Result) -> None:
    head = (
        f"{'server':<10} {'C':>2} {'calls':>7} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'server CPU us/call':>19} {'client CPU us/call':>19}"
    )
    print(head)
    print("-" * len(head))
    for r in (bare, ecs):
        print(
            f"{r.name:<10} {r.clients:>2} {r.calls:>7} {r.calls_per_s:>9.0f}"
            f" {r.percentile_ms(0.5):>8.3f} {r.percentile_ms(0.99):>8.3f}"
            f" {r.server_us_per_call:>19.1f} {r.client_us_per_call:>19.1f}"
        )
    wall = ecs.us_per_call / bare.us_per_call
    cpu = ecs.server_us_per_call / bare.server_us_per_call
    verdict = "met" if wall < TARGET_RATIO else "NOT met"
    print(
        f"per-call cost OpenECS / bare: {wall:.2f}x (wall clock, 1 / calls-per-s), "
        f"{cpu:.2f}x (server CPU); target < {TARGET_RATIO:g}x: {verdict}"
    )
    share = bare.client_us_per_call / bare.server_us_per_call
    print(
        f"client CPU per call = {share:.0%} of the bare server's"
        + (": the bare run is client-bound, the ratio above is understated" if share >= 1 else "")
    )
    if ecs.failures:
        print(
            f"OpenECS: {ecs.failures} calls (warm-up included) did not answer 200 "
            f"(statuses {ecs.statuses}); first: {ecs.sample_failure}"
        )
    print()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=10_000, help="timed calls per server and C")
    parser.add_argument(
        "--clients",
        type=parse_clients,
        default=[1, 4],
        help="concurrent client threads; a comma list runs each (default 1,4)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=None,
        help="untimed calls first (default: a tenth of --calls, at least 200)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="postgresql://... to run OpenECS on PostgreSQL instead of SQLite",
    )
    parser.add_argument(
        "--client",
        choices=list(CLIENTS),
        default="raw",
        help="load generator's HTTP client (default raw: the cheapest)",
    )
    parser.add_argument(
        "--py-spy",
        type=Path,
        default=None,
        metavar="PREFIX",
        help="profile OpenECS's timed calls into PREFIX-c<C>.txt (perturbs figures)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.calls < max(args.clients):
        parser.error("--calls must be at least the number of clients")
    warmup = args.warmup if args.warmup is not None else max(200, args.calls // 10)

    results: list[Result] = []
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="openecs-bench-")))
        ecs = openecs_server(data_dir, args.database_url).start()
        stack.callback(ecs.stop)
        bare = bare_server().start()
        stack.callback(bare.stop)
        ak, sk = create_account(data_dir, args.database_url)
        print(
            f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, client {args.client}, "
            f"store {'postgresql' if args.database_url else 'sqlite'}, "
            f"{args.calls} calls after {warmup} warm-up calls"
        )
        if args.py_spy:
            print("profiling OpenECS with py-spy: its figures are perturbed")
        print()
        for c in args.clients:
            r_bare = run(
                bare,
                lambda: plain_get(bare.port),
                calls=args.calls,
                warmup=warmup,
                clients=c,
                client_kind=args.client,
            )
            with ExitStack() as profiling:
                if args.py_spy:
                    out = args.py_spy.with_name(f"{args.py_spy.name}-c{c}.txt")
                    profiling.enter_context(PySpy(ecs.pid, out))
                r_ecs = run(
                    ecs,
                    lambda: signed_describe_regions(ak, sk, ecs.port),
                    calls=args.calls,
                    warmup=warmup,
                    clients=c,
                    client_kind=args.client,
                )
            print_pair(r_bare, r_ecs)
            results += [r_bare, r_ecs]
    if args.json:
        args.json.write_text(json.dumps([r.as_json() for r in results], indent=2) + "\n")
    return 1 if any(r.failures for r in results if r.name == "OpenECS") else 0


if __name__ == "__main__":
    sys.exit(main())
