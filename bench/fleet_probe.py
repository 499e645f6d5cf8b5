"""Scaling probe: what one call costs OpenECS and moto as the fleet grows to 100 000 instances.

For each N of ``--sizes`` (default 1000, 10000, 100000) the fleet grows to N
with RunInstances batches of 100 (untimed; the fleet then boots), and the
probe times, one call at a time on one keep-alive connection, the median
(and p90) of ``--samples`` calls each of: DescribeInstances of one instance
by id, the first page of 100 instances, and one ModifyInstanceAttribute on a
random instance; and reads the server's RSS. A bare ASGI hello-world
(bench/hello_asgi.py), running beside OpenECS, gets as many plain GETs at
each N, in rounds that alternate with the modify calls' (``--rounds``): the
baseline of the modify target, measured side by side with it, under the same
state of the machine. The calls and their checks are fleet.py's (bench/clouds.py).
OpenECS runs first, then moto, never both at once. moto gets
``--moto-budget`` seconds in all: a size it cannot reach in what is left is
skipped, with the sizes after it.

moto pages DescribeInstances by reservation: its first page (MaxResults=100)
is the first 100 RunInstances batches, up to 10 000 instances, where
OpenECS's (PageSize=100) is 100 instances. That is what a client of each gets.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from clouds import (
    BATCH,
    Cloud,
    Step,
    WrongAnswer,
    batches,
    steps,
)
from drivers import RawClient, bare_server, openecs_server, parse_clients, percentile_ms, plain_get
from ecs_cloud import OpenEcs
from fleet import (
    NOT_IMPLEMENTED,
    OK,
    SKIPPED,
    TIME_LIMIT,
    Timed,
    machine,
    openecs_cloud,
    run_jobs,
    run_stages,
)
from fleet import PHASES as FLEET_PHASES
from moto_cloud import Moto, moto_server, moto_version

MEASURES = ("describe_by_id", "first_page", "modify")
LABELS = {
    "describe_by_id": "describe by id",
    "first_page": "first page",
    "modify": "one modify",
}
SCALE_TARGET = 1.5  # at the largest N, within this factor of the same call at the smallest
MEMORY_TARGET_MB = 300.0
MODIFY_TARGET = 3.0  # one modify against one bare hello-world request


@dataclass
class Point:
    server: str
    n: int
    status: str = OK
    detail: str = ""
    grow_seconds: float = 0.0
    rss_mb: float = 0.0
    medians: dict[str, float | None] | None = None
    p90s: dict[str, float | None] | None = None
    hello_ms: float | None = None  # the hello-world's median, in rounds between the modifies'

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {"server": self.server, "n": self.n, "status": self.status}
        if self.detail:
            out["detail"] = self.detail
        if self.status == OK:
            out |= {
                "grow_seconds": round(self.grow_seconds, 1),
                "rss_mb": round(self.rss_mb, 1),
                "median_ms": self.medians,
                "p90_ms": self.p90s,
            }
            if self.hello_ms is not None:
                out["hello_world_median_ms"] = round(self.hello_ms, 3)
        return out


def timed_calls(cloud: Cloud, make: Callable[[int], Step], samples: int) -> Timed:
    """``samples`` calls, one after the other on one connection."""
    timed = Timed()
    jobs = [steps([make(i)]) for i in range(samples)]
    run_jobs(cloud.server.port, jobs, 1, time.monotonic() + 600, timed)
    timed.latencies_ns.sort()
    return timed


def grow(cloud: Cloud, to: int, clients: int, deadline: float) -> Timed:
    """RunInstances batches of 100 until the fleet holds ``to`` instances."""
    have = len(cloud.fleet.instances)
    sizes = batches(to - have)
    jobs = [steps([cloud.run_instances(have + i * BATCH, a)]) for i, a in enumerate(sizes)]
    timed = Timed()
    run_jobs(cloud.server.port, jobs, clients, deadline, timed)
    return timed


def probe(
    cloud: Cloud,
    sizes: Sequence[int],
    args: argparse.Namespace,
    budget: float,
    bare_port: int | None = None,
) -> list[Point]:
    """Grow the fleet through ``sizes``, measuring at each; stop when the time ``budget`` is spent."""
    deadline = time.monotonic() + budget
    points: list[Point] = []
    rng = random.Random(7)
    setup = run_stages(cloud, FLEET_PHASES[0].stages(cloud, max(sizes)), 1, 300)
    if setup.status != OK:
        return [Point(cloud.name, n, setup.status, f"setup: {setup.detail}") for n in sizes]
    for k, n in enumerate(sizes):
        t0 = time.monotonic()
        # One connection for moto: its server races on concurrent RunInstances in one subnet
        # (a shared address generator answers 500 "generator already executing").
        timed = grow(cloud, n, args.grow_clients if isinstance(cloud, OpenEcs) else 1, deadline)
        if timed.status == TIME_LIMIT:
            why = f"growing to {n}: the time budget ran out"
            points += [Point(cloud.name, m, SKIPPED, why) for m in sizes[k:]]
            break
        if timed.status != OK:
            points.append(Point(cloud.name, n, timed.status, f"growing to {n}: {timed.detail}"))
            points += [
                Point(cloud.name, m, SKIPPED, "an earlier size failed") for m in sizes[k + 1 :]
            ]
            break
        try:
            cloud.settle_instances()
        except (WrongAnswer, OSError) as exc:
            points += [Point(cloud.name, m, SKIPPED, str(exc)) for m in sizes[k:]]
            break
        point = Point(cloud.name, n, grow_seconds=time.monotonic() - t0, medians={}, p90s={})
        ids = cloud.fleet.instances
        makers: dict[str, Callable[[int], Step]] = {
            "describe_by_id": lambda i, ids=ids: cloud.describe_one(rng.choice(ids)),
            "first_page": lambda i: cloud.first_page(),
            "modify": lambda i, ids=ids: cloud.modify_instance(rng.choice(ids), i),
        }
        for measure, make in makers.items():
            if measure == "modify" and bare_port is not None:
                timed, hello = alternating(cloud, make, bare_port, args.samples, args.rounds)
                point.hello_ms = round(percentile_ms(hello.latencies_ns, 0.5), 3)
            else:
                timed = timed_calls(cloud, make, args.samples)
            assert point.medians is not None and point.p90s is not None
            if timed.status == OK:
                point.medians[measure] = round(percentile_ms(timed.latencies_ns, 0.5), 3)
                point.p90s[measure] = round(percentile_ms(timed.latencies_ns, 0.9), 3)
            else:
                point.medians[measure] = point.p90s[measure] = None
                if timed.status == NOT_IMPLEMENTED:
                    point.detail = f"{timed.detail} not implemented"
                else:
                    point.status, point.detail = timed.status, f"{measure}: {timed.detail}"
        point.rss_mb = cloud.server.rss_mb()
        points.append(point)
        print(line(point), flush=True)
        if point.status != OK:
            points += [
                Point(cloud.name, m, SKIPPED, "an earlier size failed") for m in sizes[k + 1 :]
            ]
            break
    return points


def alternating(
    cloud: Cloud, make: Callable[[int], Step], bare_port: int, samples: int, rounds: int
) -> tuple[Timed, Timed]:
    """``samples`` calls of ``make`` and as many hello-world GETs, in ``rounds`` alternating
    batches (after one untimed batch of GETs), so that both see the machine in the same state."""
    req = RawClient.prepare(plain_get(bare_port))

    def ok(status: int, body: bytes) -> bytes:
        if status != 200:
            raise WrongAnswer(f"hello-world: {status} {body[:200]!r}")
        return body

    def hellos(n: int, into: Timed) -> None:
        run_jobs(bare_port, [steps([(req, ok)]) for _ in range(n)], 1, time.monotonic() + 60, into)
        if into.status != OK:
            raise WrongAnswer(f"hello-world: {into.detail}")

    hellos(max(1, samples // rounds), Timed())
    calls, hello = Timed(), Timed()
    done = 0
    for r in range(rounds):
        n = (samples - done) // (rounds - r)
        done += n
        jobs = [steps([make(done - n + i)]) for i in range(n)]
        run_jobs(cloud.server.port, jobs, 1, time.monotonic() + 600, calls)
        if calls.status != OK:
            break
        hellos(n, hello)
    calls.latencies_ns.sort()
    hello.latencies_ns.sort()
    return calls, hello


# -- report
def cell(value: float | None) -> str:
    return f"{value:>19.3f}" if value is not None else f"{'-':>19}"


def header() -> str:
    names = "".join(f"{LABELS[m] + ' ms':>19}" for m in MEASURES)
    return (
        f"{'server':<8} {'N':>7}{names}{'hello-world ms':>19} {'RSS MB':>8} {'grow s':>8}  status"
    )


def line(p: Point) -> str:
    if p.medians is None:
        return f"{p.server:<8} {p.n:>7}{'':>76} {'-':>8} {'-':>8}  {p.status}: {p.detail}"
    cells = "".join(cell(p.medians.get(m)) for m in MEASURES) + cell(p.hello_ms)
    note = p.status + (f" ({p.detail})" if p.detail else "")
    return f"{p.server:<8} {p.n:>7}{cells} {p.rss_mb:>8.1f} {p.grow_seconds:>8.1f}  {note}"


def verdicts(points: list[Point]) -> list[str]:
    """The issue's scaling, modify and memory targets, for the OpenECS sizes measured."""
    mine = [p for p in points if p.server == "OpenECS" and p.status == OK and p.medians]
    if not mine:
        return []
    low, high = mine[0], mine[-1]
    out = []
    modify = high.medians.get("modify")  # type: ignore[union-attr]
    bare_ms = high.hello_ms
    if bare_ms and modify:
        verdict = "met" if modify <= MODIFY_TARGET * bare_ms else "NOT met"
        out.append(
            f"one modify at {high.n} / a bare ASGI hello-world ({bare_ms:.3f} ms):"
            f" {modify / bare_ms:.2f}x; target <= {MODIFY_TARGET:g}x: {verdict}"
        )
    if len(mine) < 2:
        return out
    for m in ("describe_by_id", "first_page"):
        a, b = low.medians.get(m), high.medians.get(m)  # type: ignore[union-attr]
        if a and b:
            verdict = "met" if b <= SCALE_TARGET * a else "NOT met"
            out.append(
                f"{LABELS[m]} at {high.n} / at {low.n}: {b / a:.2f}x;"
                f" target <= {SCALE_TARGET:g}x: {verdict}"
            )
    verdict = "met" if high.rss_mb < MEMORY_TARGET_MB else "NOT met"
    out.append(
        f"RSS at {high.n}: {high.rss_mb:.0f} MB; target < {MEMORY_TARGET_MB:g} MB: {verdict}"
    )
    return out


