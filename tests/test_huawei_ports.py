"""Huawei VPC v1 ports through the official huaweicloudsdkvpc v2 client.

The flow first (create with an automatic and a given address, list by network
and device, update groups and address pairs, delete frees the address), then
one test per refusal, each checking that the refused request allocated
nothing (the subnet's available address count is unchanged).
"""

from __future__ import annotations

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkvpc.v2 import (
    AllowedAddressPair,
    CreatePortOption,
    CreatePortRequest,
    CreatePortRequestBody,
    CreateSecurityGroupOption,
    CreateSecurityGroupRequest,
    CreateSecurityGroupRequestBody,
    CreateSubnetOption,
    CreateSubnetRequest,
    CreateSubnetRequestBody,
    CreateVpcOption,
    CreateVpcRequest,
    CreateVpcRequestBody,
    DeletePortRequest,
    ExtraDhcpOpt,
    FixedIp,
    ListPortsRequest,
    ListSecurityGroupsRequest,
    ShowPortRequest,
    ShowSubnetRequest,
    UpdatePortOption,
    UpdatePortRequest,
    UpdatePortRequestBody,
)

from openecs.core import interfaces
from openecs.core.network import Scope
from tests import clients

CIDR = "192.168.1.0/28"  # 16 addresses, 11 usable (network, gateway, 2 system, broadcast)
USABLE = 11


def refused(call) -> ClientRequestException:  # noqa: ANN001
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


def active_subnet(server, vpc, cidr: str = CIDR):  # noqa: ANN001, ANN201
    """A VPC and one subnet in it, stepped to ACTIVE."""
    vpc_id = vpc.create_vpc(
        CreateVpcRequest(body=CreateVpcRequestBody(vpc=CreateVpcOption(cidr="192.168.0.0/16")))
    ).vpc.id
    gateway = cidr.rsplit(".", 1)[0] + "." + str(int(cidr.rsplit(".", 1)[1].split("/")[0]) + 1)
    option = CreateSubnetOption(name="sn", cidr=cidr, gateway_ip=gateway, vpc_id=vpc_id)
    subnet = vpc.create_subnet(CreateSubnetRequest(body=CreateSubnetRequestBody(subnet=option)))
    server.advance(2)
    return vpc.show_subnet(ShowSubnetRequest(subnet_id=subnet.subnet.id)).subnet


def create_port(vpc, network_id: str, **kw):  # noqa: ANN001, ANN201
    option = CreatePortOption(network_id=network_id, **kw)
    return vpc.create_port(CreatePortRequest(body=CreatePortRequestBody(port=option))).port


def available(vpc, subnet_id: str) -> int:  # noqa: ANN001
    return vpc.show_subnet(ShowSubnetRequest(subnet_id=subnet_id)).subnet.available_ip_address_count


def new_group(vpc, name: str) -> str:  # noqa: ANN001
    option = CreateSecurityGroupOption(name=name)
    body = CreateSecurityGroupRequestBody(security_group=option)
    return vpc.create_security_group(CreateSecurityGroupRequest(body=body)).security_group.id


# -- the flow


def test_port_gets_the_lowest_free_address_and_the_default_group(server, tenant):
    vpc = clients.hw_vpc(tenant)
    subnet = active_subnet(server, vpc)
    port = create_port(vpc, subnet.id, name="p1")
    assert port.network_id == subnet.id and port.status == "DOWN"
    assert [(f.subnet_id, f.ip_address) for f in port.fixed_ips] == [
        (subnet.neutron_subnet_id, "192.168.1.2")
    ]
    assert port.mac_address.startswith("fa:16:3e:") and port.device_id == ""
    assert port.tenant_id == tenant.project_id() and port.admin_state_up is True
    groups = vpc.list_security_groups(ListSecurityGroupsRequest()).security_groups
    default = [g.id for g in groups if g.name == "default"]
    assert port.security_groups == default
    assert available(vpc, subnet.id) == USABLE - 1


def test_port_with_a_given_address_and_options(server, tenant):
    vpc = clients.hw_vpc(tenant)
    subnet = active_subnet(server, vpc)
    port = create_port(
        vpc,
        subnet.id,
        fixed_ips=[FixedIp(subnet_id=subnet.neutron_subnet_id, ip_address="192.168.1.9")],
        device_owner="neutron:VIP_PORT",
        extra_dhcp_opts=[ExtraDhcpOpt(opt_name="51", opt_value="86400")],
    )
    shown = vpc.show_port(ShowPortRequest(port_id=port.id)).port
    assert [f.ip_address for f in shown.fixed_ips] == ["192.168.1.9"]
    assert shown.device_owner == "neutron:VIP_PORT"
    assert [(o.opt_name, o.opt_value) for o in shown.extra_dhcp_opts] == [("51", "86400")]


