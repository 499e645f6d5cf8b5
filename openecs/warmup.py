"""The warm-up rehearsal: a server's first calls answered as fast as its later ones.

SQLAlchemy compiles each statement the first time it runs and caches the
result for the engine; the compilation costs more than the statement (about
1 ms against tens of microseconds), so a fresh server's first CreateVpc took
5 ms where later ones take 1. A test suite that starts a server and makes
each kind of call a few times pays that on every call it makes.

At start-up the server rehearses the common Alibaba calls, from CreateVpc to
DeleteInstances, for a throwaway account inside one transaction that is then
rolled back (``Database.rehearsal``): the store ends as it was, the engine's
statement cache and the prepared statements stay compiled. Nothing is signed
or sent over the wire; each call runs through its operation's parameter
checks and handler, as a request would after authentication. Then the
thread's reader connection is opened, and an account looked up through it as
a request's signature check does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from openecs.core import accounts, network
from openecs.faces.aliyun.protocol import AliyunFace, WireRequest
from openecs.runtime import Runtime

log = logging.getLogger(__name__)

ECS, VPC = "2014-05-26", "2016-04-28"
REGION, ZONE = "cn-hangzhou", "cn-hangzhou-h"
IMAGE, TYPE = "aliyun_3_x64_20G_alibase_20240528.vhd", "ecs.g7.large"


def rehearse(runtime: Runtime, face: AliyunFace) -> list[str]:
    """Run the rehearsal; the actions it answered. A failure is logged, never raised:
    the rehearsal is an optimisation, and its transaction is rolled back either way."""
    done: list[str] = []
    started = time.perf_counter()
    try:
        with runtime.db.rehearsal() as conn:
            account = accounts.create_account(conn, "openecs-warm-up")

            def call(action: str, version: str = ECS, **params: Any) -> dict[str, Any]:
                op = face.operations[(version, action)]
                wire = WireRequest("POST", "/", [], [], {}, b"")
                flat = {"RegionId": REGION, **{k: str(v) for k, v in params.items()}}
                body = face.run(op, account, flat, wire, "warm-up")
                done.append(action)
                return body

            _script(call, lambda kind, rid: network.finish_creating(conn, kind, rid))
        # Outside the rehearsal, the reader this thread (the event loop's: on SQLite requests
        # are answered there) will hold, and each request's first read through it: opening
        # the connection costs more than a call's statements.
        with runtime.db.read() as conn:
            accounts.find_by_access_key(conn, runtime.bootstrap.access_key_id)
    except Exception:  # noqa: BLE001 - see the docstring
        log.warning("the warm-up rehearsal stopped after %s", done, exc_info=True)
    log.debug("warm-up: %d calls in %.1f ms", len(done), (time.perf_counter() - started) * 1e3)
    return done


def _script(call: Callable[..., dict[str, Any]], ready: Callable[[str, str], None]) -> None:
    """The calls, in the order a client makes them."""
    vpc = call("CreateVpc", VPC, CidrBlock="10.0.0.0/8")["VpcId"]
    ready("vpc", vpc)
    call("DescribeVpcs", VPC, VpcId=vpc)
    vsw = call("CreateVSwitch", VPC, VpcId=vpc, ZoneId=ZONE, CidrBlock="10.0.0.0/16")["VSwitchId"]
    ready("subnet", vsw)
    call("DescribeVSwitches", VPC, VSwitchId=vsw)
    group = call("CreateSecurityGroup", VpcId=vpc)["SecurityGroupId"]
    call("CreateLaunchTemplate", LaunchTemplateName="warm-up", ImageId=IMAGE, InstanceType=TYPE)
    call("CreateLaunchTemplateVersion", LaunchTemplateName="warm-up", ImageId=IMAGE,
         InstanceType=TYPE, VersionDescription="warm-up")  # fmt: skip
    run = call("RunInstances", ImageId=IMAGE, InstanceType=TYPE, VSwitchId=vsw,
               SecurityGroupId=group, Amount=2, InstanceName="warm-up")  # fmt: skip
    ids = run["InstanceIdSets"]["InstanceIdSet"]
    call("DescribeInstances", PageSize=100, PageNumber=1)
    call("DescribeInstances", InstanceIds=f'["{ids[0]}"]')
    call("DescribeInstanceStatus", PageSize=50)
    call("ModifyInstanceAttribute", InstanceId=ids[0], InstanceName="warm-up-1",
         Description="warm-up")  # fmt: skip
    eni = call("CreateNetworkInterface", VSwitchId=vsw, SecurityGroupId=group)
    call("DescribeNetworkInterfaces", PageSize=10)
    call("DeleteNetworkInterface", NetworkInterfaceId=eni["NetworkInterfaceId"])
    call("DeleteInstances", Force="true", **{f"InstanceId.{k + 1}": i for k, i in enumerate(ids)})
