"""IPv6 on VPCs, vSwitches and elastic network interfaces, through the official Tea SDK, on
both stores.

A VPC gets a /56 of OpenECS's pool (CreateVpc or ModifyVpcAttribute EnableIpv6), a vSwitch
the /64 numbered by its 8-bit Ipv6CidrBlock, an interface addresses and /80 prefixes of that
/64 (CreateNetworkInterface, AssignIpv6Addresses, UnassignIpv6Addresses). Every refusal is
followed by a read showing that nothing changed.
"""

from __future__ import annotations

import ipaddress

import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_vpc20160428 import models as vm

from tests import clients
from tests.test_aliyun_network_interfaces import REGION, ZONE, create, free, refused

POOL = ipaddress.ip_network("2408:4000::/20")


def code(err: ClientException) -> tuple[str, int]:
    return (err.code, err.status_code)


def vpc_attr(net, vpc_id: str | None = None):  # noqa: ANN001, ANN201
    return (
        net["vpc"]
        .describe_vpc_attribute(
            vm.DescribeVpcAttributeRequest(region_id=REGION, vpc_id=vpc_id or net["vpc_id"])
        )
        .body
    )


def vsw_attr(net, vsw: str):  # noqa: ANN001, ANN201
    return (
        net["vpc"]
        .describe_vswitch_attributes(
            vm.DescribeVSwitchAttributesRequest(region_id=REGION, v_switch_id=vsw)
        )
        .body
    )


def new_vswitch(net, server, cidr: str, index: int | None = None) -> str:  # noqa: ANN001
    vsw = (
        net["vpc"]
        .create_vswitch(
            vm.CreateVSwitchRequest(
                region_id=REGION,
                vpc_id=net["vpc_id"],
                zone_id=ZONE,
                cidr_block=cidr,
                ipv_6cidr_block=index,
            )
        )
        .body.v_switch_id
    )
    server.advance(1.5)
    return vsw


def eni_attr(net, eni: str):  # noqa: ANN001, ANN201
    return (
        net["ecs"]
        .describe_network_interface_attribute(
            m.DescribeNetworkInterfaceAttributeRequest(region_id=REGION, network_interface_id=eni)
        )
        .body
    )


def v6(body) -> list[str]:  # noqa: ANN001
    return [s.ipv_6address for s in body.ipv_6sets.ipv_6set]


def v6_prefixes(body) -> list[str]:  # noqa: ANN001
    return [s.ipv_6prefix for s in body.ipv_6prefix_sets.ipv_6prefix_set]


@pytest.fixture
def net(server, tenant):  # noqa: ANN001, ANN201
    """An IPv6 VPC, an Available vSwitch with /64 number 7, and a security group."""
    return ipv6_network(server, tenant)


def ipv6_network(server, tenant) -> dict:  # noqa: ANN001
    """What the ``net`` fixture gives (the parallel tests build one too)."""
    vpc = clients.tea_vpc(tenant)
    vpc_id = vpc.create_vpc(
        vm.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16", enable_ipv_6=True)
    ).body.vpc_id
    server.advance(1.5)
    ecs = clients.tea_ecs(tenant)
    out = {"vpc": vpc, "vpc_id": vpc_id, "ecs": ecs, "tenant": tenant}
    out["vsw"] = new_vswitch(out, server, "10.0.1.0/24", 7)
    out["sg"] = ecs.create_security_group(
        m.CreateSecurityGroupRequest(region_id=REGION, vpc_id=vpc_id)
    ).body.security_group_id
    return out


def assign(net, eni: str, **kw):  # noqa: ANN001, ANN201
    return (
        net["ecs"]
        .assign_ipv_6addresses(
            m.AssignIpv6AddressesRequest(region_id=REGION, network_interface_id=eni, **kw)
        )
        .body
    )


def unassign(net, eni: str, **kw) -> None:  # noqa: ANN001
    net["ecs"].unassign_ipv_6addresses(
        m.UnassignIpv6AddressesRequest(region_id=REGION, network_interface_id=eni, **kw)
    )


# --------------------------------------------------------------------------- VPCs


def test_an_ipv6_vpc_gets_a_56_of_the_pool_shown_in_both_shapes(net):
    body = vpc_attr(net)
    block = ipaddress.ip_network(body.ipv_6cidr_block)
    assert block.prefixlen == 56 and block.subnet_of(POOL) and body.enabled_ipv_6 is True
    blocks = body.ipv_6cidr_blocks.ipv_6cidr_block
    assert [(b.ipv_6cidr_block, b.ipv_6isp) for b in blocks] == [(str(block), "BGP")]
    listed = (
        net["vpc"]
        .describe_vpcs(vm.DescribeVpcsRequest(region_id=REGION, vpc_id=net["vpc_id"]))
        .body.vpcs.vpc[0]
    )
    assert listed.ipv_6cidr_block == str(block) and listed.enabled_ipv_6 is True


