"""CreateNetworkInterface exactly as seed 004, through the official Tea SDK, on both stores.

Each parameter with its effect in the answer (and in the vSwitch's free
address count), each error code of the seed's table that can apply with its
trigger and HTTP status, and after every refusal a read showing that nothing
was allocated: no interface, no address.
"""

from __future__ import annotations

import ipaddress
import json

import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_vpc20160428 import models as vm
from aliyunsdkecs.request.v20140526.DescribeNetworkInterfaceAttributeRequest import (
    DescribeNetworkInterfaceAttributeRequest,
)

from tests import clients

REGION = "cn-hangzhou"
ZONE = "cn-hangzhou-h"
Tag = m.CreateNetworkInterfaceRequestTag
Traffic = m.CreateNetworkInterfaceRequestNetworkInterfaceTrafficConfig
Tracking = m.CreateNetworkInterfaceRequestConnectionTrackingConfiguration
Enhanced = m.CreateNetworkInterfaceRequestEnhancedNetwork


def _vswitch(net, cidr: str, server=None, zone: str = ZONE) -> str:  # noqa: ANN001
    vsw = (
        net["vpc"]
        .create_vswitch(
            vm.CreateVSwitchRequest(
                region_id=REGION, vpc_id=net["vpc_id"], zone_id=zone, cidr_block=cidr
            )
        )
        .body.v_switch_id
    )
    if server is not None:
        server.advance(1.5)
    return vsw


@pytest.fixture
def net(server, tenant):  # noqa: ANN001, ANN201
    """A VPC, an Available /24 vSwitch in ZONE and a security group."""
    vpc = clients.tea_vpc(tenant)
    vpc_id = vpc.create_vpc(
        vm.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16")
    ).body.vpc_id
    server.advance(1.5)
    out = {"vpc": vpc, "vpc_id": vpc_id, "ecs": clients.tea_ecs(tenant), "tenant": tenant}
    out["vsw"] = _vswitch(out, "10.0.1.0/24", server)
    out["sg"] = _group(out)
    return out


def _group(net, vpc_id: str | None = None, kind: str = "normal") -> str:  # noqa: ANN001
    return (
        net["ecs"]
        .create_security_group(
            m.CreateSecurityGroupRequest(
                region_id=REGION, vpc_id=vpc_id or net["vpc_id"], security_group_type=kind
            )
        )
        .body.security_group_id
    )


def create(net, **kw):  # noqa: ANN001, ANN201
    values = {"region_id": REGION, "v_switch_id": net["vsw"], "security_group_id": net["sg"]}
    values.update(kw)
    values = {k: v for k, v in values.items() if v is not None}
    return net["ecs"].create_network_interface(m.CreateNetworkInterfaceRequest(**values)).body


def free(net, vsw: str | None = None) -> int:  # noqa: ANN001
    body = net["vpc"].describe_vswitches(
        vm.DescribeVSwitchesRequest(region_id=REGION, v_switch_id=vsw or net["vsw"])
    )
    return body.body.v_switches.v_switch[0].available_ip_address_count


def listed(net, vsw: str | None = None) -> list:  # noqa: ANN001
    body = net["ecs"].describe_network_interfaces(
        m.DescribeNetworkInterfacesRequest(
            region_id=REGION, v_switch_id=vsw or net["vsw"], page_size=100
        )
    )
    return body.body.network_interface_sets.network_interface_set


def refused(call) -> ClientException:  # noqa: ANN001
    with pytest.raises(ClientException) as info:
        call()
    return info.value


# --------------------------------------------------------------------------- what a creation makes


def test_a_new_interface_is_available_with_every_field_of_the_seed(net):
    before = free(net)
    body = create(net, network_interface_name="eni-web", description="the web tier")
    assert body.network_interface_id.startswith("eni-bp")
    assert (body.status, body.type) == ("Available", "Secondary")
    assert (body.vpc_id, body.v_switch_id, body.zone_id) == (net["vpc_id"], net["vsw"], ZONE)
    assert (body.network_interface_name, body.description) == ("eni-web", "the web tier")
    assert body.mac_address.startswith("00:16:3e:") and len(body.mac_address) == 17
    assert ipaddress.ip_address(body.private_ip_address) in ipaddress.ip_network("10.0.1.0/24")
    ips = body.private_ip_sets.private_ip_set
    assert [(i.private_ip_address, i.primary) for i in ips] == [(body.private_ip_address, True)]
    assert body.security_group_ids.security_group_id == [net["sg"]]
    assert body.owner_id == str(net["tenant"].account.id)
    assert body.resource_group_id.startswith("rg-") and body.service_managed is False
    assert body.tags.tag == [] and body.ipv_6sets.ipv_6set == []
    assert body.ipv_4prefix_sets.ipv_4prefix_set == []
    assert body.ipv_6prefix_sets.ipv_6prefix_set == [] and body.source_dest_check is False
    assert free(net) == before - 1


