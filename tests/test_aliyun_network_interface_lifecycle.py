"""The life of an elastic network interface after its creation, through the official SDKs.

The flow Terraform's alicloud_ecs_network_interface and
alicloud_ecs_network_interface_attachment follow (create, wait Available,
attach, wait InUse, detach, wait Available, delete, wait gone), the attach
and detach rules with their codes, secondary addresses and prefixes assigned
and unassigned, the instance's primary interface, release with the instance,
DescribeNetworkInterfaces' filters and paging, and ModifyNetworkInterfaceAttribute.
"""

from __future__ import annotations

import json

import pytest
from alibabacloud_ecs20140526 import models as m
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkecs.request.v20140526.AssignIpv6AddressesRequest import AssignIpv6AddressesRequest
from aliyunsdkecs.request.v20140526.UnassignIpv6AddressesRequest import (
    UnassignIpv6AddressesRequest,
)

from tests import clients
from tests.test_aliyun_network_interfaces import (
    REGION,
    _group,
    _vswitch,
    create,
    free,
    refused,
)
from tests.test_aliyun_network_interfaces import net as net  # noqa: F401 - the fixture

IMAGE = "aliyun_3_x64_20G_alibase_20240528.vhd"
TYPE = "ecs.g7.large"  # EniQuantity 3, EniPrivateIpAddressQuantity 6
SETTLE = 1.5  # past the engine's attach/detach time


def run(net, server, vsw: str | None = None, instance_type: str = TYPE) -> str:  # noqa: ANN001
    """A Running instance in the vSwitch (ZONE unless the vSwitch is elsewhere)."""
    body = net["ecs"].run_instances(
        m.RunInstancesRequest(
            region_id=REGION,
            image_id=IMAGE,
            instance_type=instance_type,
            v_switch_id=vsw or net["vsw"],
            security_group_id=net["sg"],
        )
    )
    server.advance(4)
    return body.body.instance_id_sets.instance_id_set[0]


def describe(net, **kw) -> list:  # noqa: ANN001
    body = net["ecs"].describe_network_interfaces(
        m.DescribeNetworkInterfacesRequest(region_id=REGION, **kw)
    )
    return body.body.network_interface_sets.network_interface_set


def one(net, eni: str):  # noqa: ANN001, ANN201
    return (
        net["ecs"]
        .describe_network_interface_attribute(
            m.DescribeNetworkInterfaceAttributeRequest(region_id=REGION, network_interface_id=eni)
        )
        .body
    )


def attach(net, eni: str, iid: str) -> None:  # noqa: ANN001
    net["ecs"].attach_network_interface(
        m.AttachNetworkInterfaceRequest(region_id=REGION, network_interface_id=eni, instance_id=iid)
    )


def detach(net, eni: str, iid: str) -> None:  # noqa: ANN001
    net["ecs"].detach_network_interface(
        m.DetachNetworkInterfaceRequest(region_id=REGION, network_interface_id=eni, instance_id=iid)
    )


def code(err) -> tuple[str, int]:  # noqa: ANN001
    return (err.code, err.status_code)


# --------------------------------------------------------------------------- the Terraform flow


def test_terraform_flow_create_attach_detach_delete(server, net):
    iid = run(net, server)
    eni = create(net, network_interface_name="tf-eni").network_interface_id
    assert one(net, eni).status == "Available"
    attach(net, eni, iid)
    got = one(net, eni)
    assert (got.status, got.instance_id) == ("Attaching", iid)
    server.advance(SETTLE)
    got = one(net, eni)
    assert (got.status, got.instance_id, got.attachment.instance_id) == ("InUse", iid, iid)
    vm_ = net["ecs"].describe_instances(
        m.DescribeInstancesRequest(region_id=REGION, instance_ids=json.dumps([iid]))
    )
    nics = vm_.body.instances.instance[0].network_interfaces.network_interface
    assert sorted(n.type for n in nics) == ["Primary", "Secondary"]
    detach(net, eni, iid)
    assert one(net, eni).status == "Detaching"
    server.advance(SETTLE)
    got = one(net, eni)
    assert (got.status, got.instance_id) == ("Available", "")
    before = free(net)
    net["ecs"].delete_network_interface(
        m.DeleteNetworkInterfaceRequest(region_id=REGION, network_interface_id=eni)
    )
    assert describe(net, network_interface_id=[eni]) == []
    assert code(refused(lambda: one(net, eni))) == ("InvalidEniId.NotFound", 404)
    assert free(net) == before + 1


