"""moto's side of the fleet benchmarks: its own EC2 server and the EC2 Query actions.

moto gets EC2 Query calls (POST /, a form body) with a fixed SigV4-shaped
Authorization header, which is what routes a request to moto's EC2 backend:
moto verifies no signature. Its answers are XML, read with a few patterns.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from clouds import BATCH, PAGE, Cloud, Job, Step, WrongAnswer, subnet_for
from drivers import HOST, RawClient, Server, free_port

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