def test_primary_and_listed_secondary_addresses_are_the_ones_asked_for(net):
    body = create(
        net, primary_ip_address="10.0.1.10", private_ip_address=["10.0.1.11", "10.0.1.12"]
    )
    ips = [(i.private_ip_address, i.primary) for i in body.private_ip_sets.private_ip_set]
    assert ips == [("10.0.1.10", True), ("10.0.1.11", False), ("10.0.1.12", False)]


def test_a_secondary_count_claims_that_many_distinct_addresses(net):
    before = free(net)
    body = create(net, secondary_private_ip_address_count=49)
    addresses = [i.private_ip_address for i in body.private_ip_sets.private_ip_set]
    assert len(addresses) == len(set(addresses)) == 50
    assert free(net) == before - 50


def test_an_ipv4_prefix_count_claims_aligned_28_blocks_off_the_free_count(net):
    before = free(net)
    body = create(net, ipv_4prefix_count=2)
    prefixes = [p.ipv_4prefix for p in body.ipv_4prefix_sets.ipv_4prefix_set]
    nets = [ipaddress.ip_network(p) for p in prefixes]
    assert len(nets) == 2 and all(n.prefixlen == 28 for n in nets)
    assert not any(ipaddress.ip_address(body.private_ip_address) in n for n in nets)
    assert free(net) == before - 1 - 32


def test_a_listed_ipv4_prefix_is_claimed_and_its_addresses_are_no_longer_free(net):
    body = create(net, ipv_4prefix=["10.0.1.64/28"])
    assert [p.ipv_4prefix for p in body.ipv_4prefix_sets.ipv_4prefix_set] == ["10.0.1.64/28"]
    err = refused(lambda: create(net, primary_ip_address="10.0.1.70"))
    assert (err.code, err.status_code) == ("InvalidPrivateIpAddress.Duplicated", 400)


def test_several_security_groups_are_joined_in_order(net):
    other = _group(net)
    body = create(net, security_group_id=None, security_group_ids=[other, net["sg"]])
    assert body.security_group_ids.security_group_id == [other, net["sg"]]


def test_tags_trunk_type_and_source_dest_check_are_answered(net):
    body = create(
        net,
        tag=[Tag(key="env", value="prod"), Tag(key="team", value="")],
        instance_type="Trunk",
        source_dest_check=True,
    )
    assert [(t.tag_key, t.tag_value) for t in body.tags.tag] == [("env", "prod"), ("team", "")]
    assert body.type == "Trunk" and body.source_dest_check is True


def test_traffic_and_tracking_settings_are_kept_and_described(net):
    eni = create(
        net,
        queue_number=4,
        network_interface_traffic_config=Traffic(tx_queue_size=8192, rx_queue_size=8192),
        connection_tracking_configuration=Tracking(udp_timeout=60),
        delete_on_release=True,
    ).network_interface_id
    got = (
        net["ecs"]
        .describe_network_interface_attribute(
            m.DescribeNetworkInterfaceAttributeRequest(region_id=REGION, network_interface_id=eni)
        )
        .body
    )
    traffic = got.network_interface_traffic_config
    assert (traffic.queue_number, traffic.network_interface_traffic_mode) == (4, "Standard")
    # The Tea model has no queue depths: the raw answer (legacy SDK) carries them.
    request = DescribeNetworkInterfaceAttributeRequest()
    request.set_NetworkInterfaceId(eni)
    raw = json.loads(clients.legacy(net["tenant"]).do_action_with_exception(request))
    sizes = raw["NetworkInterfaceTrafficConfig"]
    assert (sizes["TxQueueSize"], sizes["RxQueueSize"]) == (8192, 8192)
    tracking = got.connection_tracking_configuration
    assert (tracking.udp_timeout, tracking.tcp_established_timeout) == (60, 910)
    assert tracking.tcp_closed_and_time_wait_timeout == 3
    assert got.delete_on_release is True and got.queue_number == 4


