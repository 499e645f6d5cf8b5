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
state of the machine. In the same way a second OpenECS, kept at the smallest
size, answers as many describe-by-id and first-page calls in rounds that
alternate with the growing one's: the scaling targets compare the two side
by side, where sizes measured minutes apart would compare the machine's
drift as much as the fleet's growth (``--no-reference`` leaves it out). The
calls and their checks are fleet.py's (bench/clouds.py).
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
    # The reference fleet's medians (the smallest size), in rounds between this point's.
    reference: dict[str, float | None] | None = None

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
            if self.reference is not None:
                out["reference_median_ms"] = self.reference
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
    reference: Cloud | None = None,
) -> list[Point]:
    """Grow the fleet through ``sizes``, measuring at each; stop when the time ``budget`` is spent.

    ``reference``, a second server of the same kind, is grown to the smallest size first and
    answers the describe calls beside this one's at every size.
    """
    deadline = time.monotonic() + budget
    points: list[Point] = []
    rng = random.Random(7)
    samples = args.samples if isinstance(cloud, OpenEcs) else args.moto_samples
    for each in (cloud,) if reference is None else (cloud, reference):
        setup = run_stages(each, FLEET_PHASES[0].stages(each, max(sizes)), 1, 300)
        if setup.status != OK:
            return [Point(cloud.name, n, setup.status, f"setup: {setup.detail}") for n in sizes]
    if reference is not None:
        timed = grow(reference, sizes[0], args.grow_clients, deadline)
        if timed.status != OK:
            why = f"growing the reference to {sizes[0]}: {timed.detail}"
            return [Point(cloud.name, n, timed.status, why) for n in sizes]
        reference.settle_instances()
        ref_ids = reference.fleet.instances
        ref_makers: dict[str, Callable[[int], Step]] = {
            "describe_by_id": lambda i: reference.describe_one(rng.choice(ref_ids)),
            "first_page": lambda i: reference.first_page(),
        }
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
        if reference is not None:
            point.reference = {}
        for measure, make in makers.items():
            if measure == "modify" and bare_port is not None:
                req = RawClient.prepare(plain_get(bare_port))
                timed, hello = alternating(
                    [(cloud.server.port, make), (bare_port, lambda i, req=req: (req, hello_ok))],
                    samples,
                    args.rounds,
                )
                point.hello_ms = round(percentile_ms(hello.latencies_ns, 0.5), 3)
            elif reference is not None and measure in ref_makers:
                timed, ref = alternating(
                    [(cloud.server.port, make), (reference.server.port, ref_makers[measure])],
                    samples,
                    args.rounds,
                )
                assert point.reference is not None
                point.reference[measure] = (
                    round(percentile_ms(ref.latencies_ns, 0.5), 3) if ref.status == OK else None
                )
            else:
                timed = timed_calls(cloud, make, samples)
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


def hello_ok(status: int, body: bytes) -> bytes:
    if status != 200:
        raise WrongAnswer(f"hello-world: {status} {body[:200]!r}")
    return body


