"""A server killed with SIGKILL in the middle of a 50-instance batch loses nothing and doubles nothing.

Each test runs ``openecs serve`` as a child process on its own store (a
SQLite data directory, or a fresh PostgreSQL database), creates a batch of
50 instances through an official SDK, kills the process without warning
while the batch boots (or while the creating request is still in flight),
starts a new process on the same store and checks the promise of the durable
engine: every instance the client was told about reaches its end state, a
retry with the same client token answers the same ids, and no instance
exists twice. Engine time is stepped through the admin clock endpoint, so
nothing waits for a real boot.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_vpc20160428 import models as vm
from huaweicloudsdkecs.v2 import (
    CreateServersRequest,
    CreateServersRequestBody,
    PrePaidServer,
    PrePaidServerNic,
    PrePaidServerRootVolume,
    ShowJobRequest,
)
from huaweicloudsdkvpc.v2 import (
    CreateSubnetOption,
    CreateSubnetRequest,
    CreateSubnetRequestBody,
    CreateVpcOption,
    CreateVpcRequest,
    CreateVpcRequestBody,
    ShowSubnetRequest,
    ShowVpcRequest,
)

from openecs.core.accounts import Account
from tests import clients
from tests.servers import ChildServer, Tenant

BATCH = 50
BOOT = 30.0  # long enough (in engine seconds) that the kill lands while the batch boots
REGION = "cn-hangzhou"
ZONE = "cn-hangzhou-h"
IMAGE = "aliyun_3_x64_20G_alibase_20240528.vhd"
TYPE = "ecs.g7.large"
HW_IMAGE = "f4eaf719-7226-5c3a-abb5-b5e16ca86b3b"
HW_FLAVOR = "s6.small.1"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    """The keyword arguments of a :class:`ChildServer` on a store of this test's own."""
    if request.param == "postgres":
        return {"database_url": request.getfixturevalue("fresh_postgres_url")}
    return {"data_dir": tmp_path}


class Restartable:
    """One store, served by a child process that can be killed and started again."""

    def __init__(self, store: dict[str, object]) -> None:
        self.store = store
        self.child: ChildServer | None = None

    def start(self) -> ChildServer:
        self.child = ChildServer(**self.store, extra=["--boot-seconds", str(BOOT)]).start()
        return self.child

    def kill(self) -> None:
        assert self.child is not None
        self.child.kill()

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()

    def advance(self, seconds: float) -> None:
        """Step the serving process's engine clock (the step is stored with the store)."""
        assert self.child is not None
        httpx.post(f"{self.child.url}/_openecs/clock", json={"advance": seconds}).raise_for_status()

    def tenant(self, account: Account) -> Tenant:
        assert self.child is not None
        return Tenant(account, self.child.endpoint)


@pytest.fixture
def served(store: dict[str, object]) -> Iterator[Restartable]:
    server = Restartable(store)
    server.start()
    yield server
    server.stop()


