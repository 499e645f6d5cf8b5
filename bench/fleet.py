"""Fleet benchmark: OpenECS against moto's EC2 server, phase by phase, in one run.

Starts OpenECS (``openecs serve``: embedded SQLite in a temporary directory,
or ``--database-url``) and moto 5.2.5's own server (``moto_server``: the
``bench`` extra) as child processes and drives both with the equivalent
calls over keep-alive connections: OpenECS through its Alibaba face with
ACS3-signed RPC requests as the Tea SDK sends them (the bootstrap account),
moto with EC2 Query requests. For N instances and each C of ``--clients``
the phases are:

    setup  a VPC, a vSwitch/subnet (one per 60 000 addresses), a security group
    A      CreateLaunchTemplate, then 29 x CreateLaunchTemplateVersion
    B      RunInstances of 100 instances, N/100 times
    C      DescribeInstances in pages of 100, 5 full sweeps
    D      ModifyInstanceAttribute on every instance
    E      CreateNetworkInterface x N
    F      delete every instance (100 a call) and every interface

Every answer is checked (status, body, ids, the pages of a sweep together
are the fleet). A phase whose action the server does not implement (Alibaba
``InvalidAction.NotFound``) is reported as not implemented, with no figure.
Each phase reports calls, calls/s, items/s, p50 and p99 latency and the
server's RSS at its end; the ratio OpenECS/moto of items/s is held against
the 3x target. Requests are built and signed before a phase's clock starts;
waits for a timed transition (a VPC becoming Available, the fleet booting)
happen between phases or stages, untimed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from clouds import (
    BATCH,
    Cloud,
    Job,
    NotImplementedAction,
    WrongAnswer,
    batches,
    chunks,
    steps,
    subnets_for,
)
from drivers import RawClient, Server, bootstrap_keys, openecs_server, parse_clients, percentile_ms
from ecs_cloud import OpenEcs
from moto_cloud import Moto, moto_server, moto_version

TARGET_RATIO = 3.0
SWEEPS = 5
TEMPLATE_VERSIONS = 29
# openecs serve's defaults, which the benchmark keeps
BOOT_SECONDS = 3.0
STOP_SECONDS = 2.0

OK, NOT_IMPLEMENTED, FAILED, TIME_LIMIT, SKIPPED = (
    "ok",
    "not implemented",
    "failed",
    "time limit",
    "skipped",
)


# -- running jobs on C connections
@dataclass
class Stage:
    """Jobs built once the stage starts (they use what earlier stages made), after ``settle``."""

    build: Callable[[], list[Job]]
    settle: Callable[[], None] | None = None


class PhaseTimeLimit(Exception):
    """The phase ran past its time limit (not a socket timeout, which is a failure)."""


@dataclass
class Timed:
    """What a phase's calls added up to: calls, time on the clock, sorted latencies, status."""

    calls: int = 0
    seconds: float = 0.0
    settle_seconds: float = 0.0
    latencies_ns: list[int] = field(default_factory=list)
    status: str = OK
    detail: str = ""


def run_jobs(port: int, jobs: list[Job], clients: int, deadline: float, into: Timed) -> None:
    """Run ``jobs`` on ``clients`` threads with a connection each; add calls and time to ``into``."""
    queue = deque(jobs)
    stop = threading.Event()
    errors: list[BaseException] = []
    latencies: list[list[int]] = [[] for _ in range(clients)]
    conns = [RawClient(port) for _ in range(min(clients, len(jobs)))]
    go = threading.Barrier(len(conns) + 1)

    def worker(i: int) -> None:
        client, lat, clock = conns[i], latencies[i], time.perf_counter_ns
        try:
            go.wait()
            while not stop.is_set():
                try:
                    job = queue.popleft()
                except IndexError:
                    return
                try:
                    step = next(job)
                except StopIteration:
                    continue
                while not stop.is_set():
                    if time.monotonic() > deadline:
                        raise PhaseTimeLimit()
                    client.ready()
                    t0 = clock()
                    status, body = client.call(step[0])
                    lat.append(clock() - t0)
                    result = step[1](status, body)
                    try:
                        step = job.send(result)
                    except StopIteration:
                        break
        except BaseException as exc:
            errors.append(exc)
            stop.set()
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(conns))]
    for t in threads:
        t.start()
    go.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    into.seconds += time.perf_counter() - t0
    for lat in latencies:
        into.latencies_ns += lat
        into.calls += len(lat)
    if errors:
        first = next((e for e in errors if isinstance(e, NotImplementedAction)), errors[0])
        if isinstance(first, NotImplementedAction):
            into.status, into.detail = NOT_IMPLEMENTED, str(first)
        elif isinstance(first, PhaseTimeLimit):
            into.status, into.detail = TIME_LIMIT, f"stopped after {into.calls} calls"
        elif isinstance(first, WrongAnswer):
            into.status, into.detail = FAILED, str(first)
        else:
            into.status, into.detail = FAILED, repr(first)


