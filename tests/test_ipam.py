"""The address allocator: every address once, reserved ones never, exact counts, safe in parallel."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from openecs.config import Settings
from openecs.core import ipam, network
from openecs.core.accounts import create_account
from openecs.core.errors import Conflict, Invalid, QuotaExceeded
from openecs.core.ids import aliyun_id, huawei_id
from openecs.runtime import Runtime
from openecs.store.tables import ip_allocations, ip_cursors


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    rt = Runtime(Settings(data_dir=tmp_path, database_url=url), start_engine=False)
    yield rt
    rt.close()


def _subnet(rt: Runtime, cloud: str, cidr: str, vpc_cidr: str = "192.168.0.0/16") -> network.Subnet:
    with rt.db.write() as conn:
        account = create_account(conn, f"ipam-{time.monotonic_ns()}")
        scope = network.Scope(cloud, account.id, "cn-hangzhou")
        new_id = (lambda p: aliyun_id(p, "cn-hangzhou")) if cloud == "aliyun" else (lambda p: huawei_id())
        vpc = network.create_vpc(conn, scope, vpc_id=new_id("vpc"), cidr_block=vpc_cidr, name="v",
                                 description="", now=time.time(), ready_after=1)
        return network.create_subnet(conn, scope, subnet_id=new_id("vsw"), vpc_id=vpc.id,
                                     zone_id="cn-hangzhou-h", cidr_block=cidr, name="s",
                                     description="", now=time.time(), ready_after=1)


def _allocate(rt: Runtime, subnet: network.Subnet, owner: str, address: str | None = None) -> str:
    with rt.db.write() as conn:
        return ipam.allocate(conn, subnet.id, subnet.cidr_block, "eni", owner, address)


def _free(rt: Runtime, subnet: network.Subnet) -> int:
    with rt.db.read() as conn:
        return network.available_addresses(conn, subnet)


def test_alibaba_reserves_the_first_and_last_three_addresses_of_a_vswitch(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "192.168.1.0/28")
    assert _free(runtime, subnet) == 12
    assert _allocate(runtime, subnet, "a") == "192.168.1.1"


def test_huawei_reserves_network_gateway_system_and_broadcast_addresses(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "huawei", "192.168.1.0/28")
    assert _free(runtime, subnet) == 11
    assert _allocate(runtime, subnet, "a") == "192.168.1.2"


def test_the_lowest_free_address_is_handed_out(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "10.0.0.0/24", "10.0.0.0/8")
    first, second = _allocate(runtime, subnet, "a"), _allocate(runtime, subnet, "b")
    assert (first, second) == ("10.0.0.1", "10.0.0.2")


def test_a_released_address_is_free_again(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "10.0.0.0/24", "10.0.0.0/8")
    address = _allocate(runtime, subnet, "a")
    with runtime.db.write() as conn:
        ipam.release_owner(conn, "eni", "a")
    assert _allocate(runtime, subnet, "b") == address


def test_a_requested_address_outside_the_cidr_is_refused(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "10.0.0.0/24", "10.0.0.0/8")
    with pytest.raises(Invalid) as err:
        _allocate(runtime, subnet, "a", "10.0.1.5")
    assert err.value.reason == "ip.outside_subnet"


def test_a_requested_reserved_address_is_refused(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "10.0.0.0/24", "10.0.0.0/8")
    with pytest.raises(Invalid) as err:
        _allocate(runtime, subnet, "a", "10.0.0.255")
    assert err.value.reason == "ip.reserved"


def test_a_requested_address_in_use_is_refused(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "10.0.0.0/24", "10.0.0.0/8")
    _allocate(runtime, subnet, "a", "10.0.0.7")
    with pytest.raises(Conflict) as err:
        _allocate(runtime, subnet, "b", "10.0.0.7")
    assert err.value.reason == "ip.in_use"


def test_an_exhausted_subnet_answers_exhaustion(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "10.0.0.0/29", "10.0.0.0/8")
    for n in range(4):
        _allocate(runtime, subnet, f"o{n}")
    with pytest.raises(QuotaExceeded) as err:
        _allocate(runtime, subnet, "late")
    assert err.value.reason == "subnet.ip_exhausted"


def test_sixteen_parallel_clients_never_get_the_same_address(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "172.16.0.0/28", "172.16.0.0/12")
    got: list[str] = []
    refusals: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for k in range(3):
            try:
                address = _allocate(runtime, subnet, f"c{n}-{k}")
            except QuotaExceeded as exc:
                with lock:
                    refusals.append(exc.reason)
            else:
                with lock:
                    got.append(address)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(got) == 12 and len(set(got)) == 12
    assert set(refusals) == {"subnet.ip_exhausted"} and len(refusals) == 48 - 12
    assert _free(runtime, subnet) == 0


def _allocate_many(rt: Runtime, subnet: network.Subnet, owners: list[str]) -> list[str]:
    with rt.db.write() as conn:
        return ipam.allocate_many(conn, subnet.id, subnet.cidr_block, "eni", owners)


def test_a_batch_gets_the_addresses_one_by_one_claims_would_get(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "10.0.0.0/24", "10.0.0.0/8")
    for n, address in enumerate(["10.0.0.2", "10.0.0.3", "10.0.0.6", "10.0.0.9"]):
        _allocate(runtime, subnet, f"held{n}", address)
    got = _allocate_many(runtime, subnet, [f"b{n}" for n in range(6)])
    assert got == ["10.0.0.1", "10.0.0.4", "10.0.0.5", "10.0.0.7", "10.0.0.8", "10.0.0.10"]
    assert _allocate(runtime, subnet, "next") == "10.0.0.11"
    with runtime.db.read() as conn:
        rows = conn.execute(
            select(ip_allocations)
            .where(ip_allocations.c.subnet_id == subnet.id)  # the store is shared with other tests
            .where(ip_allocations.c.owner_type == "eni")
        )
        owners = {ipam.to_text(r.address): r.owner_id for r in rows}
    assert [owners[a] for a in got] == [f"b{n}" for n in range(6)]


def test_a_batch_larger_than_the_free_addresses_claims_none(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "10.0.0.0/29", "10.0.0.0/8")
    _allocate(runtime, subnet, "a")
    with pytest.raises(QuotaExceeded) as err:
        _allocate_many(runtime, subnet, ["b", "c", "d", "e"])
    assert err.value.reason == "subnet.ip_exhausted"
    assert _free(runtime, subnet) == 3
    assert _allocate_many(runtime, subnet, ["b", "c", "d"]) == ["10.0.0.2", "10.0.0.3", "10.0.0.4"]


def test_parallel_batches_never_get_the_same_address(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "172.16.0.0/26", "172.16.0.0/12")  # 60 usable
    got: list[str] = []
    refusals: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for k in range(2):
            try:
                addresses = _allocate_many(runtime, subnet, [f"c{n}-{k}-{j}" for j in range(5)])
            except QuotaExceeded as exc:
                with lock:
                    refusals.append(exc.reason)
            else:
                with lock:
                    got.extend(addresses)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(got) == len(set(got)) == 60
    assert refusals == ["subnet.ip_exhausted"] * 4
    assert _free(runtime, subnet) == 0


def test_a_subnet_with_addresses_in_use_cannot_be_deleted(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "10.0.0.0/24", "10.0.0.0/8")
    _allocate(runtime, subnet, "a")
    scope = network.Scope(subnet.cloud, subnet.account_id, subnet.region)
    with pytest.raises(Conflict) as err, runtime.db.write() as conn:
        network.delete_subnet(conn, scope, subnet.id)
    assert err.value.reason == "subnet.in_use"


# -- the cursor: where the search for the lowest free address starts


def _cursor(rt: Runtime, subnet: network.Subnet) -> int:
    with rt.db.read() as conn:
        return conn.execute(
            select(ip_cursors.c.next_free).where(ip_cursors.c.subnet_id == subnet.id)
        ).scalar_one()


def _lowest_free_by_rows(rt: Runtime, subnet: network.Subnet) -> int:
    """The lowest free address, read from every allocation row (what the cursor must not pass)."""
    with rt.db.read() as conn:
        taken = set(
            conn.execute(
                select(ip_allocations.c.address).where(ip_allocations.c.subnet_id == subnet.id)
            ).scalars()
        )
    address = int(ipam.network_of(subnet.cidr_block).network_address)
    while address in taken:
        address += 1
    return address


def test_a_new_subnets_cursor_stands_after_its_leading_reserved_addresses(runtime: Runtime) -> None:
    aliyun = _subnet(runtime, "aliyun", "10.0.0.0/24", "10.0.0.0/8")
    huawei = _subnet(runtime, "huawei", "10.0.0.0/24", "10.0.0.0/8")
    assert ipam.to_text(_cursor(runtime, aliyun)) == "10.0.0.1"
    assert ipam.to_text(_cursor(runtime, huawei)) == "10.0.0.2"


def test_claiming_the_lowest_free_address_moves_the_cursor_past_it(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "10.0.0.0/24", "10.0.0.0/8")
    _allocate(runtime, subnet, "a")
    _allocate_many(runtime, subnet, ["b", "c"])
    assert ipam.to_text(_cursor(runtime, subnet)) == "10.0.0.4"


def test_an_address_freed_below_the_cursor_is_the_next_handed_out(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "10.0.0.0/24", "10.0.0.0/8")
    for owner in "abcd":
        _allocate(runtime, subnet, owner)
    with runtime.db.write() as conn:
        ipam.release(conn, subnet.id, "10.0.0.2")
    assert ipam.to_text(_cursor(runtime, subnet)) == "10.0.0.2"
    assert _allocate(runtime, subnet, "e") == "10.0.0.2"
    assert _allocate(runtime, subnet, "f") == "10.0.0.5"


def test_a_requested_address_above_the_cursor_is_skipped_by_the_search(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "10.0.0.0/24", "10.0.0.0/8")
    _allocate(runtime, subnet, "held", "10.0.0.2")
    assert [_allocate(runtime, subnet, o) for o in "abc"] == ["10.0.0.1", "10.0.0.3", "10.0.0.4"]


def test_a_refused_claim_leaves_the_cursor_where_it_was(runtime: Runtime) -> None:
    subnet = _subnet(runtime, "aliyun", "10.0.0.0/24", "10.0.0.0/8")
    _allocate(runtime, subnet, "a", "10.0.0.1")
    with pytest.raises(Conflict):
        _allocate(runtime, subnet, "b", "10.0.0.1")
    assert ipam.to_text(_cursor(runtime, subnet)) == "10.0.0.2"


def test_parallel_claims_and_releases_never_move_the_cursor_past_a_free_address(
    runtime: Runtime,
) -> None:
    subnet = _subnet(runtime, "aliyun", "172.16.0.0/24", "172.16.0.0/12")
    errors: list[BaseException] = []

    def client(n: int) -> None:
        try:
            for k in range(12):
                owner = f"c{n}-{k}"
                _allocate(runtime, subnet, owner)
                if k % 3 != 2:  # free two of every three again, at once or later
                    with runtime.db.write() as conn:
                        ipam.release_owner(conn, "eni", owner if k % 3 else f"c{n}-{k - 1}")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    lowest = _lowest_free_by_rows(runtime, subnet)
    assert _cursor(runtime, subnet) <= lowest
    assert _allocate(runtime, subnet, "last") == ipam.to_text(lowest)


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_an_address_is_written_as_the_standard_library_writes_it(address: int) -> None:
    assert ipam.to_text(address) == str(ipaddress.IPv4Address(address))


@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=0, max_value=32))
def test_a_block_spans_what_the_standard_library_says_it_spans(address: int, length: int) -> None:
    net = ipaddress.IPv4Network((address, length), strict=False)
    assert ipam.block_span(str(net)) == (int(net.network_address), net.num_addresses)
