"""Instances read a page at a time (core.instance_query): the store's filters, counts and pages
answer what the Python filtering over every instance answered, on SQLite and PostgreSQL."""

from __future__ import annotations

import fnmatch
import ipaddress
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openecs.config import Settings
from openecs.core import catalog, interfaces, network
from openecs.core import instance_query as query
from openecs.core import instances as inst
from openecs.core import security_groups as sg
from openecs.core import tags as core_tags
from openecs.core.accounts import create_account
from openecs.core.ids import aliyun_id
from openecs.runtime import Runtime
from openecs.store.tables import network_interfaces

REGION, ZONE = "cn-hangzhou", "cn-hangzhou-h"
BOOT = 3.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    # A database of its own: a server's engine on the shared one would move these instances on.
    url = request.getfixturevalue("fresh_postgres_url") if request.param == "postgres" else None
    rt = Runtime(Settings(data_dir=tmp_path, database_url=url), start_engine=False)
    yield rt
    rt.close()


def _spec(subnet: network.Subnet, **kw) -> inst.InstanceSpec:
    values = dict(
        instance_id=aliyun_id("i", REGION),
        interface_id=aliyun_id("eni", REGION),
        zone_id=ZONE,
        subnet_id=subnet.id,
        instance_type="ecs.g7.large",
        image_id="aliyun_3_x64_20G_alibase_20240528.vhd",
        name="vm",
        hostname="vm",
        disks=[(aliyun_id("d", REGION), inst.DiskSpec("system", "cloud_essd", 40))],
    )
    values.update(kw)
    return inst.InstanceSpec(**values)


@pytest.fixture
def fleet(runtime: Runtime) -> tuple[network.Scope, dict[str, inst.Instance], dict[str, str]]:
    """Instances that differ in every filtered field; two of them created at the same time."""
    rt = runtime
    with rt.db.write() as conn:
        account = create_account(conn, f"q-{time.monotonic_ns()}")
        scope = network.Scope("aliyun", account.id, REGION)
        now = rt.clock.now()
        vpc = network.create_vpc(conn, scope, vpc_id=aliyun_id("vpc", REGION), cidr_block="10.0.0.0/8",
                                 name="v", description="", now=now, ready_after=0)
        network.enable_vpc_ipv6(conn, scope, vpc.id)
        one = network.create_subnet(conn, scope, subnet_id=aliyun_id("vsw", REGION), vpc_id=vpc.id,
                                    zone_id=ZONE, cidr_block="10.0.0.0/24", name="s", description="",
                                    now=now, ready_after=0)
        one = network.enable_subnet_ipv6(conn, scope, one.id, 0)
        two = network.create_subnet(conn, scope, subnet_id=aliyun_id("vsw", REGION), vpc_id=vpc.id,
                                    zone_id=ZONE, cidr_block="10.0.1.0/24", name="t", description="",
                                    now=now, ready_after=0)
        g1, g2 = (sg.create_group(conn, scope, group_id=aliyun_id("sg", REGION), name=n, description="",
                                  now=now, vpc_id=vpc.id).id for n in ("g1", "g2"))
        made = inst.create_instances(conn, scope, [
            _spec(one, name="web-1", group_ids=[g1], key_pair_name="kp",
                  ipv6=interfaces.Ipv6Request(count=1)),
            _spec(one, name="web-4", group_ids=[g1, g2]),
        ], now=now, boot_seconds=BOOT)
        made += inst.create_instances(conn, scope, [
            _spec(one, name="Web-2", instance_type="ecs.c7.large", group_ids=[g2]),
        ], now=now + 1, boot_seconds=BOOT)
        made += inst.create_instances(conn, scope, [
            _spec(two, name="db_%[x]?*\\", group_ids=[g1], charge_type="PrePaid",
                  image_id="other-image"),
        ], now=now + 2, boot_seconds=BOOT)
        vms = dict(zip(("web1", "web4", "web2", "db"), made, strict=True))
        core_tags.set_tags(conn, account.id, inst.TAGGED, vms["web1"].id, [("env", "prod")])
        core_tags.set_tags(conn, account.id, inst.TAGGED, vms["web2"].id, [("env", "dev"), ("team", "a")])
        core_tags.set_tags(conn, account.id, inst.TAGGED, vms["db"].id, [("env", "")])
        # A secondary interface of web-2, with a secondary address and a prefix.
        extra = interfaces.create_interface(conn, scope, interface_id=aliyun_id("eni", REGION),
                                            subnet_id=one.id, now=now + 3, status=interfaces.IN_USE,
                                            group_ids=[g1], device_id=vms["web2"].id,
                                            secondary_count=1, ipv4_prefix_count=1,
                                            ipv6=interfaces.Ipv6Request(count=2, prefix_count=1))
        interfaces.create_interface(conn, scope, interface_id=aliyun_id("eni", REGION),
                                    subnet_id=one.id, now=now + 3, group_ids=[g2])  # detached
    rt.clock.advance(BOOT + 1)
    rt.worker.drain()
    with rt.db.write() as conn:
        inst.stop(conn, scope, vms["web4"].id, now=rt.clock.now(), stop_seconds=1000)
        vms = {k: inst.get_instance(conn, scope, vm.id) for k, vm in vms.items()}
    with rt.db.read() as conn:
        web1_v6 = interfaces.list_interfaces(conn, scope, device_id=vms["web1"].id)[0].ipv6_addresses[0]
    names = {"g1": g1, "g2": g2, "vpc": vpc.id, "one": one.id, "two": two.id,
             "extra_ip": extra.primary_ip, "extra_v6": extra.ipv6_addresses[1], "web1_v6": web1_v6}
    return scope, vms, names