def run_stages(cloud: Cloud, stages: Sequence[Stage], clients: int, limit: float) -> Timed:
    """A phase: its stages in order, each timed from its first call to its last answer."""
    timed = Timed()
    deadline = time.monotonic() + limit
    for stage in stages:
        try:
            if stage.settle:
                t0 = time.monotonic()
                stage.settle()
                timed.settle_seconds += time.monotonic() - t0
            jobs = stage.build()
        except NotImplementedAction as exc:
            timed.status, timed.detail = NOT_IMPLEMENTED, str(exc)
        except (WrongAnswer, OSError) as exc:
            timed.status, timed.detail = FAILED, f"between stages: {exc}"
        else:
            try:
                run_jobs(cloud.server.port, jobs, clients, deadline, timed)
            except OSError as exc:  # no connection to the server at all
                timed.status, timed.detail = FAILED, f"connecting: {exc}"
        if timed.status != OK:
            break
    timed.latencies_ns.sort()
    return timed


# -- the phases
@dataclass
class Phase:
    key: str
    title: str
    stages: Callable[[Cloud, int], list[Stage]]
    items: Callable[[Cloud, int], int]  # the work done: instances made, listed, changed...
    needed: bool = True  # later phases need what it makes (a failure skips them)
    concurrent: bool = False  # the issue's --clients applies to C, D and E; the rest run on one


def _setup(c: Cloud, n: int) -> list[Stage]:
    k = subnets_for(n)
    # One chain each: a subnet's VPC and a group's VPC are matched by position.
    return [
        Stage(lambda: [steps(c.create_vpcs(k))]),
        Stage(lambda: [steps(c.create_subnets(k))], c.settle_vpcs),
        Stage(lambda: [steps(c.create_groups())], c.settle_subnets),
    ]


def _templates(c: Cloud, n: int) -> list[Stage]:
    # A name of the run's own: a PostgreSQL store (--database-url) keeps the runs before.
    name = f"bench-template-{uuid.uuid4().hex[:8]}"
    return [
        Stage(lambda: [steps([c.create_template(name)])]),
        Stage(
            lambda: [
                steps([c.create_template_version(name, v)]) for v in range(2, TEMPLATE_VERSIONS + 2)
            ]
        ),
    ]


def _run(c: Cloud, n: int) -> list[Stage]:
    firsts = [i * BATCH for i in range(len(batches(n)))]
    return [
        Stage(
            lambda: [
                steps([c.run_instances(f, a)]) for f, a in zip(firsts, batches(n), strict=True)
            ]
        )
    ]


def _describe(c: Cloud, n: int) -> list[Stage]:
    return [Stage(lambda: [c.sweep() for _ in range(SWEEPS)], c.settle_instances)]


def _modify(c: Cloud, n: int) -> list[Stage]:
    ids = c.fleet.instances
    return [Stage(lambda: [steps([c.modify_instance(iid, i)]) for i, iid in enumerate(ids)])]


def _interfaces(c: Cloud, n: int) -> list[Stage]:
    first = len(c.fleet.instances)
    return [Stage(lambda: [steps([c.create_interface(first + i)]) for i in range(n)])]