def test_high_performance_mode_keeps_its_queue_pairs(net):
    eni = create(
        net, network_interface_traffic_mode="HighPerformance", queue_pair_number=8
    ).network_interface_id
    got = (
        net["ecs"]
        .describe_network_interface_attribute(
            m.DescribeNetworkInterfaceAttributeRequest(region_id=REGION, network_interface_id=eni)
        )
        .body
    )
    assert got.network_interface_traffic_mode == "HighPerformance"
    assert got.queue_pair_number == 8


def test_a_client_token_retry_answers_the_first_interface_and_allocates_nothing(net):
    first = create(net, client_token="eni-token-1")
    before = free(net)
    again = create(net, client_token="eni-token-1")
    assert again.network_interface_id == first.network_interface_id
    assert again.private_ip_address == first.private_ip_address
    assert free(net) == before and len(listed(net)) == 1
    err = refused(lambda: create(net, client_token="eni-token-1", network_interface_name="other"))
    assert (err.code, err.status_code) == ("IdempotentParameterMismatch", 400)


# --------------------------------------------------------------------------- refusals


def _many_tags(n: int) -> list:
    return [Tag(key=f"k{i}", value="v") for i in range(n)]


REFUSALS = [
    ({"v_switch_id": None}, "MissingParameter", 400),
    ({"security_group_id": None}, "MissingParameter", 400),
    ({"security_group_ids": ["sg-x"]}, "InvalidSecurityGroupId.SingleIdAndMultiIdConflict", 400),
    (
        {"security_group_id": None, "security_group_ids": ["sg-a", "sg-a"]},
        "InvalidParameter.SecurityGroupIdRepeated",
        400,
    ),
    (
        {"security_group_id": None, "security_group_ids": [f"sg-{i}" for i in range(6)]},
        "JoinedGroupLimitExceed",
        400,
    ),
    ({"security_group_id": "sg-bpnotthere"}, "InvalidSecurityGroupId.NotFound", 404),
    ({"v_switch_id": "vsw-bpnotthere"}, "InvalidVSwitchId.NotFound", 404),
    ({"region_id": "xx-nowhere-1"}, "InvalidRegionId.NotFound", 404),
    (
        {"private_ip_address": ["10.0.1.20"], "secondary_private_ip_address_count": 1},
        "InvalidParameter.Conflict",
        400,
    ),
    ({"secondary_private_ip_address_count": 50}, "InvalidParameter", 400),
    ({"secondary_private_ip_address_count": 0}, "InvalidParameter", 400),
    (
        {"private_ip_address": [f"10.0.1.{20 + i}" for i in range(11)]},
        "MaxEniPrivateIpsCountExceeded",
        403,
    ),
    ({"private_ip_address": ["10.0.1.300"]}, "InvalidIp.Address", 403),
    ({"private_ip_address": ["10.0.2.5"]}, "InvalidIp.Address", 403),
    ({"primary_ip_address": "not-an-ip"}, "InvalidIp.Address", 403),
    ({"private_ip_address": ["10.0.1.20", "10.0.1.20"]}, "InvalidIp.IpRepeated", 403),
    (
        {"primary_ip_address": "10.0.1.20", "private_ip_address": ["10.0.1.20"]},
        "InvalidIp.IpRepeated",
        403,
    ),
    ({"primary_ip_address": "10.0.1.255"}, "InvalidVSwitchId.IpInvalid", 403),
    ({"private_ip_address": ["10.0.1.0"]}, "InvalidVSwitchId.IpInvalid", 403),
    (
        {"ipv_4prefix": ["10.0.1.16/28"], "ipv_4prefix_count": 1},
        "InvalidParameter.Conflict",
        400,
    ),
    ({"ipv_4prefix": ["10.0.1.17/28"]}, "InvalidIp.IpPrefixNotStrict", 403),
    ({"ipv_4prefix": ["10.0.1.16"]}, "InvalidIp.IpPrefixIllegal", 403),
    ({"ipv_4prefix": ["bad/28"]}, "InvalidIp.IpPrefixIllegal", 403),
    ({"ipv_4prefix": ["10.0.2.0/28"]}, "InvalidIp.IpPrefixIllegal", 403),
    ({"ipv_4prefix": ["10.0.1.32/27"]}, "InvalidIp.IpPrefixMaskInvalid", 403),
    ({"ipv_4prefix": ["10.0.1.16/28", "10.0.1.32/27"]}, "InvalidIp.IpPrefixMaskNotSame", 403),
    ({"ipv_4prefix": ["10.0.1.0/28"]}, "InvalidIp.IpPrefixNotAvailable", 403),
    ({"ipv_4prefix": ["10.0.1.16/28", "10.0.1.16/28"]}, "InvalidIp.IpPrefixNotAvailable", 403),
    ({"ipv_4prefix_count": 11}, "InvalidParameter", 400),
    ({"ipv_6address_count": 1}, "InvalidOperation.VSwitchIpv6Disabled", 404),
    ({"ipv_6address": ["2001:db8::1"]}, "InvalidOperation.VSwitchIpv6Disabled", 404),
    ({"ipv_6prefix_count": 1}, "InvalidOperation.VSwitchIpv6Disabled", 404),
    (
        {"ipv_6address": ["2001:db8::1"], "ipv_6address_count": 1},
        "InvalidParameter.Conflict",
        400,
    ),
    (
        {"ipv_6prefix": ["2001:db8::/80"], "ipv_6prefix_count": 1},
        "InvalidParameter.Conflict",
        400,
    ),
    (
        {"network_interface_traffic_mode": "HighPerformance", "instance_type": "Trunk"},
        "InvalidOperation.HighPerformanceTrafficModeEniUnsupported",
        403,
    ),
    (
        {"network_interface_traffic_mode": "HighPerformance", "ipv_6address_count": 1},
        "InvalidOperation.EniTrafficModeNotSupportIpv6",
        404,
    ),
    ({"network_interface_traffic_mode": "Turbo"}, "InvalidParameter.EniTrafficMode", 403),
    ({"queue_pair_number": 8}, "InvalidParameter.QueuePairNumberMustEmpty", 403),
    (
        {"network_interface_traffic_mode": "HighPerformance", "queue_pair_number": 0},
        "InvalidParameter.InvalidQueuePairNumber",
        403,
    ),
    ({"queue_number": 0}, "InvalidParameter.InvalidEniQueueNumber", 403),
    ({"queue_number": 2049}, "InvalidParameter.InvalidEniQueueNumber", 403),
    (
        {"queue_number": 2, "network_interface_traffic_config": Traffic(queue_number=4)},
        "InvalidParameter.Conflict",
        400,
    ),
    ({"tx_queue_size": 8192, "rx_queue_size": 16384}, "InvalidParameter.EniQueueSize", 400),
    ({"tx_queue_size": 4096, "rx_queue_size": 4096}, "InvalidParameter.EniQueueSize", 400),
    ({"tx_queue_size": 8192}, "InvalidParameter.EniQueueSize", 400),
    (
        {"connection_tracking_configuration": Tracking(tcp_established_timeout=31)},
        "InvalidParameter.EniConnectionTrackingConfiguration",
        400,
    ),
    (
        {"connection_tracking_configuration": Tracking(tcp_closed_and_time_wait_timeout=16)},
        "InvalidParameter.EniConnectionTrackingConfiguration",
        400,
    ),
    (
        {"connection_tracking_configuration": Tracking(udp_timeout=11)},
        "InvalidParameter.EniConnectionTrackingConfiguration",
        400,
    ),
    ({"enhanced_network": Enhanced(enable_sriov=True)}, "InvalidParameter.EniEnhancedNetwork", 400),
    (
        {"enhanced_network": Enhanced(virtual_function_quantity=2)},
        "InvalidParameter.EniEnhancedNetwork",
        400,
    ),
    ({"instance_type": "Primary"}, "InvalidOperation.InvalidEniType", 403),
    ({"network_interface_name": "a"}, "InvalidParams.NetworkInterfaceName", 403),
    ({"network_interface_name": "bad name!"}, "InvalidParams.NetworkInterfaceName", 403),
    ({"network_interface_name": "x" * 129}, "InvalidParams.NetworkInterfaceName", 403),
    ({"description": "x"}, "InvalidParameter", 400),
    ({"description": "http://example.com/eni"}, "InvalidParameter", 400),
    ({"tag": _many_tags(21)}, "QuotaExceed.Tags", 403),
    ({"tag": [Tag(key="k", value="1"), Tag(key="k", value="2")]}, "Duplicate.TagKey", 400),
    ({"tag": [Tag(key="aliyun-x", value="v")]}, "InvalidTagKey.Malformed", 400),
    ({"tag": [Tag(key="acs:x", value="v")]}, "InvalidTagKey.Malformed", 400),
    ({"tag": [Tag(key="k", value="see http://x")]}, "InvalidTagValue.Malformed", 400),
    ({"visible": True}, "UnsupportedParameter", 400),
    ({"business_type": "x"}, "UnsupportedParameter", 400),
]