def _old_name_matches(pattern: str | None, name: str) -> bool:
    """DescribeInstances' name filter as it was written in Python."""
    if pattern is None:
        return True
    if "*" not in pattern:
        return pattern == name
    return fnmatch.fnmatchcase(name, pattern.replace("[", "[[]").replace("?", "[?]"))


def _reference(conn, scope: network.Scope, f: query.InstanceFilter) -> list[str]:
    """The filter applied in Python to every instance, as DescribeInstances did."""
    found = inst.list_instances(conn, scope, ids=f.ids)
    tags = core_tags.tags_of(conn, [vm.id for vm in found])
    plain = ("vpc_id", "subnet_id", "zone_id", "instance_type", "image_id", "key_pair_name", "charge_type")

    def keep(vm: inst.Instance) -> bool:
        nics = interfaces.list_interfaces(conn, scope, device_id=vm.id)
        have = dict(tags[vm.id])
        return (
            not f.nothing
            and all(getattr(f, k) in (None, getattr(vm, k)) for k in plain)
            and (f.instance_types is None or vm.instance_type in f.instance_types)
            and (f.statuses is None or vm.status in f.statuses)
            and _old_name_matches(f.name, vm.name)
            and (f.security_group_id is None
                 or f.security_group_id in {g for n in nics for g in n.security_group_ids})
            and (f.primary_ips is None or bool({n.primary_ip for n in nics} & set(f.primary_ips)))
            and (f.ipv6_addresses is None
                 or bool({a for n in nics for a in n.ipv6_addresses} & set(f.ipv6_addresses)))
            and all(k in have and (v is None or have[k] == v) for k, v in f.tags)
        )

    return [vm.id for vm in found if keep(vm)]