def test_an_instance_primary_interface_is_listed_as_primary_and_in_use(server, net):
    iid = run(net, server)
    (primary,) = describe(net, instance_id=iid)
    assert (primary.type, primary.status, primary.instance_id) == ("Primary", "InUse", iid)
    assert primary.delete_on_release is True
    err = refused(lambda: detach(net, primary.network_interface_id, iid))
    assert code(err) == ("InvalidOperation.DetachPrimaryEniNotAllowed", 400)
    assert describe(net, instance_id=iid)[0].status == "InUse"


# --------------------------------------------------------------------------- attach and detach rules


def test_an_interface_in_use_cannot_be_attached_again_or_deleted(server, net):
    iid = run(net, server)
    eni = create(net).network_interface_id
    attach(net, eni, iid)
    assert code(refused(lambda: attach(net, eni, iid))) == ("InvalidOperation.InvalidEniState", 400)
    err = refused(
        lambda: net["ecs"].delete_network_interface(
            m.DeleteNetworkInterfaceRequest(region_id=REGION, network_interface_id=eni)
        )
    )
    assert code(err) == ("InvalidOperation.InvalidEniState", 400)
    server.advance(SETTLE)
    assert one(net, eni).status == "InUse"


def test_an_instance_holds_at_most_its_type_eni_quantity(server, net):
    iid = run(net, server)
    first, second, third = (create(net).network_interface_id for _ in range(3))
    attach(net, first, iid)
    attach(net, second, iid)
    err = refused(lambda: attach(net, third, iid))
    assert code(err) == ("EniPerInstanceLimitExceeded", 403)
    assert one(net, third).status == "Available"


ATTACH_TYPE_REFUSALS = [
    ({"queue_number": 3}, "InvalidOperation.MaxEniQueueNumberExceeded"),
    (
        {"network_interface_traffic_mode": "HighPerformance"},
        "InvalidOperation.HighPerformanceTrafficModeIsNotAllowed",
    ),
    ({"secondary_private_ip_address_count": 6}, "MaxEniPrivateIpsCountExceeded"),
]


@pytest.mark.parametrize(("kw", "expected"), ATTACH_TYPE_REFUSALS)
def test_attach_refuses_what_the_instance_type_cannot_hold(server, net, kw, expected):
    iid = run(net, server)  # ecs.g7.large: 2 queues per ENI, no ERI, 6 addresses per ENI
    eni = create(net, **kw).network_interface_id
    assert code(refused(lambda: attach(net, eni, iid))) == (expected, 403)
    assert (one(net, eni).status, len(describe(net, instance_id=iid))) == ("Available", 1)


def test_a_trunk_interface_needs_a_type_that_supports_trunking(server, net):
    iid = run(net, server, instance_type="ecs.t6-c1m1.large")
    eni = create(net, instance_type="Trunk").network_interface_id
    err = refused(lambda: attach(net, eni, iid))
    assert code(err) == ("InvalidOperation.TrunkingIsNotAllowed", 403)
    assert one(net, eni).status == "Available"


def test_attach_refuses_an_unknown_or_malformed_instance(net):
    eni = create(net).network_interface_id
    assert code(refused(lambda: attach(net, eni, "i-bpnotthere"))) == ("InvalidEcsId.NotFound", 404)
    assert code(refused(lambda: attach(net, eni, "eni-x"))) == ("InvalidInstanceID.Malformed", 400)
    assert code(refused(lambda: attach(net, "eni-bpnone", "i-bpx"))) == (
        "InvalidEniId.NotFound",
        404,
    )
    assert one(net, eni).status == "Available"


