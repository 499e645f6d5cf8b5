"""Network interfaces in the core: addresses from the allocator, unique MACs, checked groups."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openecs.config import Settings
from openecs.core import interfaces, network
from openecs.core import security_groups as sg
from openecs.core.accounts import create_account
from openecs.core.errors import Conflict, QuotaExceeded
from openecs.core.ids import aliyun_id
from openecs.runtime import Runtime


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    rt = Runtime(Settings(data_dir=tmp_path, database_url=url), start_engine=False)
    yield rt
    rt.close()


@pytest.fixture
def scope(runtime: Runtime) -> network.Scope:
    with runtime.db.write() as conn:
        account = create_account(conn, f"eni-{time.monotonic_ns()}")
    return network.Scope("aliyun", account.id, "cn-hangzhou")


def _vpc_and_subnet(rt: Runtime, scope: network.Scope, cidr: str = "10.0.0.0/24"):
    with rt.db.write() as conn:
        vpc = network.create_vpc(conn, scope, vpc_id=aliyun_id("vpc", scope.region), cidr_block="10.0.0.0/8",
                                 name="v", description="", now=time.time(), ready_after=0)
        subnet = network.create_subnet(conn, scope, subnet_id=aliyun_id("vsw", scope.region), vpc_id=vpc.id,
                                       zone_id="cn-hangzhou-h", cidr_block=cidr, name="s", description="",
                                       now=time.time(), ready_after=0)
    return vpc, subnet


def _group(rt: Runtime, scope: network.Scope, vpc_id: str) -> sg.SecurityGroup:
    with rt.db.write() as conn:
        return sg.create_group(conn, scope, group_id=aliyun_id("sg", scope.region), name="g",
                               description="", now=time.time(), vpc_id=vpc_id)


def _eni(rt: Runtime, scope: network.Scope, subnet: network.Subnet, **kw) -> interfaces.Interface:
    with rt.db.write() as conn:
        return interfaces.create_interface(conn, scope, interface_id=aliyun_id("eni", scope.region),
                                           subnet_id=subnet.id, now=time.time(), **kw)


def test_an_interface_gets_a_primary_and_secondary_addresses_and_a_vendor_mac(runtime, scope):
    vpc, subnet = _vpc_and_subnet(runtime, scope)
    eni = _eni(runtime, scope, subnet, group_ids=[_group(runtime, scope, vpc.id).id], secondary_count=2)
    assert eni.private_ips == ("10.0.0.1", "10.0.0.2", "10.0.0.3")
    assert re.fullmatch(r"00:16:3e(:[0-9a-f]{2}){3}", eni.mac_address)
    assert eni.vpc_id == vpc.id and eni.zone_id == subnet.zone_id


@pytest.mark.parametrize("already_read", [False, True], ids=["read here", "read by the caller"])
def test_a_group_of_another_vpc_is_refused_and_nothing_is_allocated(runtime, scope, already_read):
    _, subnet = _vpc_and_subnet(runtime, scope)
    other_vpc, _ = _vpc_and_subnet(runtime, scope)
    group = _group(runtime, scope, other_vpc.id)
    with pytest.raises(Conflict) as err:
        _eni(runtime, scope, subnet, group_ids=[group.id], groups=[group] if already_read else [])
    assert err.value.reason == "interface.group_other_vpc"
    with runtime.db.read() as conn:
        assert network.available_addresses(conn, subnet) == 252


def test_a_group_in_use_by_an_interface_cannot_be_deleted(runtime, scope):
    vpc, subnet = _vpc_and_subnet(runtime, scope)
    group = _group(runtime, scope, vpc.id)
    _eni(runtime, scope, subnet, group_ids=[group.id])
    with pytest.raises(Conflict) as err, runtime.db.write() as conn:
        sg.delete_group(conn, scope, group.id)
    assert err.value.reason == "security_group.in_use"


def test_deleting_an_interface_frees_its_addresses(runtime, scope):
    _, subnet = _vpc_and_subnet(runtime, scope)
    eni = _eni(runtime, scope, subnet, secondary_count=3)
    with runtime.db.write() as conn:
        interfaces.delete_interface(conn, scope, eni.id)
    with runtime.db.read() as conn:
        assert network.available_addresses(conn, subnet) == 252


def test_an_interface_asking_for_more_than_the_subnet_has_allocates_nothing(runtime, scope):
    _, subnet = _vpc_and_subnet(runtime, scope, "10.0.0.0/29")
    with pytest.raises(QuotaExceeded):
        _eni(runtime, scope, subnet, secondary_count=10)
    with runtime.db.read() as conn:
        assert network.available_addresses(conn, subnet) == 4


def test_parallel_creations_never_share_an_address_or_a_mac(runtime, scope):
    _, subnet = _vpc_and_subnet(runtime, scope, "10.0.0.0/26")
    made: list[interfaces.Interface] = []
    lock = threading.Lock()

    def client() -> None:
        for _ in range(4):
            try:
                eni = _eni(runtime, scope, subnet, secondary_count=1)
            except QuotaExceeded:
                continue
            with lock:
                made.append(eni)

    threads = [threading.Thread(target=client) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    addresses = [ip for eni in made for ip in eni.private_ips]
    assert len(addresses) == len(set(addresses)) == 60
    assert len({eni.mac_address for eni in made}) == len(made) == 30


# -- a group's interface count, which the capacity checks read


def _counts(rt: Runtime, scope: network.Scope, *groups: sg.SecurityGroup) -> list[int]:
    with rt.db.read() as conn:
        return [sg.get_group(conn, scope, g.id).interface_count for g in groups]


def test_a_groups_interface_count_follows_creations_changes_and_deletions(runtime, scope):
    vpc, subnet = _vpc_and_subnet(runtime, scope)
    a, b = _group(runtime, scope, vpc.id), _group(runtime, scope, vpc.id)
    first = _eni(runtime, scope, subnet, group_ids=[a.id])
    second = _eni(runtime, scope, subnet, group_ids=[a.id, b.id])
    assert _counts(runtime, scope, a, b) == [2, 1]
    with runtime.db.write() as conn:
        interfaces.set_groups(conn, scope, first.id, [b.id])
    assert _counts(runtime, scope, a, b) == [1, 2]
    with runtime.db.write() as conn:
        interfaces.delete_interface(conn, scope, second.id)
    assert _counts(runtime, scope, a, b) == [0, 1]
    with runtime.db.write() as conn:
        interfaces.delete_interfaces(conn, [first.id])
    assert _counts(runtime, scope, a, b) == [0, 0]


def test_a_batch_of_interfaces_counts_once_per_member(runtime, scope):
    vpc, subnet = _vpc_and_subnet(runtime, scope)
    group = _group(runtime, scope, vpc.id)
    batch = [
        interfaces.NewInterface(aliyun_id("eni", scope.region), subnet.id, group_ids=[group.id])
        for _ in range(5)
    ]
    with runtime.db.write() as conn:
        interfaces.create_interfaces(conn, scope, batch, now=time.time())
    assert _counts(runtime, scope, group) == [5]


def test_a_refused_creation_leaves_the_count(runtime, scope):
    vpc, subnet = _vpc_and_subnet(runtime, scope, "10.0.0.0/29")  # 4 usable addresses
    group = _group(runtime, scope, vpc.id)
    with pytest.raises(QuotaExceeded):
        _eni(runtime, scope, subnet, group_ids=[group.id], secondary_count=4)
    assert _counts(runtime, scope, group) == [0]


def test_parallel_creations_in_one_group_are_all_counted(runtime, scope):
    vpc, subnet = _vpc_and_subnet(runtime, scope)
    group = _group(runtime, scope, vpc.id)

    def client() -> None:
        for _ in range(5):
            _eni(runtime, scope, subnet, group_ids=[group.id])

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert _counts(runtime, scope, group) == [40]


def test_an_interface_row_and_what_it_holds_are_exactly_the_fields_of_an_interface():
    """Interfaces are built from their rows' values as they are (interfaces._interface_of)."""
    from dataclasses import fields

    from openecs.store.tables import network_interfaces as table

    held = {"security_group_ids", "secondary_ips", "ipv4_prefixes", "ipv6_addresses", "ipv6_prefixes"}
    assert set(table.c.keys()) | held == {f.name for f in fields(interfaces.Interface)}


def test_an_interface_read_back_equals_one_built_by_its_constructor(runtime, scope):
    from dataclasses import replace

    from sqlalchemy import select

    from openecs.store.tables import network_interfaces as table

    vpc, subnet = _vpc_and_subnet(runtime, scope)
    eni = _eni(runtime, scope, subnet, group_ids=[_group(runtime, scope, vpc.id).id], secondary_count=1)
    with runtime.db.read() as conn:
        rows = conn.execute(select(table).where(table.c.id == eni.id)).all()
        [read] = interfaces.load_interfaces(conn, rows)
    assert read == eni == replace(read)