def _filters(vms: dict[str, inst.Instance], names: dict[str, str]) -> list[query.InstanceFilter]:
    family = catalog.aliyun_instance_type("ecs.g7.large")["InstanceTypeFamily"]
    family_types = [t["InstanceTypeId"] for t in catalog.aliyun_instance_types()
                    if t.get("InstanceTypeFamily") == family]
    F = query.InstanceFilter
    return [
        F(),
        F(ids=[vms["web1"].id, vms["db"].id, "i-none"]),
        F(ids=[]),
        F(vpc_id=names["vpc"]),
        F(vpc_id="vpc-other"),
        F(subnet_id=names["two"]),
        F(zone_id=ZONE),
        F(instance_type="ecs.c7.large"),
        F(instance_types=family_types),
        F(instance_types=[]),
        F(instance_type="ecs.c7.large", instance_types=family_types),
        F(image_id="other-image"),
        F(key_pair_name="kp"),
        F(charge_type="PrePaid"),
        F(statuses=[inst.RUNNING]),
        F(statuses=[inst.STOPPING, inst.DELETING]),
        F(statuses=[inst.STARTING, inst.REBOOTING]),
        F(name="web-1"),
        F(name="web"),
        F(name="web-*"),
        F(name="*-2"),
        F(name="WEB-*"),
        F(name="*"),
        F(name="db_%[x]?*\\"),
        F(name="db_*"),
        F(name="db%*"),
        F(name="d?*"),
        F(name="*[x]*"),
        F(name="*\\"),
        F(name="db_%[x]?*"),
        F(security_group_id=names["g1"]),
        F(security_group_id=names["g2"]),
        F(security_group_id="sg-none"),
        F(primary_ips=[names["extra_ip"]]),
        F(primary_ips=[vms["web1"].id]),
        F(primary_ips=[]),
        F(ipv6_addresses=[names["extra_v6"]]),
        F(ipv6_addresses=[names["web1_v6"], "2001:db8::1"]),
        F(tags=[("env", None)]),
        F(tags=[("env", "prod")]),
        F(tags=[("env", "dev"), ("team", None)]),
        F(tags=[("env", "dev"), ("team", "b")]),
        F(tags=[("nope", None)]),
        F(nothing=True),
        F(ids=[vms["web2"].id], security_group_id=names["g1"], tags=[("team", "a")], name="*2"),
    ]


def test_the_store_filters_as_python_did(runtime, fleet):
    scope, vms, names = fleet
    with runtime.db.read() as conn:
        for f in _filters(vms, names):
            expected = _reference(conn, scope, f)
            assert [vm.id for vm in query.find_instances(conn, scope, f)] == expected, f
            assert query.count_instances(conn, scope, f) == len(expected), f


def test_pages_are_slices_of_the_ordered_result(runtime, fleet):
    scope, vms, _ = fleet
    every = query.InstanceFilter()
    with runtime.db.read() as conn:
        ids = [vm.id for vm in query.find_instances(conn, scope, every)]
        assert ids == [vm.id for vm in inst.list_instances(conn, scope)]
        for offset in range(6):
            for limit in (1, 2, 3):
                page = query.find_instances(conn, scope, every, offset=offset, limit=limit)
                assert [vm.id for vm in page] == ids[offset : offset + limit]


def test_first_after_skips_the_instances_that_passed(runtime, fleet, monkeypatch):
    scope, vms, _ = fleet
    every = query.InstanceFilter()
    with runtime.db.read() as conn:
        ordered = query.find_instances(conn, scope, every)
        monkeypatch.setattr(query, "_SKIP_SLACK", 0)  # every run longer than the page reads more
        for skipped in range(len(ordered) + 1):
            passed = {vm.id for vm in ordered[:skipped]}
            for limit in (1, 2, 10):
                got = query.first_after(conn, scope, every, since=None,
                                        passed=lambda _, iid, p=passed: iid in p, limit=limit)
                assert got == ordered[skipped : skipped + limit]
        later = query.first_after(conn, scope, every, since=vms["web2"].created_at,
                                  passed=lambda *_: False, limit=10)
        assert [vm.id for vm in later] == [vms["web2"].id, vms["db"].id]


def test_a_page_of_devices_loads_their_interfaces_as_one_by_one(runtime, fleet):
    scope, vms, _ = fleet
    ids = [vm.id for vm in vms.values()]
    with runtime.db.read() as conn:
        batch = interfaces.interfaces_of_devices(conn, scope, [*ids, "i-none"])
        for iid in ids:
            assert batch[iid] == interfaces.list_interfaces(conn, scope, device_id=iid)
        assert batch["i-none"] == [] and interfaces.interfaces_of_devices(conn, scope, []) == {}
        assert len(batch[vms["web2"].id]) == 2
        other = scope._replace(account_id=scope.account_id + 1000)
        assert interfaces.interfaces_of_devices(conn, other, ids) == {i: [] for i in ids}
        rows = conn.execute(scope.rows(network_interfaces).order_by(network_interfaces.c.id)).all()
        assert [n.id for n in interfaces.load_interfaces(conn, rows)] == [r.id for r in rows]