def plot(points: list[Point], out: Path) -> str:
    """Median latency against N, log-log, one line per server and call; or how to plot it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return (
            f"matplotlib is not installed, so {out} was not drawn: install it "
            "(pip install -e '.[bench]') and rerun with --plot, or plot median_ms against n "
            "from the --json figures"
        )
    fig, ax = plt.subplots(figsize=(7, 4.5))
    styles = {"OpenECS": "-", "moto": "--"}
    for server in ("OpenECS", "moto"):
        for m in MEASURES:
            xy = [
                (p.n, p.medians[m])
                for p in points
                if p.server == server and p.medians and p.medians.get(m) is not None
            ]
            if xy:
                ax.plot(
                    *zip(*xy, strict=True),
                    styles[server],
                    marker="o",
                    label=f"{server}: {LABELS[m]}",
                )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("instances in the fleet (N)")
    ax.set_ylabel("median latency (ms)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    return f"plot written to {out}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        type=parse_clients,
        default=[1000, 10_000, 100_000],
        help="fleet sizes, ascending (default 1000,10000,100000)",
    )
    parser.add_argument("--samples", type=int, default=50, help="calls per measure (default 50)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="batches the modify calls and the hello-world's alternate in (default 5)",
    )
    parser.add_argument(
        "--moto-budget",
        type=float,
        default=1800.0,
        help="seconds moto may take in all; larger sizes are skipped after (default 1800)",
    )
    parser.add_argument(
        "--openecs-budget",
        type=float,
        default=7200.0,
        help="seconds OpenECS may take in all (default 7200)",
    )
    parser.add_argument(
        "--grow-clients",
        type=int,
        default=2,
        help="connections that grow OpenECS's fleet (default 2; moto's grows on one)",
    )
    parser.add_argument("--database-url", default=None, help="run OpenECS on PostgreSQL")
    parser.add_argument("--only", choices=("openecs", "moto"), default=None)
    parser.add_argument("--plot", type=Path, default=None, help="draw latency against N here (PNG)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes))
    if args.samples < 1 or args.grow_clients < 1 or not 1 <= args.rounds <= args.samples:
        parser.error("--samples and --grow-clients must be at least 1, --rounds 1 to --samples")
    if args.only != "openecs" and moto_version() is None:
        parser.error("moto is not installed: pip install -e '.[bench]', or run --only openecs")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    info = machine()
    print(
        f"python {info['python']}, {info['cpus']} CPUs ({info['cpu_model']}), moto {info['moto']}, "
        f"OpenECS store {'postgresql' if args.database_url else 'sqlite'}, sizes {sizes}, "
        f"median of {args.samples} calls each"
    )
    print(header())
    points: list[Point] = []
    failed = False
    if args.only in (None, "openecs"):
        with ExitStack() as stack:
            data_dir = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="openecs-probe-"))
            )
            server = openecs_server(data_dir, args.database_url).start()
            stack.callback(server.stop)
            bare = bare_server().start()
            stack.callback(bare.stop)
            cloud: Cloud = openecs_cloud(server)
            cloud.warm_up()
            points += probe(cloud, sizes, args, args.openecs_budget, bare.port)
    if args.only in (None, "moto"):
        with ExitStack() as stack:
            server = moto_server().start()
            stack.callback(server.stop)
            cloud = Moto(server)
            cloud.warm_up()
            points += probe(cloud, sizes, args, args.moto_budget)
    for p in points:
        if p.medians is None:  # the measured ones were printed as they came
            print(line(p))
        failed |= p.status not in (OK, SKIPPED)
    print()
    for text in verdicts(points):
        print(text)
    if args.plot:
        print(plot(points, args.plot))
    if args.json:
        figures = {
            "machine": info,
            "sizes": sizes,
            "samples": args.samples,
            "rounds": args.rounds,
            "points": [p.as_json() for p in points],
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the servers were stopped on the way out
        print("interrupted", file=sys.stderr)
        sys.exit(130)