def test_two_vpcs_never_share_a_block(net, server):
    other = net["vpc"].create_vpc(vm.CreateVpcRequest(region_id=REGION, enable_ipv_6=True))
    assert vpc_attr(net, other.body.vpc_id).ipv_6cidr_block != vpc_attr(net).ipv_6cidr_block


def test_a_vpc_without_ipv6_shows_none_and_modify_turns_it_on(net, server):
    vpc_id = net["vpc"].create_vpc(vm.CreateVpcRequest(region_id=REGION)).body.vpc_id
    server.advance(1.5)
    body = vpc_attr(net, vpc_id)
    assert (body.ipv_6cidr_block, body.enabled_ipv_6) == ("", False)
    assert body.ipv_6cidr_blocks.ipv_6cidr_block == []
    net["vpc"].modify_vpc_attribute(
        vm.ModifyVpcAttributeRequest(region_id=REGION, vpc_id=vpc_id, enable_ipv_6=True)
    )
    assert ipaddress.ip_network(vpc_attr(net, vpc_id).ipv_6cidr_block).prefixlen == 56


def test_enabling_ipv6_twice_is_refused_and_keeps_the_block(net):
    before = vpc_attr(net).ipv_6cidr_block
    err = refused(
        lambda: net["vpc"].modify_vpc_attribute(
            vm.ModifyVpcAttributeRequest(region_id=REGION, vpc_id=net["vpc_id"], enable_ipv_6=True)
        )
    )
    assert code(err) == ("OperationFailed.Ipv6AlreadyEnabled", 400)
    assert vpc_attr(net).ipv_6cidr_block == before


def test_a_users_own_ipv6_block_and_a_single_isp_are_refused(net):
    for kw in ({"ipv_6cidr_block": "2001:db8::/56"}, {"ipv_6isp": "ChinaMobile"}):
        err = refused(
            lambda kw=kw: net["vpc"].create_vpc(
                vm.CreateVpcRequest(region_id=REGION, enable_ipv_6=True, **kw)
            )
        )
        assert err.status_code == 400
    ids = net["vpc"].describe_vpcs(vm.DescribeVpcsRequest(region_id=REGION)).body.vpcs.vpc
    assert [v.vpc_id for v in ids] == [net["vpc_id"]]


def test_describe_vpcs_filters_on_enable_ipv6(net, server):
    plain = net["vpc"].create_vpc(vm.CreateVpcRequest(region_id=REGION)).body.vpc_id

    def ids(flag: bool) -> list[str]:
        body = net["vpc"].describe_vpcs(vm.DescribeVpcsRequest(region_id=REGION, enable_ipv_6=flag))
        return [v.vpc_id for v in body.body.vpcs.vpc]

    assert (ids(True), ids(False)) == ([net["vpc_id"]], [plain])


# --------------------------------------------------------------------------- vSwitches


def test_a_vswitch_gets_the_64_its_index_names(net):
    vpc_block = ipaddress.ip_network(vpc_attr(net).ipv_6cidr_block)
    expected = ipaddress.ip_network((int(vpc_block.network_address) + (7 << 64), 64))
    body = vsw_attr(net, net["vsw"])
    assert body.ipv_6cidr_block == str(expected) and body.enabled_ipv_6 is True
    listed = (
        net["vpc"]
        .describe_vswitches(vm.DescribeVSwitchesRequest(region_id=REGION, v_switch_id=net["vsw"]))
        .body.v_switches.v_switch[0]
    )
    assert listed.ipv_6cidr_block == str(expected)


def test_an_index_another_vswitch_holds_is_refused_and_creates_nothing(net, server):
    err = refused(lambda: new_vswitch(net, server, "10.0.2.0/24", 7))
    assert code(err) == ("InvalidCidrBlock.Overlapped", 400)
    body = net["vpc"].describe_vswitches(
        vm.DescribeVSwitchesRequest(region_id=REGION, vpc_id=net["vpc_id"])
    )
    assert [s.v_switch_id for s in body.body.v_switches.v_switch] == [net["vsw"]]