def test_an_interface_is_read_with_everything_it_holds(runtime, fleet):
    """web-2's secondary interface: one secondary address, a /28 prefix, two IPv6 addresses
    and an IPv6 prefix (the fleet fixture), each in its form and order."""
    scope, vms, names = fleet
    with runtime.db.read() as conn:
        [nic] = [n for n in interfaces.list_interfaces(conn, scope, device_id=vms["web2"].id)
                 if n.primary_ip == names["extra_ip"]]
        rows = conn.execute(scope.rows(network_interfaces)
                            .where(network_interfaces.c.id == nic.id)).all()
        assert interfaces.load_interfaces(conn, rows) == [nic]
    [secondary] = nic.secondary_ips
    [prefix] = nic.ipv4_prefixes
    assert secondary != nic.primary_ip and prefix.endswith("/28")
    assert ipaddress.IPv4Network(prefix).network_address.packed[-1] % 16 == 0
    assert len(nic.ipv6_addresses) == 2 and len(nic.ipv6_prefixes) == 1
    assert list(nic.ipv6_addresses) == sorted(nic.ipv6_addresses, key=ipaddress.IPv6Address)
    assert names["extra_v6"] in nic.ipv6_addresses and nic.security_group_ids


def test_newest_first_is_the_reverse_order(runtime, fleet):
    scope, vms, names = fleet
    with runtime.db.read() as conn:
        for f in (query.InstanceFilter(), query.InstanceFilter(security_group_id=names["g1"])):
            ordered = [vm.id for vm in query.find_instances(conn, scope, f)]
            newest = [vm.id for vm in query.find_instances(conn, scope, f, newest_first=True)]
            assert newest == ordered[::-1]
            page = query.find_instances(conn, scope, f, offset=1, limit=2, newest_first=True)
            assert [vm.id for vm in page] == newest[1:3]


def test_ids_alone_read_by_the_prebuilt_statement(runtime, fleet, monkeypatch):
    scope, vms, _ = fleet
    ids = [vms["db"].id, vms["web1"].id]
    used = []
    by_ids = query._by_ids
    monkeypatch.setattr(query, "_by_ids", lambda *a: used.append(a) or by_ids(*a))
    with runtime.db.read() as conn:
        for tags in ((), []):
            got = query.find_instances(conn, scope, query.InstanceFilter(ids=ids, tags=tags))
            assert [vm.id for vm in got] == [vms["web1"].id, vms["db"].id]
        assert len(used) == 2
        query.find_instances(conn, scope, query.InstanceFilter(ids=ids, tags=[("env", None)]))
        assert len(used) == 2


def test_a_next_token_page_from_the_store_is_by_tokens_page(runtime, fleet, monkeypatch):
    """DescribeInstances' NextToken pages read from the token's time on answer what by_token
    answered over every instance: for each instance's key, keys between and around them,
    and tokens this server never made."""
    from openecs.faces.aliyun.ecs import instances_describe as describe
    from openecs.faces.aliyun.paging import encode_token
    from openecs.faces.errors import VendorError

    scope, vms, _ = fleet
    monkeypatch.setattr(query, "_SKIP_SLACK", 1)
    every = query.InstanceFilter()
    with runtime.db.read() as conn:
        ordered = query.find_instances(conn, scope, every)
        keys = [describe._sort_key(vm) for vm in ordered]
        times = [f"{vm.created_at:020.6f}" for vm in ordered]
        around = [f"{float(t) + d:020.6f}" for t in times for d in (-1e-6, 1e-6, -1, 1)]
        tokens = [*keys, *(f"{t}|{i}" for t in times + around for i in ("", "i-", "~")), "zzz", "0", "1.5|x", ""]
        for key in tokens:
            for size in (1, 2, 5):
                p = {"MaxResults": size, "NextToken": encode_token(key) if key else None}
                p = {k: v for k, v in p.items() if v is not None}
                assert describe._token_page(conn, scope, every, p) == describe._paged(ordered, p), (key, size)
        wrong = {"MaxResults": 2, "NextToken": encode_token(5)}
        with pytest.raises(VendorError):
            describe._token_page(conn, scope, every, wrong)
        none = query.InstanceFilter(nothing=True)
        assert describe._token_page(conn, scope, none, wrong) == ([], {"NextToken": ""})


