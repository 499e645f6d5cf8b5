"""The address allocator under contention, end to end through the official Huawei SDK.

Sixteen clients (threads, each with its own huaweicloudsdkvpc client) create
ports in one /28 subnet until it is full. Whatever the interleaving: no
address is handed out twice, every address the subnet can give is handed out,
every refusal is the vendor's subnet-full error, and the subnet reports no
address left. Run against one server on each store, and against two server
processes sharing one PostgreSQL database, half the clients on each.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkvpc.v2 import (
    CreatePortOption,
    CreatePortRequest,
    CreatePortRequestBody,
    CreateSubnetOption,
    CreateSubnetRequest,
    CreateSubnetRequestBody,
    CreateVpcOption,
    CreateVpcRequest,
    CreateVpcRequestBody,
    ShowSubnetRequest,
)

from openecs.core.accounts import create_account
from openecs.store.db import Database
from tests import clients
from tests.servers import ChildServer, Tenant

CLIENTS = 16
USABLE = 11  # a /28 less the network, gateway, two system and broadcast addresses
EXHAUSTED = (409, "VPC.2511")


def make_subnet(vpc) -> str:  # noqa: ANN001
    vpc_id = vpc.create_vpc(
        CreateVpcRequest(body=CreateVpcRequestBody(vpc=CreateVpcOption(cidr="10.0.0.0/16")))
    ).vpc.id
    option = CreateSubnetOption(
        name="full", cidr="10.0.0.0/28", gateway_ip="10.0.0.1", vpc_id=vpc_id
    )
    return vpc.create_subnet(
        CreateSubnetRequest(body=CreateSubnetRequestBody(subnet=option))
    ).subnet.id


def fill(vpc, subnet_id: str) -> tuple[list[str], list[tuple[int, str]]]:  # noqa: ANN001
    """Create ports until the subnet refuses; the addresses got and the refusal."""
    got: list[str] = []
    body = CreatePortRequestBody(port=CreatePortOption(network_id=subnet_id))
    while True:
        try:
            port = vpc.create_port(CreatePortRequest(body=body)).port
        except ClientRequestException as err:
            return got, [(err.status_code, err.error_code)]
        got.append(port.fixed_ips[0].ip_address)


def race(make_client: Callable[[int], object], subnet_id: str) -> list[str]:
    """Every client fills the subnet at once; checks the refusals, returns the addresses."""
    vpcs = [make_client(i) for i in range(CLIENTS)]
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(lambda v: fill(v, subnet_id), vpcs))
    for _, refusals in results:
        assert refusals == [EXHAUSTED]
    return [a for got, _ in results for a in got]


def assert_full(addresses: list[str], vpc, subnet_id: str) -> None:  # noqa: ANN001
    assert len(addresses) == len(set(addresses)) == USABLE
    assert sorted(addresses, key=lambda a: int(a.rsplit(".", 1)[1])) == [
        f"10.0.0.{i}" for i in range(2, 2 + USABLE)
    ]
    assert (
        vpc.show_subnet(ShowSubnetRequest(subnet_id=subnet_id)).subnet.available_ip_address_count
        == 0
    )


def test_sixteen_clients_fill_a_subnet_on_one_server(server, tenant):
    vpc = clients.hw_vpc(tenant)
    subnet_id = make_subnet(vpc)
    server.advance(2)
    addresses = race(lambda _: clients.hw_vpc(tenant), subnet_id)
    assert_full(addresses, vpc, subnet_id)


def wait_active(vpc, subnet_id: str, timeout: float = 30.0) -> None:  # noqa: ANN001
    """Until the child's engine has made the subnet ACTIVE (its worker polls on its own)."""
    deadline = time.monotonic() + timeout
    while vpc.show_subnet(ShowSubnetRequest(subnet_id=subnet_id)).subnet.status != "ACTIVE":
        assert time.monotonic() < deadline, "the subnet never became ACTIVE"


@pytest.mark.postgres
def test_sixteen_clients_fill_a_subnet_across_two_processes(postgres_url, tmp_path: Path):
    db = Database(postgres_url)
    try:
        with db.write() as conn:
            account = create_account(conn, f"race-{uuid.uuid4().hex[:12]}")
    finally:
        db.dispose()
    servers = [
        ChildServer(data_dir=tmp_path / str(i), database_url=postgres_url).start() for i in range(2)
    ]
    try:
        tenants = [Tenant(account, s.endpoint) for s in servers]
        vpc = clients.hw_vpc(tenants[0])
        subnet_id = make_subnet(vpc)
        httpx.post(f"{servers[0].url}/_openecs/clock", json={"advance": 5}).raise_for_status()
        wait_active(vpc, subnet_id)
        addresses = race(lambda i: clients.hw_vpc(tenants[i % 2]), subnet_id)
        assert_full(addresses, clients.hw_vpc(tenants[1]), subnet_id)
    finally:
        for s in servers:
            s.stop()