def test_list_ports_by_network_and_device(server, tenant):
    vpc = clients.hw_vpc(tenant)
    first = active_subnet(server, vpc)
    option = CreateSubnetOption(
        name="sn2", cidr="192.168.2.0/24", gateway_ip="192.168.2.1", vpc_id=first.vpc_id
    )
    second = vpc.create_subnet(
        CreateSubnetRequest(body=CreateSubnetRequestBody(subnet=option))
    ).subnet
    server.advance(2)
    a = create_port(vpc, first.id)
    b = create_port(vpc, second.id)
    assert [p.id for p in vpc.list_ports(ListPortsRequest(network_id=first.id)).ports] == [a.id]
    assert [p.id for p in vpc.list_ports(ListPortsRequest()).ports] == [a.id, b.id]
    with server.runtime.db.write() as conn:
        interfaces.update_interface(
            conn,
            Scope("huawei", tenant.account.id, "cn-north-4"),
            b.id,
            device_id="server-1",
            status=interfaces.IN_USE,
        )
    bound = vpc.list_ports(ListPortsRequest(device_id="server-1")).ports
    assert [(p.id, p.status) for p in bound] == [(b.id, "ACTIVE")]
    by_ip = vpc.list_ports(ListPortsRequest(fixed_ips=["ip_address=192.168.1.2"])).ports
    assert [p.id for p in by_ip] == [a.id]


def test_update_groups_and_address_pairs(server, tenant):
    vpc = clients.hw_vpc(tenant)
    subnet = active_subnet(server, vpc)
    port = create_port(vpc, subnet.id)
    web, db = new_group(vpc, "web"), new_group(vpc, "db")
    option = UpdatePortOption(
        name="renamed",
        security_groups=[web, db],
        allowed_address_pairs=[AllowedAddressPair(ip_address="10.0.0.0/24")],
    )
    updated = vpc.update_port(
        UpdatePortRequest(port_id=port.id, body=UpdatePortRequestBody(port=option))
    ).port
    assert updated.name == "renamed" and updated.security_groups == [web, db]
    assert [(p.ip_address, p.mac_address) for p in updated.allowed_address_pairs] == [
        ("10.0.0.0/24", port.mac_address)
    ]


def test_delete_frees_the_address(server, tenant):
    vpc = clients.hw_vpc(tenant)
    subnet = active_subnet(server, vpc)
    port = create_port(vpc, subnet.id)
    assert available(vpc, subnet.id) == USABLE - 1
    vpc.delete_port(DeletePortRequest(port_id=port.id))
    assert available(vpc, subnet.id) == USABLE
    err = refused(lambda: vpc.show_port(ShowPortRequest(port_id=port.id)))
    assert (err.status_code, err.error_code) == (404, "VPC.0704")


# -- refusals: each answers its code and allocates nothing


def test_exhausted_subnet_is_refused(server, tenant):
    vpc = clients.hw_vpc(tenant)
    subnet = active_subnet(server, vpc)
    for _ in range(USABLE):
        create_port(vpc, subnet.id)
    err = refused(lambda: create_port(vpc, subnet.id))
    assert (err.status_code, err.error_code) == (409, "VPC.2511")
    assert "IpAddressGenerationFailure" in err.error_msg
    assert available(vpc, subnet.id) == 0


@pytest.mark.parametrize(
    ("address", "status", "code"),
    [
        ("192.168.9.5", 400, "VPC.0705"),  # outside the subnet
        ("192.168.1.1", 400, "VPC.0705"),  # the gateway, reserved
        ("192.168.1.2", 409, "VPC.0701"),  # taken by the first port
        ("192.168.1.x", 400, "VPC.2500"),  # not an address
    ],
)
def test_bad_fixed_ip_is_refused(server, tenant, address, status, code):
    vpc = clients.hw_vpc(tenant)
    subnet = active_subnet(server, vpc)
    create_port(vpc, subnet.id)
    before = available(vpc, subnet.id)
    err = refused(lambda: create_port(vpc, subnet.id, fixed_ips=[FixedIp(ip_address=address)]))
    assert (err.status_code, err.error_code) == (status, code)
    assert available(vpc, subnet.id) == before