def _counted_by_rows(conn, scope: network.Scope) -> int:
    return conn.execute(
        query._matching(conn, scope, query.InstanceFilter(ids=None), query.func.count())
    ).scalar_one()


def test_an_unfiltered_count_is_the_scopes_kept_count(runtime, fleet):
    scope, vms, _ = fleet
    with runtime.db.read() as conn:
        assert query.count_instances(conn, scope, query.InstanceFilter()) == len(vms) == 4
        assert _counted_by_rows(conn, scope) == 4


def test_the_kept_count_follows_released_instances(runtime, fleet):
    scope, vms, _ = fleet
    with runtime.db.write() as conn:
        inst.release(conn, vms["db"].id)
    with runtime.db.read() as conn:
        assert query.count_instances(conn, scope, query.InstanceFilter()) == 3
        assert query.count_instances(conn, scope, query.InstanceFilter(tags=[])) == 3


def test_a_scope_without_instances_counts_none(runtime, fleet):
    scope, _, _ = fleet
    other = scope._replace(region="cn-shanghai")
    with runtime.db.read() as conn:
        assert query.count_instances(conn, other, query.InstanceFilter()) == 0


def test_a_filtered_count_still_counts_the_matching_rows(runtime, fleet):
    scope, _, names = fleet
    with runtime.db.read() as conn:
        assert query.count_instances(conn, scope, query.InstanceFilter(subnet_id=names["two"])) == 1


def test_an_unfiltered_page_holds_only_the_scope_s_instances(runtime, fleet):
    scope, vms, _ = fleet
    every = query.InstanceFilter()
    with runtime.db.read() as conn:
        for other in (scope._replace(account_id=scope.account_id + 1000),
                      scope._replace(region="cn-beijing"), scope._replace(cloud="huawei")):
            for newest_first in (False, True):
                assert query.find_instances(conn, other, every, offset=0, limit=10,
                                            newest_first=newest_first) == []
        page = query.find_instances(conn, scope, every, offset=0, limit=100)
        assert {vm.id for vm in page} == {vm.id for vm in vms.values()}


def test_statuses_are_the_ids_and_statuses_of_the_found_instances(runtime, fleet):
    scope, vms, names = fleet
    with runtime.db.read() as conn:
        for f in _filters(vms, names):
            found = query.find_instances(conn, scope, f)
            assert query.find_statuses(conn, scope, f) == [(vm.id, vm.status) for vm in found], f


def test_statuses_page_as_the_instances_do(runtime, fleet):
    scope, vms, names = fleet
    F = query.InstanceFilter
    with runtime.db.read() as conn:
        for f in (F(), F(zone_id=ZONE), F(zone_id="cn-hangzhou-none"), F(subnet_id=names["two"])):
            for offset in range(4):
                for limit in (1, 2, 50):
                    page = query.find_instances(conn, scope, f, offset=offset, limit=limit)
                    statuses = query.find_statuses(conn, scope, f, offset=offset, limit=limit)
                    assert statuses == [(vm.id, vm.status) for vm in page], (f, offset, limit)


def test_statuses_and_zone_counts_of_another_scope_are_empty(runtime, fleet):
    scope, vms, _ = fleet
    F = query.InstanceFilter
    with runtime.db.read() as conn:
        for other in (scope._replace(account_id=scope.account_id + 1000),
                      scope._replace(region="cn-beijing"), scope._replace(cloud="huawei")):
            for f in (F(), F(zone_id=ZONE), F(ids=[vm.id for vm in vms.values()])):
                assert query.find_statuses(conn, other, f, offset=0, limit=10) == [], (other, f)
                assert query.find_statuses(conn, other, f) == [], (other, f)
            assert query.count_instances(conn, other, F(zone_id=ZONE)) == 0
