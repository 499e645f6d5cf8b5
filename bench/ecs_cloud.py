"""OpenECS's side of the fleet benchmarks: the Alibaba ECS and VPC actions, ACS3-signed.

OpenECS gets RPC calls as the Tea SDK sends them: POST /, the parameters in
the query, an ACS3-HMAC-SHA256 signature with a fresh nonce each (so a
request is never sent twice: a retry or a poll is signed afresh). Timed
transitions (a VPC's Pending second, an instance's boot) are stepped through
the engine clock's admin endpoint, then polled, untimed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from clouds import (
    PAGE,
    Cloud,
    Fleet,
    Job,
    NotImplementedAction,
    Step,
    WrongAnswer,
    poll,
    subnet_for,
)
from drivers import HOST, RawClient, Server, acs3_request

ECS_VERSION = "2014-05-26"
VPC_VERSION = "2016-04-28"
# How OpenECS shows a VPC's or vSwitch's status: action, id parameter, list wrapper.
_STATUS_READS = {
    "vpc": ("DescribeVpcs", "VpcId", "Vpcs", "Vpc"),
    "vsw": ("DescribeVSwitches", "VSwitchId", "VSwitches", "VSwitch"),
}


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