def test_attach_needs_a_running_or_stopped_instance(server, net):
    body = net["ecs"].run_instances(
        m.RunInstancesRequest(
            region_id=REGION,
            image_id=IMAGE,
            instance_type=TYPE,
            v_switch_id=net["vsw"],
            security_group_id=net["sg"],
        )
    )
    iid = body.body.instance_id_sets.instance_id_set[0]  # still Pending
    eni = create(net).network_interface_id
    err = refused(lambda: attach(net, eni, iid))
    assert code(err) == ("InvalidOperation.InvalidEcsState", 400)
    assert one(net, eni).status == "Available"


def test_attach_needs_the_instance_zone(server, net):
    iid = run(net, server)
    elsewhere = _vswitch(net, "10.0.5.0/24", server, zone="cn-hangzhou-i")
    eni = create(net, v_switch_id=elsewhere).network_interface_id
    err = refused(lambda: attach(net, eni, iid))
    assert code(err) == ("InvalidOperation.AvailabilityZoneMismatch", 403)
    assert one(net, eni).status == "Available"


def test_attach_needs_the_instance_vpc(server, net):
    iid = run(net, server)
    from alibabacloud_vpc20160428 import models as vm

    other = net["vpc"].create_vpc(
        vm.CreateVpcRequest(region_id=REGION, cidr_block="192.168.0.0/16")
    )
    server.advance(1.5)
    other_net = {**net, "vpc_id": other.body.vpc_id}
    vsw = _vswitch(other_net, "192.168.1.0/24", server)
    eni = create(net, v_switch_id=vsw, security_group_id=_group(other_net)).network_interface_id
    err = refused(lambda: attach(net, eni, iid))
    assert code(err) == ("InvalidOperation.VpcMismatch", 403)
    assert one(net, eni).status == "Available"


def test_detach_needs_the_instance_that_holds_the_interface(server, net):
    iid = run(net, server)
    eni = create(net).network_interface_id
    err = refused(lambda: detach(net, eni, iid))
    assert code(err) == ("InvalidOperation.InvalidEniState", 400)
    assert one(net, eni).status == "Available"


def test_releasing_an_instance_deletes_the_interfaces_that_delete_on_release(server, net):
    iid = run(net, server)
    kept = create(net).network_interface_id
    gone = create(net, delete_on_release=True).network_interface_id
    attach(net, kept, iid)
    attach(net, gone, iid)
    server.advance(SETTLE)
    net["ecs"].delete_instance(m.DeleteInstanceRequest(instance_id=iid, force=True))
    server.advance(3)
    assert [e.network_interface_id for e in describe(net)] == [kept]
    got = one(net, kept)
    assert (got.status, got.instance_id) == ("Available", "")


# --------------------------------------------------------------------------- addresses


def assign(net, eni: str, **kw):  # noqa: ANN001, ANN201
    return (
        net["ecs"]
        .assign_private_ip_addresses(
            m.AssignPrivateIpAddressesRequest(region_id=REGION, network_interface_id=eni, **kw)
        )
        .body.assigned_private_ip_addresses_set
    )


def unassign(net, eni: str, **kw) -> None:  # noqa: ANN001
    net["ecs"].unassign_private_ip_addresses(
        m.UnassignPrivateIpAddressesRequest(region_id=REGION, network_interface_id=eni, **kw)
    )


def addresses(net, eni: str) -> list[str]:  # noqa: ANN001
    return [i.private_ip_address for i in one(net, eni).private_ip_sets.private_ip_set]


def test_assign_and_unassign_secondary_addresses_change_the_free_count(net):
    eni = create(net, primary_ip_address="10.0.1.50").network_interface_id
    before = free(net)
    got = assign(net, eni, secondary_private_ip_address_count=2)
    assert got.network_interface_id == eni and len(got.private_ip_set.private_ip_address) == 2
    assign(net, eni, private_ip_address=["10.0.1.60"])
    assert free(net) == before - 3
    assert "10.0.1.60" in addresses(net, eni) and len(addresses(net, eni)) == 4
    unassign(net, eni, private_ip_address=["10.0.1.60"])
    assert "10.0.1.60" not in addresses(net, eni) and free(net) == before - 2