def _account(store: dict[str, object]) -> Account:
    """A tenant of its own, created with ``openecs accounts create`` on the store."""
    args = (
        ["--database-url", str(store["database_url"])]
        if "database_url" in store
        else ["--data-dir", str(store["data_dir"])]
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "openecs",
            "accounts",
            "create",
            f"c-{uuid.uuid4().hex[:8]}",
            "--json",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    data = json.loads(out.stdout)
    return Account(
        0,
        data["name"],
        data["access_key_id"],
        data["access_key_secret"],
        data["huawei_project_ids"],
    )


def _eventually(check, timeout: float = 30.0):  # noqa: ANN001, ANN202
    """Poll ``check`` (real time: the child's worker runs on its own) until it answers truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


# -- Alibaba


def _aliyun_network(served: Restartable, tenant: Tenant) -> dict[str, str]:
    vpc = clients.tea_vpc(tenant)
    vpc_id = vpc.create_vpc(
        vm.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16")
    ).body.vpc_id
    served.advance(5)
    assert _eventually(
        lambda: (
            vpc.describe_vpc_attribute(
                vm.DescribeVpcAttributeRequest(region_id=REGION, vpc_id=vpc_id)
            ).body.status
            == "Available"
        )
    )
    vsw = vpc.create_vswitch(
        vm.CreateVSwitchRequest(
            region_id=REGION, vpc_id=vpc_id, zone_id=ZONE, cidr_block="10.0.1.0/24"
        )
    ).body.v_switch_id
    served.advance(5)
    assert _eventually(
        lambda: (
            vpc.describe_vswitch_attributes(
                vm.DescribeVSwitchAttributesRequest(region_id=REGION, v_switch_id=vsw)
            ).body.status
            == "Available"
        )
    )
    ecs = clients.tea_ecs(tenant)
    sg = ecs.create_security_group(m.CreateSecurityGroupRequest(region_id=REGION, vpc_id=vpc_id))
    return {"vsw": vsw, "sg": sg.body.security_group_id}


def _run_request(net: dict[str, str], token: str) -> m.RunInstancesRequest:
    return m.RunInstancesRequest(
        region_id=REGION,
        image_id=IMAGE,
        instance_type=TYPE,
        v_switch_id=net["vsw"],
        security_group_id=net["sg"],
        amount=BATCH,
        client_token=token,
    )


def _statuses(tenant: Tenant) -> dict[str, str]:
    """Every instance of the tenant in the region, by id (paging through all of them)."""
    ecs = clients.tea_ecs(tenant)
    out: dict[str, str] = {}
    page = 1
    while True:
        body = ecs.describe_instances(
            m.DescribeInstancesRequest(region_id=REGION, page_size=100, page_number=page)
        ).body
        for vm_ in body.instances.instance:
            assert vm_.instance_id not in out, "an instance is listed twice"
            out[vm_.instance_id] = vm_.status
        if len(out) >= body.total_count:
            return out
        page += 1


def test_a_batch_killed_while_booting_reaches_running_after_a_restart(served: Restartable) -> None:
    account = _account(served.store)
    tenant = served.tenant(account)
    net = _aliyun_network(served, tenant)
    token = uuid.uuid4().hex
    told = clients.tea_ecs(tenant).run_instances(_run_request(net, token)).body
    ids = told.instance_id_sets.instance_id_set
    assert len(ids) == BATCH
    served.advance(BOOT * 0.5)  # some steps of the batch may run, most are still due
    served.kill()

    served.start()
    tenant = served.tenant(account)
    retry = clients.tea_ecs(tenant).run_instances(_run_request(net, token)).body
    assert retry.instance_id_sets.instance_id_set == ids  # the same answer, nothing new
    served.advance(BOOT)
    statuses = _eventually(
        lambda: (s := _statuses(tenant)) and all(v == "Running" for v in s.values()) and s
    )
    assert sorted(statuses) == sorted(ids)
    assert set(statuses.values()) == {"Running"}


def test_a_batch_killed_while_it_is_being_created_exists_once_after_a_retry(
    served: Restartable,
) -> None:
    account = _account(served.store)
    tenant = served.tenant(account)
    net = _aliyun_network(served, tenant)
    token = uuid.uuid4().hex
    answer: dict[str, object] = {}

    def create() -> None:
        try:
            answer["ids"] = (
                clients.tea_ecs(tenant)
                .run_instances(_run_request(net, token))
                .body.instance_id_sets.instance_id_set
            )
        except Exception as exc:  # noqa: BLE001 - the connection dies with the server
            answer["error"] = exc

    caller = threading.Thread(target=create)
    caller.start()
    time.sleep(0.15)  # a batch of 50 takes about 0.3 s to write: the kill lands mid-request
    served.kill()
    caller.join(30)

    served.start()
    tenant = served.tenant(account)
    before = _statuses(tenant)
    assert len(before) in (0, BATCH), "a batch is created whole or not at all"
    ids = clients.tea_ecs(tenant).run_instances(_run_request(net, token)).body
    ids = ids.instance_id_sets.instance_id_set
    if "ids" in answer:
        assert ids == answer["ids"]  # the client was told these: the retry answers them again
    served.advance(BOOT + 1)
    statuses = _eventually(
        lambda: (s := _statuses(tenant)) and all(v == "Running" for v in s.values()) and s
    )
    assert sorted(statuses) == sorted(ids) and len(statuses) == BATCH


# -- Huawei


def _huawei_subnet(served: Restartable, tenant: Tenant) -> tuple[str, str]:
    vpc = clients.hw_vpc(tenant)
    vpc_id = vpc.create_vpc(
        CreateVpcRequest(body=CreateVpcRequestBody(vpc=CreateVpcOption(cidr="192.168.0.0/16")))
    ).vpc.id
    served.advance(5)
    assert _eventually(lambda: vpc.show_vpc(ShowVpcRequest(vpc_id=vpc_id)).vpc.status == "OK")
    subnet = vpc.create_subnet(
        CreateSubnetRequest(
            body=CreateSubnetRequestBody(
                subnet=CreateSubnetOption(
                    name="s", cidr="192.168.1.0/24", gateway_ip="192.168.1.1", vpc_id=vpc_id
                )
            )
        )
    ).subnet
    served.advance(5)
    assert _eventually(
        lambda: vpc.show_subnet(ShowSubnetRequest(subnet_id=subnet.id)).subnet.status == "ACTIVE"
    )
    return vpc_id, subnet.id


def test_a_huawei_job_killed_while_its_servers_boot_succeeds_after_a_restart(
    served: Restartable,
) -> None:
    account = _account(served.store)
    tenant = served.tenant(account)
    vpc_id, subnet_id = _huawei_subnet(served, tenant)
    server = PrePaidServer(
        image_ref=HW_IMAGE,
        flavor_ref=HW_FLAVOR,
        name="batch",
        vpcid=vpc_id,
        nics=[PrePaidServerNic(subnet_id=subnet_id)],
        root_volume=PrePaidServerRootVolume(volumetype="SSD"),
        count=BATCH,
    )
    token = str(uuid.uuid4())
    request = CreateServersRequest(
        body=CreateServersRequestBody(server=server), x_client_token=token
    )
    told = clients.hw_ecs(tenant).create_servers(request)
    assert len(told.server_ids) == BATCH
    served.advance(BOOT * 0.5)
    served.kill()

    served.start()
    ecs = clients.hw_ecs(served.tenant(account))
    again = ecs.create_servers(request)
    assert again.job_id == told.job_id and again.server_ids == told.server_ids
    served.advance(BOOT + 1)
    job = _eventually(
        lambda: (j := ecs.show_job(ShowJobRequest(job_id=told.job_id))).status == "SUCCESS" and j
    )
    assert job and job.status == "SUCCESS"
    assert sorted(s.entities.server_id for s in job.entities.sub_jobs) == sorted(told.server_ids)
    assert {s.status for s in job.entities.sub_jobs} == {"SUCCESS"}