@pytest.mark.parametrize(
    ("kw", "code", "status"), REFUSALS, ids=[f"{c}-{i}" for i, (_, c, _s) in enumerate(REFUSALS)]
)
def test_each_refusal_answers_the_seed_code_and_allocates_nothing(net, kw, code, status):
    before = free(net)
    err = refused(lambda: create(net, **kw))
    assert (err.code, err.status_code) == (code, status), err.message
    assert listed(net) == [] and free(net) == before


def test_a_primary_address_in_use_is_duplicated_and_the_first_interface_keeps_it(net):
    first = create(net, primary_ip_address="10.0.1.40")
    before = free(net)
    err = refused(
        lambda: create(net, primary_ip_address="10.0.1.40", secondary_private_ip_address_count=3)
    )
    assert (err.code, err.status_code) == ("InvalidPrivateIpAddress.Duplicated", 400)
    assert [e.network_interface_id for e in listed(net)] == [first.network_interface_id]
    assert free(net) == before


def test_a_group_of_another_vpc_is_a_vpc_mismatch(net, server):
    other_vpc = (
        net["vpc"]
        .create_vpc(vm.CreateVpcRequest(region_id=REGION, cidr_block="192.168.0.0/16"))
        .body.vpc_id
    )
    server.advance(1.5)
    err = refused(lambda: create(net, security_group_id=_group(net, other_vpc)))
    assert (err.code, err.status_code) == ("InvalidOperation.VpcMismatch", 403)
    assert listed(net) == []


