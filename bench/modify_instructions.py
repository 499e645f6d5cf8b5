"""How many CPU instructions one ModifyInstanceAttribute costs in-process: a figure the noise of a
shared machine does not move.

Times on a shared VM drift by half between runs, so small changes to the
request path cannot be judged by them. This script counts instead: it runs
itself twice under callgrind (``valgrind --tool=callgrind``), once setting up
a store of 100 instances and stopping there, once doing the same and then
``--calls`` ModifyInstanceAttribute requests (a rename, as fleet.py's phase D
sends) through the server's whole ASGI callable, ACS3-signed (both runs sign
them beforehand); the difference
divided by the calls is what one costs: signature check, parameter checks,
the write and the rendering, without the HTTP server. Both runs first make
the same 50 calls, so that what the first calls alone cost (imports, compiled
statements, caches filled) is in both and cancels out.

    python bench/modify_instructions.py [--calls 600]

Needs valgrind (Debian: ``apt install valgrind``); takes about three minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from drivers import acs3_request  # noqa: E402
from inprocess_fleet import Caller, phases  # noqa: E402

from openecs.app import build_app  # noqa: E402
from openecs.config import Settings  # noqa: E402
from openecs.runtime import Runtime  # noqa: E402

FLEET = 100
WARM = 50  # calls both runs make before the counted ones: first-call costs cancel out


def _scope(req: tuple[str, str, dict[str, str], bytes]) -> dict[str, Any]:
    method, path, headers, _ = req
    url = urlsplit(path)
    return {
        "type": "http",
        "method": method,
        "path": url.path,
        "query_string": url.query.encode(),
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }


def run(signed: int, calls: int) -> None:
    """Set up the store and sign ``signed`` requests (both runs sign as many, so that the
    difference holds no signing), then make the first ``calls`` through the ASGI callable."""
    rt = Runtime(Settings(data_dir=Path(tempfile.mkdtemp())), start_engine=False)
    app = build_app(rt.settings, rt)
    caller = Caller(rt)
    steps = phases(caller, rt, FLEET)
    for name in ("setup", "B", "boot"):
        steps[name]()
    page = caller.call("DescribeInstances", PageSize=FLEET)["Instances"]["Instance"]
    ids = [vm["InstanceId"] for vm in page]
    requests = [
        _scope(
            acs3_request(
                caller.ak,
                caller.sk,
                80,
                "ModifyInstanceAttribute",
                [
                    ("RegionId", "cn-hangzhou"),
                    ("InstanceId", ids[i % len(ids)]),
                    ("InstanceName", f"bench-{i}"),
                    ("Description", f"modified {i}"),
                ],
            )
        )
        for i in range(signed)
    ]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def all_calls() -> None:
        for scope in requests[:calls]:
            await app(scope, receive, send)

    asyncio.run(all_calls())
    rt.close()
    if statuses != [200] * calls:
        raise SystemExit(f"a modify was refused: {sorted(set(statuses))}")


def instructions(signed: int, calls: int) -> int:
    """Instructions callgrind counts for a run of this script with ``calls`` of ``signed``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={tmp}/callgrind.out",
                sys.executable,
                __file__,
                "--run",
                str(signed),
                str(calls),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=600)
    parser.add_argument("--run", type=int, nargs=2, help=argparse.SUPPRESS)  # under callgrind
    args = parser.parse_args()
    if args.run is not None:
        run(*args.run)
        return 0
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    signed = WARM + args.calls
    base, loaded = instructions(signed, WARM), instructions(signed, signed)
    print(f"{(loaded - base) / args.calls:,.0f} instructions a ModifyInstanceAttribute")
    return 0


if __name__ == "__main__":
    sys.exit(main())