@pytest.mark.parametrize(
    "kw",
    [
        {"fixed_ips": [FixedIp(ip_address="192.168.1.3"), FixedIp(ip_address="192.168.1.4")]},
        {"fixed_ips": [FixedIp(subnet_id="not-the-subnet", ip_address="192.168.1.3")]},
        {"device_owner": "compute:cn-north-4a"},
        {"allowed_address_pairs": [AllowedAddressPair(ip_address="0.0.0.0/0")]},
        {"allowed_address_pairs": [AllowedAddressPair(ip_address="10.0.0.300")]},
        {
            "allowed_address_pairs": [
                AllowedAddressPair(ip_address=f"10.0.0.{i}") for i in range(11)
            ]
        },
        {"extra_dhcp_opts": [ExtraDhcpOpt(opt_name="66", opt_value="x")]},
        {"name": "n" * 256},
    ],
)
def test_bad_port_parameters_are_refused(server, tenant, kw):
    vpc = clients.hw_vpc(tenant)
    subnet = active_subnet(server, vpc)
    err = refused(lambda: create_port(vpc, subnet.id, **kw))
    assert (err.status_code, err.error_code) == (400, "VPC.2500")
    assert available(vpc, subnet.id) == USABLE


def test_repeated_or_unknown_groups_are_refused(server, tenant):
    vpc = clients.hw_vpc(tenant)
    subnet = active_subnet(server, vpc)
    group = new_group(vpc, "web")
    err = refused(lambda: create_port(vpc, subnet.id, security_groups=[group, group]))
    assert (err.status_code, err.error_code) == (400, "VPC.2500")
    missing = "00000000-0000-0000-0000-000000000000"
    err = refused(lambda: create_port(vpc, subnet.id, security_groups=[missing]))
    assert (err.status_code, err.error_code) == (404, "VPC.0603")
    assert available(vpc, subnet.id) == USABLE


def test_unknown_network_is_404(server, tenant):
    vpc = clients.hw_vpc(tenant)
    err = refused(lambda: create_port(vpc, "00000000-0000-0000-0000-000000000000"))
    assert (err.status_code, err.error_code) == (404, "VPC.0202")


def test_subnet_not_yet_active_is_refused(server, tenant):
    vpc = clients.hw_vpc(tenant)
    subnet = active_subnet(server, vpc)
    option = CreateSubnetOption(
        name="sn2", cidr="192.168.2.0/24", gateway_ip="192.168.2.1", vpc_id=subnet.vpc_id
    )
    fresh = vpc.create_subnet(CreateSubnetRequest(body=CreateSubnetRequestBody(subnet=option)))
    err = refused(lambda: create_port(vpc, fresh.subnet.id))
    assert (err.status_code, err.error_code) == (409, "VPC.0205")


def test_update_to_no_groups_is_refused(server, tenant):
    vpc = clients.hw_vpc(tenant)
    subnet = active_subnet(server, vpc)
    port = create_port(vpc, subnet.id)
    body = UpdatePortRequestBody(port=UpdatePortOption(security_groups=[]))
    err = refused(lambda: vpc.update_port(UpdatePortRequest(port_id=port.id, body=body)))
    assert (err.status_code, err.error_code) == (400, "VPC.2500")
    assert (
        vpc.show_port(ShowPortRequest(port_id=port.id)).port.security_groups == port.security_groups
    )


def test_bound_port_cannot_be_deleted(server, tenant):
    vpc = clients.hw_vpc(tenant)
    subnet = active_subnet(server, vpc)
    port = create_port(vpc, subnet.id)
    with server.runtime.db.write() as conn:
        interfaces.update_interface(
            conn, Scope("huawei", tenant.account.id, "cn-north-4"), port.id, device_id="server-1"
        )
    err = refused(lambda: vpc.delete_port(DeletePortRequest(port_id=port.id)))
    assert (err.status_code, err.error_code) == (409, "VPC.0707")
    assert available(vpc, subnet.id) == USABLE - 1


def test_unknown_port_is_404_on_every_route(server, tenant):
    vpc = clients.hw_vpc(tenant)
    missing = "00000000-0000-0000-0000-000000000000"
    body = UpdatePortRequestBody(port=UpdatePortOption(name="x"))
    for call in (
        lambda: vpc.show_port(ShowPortRequest(port_id=missing)),
        lambda: vpc.update_port(UpdatePortRequest(port_id=missing, body=body)),
        lambda: vpc.delete_port(DeletePortRequest(port_id=missing)),
    ):
        err = refused(call)
        assert (err.status_code, err.error_code) == (404, "VPC.0704")