def test_normal_and_enterprise_groups_cannot_be_mixed(net):
    enterprise = _group(net, kind="enterprise")
    err = refused(
        lambda: create(net, security_group_id=None, security_group_ids=[net["sg"], enterprise])
    )
    assert (err.code, err.status_code) == ("EnterpriseGroupLimited.MutliGroupType", 403)
    assert listed(net) == []


def test_a_group_holding_2000_interfaces_answers_instance_limit_exceed(net, server):
    """A normal group's 2000th interface is its last; the count comes from what the store holds."""
    from openecs.core import interfaces, network  # the 2000 go in through the core: one batch

    wide = _vswitch(net, "10.0.16.0/20", server)
    where = network.Scope("aliyun", net["tenant"].account.id, REGION)
    members = [
        interfaces.NewInterface(f"eni-full-{n:04d}", wide, group_ids=[net["sg"]])
        for n in range(1999)
    ]
    with server.runtime.db.write() as conn:
        interfaces.create_interfaces(conn, where, members, now=0.0)
    create(net, v_switch_id=wide)  # the 2000th
    before = free(net, wide)
    err = refused(lambda: create(net, v_switch_id=wide))
    assert (err.code, err.status_code) == ("SecurityGroupInstanceLimitExceed", 403)
    assert free(net, wide) == before


def test_a_pending_vswitch_is_refused(net):
    pending = _vswitch(net, "10.0.9.0/24")
    before = free(net, pending)
    err = refused(lambda: create(net, v_switch_id=pending))
    assert (err.code, err.status_code) == ("IncorrectVSwitchStatus", 400)
    assert free(net, pending) == before


def test_a_full_vswitch_answers_ip_not_enough_and_keeps_its_count(net, server):
    small = _vswitch(net, "10.0.8.0/29", server)  # 8 addresses, 4 reserved
    create(net, v_switch_id=small, secondary_private_ip_address_count=2)
    assert free(net, small) == 1
    err = refused(lambda: create(net, v_switch_id=small, secondary_private_ip_address_count=1))
    assert (err.code, err.status_code) == ("InvalidVSwitchId.IpNotEnough", 403)
    assert free(net, small) == 1 and len(listed(net, small)) == 1


def test_a_vswitch_without_a_free_28_answers_prefix_not_enough(net, server):
    small = _vswitch(net, "10.0.7.0/28", server)  # its only /28 holds the reserved addresses
    before = free(net, small)
    err = refused(lambda: create(net, v_switch_id=small, ipv_4prefix_count=1))
    assert (err.code, err.status_code) == ("InvalidVSwitchId.IpPrefixNotEnough", 403)
    assert free(net, small) == before and listed(net, small) == []