def test_an_index_outside_0_to_255_is_refused(net, server):
    err = refused(lambda: new_vswitch(net, server, "10.0.2.0/24", 256))
    assert code(err) == ("InvalidParameter", 400)


def test_a_vswitch_ipv6_block_needs_an_ipv6_vpc(net, server):
    plain = net["vpc"].create_vpc(vm.CreateVpcRequest(region_id=REGION)).body.vpc_id
    server.advance(1.5)
    err = refused(
        lambda: net["vpc"].create_vswitch(
            vm.CreateVSwitchRequest(
                region_id=REGION,
                vpc_id=plain,
                zone_id=ZONE,
                cidr_block="172.16.1.0/24",
                ipv_6cidr_block=1,
            )
        )
    )
    assert code(err) == ("OperationFailed.Ipv6NotEnabled", 400)
    body = net["vpc"].describe_vswitches(
        vm.DescribeVSwitchesRequest(region_id=REGION, vpc_id=plain)
    )
    assert body.body.v_switches.v_switch == []


def test_modify_vswitch_enables_ipv6_with_an_index_and_only_once(net, server):
    vsw = new_vswitch(net, server, "10.0.2.0/24")
    assert (vsw_attr(net, vsw).ipv_6cidr_block, vsw_attr(net, vsw).enabled_ipv_6) == ("", False)

    def modify(**kw):  # noqa: ANN202
        return net["vpc"].modify_vswitch_attribute(
            vm.ModifyVSwitchAttributeRequest(region_id=REGION, v_switch_id=vsw, **kw)
        )

    assert code(refused(lambda: modify(enable_ipv_6=True))) == ("MissingParam.Ipv6CidrBlock", 400)
    assert vsw_attr(net, vsw).ipv_6cidr_block == ""
    modify(enable_ipv_6=True, ipv_6cidr_block=9)
    block = vsw_attr(net, vsw).ipv_6cidr_block
    assert ipaddress.ip_network(block).prefixlen == 64
    err = refused(lambda: modify(enable_ipv_6=True, ipv_6cidr_block=10))
    assert code(err) == ("OperationFailed.Ipv6AlreadyEnabled", 400)
    assert vsw_attr(net, vsw).ipv_6cidr_block == block


def test_describe_vswitches_filters_on_enable_ipv6(net, server):
    plain = new_vswitch(net, server, "10.0.2.0/24")

    def ids(flag: bool) -> list[str]:
        body = net["vpc"].describe_vswitches(
            vm.DescribeVSwitchesRequest(region_id=REGION, vpc_id=net["vpc_id"], enable_ipv_6=flag)
        )
        return [s.v_switch_id for s in body.body.v_switches.v_switch]

    assert (ids(True), ids(False)) == ([net["vsw"]], [plain])


def test_modify_vswitch_with_an_index_alone_enables_ipv6(net, server):
    vsw = new_vswitch(net, server, "10.0.2.0/24")
    net["vpc"].modify_vswitch_attribute(
        vm.ModifyVSwitchAttributeRequest(region_id=REGION, v_switch_id=vsw, ipv_6cidr_block=0)
    )
    assert vsw_attr(net, vsw).enabled_ipv_6 is True


def test_ipv6_rows_leave_the_ipv4_free_count_exact(net):
    before = free(net)
    create(net, ipv_6address_count=5, ipv_6prefix_count=2)
    assert free(net) == before - 1


# --------------------------------------------------------------------------- interfaces


def test_an_interface_gets_ipv6_addresses_and_80_prefixes_of_the_vswitch(net):
    block = ipaddress.ip_network(vsw_attr(net, net["vsw"]).ipv_6cidr_block)
    body = create(net, ipv_6address_count=3, ipv_6prefix_count=2)
    addresses, prefixes = v6(body), v6_prefixes(body)
    assert len(set(addresses)) == 3 and all(ipaddress.ip_address(a) in block for a in addresses)
    nets = [ipaddress.ip_network(p) for p in prefixes]
    assert len(set(nets)) == 2 and all(n.prefixlen == 80 and n.subnet_of(block) for n in nets)
    assert not any(ipaddress.ip_address(a) in n for a in addresses for n in nets)
    shown = eni_attr(net, body.network_interface_id)
    assert sorted(v6(shown)) == sorted(addresses) and sorted(v6_prefixes(shown)) == sorted(prefixes)