def test_assign_and_unassign_ipv4_prefixes(net):
    eni = create(net).network_interface_id
    before = free(net)
    got = assign(net, eni, ipv_4prefix=["10.0.1.128/28"])
    assert got.ipv_4prefix_set.ipv_4prefixes == ["10.0.1.128/28"]
    assert free(net) == before - 16
    assert [p.ipv_4prefix for p in one(net, eni).ipv_4prefix_sets.ipv_4prefix_set] == [
        "10.0.1.128/28"
    ]
    unassign(net, eni, ipv_4prefix=["10.0.1.128/28"])
    assert one(net, eni).ipv_4prefix_sets.ipv_4prefix_set == [] and free(net) == before


def test_the_primary_address_cannot_be_unassigned(net):
    eni = create(net, primary_ip_address="10.0.1.50").network_interface_id
    err = refused(lambda: unassign(net, eni, private_ip_address=["10.0.1.50"]))
    assert code(err) == ("InvalidParameter", 400)
    assert addresses(net, eni) == ["10.0.1.50"]


def test_an_attached_interface_holds_at_most_its_type_address_quantity(server, net):
    iid = run(net, server)
    eni = create(net).network_interface_id
    attach(net, eni, iid)
    server.advance(SETTLE)
    assign(net, eni, secondary_private_ip_address_count=5)  # 6 with the primary
    before = free(net)
    err = refused(lambda: assign(net, eni, secondary_private_ip_address_count=1))
    assert code(err) == ("MaxEniPrivateIpsCountExceeded", 403)
    assert free(net) == before and len(addresses(net, eni)) == 6


def test_addresses_of_an_attaching_interface_do_not_change(server, net):
    iid = run(net, server)
    eni = create(net).network_interface_id
    attach(net, eni, iid)
    before = free(net)
    err = refused(lambda: assign(net, eni, secondary_private_ip_address_count=1))
    assert code(err) == ("InvalidOperation.InvalidEniState", 400)
    assert free(net) == before


def test_assigning_an_address_in_use_is_duplicated_and_assigns_nothing(net):
    create(net, primary_ip_address="10.0.1.70")
    eni = create(net).network_interface_id
    before = free(net)
    err = refused(lambda: assign(net, eni, private_ip_address=["10.0.1.71", "10.0.1.70"]))
    assert code(err) == ("InvalidPrivateIpAddress.Duplicated", 400)
    assert free(net) == before and len(addresses(net, eni)) == 1


def _legacy(net, request) -> ServerException:  # noqa: ANN001
    with pytest.raises(ServerException) as info:
        clients.legacy(net["tenant"]).do_action_with_exception(request)
    return info.value


def test_ipv6_assignment_answers_that_the_vswitch_has_no_ipv6(net):
    eni = create(net).network_interface_id
    request = AssignIpv6AddressesRequest()
    request.set_NetworkInterfaceId(eni)
    request.set_Ipv6AddressCount(1)
    err = _legacy(net, request)
    assert (err.get_error_code(), err.get_http_status()) == (
        "InvalidOperation.VSwitchIpv6Disabled",
        404,
    )
    request = UnassignIpv6AddressesRequest()
    request.set_NetworkInterfaceId("eni-bpnotthere")
    request.set_Ipv6Addresss(["2001:db8::1"])
    err = _legacy(net, request)
    assert (err.get_error_code(), err.get_http_status()) == ("InvalidEniId.NotFound", 404)


# --------------------------------------------------------------------------- describe and modify


def test_describe_filters_by_status_type_name_address_group_and_tag(server, net):
    iid = run(net, server)
    a = create(net, network_interface_name="alpha", primary_ip_address="10.0.1.90")
    other_sg = _group(net)
    b = create(
        net,
        security_group_id=other_sg,
        tag=[m.CreateNetworkInterfaceRequestTag(key="env", value="prod")],
    )
    ids = lambda rows: sorted(r.network_interface_id for r in rows)  # noqa: E731
    assert ids(describe(net, network_interface_name="alpha")) == [a.network_interface_id]
    assert ids(describe(net, primary_ip_address="10.0.1.90")) == [a.network_interface_id]
    assert ids(describe(net, security_group_id=other_sg)) == [b.network_interface_id]
    tag = m.DescribeNetworkInterfacesRequestTag(key="env", value="prod")
    assert ids(describe(net, tag=[tag])) == [b.network_interface_id]
    assert ids(describe(net, type="Secondary")) == sorted(
        [a.network_interface_id, b.network_interface_id]
    )
    assert [r.instance_id for r in describe(net, type="Primary")] == [iid]
    assert len(describe(net, status="Available")) == 2