def _delete(c: Cloud, n: int) -> list[Stage]:
    return [
        Stage(lambda: [steps([c.delete_instances(ids)]) for ids in chunks(c.fleet.instances)]),
        Stage(lambda: [steps([c.delete_interface(eni)]) for eni in c.fleet.interfaces]),
        Stage(lambda: [], c.settle_deleted),
    ]


PHASES = [
    Phase("setup", "VPC, vSwitch/subnet, security group", _setup, lambda c, n: subnets_for(n)),
    Phase("A", "CreateLaunchTemplate + 29 versions", _templates, lambda c, n: 30, needed=False),
    Phase("B", f"RunInstances of {BATCH}, N/{BATCH} times", _run, lambda c, n: n),
    Phase(
        "C",
        f"DescribeInstances pages of 100, {SWEEPS} sweeps",
        _describe,
        lambda c, n: SWEEPS * n,
        needed=False,
        concurrent=True,
    ),
    Phase(
        "D",
        "ModifyInstanceAttribute on every instance",
        _modify,
        lambda c, n: n,
        needed=False,
        concurrent=True,
    ),
    Phase(
        "E", "CreateNetworkInterface x N", _interfaces, lambda c, n: n, needed=False, concurrent=True
    ),
    Phase(
        "F",
        "delete every instance and interface",
        _delete,
        lambda c, n: len(c.fleet.instances) + len(c.fleet.interfaces),
    ),
]


@dataclass
class Result:
    phase: str
    server: str
    clients: int
    status: str
    detail: str = ""
    calls: int = 0
    items: int = 0
    seconds: float = 0.0
    settle_seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    rss_mb: float = 0.0

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    @property
    def items_per_s(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "phase": self.phase,
            "server": self.server,
            "clients": self.clients,
            "status": self.status,
        }
        if self.detail:
            out["detail"] = self.detail
        if self.status == OK:
            out |= {
                "calls": self.calls,
                "items": self.items,
                "seconds": round(self.seconds, 4),
                "calls_per_s": round(self.calls_per_s, 1),
                "items_per_s": round(self.items_per_s, 1),
                "p50_ms": round(self.p50_ms, 3),
                "p99_ms": round(self.p99_ms, 3),
                "untimed_wait_s": round(self.settle_seconds, 2),
            }
        if self.status != SKIPPED:
            out["rss_mb"] = round(self.rss_mb, 1)
        return out


def run_phase(phase: Phase, cloud: Cloud, n: int, clients: int, limit: float) -> Result:
    clients = clients if phase.concurrent else 1
    timed = run_stages(cloud, phase.stages(cloud, n), clients, limit)
    result = Result(phase.key, cloud.name, clients, timed.status, timed.detail)
    result.rss_mb = cloud.server.rss_mb()
    if timed.status == OK:
        result.calls, result.seconds = timed.calls, timed.seconds
        result.items = phase.items(cloud, n)
        result.settle_seconds = timed.settle_seconds
        result.p50_ms = percentile_ms(timed.latencies_ns, 0.50)
        result.p99_ms = percentile_ms(timed.latencies_ns, 0.99)
    return result


# -- report
def ratio(ecs: Result | None, moto: Result | None) -> tuple[float | None, str]:
    """OpenECS/moto items/s, and what it says against the target."""
    if ecs is None or moto is None:
        return None, ""
    if ecs.status != OK or moto.status != OK:
        return None, f"no ratio (OpenECS {ecs.status}, moto {moto.status})"
    if ecs.items != moto.items:
        return None, f"no ratio: different work (OpenECS {ecs.items} items, moto {moto.items})"
    r = ecs.items_per_s / moto.items_per_s
    return r, f"{r:.2f}x; target >= {TARGET_RATIO:g}x: {'met' if r >= TARGET_RATIO else 'NOT met'}"