def test_listed_ipv6_addresses_and_prefixes_are_the_ones_asked_for(net):
    block = ipaddress.ip_network(vsw_attr(net, net["vsw"]).ipv_6cidr_block)
    address, prefix = (
        str(block.network_address + 0x10),
        str(ipaddress.ip_network((int(block.network_address) + (5 << 48), 80))),
    )
    body = create(net, ipv_6address=[address], ipv_6prefix=[prefix])
    assert (v6(body), v6_prefixes(body)) == ([address], [prefix])
    listed = net["ecs"].describe_network_interfaces(
        m.DescribeNetworkInterfacesRequest(region_id=REGION, ipv_6address=[address])
    )
    sets = listed.body.network_interface_sets.network_interface_set
    assert [e.network_interface_id for e in sets] == [body.network_interface_id]


def _no_new_interface(net, before: int) -> None:  # noqa: ANN001
    body = net["ecs"].describe_network_interfaces(
        m.DescribeNetworkInterfacesRequest(region_id=REGION, v_switch_id=net["vsw"])
    )
    assert body.body.total_count == before


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        (
            {"ipv_6address": ["2001:db8::1"], "ipv_6address_count": 1},
            ("InvalidParameter.Conflict", 400),
        ),
        (
            {"ipv_6prefix": ["2001:db8::/80"], "ipv_6prefix_count": 1},
            ("InvalidParameter.Conflict", 400),
        ),
        ({"ipv_6address": ["not-an-address"]}, ("InvalidIp.Address", 403)),
        ({"ipv_6address": ["2001:db8::1", "2001:db8::1"]}, ("InvalidIp.IpRepeated", 403)),
        ({"ipv_6address": ["2001:db8::1"]}, ("InvalidOperation.AddressNotInVSwitchCidr", 404)),
        ({"ipv_6prefix": ["2001:db8::1/80"]}, ("InvalidIp.IpPrefixNotStrict", 403)),
        (
            {"ipv_6prefix": ["2001:db8::/80", "2001:db8:0:0:1::/96"]},
            ("InvalidIp.IpPrefixMaskNotSame", 403),
        ),
        ({"ipv_6prefix": ["2001:db8::/64"]}, ("InvalidIp.IpPrefixMaskInvalid", 403)),
        ({"ipv_6prefix": ["garbage"]}, ("InvalidIp.IpPrefixIllegal", 403)),
        ({"ipv_6prefix": ["2001:db8::/80"]}, ("InvalidIp.IpPrefixIllegal", 403)),
        ({"ipv_6address_count": 11}, ("InvalidParameter", 400)),
    ],
)
def test_bad_ipv6_requests_get_the_seed_codes_and_create_nothing(net, kw, expected):
    before = free(net)
    err = refused(lambda: create(net, **kw))
    assert code(err) == expected
    _no_new_interface(net, 0)
    assert free(net) == before


def test_an_address_or_prefix_in_use_is_refused(net):
    body = create(net, ipv_6address_count=1, ipv_6prefix_count=1)
    taken, prefix = v6(body)[0], v6_prefixes(body)[0]
    inside = str(ipaddress.ip_network(prefix).network_address + 1)
    assert code(refused(lambda: create(net, ipv_6address=[taken]))) == (
        "InvalidOperation.AddressAlreadyAllocated",
        404,
    )
    assert code(refused(lambda: create(net, ipv_6address=[inside]))) == (
        "InvalidOperation.AddressAlreadyAllocated",
        404,
    )
    assert code(refused(lambda: create(net, ipv_6prefix=[prefix]))) == (
        "InvalidIp.IpPrefixNotAvailable",
        403,
    )
    _no_new_interface(net, 1)


def test_ipv6_on_a_vswitch_without_ipv6_is_refused(net, server):
    plain = new_vswitch(net, server, "10.0.2.0/24")
    err = refused(lambda: create(net, v_switch_id=plain, ipv_6address_count=1))
    assert code(err) == ("InvalidOperation.VSwitchIpv6Disabled", 404)
    eni = create(net, v_switch_id=plain).network_interface_id
    err = refused(lambda: assign(net, eni, ipv_6address_count=1))
    assert code(err) == ("InvalidOperation.VSwitchIpv6Disabled", 404)
    assert v6(eni_attr(net, eni)) == []


def test_assign_answers_the_new_addresses_and_prefixes(net):
    eni = create(net, ipv_6address_count=1).network_interface_id
    first = v6(eni_attr(net, eni))
    body = assign(net, eni, ipv_6address_count=2)
    assert body.network_interface_id == eni and len(body.ipv_6sets.ipv_6address) == 2
    body = assign(net, eni, ipv_6prefix_count=1)
    assert len(body.ipv_6prefix_sets.ipv_6prefix) == 1
    shown = eni_attr(net, eni)
    assert len(v6(shown)) == 3 and first[0] in v6(shown) and len(v6_prefixes(shown)) == 1


