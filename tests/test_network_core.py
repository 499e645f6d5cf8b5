"""VPCs and subnets in the core: containment, overlap, dependencies, the creating -> available step."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openecs.config import Settings
from openecs.core import network
from openecs.core.accounts import create_account
from openecs.core.errors import Conflict, Invalid, NotFound
from openecs.core.ids import aliyun_id
from openecs.runtime import Runtime


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    rt = Runtime(Settings(data_dir=tmp_path), start_engine=False)
    yield rt
    rt.close()


@pytest.fixture
def scope(runtime: Runtime) -> network.Scope:
    with runtime.db.write() as conn:
        account = create_account(conn, f"net-{time.monotonic_ns()}")
    return network.Scope("aliyun", account.id, "cn-hangzhou")


def _vpc(rt: Runtime, scope: network.Scope, cidr: str = "192.168.0.0/16") -> network.Vpc:
    with rt.db.write() as conn:
        return network.create_vpc(conn, scope, vpc_id=aliyun_id("vpc", scope.region), cidr_block=cidr,
                                  name="v", description="", now=rt.clock.now(), ready_after=2)


def _subnet(rt: Runtime, scope: network.Scope, vpc: network.Vpc, cidr: str) -> network.Subnet:
    with rt.db.write() as conn:
        return network.create_subnet(conn, scope, subnet_id=aliyun_id("vsw", scope.region), vpc_id=vpc.id,
                                     zone_id="cn-hangzhou-h", cidr_block=cidr, name="s", description="",
                                     now=rt.clock.now(), ready_after=2)


def test_a_new_vpc_is_creating_until_the_engine_makes_it_available(runtime, scope) -> None:
    vpc = _vpc(runtime, scope)
    assert vpc.status == network.CREATING
    runtime.clock.advance(3)
    runtime.worker.run_due()
    with runtime.db.read() as conn:
        assert network.get_vpc(conn, scope, vpc.id).status == network.AVAILABLE


def test_a_subnet_must_lie_inside_its_vpc(runtime, scope) -> None:
    vpc = _vpc(runtime, scope)
    with pytest.raises(Invalid) as err:
        _subnet(runtime, scope, vpc, "10.0.0.0/24")
    assert err.value.reason == "subnet.cidr_outside_vpc"


def test_a_vpc_with_subnets_cannot_be_deleted(runtime, scope) -> None:
    vpc = _vpc(runtime, scope)
    _subnet(runtime, scope, vpc, "192.168.1.0/24")
    with pytest.raises(Conflict) as err, runtime.db.write() as conn:
        network.delete_vpc(conn, scope, vpc.id)
    assert err.value.reason == "vpc.has_subnets"


def test_deleting_in_reverse_order_cleans_up(runtime, scope) -> None:
    vpc = _vpc(runtime, scope)
    subnet = _subnet(runtime, scope, vpc, "192.168.1.0/24")
    with runtime.db.write() as conn:
        network.delete_subnet(conn, scope, subnet.id)
        network.delete_vpc(conn, scope, vpc.id)
    with runtime.db.read() as conn, pytest.raises(NotFound):
        network.get_vpc(conn, scope, vpc.id)


def test_another_account_does_not_see_the_vpc(runtime, scope) -> None:
    vpc = _vpc(runtime, scope)
    other = network.Scope(scope.cloud, scope.account_id + 1000, scope.region)
    with runtime.db.read() as conn, pytest.raises(NotFound):
        network.get_vpc(conn, other, vpc.id)


def test_the_other_cloud_does_not_see_the_vpc(runtime, scope) -> None:
    vpc = _vpc(runtime, scope)
    other = network.Scope("huawei", scope.account_id, scope.region)
    with runtime.db.read() as conn, pytest.raises(NotFound):
        network.get_vpc(conn, other, vpc.id)


def test_subnets_are_listed_by_vpc_by_ids_or_both_in_creation_order(runtime, scope) -> None:
    one, two = _vpc(runtime, scope), _vpc(runtime, scope, "172.16.0.0/16")
    a, b = _subnet(runtime, scope, one, "192.168.1.0/24"), _subnet(runtime, scope, one, "192.168.2.0/24")
    c = _subnet(runtime, scope, two, "172.16.1.0/24")
    with runtime.db.read() as conn:
        ids = lambda **kw: [s.id for s in network.list_subnets(conn, scope, **kw)]  # noqa: E731
        assert ids() == [a.id, b.id, c.id]
        assert ids(vpc_id=one.id) == [a.id, b.id]
        assert ids(ids=[c.id, a.id]) == [a.id, c.id]
        assert ids(vpc_id=two.id, ids=[a.id, c.id]) == [c.id]
        assert ids(ids=[]) == []
        assert [v.id for v in network.list_vpcs(conn, scope, ids=[two.id, "vpc-missing"])] == [two.id]


def test_another_scope_s_subnets_are_not_listed(runtime, scope) -> None:
    _subnet(runtime, scope, _vpc(runtime, scope), "192.168.1.0/24")
    other = network.Scope("aliyun", scope.account_id, "cn-beijing")
    with runtime.db.read() as conn:
        assert network.list_subnets(conn, other) == [] and network.list_vpcs(conn, other) == []


@pytest.mark.parametrize(
    ("cidr", "overlaps"),
    [
        ("192.168.0.0/24", False),  # ends just below the sibling
        ("192.168.2.0/23", False),  # starts just above it
        ("192.168.1.128/25", True),  # inside it
        ("192.168.0.0/22", True),  # around it
        ("192.168.1.0/24", True),  # the same block
    ],
)
def test_a_sibling_overlaps_when_the_blocks_share_an_address(runtime, scope, cidr, overlaps) -> None:
    vpc = _vpc(runtime, scope)
    _subnet(runtime, scope, vpc, "192.168.1.0/24")
    if overlaps:
        with pytest.raises(Conflict) as err:
            _subnet(runtime, scope, vpc, cidr)
        assert err.value.reason == "subnet.cidr_overlap"
    else:
        assert _subnet(runtime, scope, vpc, cidr).cidr_block == cidr