def print_table(results: list[Result]) -> None:
    head = (
        f"{'phase':<6} {'server':<8} {'calls':>6} {'calls/s':>9} {'items/s':>10}"
        f" {'p50 ms':>9} {'p99 ms':>9} {'RSS MB':>7}  status"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        figures = (
            f"{r.calls:>6} {r.calls_per_s:>9.1f} {r.items_per_s:>10.1f}"
            f" {r.p50_ms:>9.3f} {r.p99_ms:>9.3f}"
            if r.status == OK
            else f"{'-':>6} {'-':>9} {'-':>10} {'-':>9} {'-':>9}"
        )
        note = r.status + (f": {r.detail}" if r.detail else "")
        rss = f"{r.rss_mb:>7.1f}" if r.status != SKIPPED else f"{'-':>7}"
        print(f"{r.phase:<6} {r.server:<8} {figures} {rss}  {note}")
    print()


def machine() -> dict[str, object]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "moto": moto_version(),
    }


def openecs_cloud(server: Server) -> OpenEcs:
    """OpenECS as the benchmarks drive it: the bootstrap account, serve's default timings."""
    return OpenEcs(server, *bootstrap_keys(), boot_seconds=BOOT_SECONDS, stop_seconds=STOP_SECONDS)


def one_run(args: argparse.Namespace, clients: int, stack: ExitStack) -> list[Result]:
    """Fresh servers, then every phase on each: OpenECS's, then moto's, phase by phase."""
    clouds: list[Cloud] = []
    if args.only in (None, "openecs"):
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="openecs-fleet-")))
        server = openecs_server(data_dir, args.database_url).start()
        stack.callback(server.stop)
        clouds.append(openecs_cloud(server))
    if args.only in (None, "moto"):
        server = moto_server().start()
        stack.callback(server.stop)
        clouds.append(Moto(server))
    for cloud in clouds:
        cloud.warm_up()
    results: list[Result] = []
    blocked: dict[str, str] = {}
    for phase in PHASES:
        for cloud in clouds:
            if cloud.name in blocked:
                results.append(Result(phase.key, cloud.name, clients, SKIPPED, blocked[cloud.name]))
                continue
            result = run_phase(phase, cloud, args.n, clients, args.phase_limit)
            results.append(result)
            if phase.needed and result.status in (FAILED, TIME_LIMIT, NOT_IMPLEMENTED):
                blocked[cloud.name] = f"phase {phase.key} did not complete"
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="instances in the fleet (default 1000)")
    parser.add_argument(
        "--clients",
        type=parse_clients,
        default=[1, 4],
        help="concurrent connections for every phase; a comma list runs each (default 1,4)",
    )
    parser.add_argument("--database-url", default=None, help="run OpenECS on PostgreSQL")
    parser.add_argument("--only", choices=("openecs", "moto"), default=None)
    parser.add_argument(
        "--phase-limit",
        type=float,
        default=900.0,
        help="seconds a phase may take on one server before it is stopped (default 900)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    if args.only != "openecs" and moto_version() is None:
        parser.error("moto is not installed: pip install -e '.[bench]', or run --only openecs")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on kill too

    info = machine()
    print(
        f"python {info['python']}, {info['cpus']} CPUs ({info['cpu_model']}), moto {info['moto']}, "
        f"OpenECS store {'postgresql' if args.database_url else 'sqlite'}, N = {args.n}"
    )
    print()
    runs: list[dict[str, object]] = []
    failed = False
    for clients in args.clients:
        print(f"== {clients} client{'s' if clients > 1 else ''}")
        with ExitStack() as stack:
            results = one_run(args, clients, stack)
        print_table(results)
        ratios: dict[str, object] = {}
        for phase in PHASES:
            by = {r.server: r for r in results if r.phase == phase.key}
            value, text = ratio(by.get("OpenECS"), by.get("moto"))
            if text:
                print(f"  {phase.key:<6} {phase.title:<48} OpenECS/moto items/s: {text}")
                ratios[phase.key] = {"ratio": value and round(value, 2), "text": text}
        print()
        # moto's own failures are reported; only OpenECS's fail the run
        failed |= any(r.status == FAILED and r.server == "OpenECS" for r in results)
        runs.append(
            {"clients": clients, "phases": [r.as_json() for r in results], "ratios": ratios}
        )
    if args.json:
        figures = {
            "machine": info,
            "n": args.n,
            "database_url": bool(args.database_url),
            "runs": runs,
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the servers were stopped on the way out
        print("interrupted", file=sys.stderr)
        sys.exit(130)