def test_describe_pages_by_token_and_by_number(net):
    made = [create(net).network_interface_id for _ in range(12)]
    first = (
        net["ecs"]
        .describe_network_interfaces(
            m.DescribeNetworkInterfacesRequest(region_id=REGION, max_results=10)
        )
        .body
    )
    assert len(first.network_interface_sets.network_interface_set) == 10 and first.next_token
    rest = (
        net["ecs"]
        .describe_network_interfaces(
            m.DescribeNetworkInterfacesRequest(
                region_id=REGION, max_results=10, next_token=first.next_token
            )
        )
        .body
    )
    seen = [
        e.network_interface_id
        for page in (first, rest)
        for e in page.network_interface_sets.network_interface_set
    ]
    assert seen == made and rest.next_token == ""
    page2 = (
        net["ecs"]
        .describe_network_interfaces(
            m.DescribeNetworkInterfacesRequest(region_id=REGION, page_number=2, page_size=5)
        )
        .body
    )
    assert [e.network_interface_id for e in page2.network_interface_sets.network_interface_set] == (
        made[5:10]
    )
    assert (page2.total_count, page2.page_number, page2.page_size) == (12, 2, 5)
    err = refused(
        lambda: net["ecs"].describe_network_interfaces(
            m.DescribeNetworkInterfacesRequest(region_id=REGION, max_results=9)
        )
    )
    assert code(err) == ("InvalidParameter.MaxResults", 400)


def test_modify_renames_regroups_and_retunes_an_interface(net):
    eni = create(net).network_interface_id
    other = _group(net)
    net["ecs"].modify_network_interface_attribute(
        m.ModifyNetworkInterfaceAttributeRequest(
            region_id=REGION,
            network_interface_id=eni,
            network_interface_name="renamed",
            description="a new description",
            security_group_id=[other, net["sg"]],
            delete_on_release=True,
            queue_number=8,
        )
    )
    got = one(net, eni)
    assert (got.network_interface_name, got.description) == ("renamed", "a new description")
    assert got.security_group_ids.security_group_id == [other, net["sg"]]
    assert got.delete_on_release is True and got.queue_number == 8


def test_modify_refuses_queue_changes_while_attached_and_changes_nothing(server, net):
    iid = run(net, server)
    eni = create(net, queue_number=2).network_interface_id
    attach(net, eni, iid)
    server.advance(SETTLE)
    err = refused(
        lambda: net["ecs"].modify_network_interface_attribute(
            m.ModifyNetworkInterfaceAttributeRequest(
                region_id=REGION,
                network_interface_id=eni,
                queue_number=4,
                network_interface_name="renamed",
            )
        )
    )
    assert code(err) == ("InvalidOperation.InvalidEniState", 400)
    got = one(net, eni)
    assert (got.queue_number, got.network_interface_name) == (2, "")


def test_modify_refuses_a_group_of_another_vpc(server, net):
    from alibabacloud_vpc20160428 import models as vm

    eni = create(net).network_interface_id
    other = net["vpc"].create_vpc(
        vm.CreateVpcRequest(region_id=REGION, cidr_block="192.168.0.0/16")
    )
    server.advance(1.5)
    foreign = _group(net, other.body.vpc_id)
    err = refused(
        lambda: net["ecs"].modify_network_interface_attribute(
            m.ModifyNetworkInterfaceAttributeRequest(
                region_id=REGION, network_interface_id=eni, security_group_id=[foreign]
            )
        )
    )
    assert code(err) == ("InvalidOperation.VpcMismatch", 403)
    assert one(net, eni).security_group_ids.security_group_id == [net["sg"]]
