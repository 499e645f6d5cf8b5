"""The fleet benchmarks' equivalent calls: OpenECS's Alibaba actions and moto's EC2 actions.

Each cloud builds a phase's requests as ``Step``s: the serialized request
(signed, for OpenECS) and the check of its answer, which returns what later
steps need (an id, a page's instances) and raises ``WrongAnswer`` for any
other status or body, or ``NotImplementedAction`` when the server answers
that it does not know the action (Alibaba ``InvalidAction.NotFound``). The
requests are those a real client sends: OpenECS gets ACS3-HMAC-SHA256 RPC
calls as the Tea SDK sends them (POST /, parameters in the query, a fresh
nonce each); moto gets EC2 Query calls (POST /, a form body) with a fixed
SigV4-shaped Authorization header, which is what routes a request to moto's
EC2 backend: moto verifies no signature.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
from drivers import HOST, RawClient, Server, acs3_request, free_port

# A check turns an answer (status, body) into what the next steps need.
Check = Callable[[int, bytes], Any]
Step = tuple[bytes, Check]
# A job is a chain of steps on one connection: it yields a step, gets the check's result.
Job = Generator[Step, Any, None]

BATCH = 100  # instances per RunInstances and per DeleteInstances/TerminateInstances
PAGE = 100  # instances per DescribeInstances page
SUBNET_ADDRESSES = 60_000  # addresses used per /16 vSwitch or subnet (of 65 531)
ECS_VERSION = "2014-05-26"
# How OpenECS shows a VPC's or vSwitch's status: action, id parameter, list wrapper.
_STATUS_READS = {
    "vpc": ("DescribeVpcs", "VpcId", "Vpcs", "Vpc"),
    "vsw": ("DescribeVSwitches", "VSwitchId", "VSwitches", "VSwitch"),
}
VPC_VERSION = "2016-04-28"


class WrongAnswer(Exception):
    """The server answered something other than the expected status and body."""


class NotImplementedAction(Exception):
    """The server does not implement the action (its phase is reported, not measured)."""


def steps(items: Iterable[Step]) -> Job:
    """A job of prepared steps, run one after the other."""
    for step in items:  # noqa: UP028 (yield from would pass send() on to a list's iterator)
        yield step


def batches(n: int, size: int = BATCH) -> list[int]:
    """``n`` split into runs of ``size`` and a remainder."""
    return [size] * (n // size) + ([n % size] if n % size else [])


def chunks(items: Sequence[str], size: int = BATCH) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def subnet_for(address: int) -> int:
    """Which of the fleet's subnets the ``address``-th consumer of an address draws from."""
    return address // SUBNET_ADDRESSES


def subnets_for(n: int) -> int:
    """Subnets a fleet of ``n`` instances and ``n`` network interfaces needs."""
    return subnet_for(2 * n - 1) + 1


def poll(what: str, done: Callable[[], bool], timeout: float) -> None:
    """Wait (untimed) until ``done()``; a bounded wait, never forever."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise WrongAnswer(f"{what}: not done after {timeout:.0f} s")
        time.sleep(0.2)


@dataclass
class Fleet:
    """What a run has created on one server so far."""

    subnets: list[str]
    groups: list[str]  # one per subnet (moto: one VPC each) or a single one (OpenECS)
    vpcs: list[str]
    instances: list[str]
    interfaces: list[str]

    def group(self, subnet: int) -> str:
        return self.groups[min(subnet, len(self.groups) - 1)]


class Cloud:
    """What both clouds offer the phases; each subclass speaks its vendor's wire."""

    name = ""
    server: Server

    def __init__(self) -> None:
        self.fleet = Fleet([], [], [], [], [])

    def control(self, step: Step) -> Any:
        """One untimed call (settling, warming up) on a new connection: a kept one may time out."""
        client = RawClient(self.server.port)
        try:
            return step[1](*client.call(step[0]))
        finally:
            client.close()

    def made(self, ids: list[str], amount: int) -> list[str]:
        """A RunInstances batch's ids, all ``amount`` of them, kept in the fleet."""
        assert len(ids) == amount, f"{len(ids)} instances, not {amount}"
        self.fleet.instances.extend(ids)
        return ids

    def warm_up(self) -> None:
        """One untimed read first, so that no phase pays for loading code on the first call."""
        raise NotImplementedError