def alternating(
    servers: Sequence[tuple[int, Callable[[int], Step]]], samples: int, rounds: int
) -> list[Timed]:
    """``samples`` calls to each of ``servers`` (a port and the calls it gets), in ``rounds``
    batches that take turns (after one untimed batch each), so that all see the machine in
    the same state. A server's failure ends the rounds, with its status on its figures."""
    timed = [Timed() for _ in servers]
    for port, make in servers:
        warm = Timed()
        run_jobs(
            port,
            [steps([make(-1 - i)]) for i in range(max(1, samples // rounds))],
            1,
            time.monotonic() + 60,
            warm,
        )
        if warm.status != OK:
            timed[0].status, timed[0].detail = warm.status, warm.detail
            return timed
    done = 0
    for r in range(rounds):
        n = (samples - done) // (rounds - r)
        done += n
        for (port, make), into in zip(servers, timed, strict=True):
            jobs = [steps([make(done - n + i)]) for i in range(n)]
            run_jobs(port, jobs, 1, time.monotonic() + 600, into)
            if into.status != OK:
                break
        if any(t.status != OK for t in timed):
            break
    for t in timed:
        t.latencies_ns.sort()
    return timed


# -- report
def cell(value: float | None) -> str:
    return f"{value:>19.3f}" if value is not None else f"{'-':>19}"


REFERENCED = ("describe_by_id", "first_page")


def header() -> str:
    names = "".join(f"{LABELS[m] + ' ms':>19}" for m in MEASURES)
    refs = "".join(f"{'ref ' + LABELS[m] + ' ms':>23}" for m in REFERENCED)
    return (
        f"{'server':<8} {'N':>7}{names}{'hello-world ms':>19}{refs}"
        f" {'RSS MB':>8} {'grow s':>8}  status"
    )


def line(p: Point) -> str:
    if p.medians is None:
        return f"{p.server:<8} {p.n:>7}{'':>122} {'-':>8} {'-':>8}  {p.status}: {p.detail}"
    refs = p.reference or {}
    cells = "".join(cell(p.medians.get(m)) for m in MEASURES) + cell(p.hello_ms)
    cells += "".join(f"{cell(refs.get(m)):>23}" for m in REFERENCED)
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
    for m in REFERENCED:
        a, b = low.medians.get(m), high.medians.get(m)  # type: ignore[union-attr]
        beside = (high.reference or {}).get(m)
        if b and beside:
            verdict = "met" if b <= SCALE_TARGET * beside else "NOT met"
            out.append(
                f"{LABELS[m]} at {high.n} / at {low.n} measured beside it: {b / beside:.2f}x;"
                f" target <= {SCALE_TARGET:g}x: {verdict}"
                + (f" (against the {low.n} measured first: {b / a:.2f}x)" if a else "")
            )
        elif a and b:
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


def reference_url(database_url: str | None) -> str | None:
    """The reference server's store: SQLite beside the other, or a database of its own on
    the same PostgreSQL server (``<name>_reference``, created if missing)."""
    if database_url is None:
        return None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    name = f"{url.database}_reference"
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, checked (an error exits 2 with the usage, as argparse does)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        type=parse_clients,
        default=[1000, 10_000, 100_000],
        help="fleet sizes, ascending (default 1000,10000,100000)",
    )
    parser.add_argument("--samples", type=int, default=50, help="calls per measure (default 50)")
    parser.add_argument(
        "--moto-samples",
        type=int,
        default=None,
        help="calls per measure for moto (default --samples; its first page at 10 000"
        " takes about 12 s)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=30,
        help="batches the modify calls and the hello-world's (and the describe calls and the "
        "reference's) alternate in (default 30: the finer, the less the machine's drift between "
        "two batches weighs)",
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
    parser.add_argument(
        "--no-reference",
        dest="reference",
        action="store_false",
        help="measure no second OpenECS at the smallest size beside the growing one",
    )
    parser.add_argument("--only", choices=("openecs", "moto"), default=None)
    parser.add_argument("--plot", type=Path, default=None, help="draw latency against N here (PNG)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.moto_samples is None:
        args.moto_samples = args.samples
    # Only OpenECS's calls alternate with another server's (moto's are timed alone), so
    # --rounds is bounded by OpenECS's samples, not moto's.
    least = min(args.samples, args.moto_samples)
    if least < 1 or args.grow_clients < 1 or not 1 <= args.rounds <= args.samples:
        parser.error(
            "--samples, --moto-samples and --grow-clients must be at least 1,"
            " --rounds 1 to --samples"
        )
    if args.only != "openecs" and moto_version() is None:
        parser.error("moto is not installed: pip install -e '.[bench]', or run --only openecs")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = sorted(set(args.sizes))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    info = machine()
    print(
        f"python {info['python']}, {info['cpus']} CPUs ({info['cpu_model']}), moto {info['moto']}, "
        f"OpenECS store {'postgresql' if args.database_url else 'sqlite'}, sizes {sizes}, "
        f"median of {args.samples} calls each"
        + (f" ({args.moto_samples} for moto)" if args.moto_samples != args.samples else "")
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
            reference = None
            if args.reference and len(sizes) > 1:
                ref_dir = Path(
                    stack.enter_context(tempfile.TemporaryDirectory(prefix="openecs-probe-ref-"))
                )
                ref_server = openecs_server(ref_dir, reference_url(args.database_url)).start()
                stack.callback(ref_server.stop)
                reference = openecs_cloud(ref_server)
                reference.warm_up()
            points += probe(cloud, sizes, args, args.openecs_budget, bare.port, reference)
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
            "moto_samples": args.moto_samples,
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