def test_unassign_releases_and_the_address_can_be_taken_again(net):
    eni = create(net, ipv_6address_count=2, ipv_6prefix_count=1).network_interface_id
    shown = eni_attr(net, eni)
    gone, prefix = v6(shown)[0], v6_prefixes(shown)[0]
    unassign(net, eni, ipv_6address=[gone], ipv_6prefix=[prefix])
    after = eni_attr(net, eni)
    assert gone not in v6(after) and len(v6(after)) == 1 and v6_prefixes(after) == []
    other = create(net, ipv_6address=[gone], ipv_6prefix=[prefix])
    assert (v6(other), v6_prefixes(other)) == ([gone], [prefix])


def test_unassigning_an_address_the_interface_lacks_is_refused_and_changes_nothing(net):
    eni = create(net, ipv_6address_count=1).network_interface_id
    held = v6(eni_attr(net, eni))
    block = ipaddress.ip_network(vsw_attr(net, net["vsw"]).ipv_6cidr_block)
    err = refused(
        lambda: unassign(net, eni, ipv_6address=[held[0], str(block.network_address + 0x99)])
    )
    assert code(err) == ("InvalidParameter", 400)
    assert v6(eni_attr(net, eni)) == held


def test_deleting_an_interface_frees_its_ipv6_addresses_and_prefixes(net):
    body = create(net, ipv_6address_count=1, ipv_6prefix_count=1)
    net["ecs"].delete_network_interface(
        m.DeleteNetworkInterfaceRequest(
            region_id=REGION, network_interface_id=body.network_interface_id
        )
    )
    again = create(net, ipv_6address=v6(body), ipv_6prefix=v6_prefixes(body))
    assert (v6(again), v6_prefixes(again)) == (v6(body), v6_prefixes(body))


def test_an_attached_interface_holds_at_most_its_types_ipv6_quantity(net, server):
    from tests.test_aliyun_network_interface_lifecycle import attach, run

    iid = run(net, server)  # ecs.g7.large: EniIpv6AddressQuantity 6
    eni = create(net, ipv_6address_count=4).network_interface_id
    attach(net, eni, iid)
    server.advance(2)
    err = refused(lambda: assign(net, eni, ipv_6address_count=3))
    assert code(err) == ("InvalidOperation.MaxEniIpv6IpsCountExceeded", 404)
    assert len(v6(eni_attr(net, eni))) == 4
    assert len(assign(net, eni, ipv_6address_count=2).ipv_6sets.ipv_6address) == 2


def test_an_interface_with_more_ipv6_than_the_type_allows_cannot_attach(net, server):
    from tests.test_aliyun_network_interface_lifecycle import attach, run

    iid = run(net, server, instance_type="ecs.g6.large")  # EniIpv6AddressQuantity 1
    eni = create(net, ipv_6address_count=2).network_interface_id
    err = refused(lambda: attach(net, eni, iid))
    assert code(err) == ("InvalidOperation.MaxEniIpv6IpsCountExceeded", 404)
    assert eni_attr(net, eni).status == "Available"


# --------------------------------------------------------------------------- RunInstances


def _run(net, server, **kw) -> str:  # noqa: ANN001
    from tests.test_aliyun_network_interface_lifecycle import IMAGE, TYPE

    body = net["ecs"].run_instances(
        m.RunInstancesRequest(
            region_id=REGION,
            image_id=IMAGE,
            instance_type=kw.pop("instance_type", TYPE),
            v_switch_id=kw.pop("v_switch_id", net["vsw"]),
            security_group_id=net["sg"],
            **kw,
        )
    )
    server.advance(4)
    return body.body.instance_id_sets.instance_id_set[0]


def _instances(net, **kw) -> list:  # noqa: ANN001
    body = net["ecs"].describe_instances(m.DescribeInstancesRequest(region_id=REGION, **kw))
    return body.body.instances.instance


def test_run_instances_gives_the_primary_interface_ipv6_addresses(net, server):
    block = ipaddress.ip_network(vsw_attr(net, net["vsw"]).ipv_6cidr_block)
    iid = _run(net, server, ipv_6address_count=2)
    nic = _instances(net, instance_ids=f'["{iid}"]')[0].network_interfaces.network_interface[0]
    addresses = [s.ipv_6address for s in nic.ipv_6sets.ipv_6set]
    assert len(set(addresses)) == 2 and all(ipaddress.ip_address(a) in block for a in addresses)
    assert [vm.instance_id for vm in _instances(net, ipv_6address=[addresses[0]])] == [iid]
    assert v6(eni_attr(net, nic.network_interface_id)) == sorted(
        addresses, key=lambda a: int(ipaddress.ip_address(a))
    )