# -- OpenECS, through its Alibaba face
class OpenEcs(Cloud):
    name = "OpenECS"
    region = "cn-hangzhou"
    zone = "cn-hangzhou-h"
    image = "aliyun_3_x64_20G_alibase_20240528.vhd"
    instance_type = "ecs.g7.large"

    def __init__(
        self, server: Server, ak: str, sk: str, boot_seconds: float, stop_seconds: float
    ) -> None:
        super().__init__()
        self.server, self.ak, self.sk = server, ak, sk
        self.boot_seconds, self.stop_seconds = boot_seconds, stop_seconds

    def rpc(
        self,
        action: str,
        params: dict[str, Any],
        expect: Callable[[dict[str, Any]], Any] = lambda body: body,
        version: str = ECS_VERSION,
    ) -> Step:
        query = [("RegionId", self.region), *((k, str(v)) for k, v in params.items())]
        req = RawClient.prepare(
            acs3_request(self.ak, self.sk, self.server.port, action, query, version)
        )

        def check(status: int, body: bytes) -> Any:
            try:
                answer = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise WrongAnswer(f"{action}: {status} {body[:300]!r}") from None
            if status == 404 and answer.get("Code") == "InvalidAction.NotFound":
                raise NotImplementedAction(action)
            if status != 200 or "RequestId" not in answer:
                raise WrongAnswer(f"{action}: {status} {body[:300]!r}")
            try:
                return expect(answer)
            except (KeyError, TypeError, AssertionError) as exc:
                raise WrongAnswer(f"{action}: unexpected body ({exc!r}): {body[:300]!r}") from exc

        return req, check

    def warm_up(self) -> None:
        self.control(self.rpc("DescribeInstances", {"PageSize": 1}))

    def advance(self, seconds: float) -> None:
        """Step the engine clock (the admin endpoint), so nothing waits for a timed transition."""
        body = json.dumps({"advance": seconds}).encode()
        headers = {"host": f"{HOST}:{self.server.port}", "content-type": "application/json"}
        req = RawClient.prepare(("POST", "/_openecs/clock", headers, body))

        def ok(status: int, answer: bytes) -> None:
            if status != 200:
                raise WrongAnswer(f"clock advance: {status} {answer[:200]!r}")

        self.control((req, ok))

    def _available(self, kind: str, rid: str) -> bool:
        action, key, outer, inner = _STATUS_READS[kind]
        status = self.rpc(action, {key: rid}, lambda b: b[outer][inner][0]["Status"], VPC_VERSION)
        return self.control(status) == "Available"

    def _settle(self, kind: str, ids: Sequence[str]) -> None:
        """Step the clock past the Pending second, then see each one Available."""
        self.advance(1.5)
        for rid in ids:
            poll(rid, lambda r=rid: self._available(kind, r), 30)

    # setup
    def create_vpcs(self, subnets: int) -> list[Step]:
        def keep(body: dict[str, Any]) -> str:
            self.fleet.vpcs.append(body["VpcId"])
            return body["VpcId"]

        params = {"CidrBlock": "10.0.0.0/8", "VpcName": "bench-fleet"}
        return [self.rpc("CreateVpc", params, keep, VPC_VERSION)]

    def settle_vpcs(self) -> None:
        self._settle("vpc", self.fleet.vpcs)

    def create_subnets(self, subnets: int) -> list[Step]:
        def keep(body: dict[str, Any]) -> str:
            self.fleet.subnets.append(body["VSwitchId"])
            return body["VSwitchId"]

        return [
            self.rpc(
                "CreateVSwitch",
                {
                    "VpcId": self.fleet.vpcs[0],
                    "ZoneId": self.zone,
                    "CidrBlock": f"10.{k}.0.0/16",
                    "VSwitchName": f"bench-{k}",
                },
                keep,
                VPC_VERSION,
            )
            for k in range(subnets)
        ]

    def settle_subnets(self) -> None:
        self._settle("vsw", self.fleet.subnets)

    def create_groups(self) -> list[Step]:
        def keep(body: dict[str, Any]) -> str:
            self.fleet.groups.append(body["SecurityGroupId"])
            return body["SecurityGroupId"]

        params = {"VpcId": self.fleet.vpcs[0], "SecurityGroupName": "bench-fleet"}
        return [self.rpc("CreateSecurityGroup", params, keep)]

    # A: launch templates
    def create_template(self, name: str) -> Step:
        params = {
            "LaunchTemplateName": name,
            "ImageId": self.image,
            "InstanceType": self.instance_type,
        }
        return self.rpc("CreateLaunchTemplate", params, lambda b: b["LaunchTemplateId"])

    def create_template_version(self, name: str, n: int) -> Step:
        params = {
            "LaunchTemplateName": name,
            "ImageId": self.image,
            "InstanceType": self.instance_type,
            "VersionDescription": f"version-{n}",
        }
        return self.rpc(
            "CreateLaunchTemplateVersion", params, lambda b: int(b["LaunchTemplateVersionNumber"])
        )

    # B: instances
    def run_instances(self, first: int, amount: int) -> Step:
        subnet = subnet_for(first)

        def keep(body: dict[str, Any]) -> list[str]:
            return self.made(body["InstanceIdSets"]["InstanceIdSet"], amount)

        params = {
            "ImageId": self.image,
            "InstanceType": self.instance_type,
            "VSwitchId": self.fleet.subnets[subnet],
            "SecurityGroupId": self.fleet.group(subnet),
            "Amount": amount,
            "InstanceName": "bench",
        }
        return self.rpc("RunInstances", params, keep)

    def total(self, **filters: str) -> int:
        """How many instances DescribeInstances counts (one untimed call, signed afresh)."""
        params = {**filters, "PageSize": 1}
        return self.control(self.rpc("DescribeInstances", params, lambda b: int(b["TotalCount"])))

    def settle_instances(self) -> None:
        """Let the fleet boot: step the clock past boot_seconds, wait for every one Running."""
        self.advance(self.boot_seconds + 1)
        n = len(self.fleet.instances)
        poll("the fleet booting", lambda: self.total(Status="Running") >= n, 120 + n / 100)

    def settle_deleted(self) -> None:
        """Step the clock past stop_seconds and see the fleet gone (the next run may share a store)."""
        self.advance(self.stop_seconds + 1)
        poll("the fleet being released", lambda: self.total() == 0, 120)

    # C: describe
    def describe_page(self, number: int, size: int = PAGE) -> Step:
        def page(body: dict[str, Any]) -> list[str]:
            ids = [vm["InstanceId"] for vm in body["Instances"]["Instance"]]
            total = len(self.fleet.instances)
            assert int(body["TotalCount"]) == total, f"TotalCount {body['TotalCount']}"
            assert len(ids) == min(size, max(0, total - (number - 1) * size)), f"{len(ids)} shown"
            return ids

        return self.rpc("DescribeInstances", {"PageSize": size, "PageNumber": number}, page)

    def sweep(self) -> Job:
        """Every page of the fleet in order; the pages together are the whole fleet."""
        pages = [self.describe_page(k + 1) for k in range(-(-len(self.fleet.instances) // PAGE))]
        return _sweep(pages, self.fleet)

    def first_page(self) -> Step:
        return self.describe_page(1)

    def describe_one(self, iid: str) -> Step:
        def one(body: dict[str, Any]) -> str:
            found = body["Instances"]["Instance"]
            assert [vm["InstanceId"] for vm in found] == [iid], "not the one instance"
            return iid

        return self.rpc("DescribeInstances", {"InstanceIds": json.dumps([iid])}, one)

    # D: modify
    def modify_instance(self, iid: str, n: int) -> Step:
        params = {"InstanceId": iid, "InstanceName": f"bench-{n}", "Description": f"modified {n}"}
        return self.rpc("ModifyInstanceAttribute", params)

    # E: network interfaces
    def create_interface(self, address: int) -> Step:
        subnet = subnet_for(address)

        def keep(body: dict[str, Any]) -> str:
            self.fleet.interfaces.append(body["NetworkInterfaceId"])
            return body["NetworkInterfaceId"]

        params = {
            "VSwitchId": self.fleet.subnets[subnet],
            "SecurityGroupId": self.fleet.group(subnet),
        }
        return self.rpc("CreateNetworkInterface", params, keep)

    # F: deletes
    def delete_instances(self, ids: Sequence[str]) -> Step:
        params = {f"InstanceId.{k + 1}": iid for k, iid in enumerate(ids)}
        return self.rpc("DeleteInstances", {**params, "Force": "true"})

    def delete_interface(self, eni: str) -> Step:
        return self.rpc("DeleteNetworkInterface", {"NetworkInterfaceId": eni})


def _sweep(pages: list[Step], fleet: Fleet) -> Job:
    seen: set[str] = set()
    for page in pages:
        seen.update((yield page))
    if seen != set(fleet.instances):
        raise WrongAnswer(f"a sweep showed {len(seen)} instances of {len(fleet.instances)}")


# -- moto's EC2 server
MOTO_AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/ec2/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date, Signature=" + "0" * 64
)
_INSTANCE_ID = re.compile(rb"<instanceId>(i-[0-9a-f]+)</instanceId>")


# moto_server, with werkzeug's access log off (as OpenECS's is): a line per call costs time.
MOTO_MAIN = (
    "import logging, sys; from moto.server import main; "
    "logging.getLogger('werkzeug').setLevel(logging.WARNING); sys.argv[0] = 'moto_server'; main()"
)


def moto_server() -> Server:
    """moto's own server (werkzeug, threaded), as ``moto_server -p PORT`` starts it."""
    port = free_port()
    args = [sys.executable, "-c", MOTO_MAIN, "-p", str(port)]
    return Server("moto", args, port, health="/moto-api/")


def moto_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("moto")
    except Exception:
        return None


class Moto(Cloud):
    name = "moto"
    zone = "us-east-1a"
    image = "ami-12c6146b"  # one of moto's bundled AMIs
    instance_type = "t3.large"

    def __init__(self, server: Server) -> None:
        super().__init__()
        self.server = server

    def query(self, action: str, params: dict[str, Any], expect: Callable[[bytes], Any]) -> Step:
        body = urlencode({"Action": action, "Version": "2016-11-15", **params}).encode()
        headers = {
            "host": f"{HOST}:{self.server.port}",
            "content-type": "application/x-www-form-urlencoded; charset=utf-8",
            "x-amz-date": "20260101T000000Z",
            "authorization": MOTO_AUTH,
        }
        req = RawClient.prepare(("POST", "/", headers, body))

        def check(status: int, answer: bytes) -> Any:
            if status != 200 or f"<{action}Response".encode() not in answer[:200]:
                raise WrongAnswer(f"{action}: {status} {answer[:300]!r}")
            try:
                return expect(answer)
            except (AttributeError, AssertionError) as exc:
                raise WrongAnswer(f"{action}: unexpected body ({exc!r}): {answer[:300]!r}") from exc

        return req, check

    @staticmethod
    def field(name: str) -> Callable[[bytes], str]:
        pattern = re.compile(f"<{name}>([^<]+)</{name}>".encode())
        return lambda body: pattern.search(body).group(1).decode()  # type: ignore[union-attr]

    @staticmethod
    def answered(body: bytes) -> bool:
        """An empty answer: the action's response element (checked for every action) and no more."""
        return True

    def warm_up(self) -> None:
        self.control(self.query("DescribeInstances", {}, self.answered))

    def _keep(self, into: list[str], name: str) -> Callable[[bytes], str]:
        read = self.field(name)

        def keep(body: bytes) -> str:
            into.append(read(body))
            return into[-1]

        return keep

    # setup: one VPC per /16 subnet (an EC2 VPC is at most a /16), a security group in each
    def create_vpcs(self, subnets: int) -> list[Step]:
        keep = self._keep(self.fleet.vpcs, "vpcId")
        return [
            self.query("CreateVpc", {"CidrBlock": f"10.{k}.0.0/16"}, keep) for k in range(subnets)
        ]

    def settle_vpcs(self) -> None:
        """moto's VPCs are available at once."""

    def create_subnets(self, subnets: int) -> list[Step]:
        keep = self._keep(self.fleet.subnets, "subnetId")
        return [
            self.query(
                "CreateSubnet",
                {
                    "VpcId": self.fleet.vpcs[k],
                    "CidrBlock": f"10.{k}.0.0/16",
                    "AvailabilityZone": self.zone,
                },
                keep,
            )
            for k in range(subnets)
        ]

    def settle_subnets(self) -> None:
        """moto's subnets are available at once."""

    def create_groups(self) -> list[Step]:
        keep = self._keep(self.fleet.groups, "groupId")
        return [
            self.query(
                "CreateSecurityGroup",
                {"GroupName": f"bench-{k}", "GroupDescription": "bench fleet", "VpcId": vpc},
                keep,
            )
            for k, vpc in enumerate(self.fleet.vpcs)
        ]

    # A
    def create_template(self, name: str) -> Step:
        params = {
            "LaunchTemplateName": name,
            "LaunchTemplateData.ImageId": self.image,
            "LaunchTemplateData.InstanceType": self.instance_type,
        }
        return self.query("CreateLaunchTemplate", params, self.field("launchTemplateId"))

    def create_template_version(self, name: str, n: int) -> Step:
        params = {
            "LaunchTemplateName": name,
            "LaunchTemplateData.ImageId": self.image,
            "LaunchTemplateData.InstanceType": self.instance_type,
            "VersionDescription": f"version-{n}",
        }
        return self.query("CreateLaunchTemplateVersion", params, self.field("versionNumber"))

    # B
    def run_instances(self, first: int, amount: int) -> Step:
        subnet = subnet_for(first)

        def keep(body: bytes) -> list[str]:
            return self.made([m.decode() for m in _INSTANCE_ID.findall(body)], amount)

        params = {
            "ImageId": self.image,
            "InstanceType": self.instance_type,
            "MinCount": amount,
            "MaxCount": amount,
            "SubnetId": self.fleet.subnets[subnet],
            "SecurityGroupId.1": self.fleet.group(subnet),
        }
        return self.query("RunInstances", params, keep)

    def settle_instances(self) -> None:
        """moto's instances answer as running at once."""

    def settle_deleted(self) -> None:
        """moto's terminated instances stay listed as terminated; nothing to wait for."""

    # C: moto pages by reservation (MaxResults counts reservations, NextToken is one)
    def describe_page(self, token: str | None) -> Step:
        next_token = self.field("nextToken")

        def page(body: bytes) -> tuple[list[str], str | None]:
            ids = [m.decode() for m in _INSTANCE_ID.findall(body)]
            return ids, (next_token(body) if b"<nextToken>" in body else None)

        params: dict[str, Any] = {"MaxResults": PAGE}
        if token:
            params["NextToken"] = token
        return self.query("DescribeInstances", params, page)

    def first_page(self) -> Step:
        """MaxResults=100 without a NextToken: the first 100 reservations."""
        req, check = self.describe_page(None)
        want = min(len(self.fleet.instances), PAGE * BATCH)

        def first(status: int, body: bytes) -> Any:
            ids, token = check(status, body)
            if len(set(ids)) != want:
                raise WrongAnswer(f"a first page of {len(set(ids))} instances, not {want}")
            return ids, token

        return req, first

    def sweep(self) -> Job:
        return self._sweep()

    def _sweep(self) -> Job:
        seen: set[str] = set()
        token: str | None = None
        for _ in range(len(self.fleet.instances) + 1):  # bounded: at least one instance a page
            ids, token = yield self.describe_page(token)
            seen.update(ids)
            if not token:
                break
        if seen != set(self.fleet.instances):
            raise WrongAnswer(
                f"a sweep showed {len(seen)} instances of {len(self.fleet.instances)}"
            )

    def describe_one(self, iid: str) -> Step:
        def one(body: bytes) -> str:
            assert [m.decode() for m in _INSTANCE_ID.findall(body)] == [iid], "not the one instance"
            return iid

        return self.query("DescribeInstances", {"InstanceId.1": iid}, one)

    # D: EC2 names an instance by a tag; ModifyInstanceAttribute changes one attribute
    def modify_instance(self, iid: str, n: int) -> Step:
        params = {"InstanceId": iid, "DisableApiTermination.Value": "false"}
        return self.query("ModifyInstanceAttribute", params, self.answered)

    # E
    def create_interface(self, address: int) -> Step:
        subnet = subnet_for(address)
        params = {
            "SubnetId": self.fleet.subnets[subnet],
            "SecurityGroupId.1": self.fleet.group(subnet),
        }
        return self.query(
            "CreateNetworkInterface",
            params,
            self._keep(self.fleet.interfaces, "networkInterfaceId"),
        )

    # F
    def delete_instances(self, ids: Sequence[str]) -> Step:
        def terminated(body: bytes) -> int:
            assert len(_INSTANCE_ID.findall(body)) == len(ids), "not every instance terminated"
            return len(ids)

        params = {f"InstanceId.{k + 1}": iid for k, iid in enumerate(ids)}
        return self.query("TerminateInstances", params, terminated)

    def delete_interface(self, eni: str) -> Step:
        return self.query("DeleteNetworkInterface", {"NetworkInterfaceId": eni}, self.answered)
