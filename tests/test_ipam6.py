"""The IPv6 allocator: /56s unique in the store, addresses and /80 prefixes once each and
never overlapping, IPv4 counts untouched, safe in parallel (both stores)."""

from __future__ import annotations

import ipaddress
import threading
import time

import pytest
from sqlalchemy import Connection

from openecs.core import ipam6, network
from openecs.core.accounts import create_account
from openecs.core.errors import Conflict, Invalid
from openecs.core.ids import aliyun_id
from openecs.runtime import Runtime
from tests.test_ipam import runtime as runtime  # noqa: F401 - the fixture

REGION = "cn-hangzhou"


def _add_subnet(conn: Connection, scope: network.Scope, vpc_id: str, cidr: str) -> network.Subnet:
    return network.create_subnet(
        conn,
        scope,
        subnet_id=aliyun_id("vsw", REGION),
        vpc_id=vpc_id,
        zone_id="cn-hangzhou-h",
        cidr_block=cidr,
        name="s",
        description="",
        now=time.time(),
        ready_after=1,
    )


def _ipv6_subnet(rt: Runtime, index: int = 0) -> tuple[network.Scope, network.Subnet]:
    with rt.db.write() as conn:
        account = create_account(conn, f"ipam6-{time.monotonic_ns()}")
        scope = network.Scope("aliyun", account.id, REGION)
        vpc = network.create_vpc(
            conn,
            scope,
            vpc_id=aliyun_id("vpc", REGION),
            cidr_block="192.168.0.0/16",
            name="v",
            description="",
            now=time.time(),
            ready_after=1,
        )
        network.enable_vpc_ipv6(conn, scope, vpc.id)
        subnet = _add_subnet(conn, scope, vpc.id, "192.168.1.0/28")
        return scope, network.enable_subnet_ipv6(conn, scope, subnet.id, index)


def test_a_vswitch_64_is_the_indexed_block_of_its_vpc_56(runtime: Runtime) -> None:
    scope, subnet = _ipv6_subnet(runtime, 255)
    with runtime.db.read() as conn:
        vpc = network.get_vpc(conn, scope, subnet.vpc_id)
    net56, net64 = (
        ipaddress.ip_network(vpc.ipv6_cidr_block),
        ipaddress.ip_network(subnet.ipv6_cidr_block),
    )
    assert net56.prefixlen == 56 and net56.subnet_of(ipam6.POOL)
    assert net64.subnet_of(net56) and int(net64.network_address) >> 64 & 0xFF == 255


def test_addresses_are_random_distinct_and_outside_every_prefix(runtime: Runtime) -> None:
    _, subnet = _ipv6_subnet(runtime)
    with runtime.db.write() as conn:
        got = [
            ipam6.allocate(conn, subnet.id, subnet.ipv6_cidr_block, "eni", "a") for _ in range(50)
        ]
        blocks = [
            ipam6.allocate_prefix(conn, subnet.id, subnet.ipv6_cidr_block, "p", "a")
            for _ in range(20)
        ]
    assert len(set(got)) == 50 and len(set(blocks)) == 20
    nets = [ipaddress.ip_network(b) for b in blocks]
    assert not any(ipaddress.ip_address(a) in n for a in got for n in nets)


def test_an_address_inside_a_prefix_and_a_prefix_over_addresses_are_refused(
    runtime: Runtime,
) -> None:
    _, subnet = _ipv6_subnet(runtime)
    cidr = subnet.ipv6_cidr_block
    with runtime.db.write() as conn:
        block = ipam6.allocate_prefix(conn, subnet.id, cidr, "p", "a")
        address = ipam6.allocate(conn, subnet.id, cidr, "eni", "a")
    inside = str(ipaddress.ip_network(block).network_address + 7)
    opened = str(ipaddress.ip_network((int(ipaddress.ip_address(address)) >> 48 << 48, 80)))
    for call in (
        lambda conn: ipam6.allocate(conn, subnet.id, cidr, "eni", "b", inside),
        lambda conn: ipam6.allocate(conn, subnet.id, cidr, "eni", "b", address),
        lambda conn: ipam6.allocate_prefix(conn, subnet.id, cidr, "p", "b", opened),
        lambda conn: ipam6.allocate_prefix(conn, subnet.id, cidr, "p", "b", block),
    ):
        with pytest.raises(Conflict), runtime.db.write() as conn:
            call(conn)


def test_an_address_outside_the_64_is_refused(runtime: Runtime) -> None:
    _, subnet = _ipv6_subnet(runtime)
    with pytest.raises(Invalid), runtime.db.write() as conn:
        ipam6.allocate(conn, subnet.id, subnet.ipv6_cidr_block, "eni", "a", "2001:db8::1")


def test_ipv6_rows_leave_the_ipv4_count_and_block_deleting_the_subnet(runtime: Runtime) -> None:
    scope, subnet = _ipv6_subnet(runtime)
    with runtime.db.write() as conn:
        before = network.available_addresses(conn, subnet)
        ipam6.allocate(conn, subnet.id, subnet.ipv6_cidr_block, "eni", "a")
        assert network.available_addresses(conn, subnet) == before
    with pytest.raises(Conflict), runtime.db.write() as conn:
        network.delete_subnet(conn, scope, subnet.id)
    with runtime.db.write() as conn:
        ipam6.release_owner(conn, "eni", "a")
        network.delete_subnet(conn, scope, subnet.id)


def test_an_index_is_one_vswitchs_and_ipv6_is_enabled_once(runtime: Runtime) -> None:
    scope, subnet = _ipv6_subnet(runtime, 3)
    with runtime.db.write() as conn:
        other = _add_subnet(conn, scope, subnet.vpc_id, "192.168.2.0/28")
    with pytest.raises(Conflict, match="another subnet"), runtime.db.write() as conn:
        network.enable_subnet_ipv6(conn, scope, other.id, 3)
    with pytest.raises(Conflict), runtime.db.write() as conn:
        network.enable_subnet_ipv6(conn, scope, subnet.id, 4)
    with pytest.raises(Conflict), runtime.db.write() as conn:
        network.enable_vpc_ipv6(conn, scope, subnet.vpc_id)


def test_parallel_claims_of_one_address_let_exactly_one_win(runtime: Runtime) -> None:
    _, subnet = _ipv6_subnet(runtime)
    wanted = str(ipaddress.ip_network(subnet.ipv6_cidr_block).network_address + 5)
    won, lost = [], []

    def claim(owner: str) -> None:
        try:
            with runtime.db.write() as conn:
                ipam6.allocate(conn, subnet.id, subnet.ipv6_cidr_block, "eni", owner, wanted)
            won.append(owner)
        except Conflict:
            lost.append(owner)

    threads = [threading.Thread(target=claim, args=(f"o{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(lost) == 7