def test_run_instances_with_a_listed_ipv6_address_gets_it(net, server):
    block = ipaddress.ip_network(vsw_attr(net, net["vsw"]).ipv_6cidr_block)
    wanted = str(block.network_address + 0x42)
    iid = _run(net, server, ipv_6address=[wanted])
    nic = _instances(net, instance_ids=f'["{iid}"]')[0].network_interfaces.network_interface[0]
    assert [s.ipv_6address for s in nic.ipv_6sets.ipv_6set] == [wanted]


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"ipv_6address": ["2001:db8::1"], "amount": 2}, ("InvalidParameter.Conflict", 400)),
        (
            {"ipv_6address": ["2001:db8::1"], "ipv_6address_count": 1},
            ("InvalidParameter.Conflict", 400),
        ),
        (
            {"ipv_6address_count": 2, "instance_type": "ecs.g6.large"},
            ("InvalidOperation.MaxEniIpv6IpsCountExceeded", 404),
        ),
        ({"ipv_6address": ["2001:db8::1"]}, ("InvalidOperation.AddressNotInVSwitchCidr", 404)),
    ],
)
def test_bad_run_instances_ipv6_requests_are_refused_and_run_nothing(net, server, kw, expected):
    err = refused(lambda: _run(net, server, **kw))
    assert code(err) == expected
    assert _instances(net) == []


def test_run_instances_ipv6_on_a_vswitch_without_ipv6_is_refused(net, server):
    plain = new_vswitch(net, server, "10.0.2.0/24")
    err = refused(lambda: _run(net, server, v_switch_id=plain, ipv_6address_count=1))
    assert code(err) == ("InvalidOperation.VSwitchIpv6Disabled", 404)
    assert _instances(net) == []


def test_releasing_an_instance_frees_its_ipv6_addresses(net, server):
    iid = _run(net, server, ipv_6address_count=1)
    nic = _instances(net, instance_ids=f'["{iid}"]')[0].network_interfaces.network_interface[0]
    address = nic.ipv_6sets.ipv_6set[0].ipv_6address
    net["ecs"].delete_instance(m.DeleteInstanceRequest(instance_id=iid, force=True))
    server.advance(5)
    assert v6(create(net, ipv_6address=[address])) == [address]


def test_a_detached_interface_holds_at_most_30_ipv6_addresses(net):
    eni = create(net, ipv_6address_count=10).network_interface_id
    assign(net, eni, ipv_6address_count=10)
    assign(net, eni, ipv_6address_count=10)
    err = refused(lambda: assign(net, eni, ipv_6address_count=1))
    assert code(err) == ("InvalidOperation.MaxEniIpv6IpsCountExceeded", 404)
    assert len(v6(eni_attr(net, eni))) == 30


def test_an_assignment_retried_with_its_client_token_assigns_nothing_more(net):
    eni = create(net).network_interface_id
    first = assign(net, eni, ipv_6address_count=2, client_token="tok-ipv6-1")
    again = assign(net, eni, ipv_6address_count=2, client_token="tok-ipv6-1")
    assert again.ipv_6sets.ipv_6address == first.ipv_6sets.ipv_6address
    assert len(v6(eni_attr(net, eni))) == 2


def test_a_launch_templates_ipv6_address_count_reaches_the_primary_interface(net, server):
    from tests.test_aliyun_network_interface_lifecycle import IMAGE, TYPE

    template = net["ecs"].create_launch_template(
        m.CreateLaunchTemplateRequest(
            region_id=REGION,
            launch_template_name="ipv6-template",
            image_id=IMAGE,
            instance_type=TYPE,
            v_switch_id=net["vsw"],
            security_group_id=net["sg"],
            ipv_6address_count=2,
        )
    )
    body = net["ecs"].run_instances(
        m.RunInstancesRequest(region_id=REGION, launch_template_id=template.body.launch_template_id)
    )
    server.advance(4)
    iid = body.body.instance_id_sets.instance_id_set[0]
    nic = _instances(net, instance_ids=f'["{iid}"]')[0].network_interfaces.network_interface[0]
    assert len(nic.ipv_6sets.ipv_6set) == 2
