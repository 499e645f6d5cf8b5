"""The fleet benchmark's calls inside the server process, without the network, phase by phase.

Drives ``AliyunFace.handle`` directly on a temporary embedded store (or
``--database-url``) with ACS3-signed requests, so a phase's cost can be read
without HTTP and profiled: ``--profile PHASE`` runs that phase under cProfile
and prints its top functions by cumulative time. What ``fleet.py`` measures
beyond these figures is the HTTP server, the event loop and the engine thread.

    python bench/inprocess_fleet.py [--n 1000] [--profile D] [--top 40]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson  # noqa: E402
from drivers import acs3_request  # noqa: E402

from openecs.config import Settings  # noqa: E402
from openecs.faces.aliyun.protocol import AliyunFace, WireRequest  # noqa: E402
from openecs.runtime import Runtime  # noqa: E402

REGION, ZONE = "cn-hangzhou", "cn-hangzhou-h"
IMAGE, TYPE = "aliyun_3_x64_20G_alibase_20240528.vhd", "ecs.g7.large"
VPC = "2016-04-28"


class Caller:
    """Signs and hands one RPC call to the face, as the wire would."""

    def __init__(self, rt: Runtime) -> None:
        self.face = AliyunFace(rt)
        self.ak, self.sk = rt.bootstrap.access_key_id, rt.bootstrap.access_key_secret

    def wire(self, action: str, params: dict[str, Any], version: str) -> WireRequest:
        query = [("RegionId", REGION), *((k, str(v)) for k, v in params.items())]
        _, path, headers, _ = acs3_request(self.ak, self.sk, 80, action, query, version)
        pairs = parse_qsl(path.split("?", 1)[1], keep_blank_values=True)
        return WireRequest("POST", "/", pairs, [], headers, b"")

    def call(self, action: str, version: str = "2014-05-26", **params: Any) -> dict[str, Any]:
        return self.send(self.wire(action, params, version))

    def send(self, wire: WireRequest) -> dict[str, Any]:
        status, body = self.face.handle(wire)
        if status != 200:
            raise SystemExit(f"{wire.headers['x-acs-action']}: {status} {body}")
        return body


def advance(rt: Runtime, seconds: float) -> None:
    """Step the engine clock and let the engine run what fell due."""
    rt.clock.advance(seconds)
    rt.worker.drain()


def phases(c: Caller, rt: Runtime, n: int) -> dict[str, Callable[[], int]]:
    """Each phase as a callable that returns how many items it handled."""
    state: dict[str, Any] = {"instances": [], "enis": []}

    def setup() -> int:
        state["vpc"] = c.call("CreateVpc", VPC, CidrBlock="10.0.0.0/8")["VpcId"]
        advance(rt, 2)
        state["vsw"] = c.call(
            "CreateVSwitch", VPC, VpcId=state["vpc"], ZoneId=ZONE, CidrBlock="10.0.0.0/16"
        )["VSwitchId"]
        advance(rt, 2)
        state["sg"] = c.call("CreateSecurityGroup", VpcId=state["vpc"])["SecurityGroupId"]
        return 3

    def templates() -> int:
        c.call("CreateLaunchTemplate", LaunchTemplateName="bench-t", ImageId=IMAGE, InstanceType=TYPE)
        for k in range(29):
            c.call(
                "CreateLaunchTemplateVersion",
                LaunchTemplateName="bench-t",
                ImageId=IMAGE,
                InstanceType=TYPE,
                VersionDescription=f"v{k}",
            )
        return 30

    def run() -> int:
        for _ in range(n // 100):
            body = c.call(
                "RunInstances",
                ImageId=IMAGE,
                InstanceType=TYPE,
                VSwitchId=state["vsw"],
                SecurityGroupId=state["sg"],
                Amount=100,
                InstanceName="bench",
            )
            state["instances"] += body["InstanceIdSets"]["InstanceIdSet"]
        return n

    def describe() -> int:
        seen = 0
        for page in range(1, n // 100 + 1):
            seen += len(c.call("DescribeInstances", PageSize=100, PageNumber=page)["Instances"]["Instance"])
        return seen

    def describe_one() -> int:
        for iid in state["instances"][:200]:
            c.call("DescribeInstances", InstanceIds=json.dumps([iid]))
        return 200

    def modify() -> int:
        for k, iid in enumerate(state["instances"]):
            c.call("ModifyInstanceAttribute", InstanceId=iid, InstanceName=f"b-{k}", Description="modified")
        return n

    def interfaces() -> int:
        for _ in range(n):
            body = c.call("CreateNetworkInterface", VSwitchId=state["vsw"], SecurityGroupId=state["sg"])
            state["enis"].append(body["NetworkInterfaceId"])
        return n

    def delete() -> int:
        ids = state["instances"]
        for k in range(0, len(ids), 100):
            params = {f"InstanceId.{j + 1}": iid for j, iid in enumerate(ids[k : k + 100])}
            c.call("DeleteInstances", Force="true", **params)
        for eni in state["enis"]:
            c.call("DeleteNetworkInterface", NetworkInterfaceId=eni)
        return len(ids) + len(state["enis"])

    def boot() -> int:
        advance(rt, 120)
        return 0

    return {
        "setup": setup,
        "A": templates,
        "B": run,
        "boot": boot,
        "C": describe,
        "C1": describe_one,
        "D": modify,
        "E": interfaces,
        "F": delete,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", action="append", default=[], help="phase to profile")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    settings = Settings(data_dir=Path(tempfile.mkdtemp()))
    if args.database_url:
        settings = Settings(data_dir=settings.data_dir, database_url=args.database_url)
    rt = Runtime(settings, start_engine=False)
    try:
        c = Caller(rt)
        for name, phase in phases(c, rt, args.n).items():
            prof = cProfile.Profile() if name in args.profile else None
            start = time.perf_counter()
            if prof:
                prof.enable()
            items = phase()
            if prof:
                prof.disable()
            took = time.perf_counter() - start
            rate = f"{items / took:9.1f} items/s" if items else ""
            print(f"{name:6} {took * 1000:9.1f} ms {rate}", flush=True)
            if prof:
                pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)
    finally:
        rt.close()
    return 0


if __name__ == "__main__":
    orjson  # noqa: B018  (the face's encoder; imported so a missing wheel fails early)
    sys.exit(main())
