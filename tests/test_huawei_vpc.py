"""Huawei VPC v1 VPCs and subnets (and v3 ShowVpc) through the official huaweicloudsdkvpc clients.

The Terraform flow first (create, wait for OK / ACTIVE by stepping the engine
clock, read, update, delete, then 404), then one test per refusal, each
checking with a GET that the refused request changed nothing.
"""

from __future__ import annotations

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkvpc.v2 import (
    CreateSubnetOption,
    CreateSubnetRequest,
    CreateSubnetRequestBody,
    CreateVpcOption,
    CreateVpcRequest,
    CreateVpcRequestBody,
    DeleteSubnetRequest,
    DeleteVpcRequest,
    ListSubnetsRequest,
    ListVpcsRequest,
    ShowSubnetRequest,
    ShowVpcRequest,
    UpdateSubnetOption,
    UpdateSubnetRequest,
    UpdateSubnetRequestBody,
    UpdateVpcOption,
    UpdateVpcRequest,
    UpdateVpcRequestBody,
)
from huaweicloudsdkvpc.v3 import ShowVpcRequest as ShowVpcV3Request

from openecs.core import ipam
from tests import clients

ZONE = "cn-north-4a"


def create_vpc(vpc, cidr: str = "192.168.0.0/16", name: str = "vpc-1", **kw):  # noqa: ANN001, ANN201
    option = CreateVpcOption(cidr=cidr, name=name, **kw)
    return vpc.create_vpc(CreateVpcRequest(body=CreateVpcRequestBody(vpc=option))).vpc


def create_subnet(
    vpc, vpc_id: str, cidr: str = "192.168.1.0/24", gateway: str = "192.168.1.1", **kw
):  # noqa: ANN001, ANN201
    option = CreateSubnetOption(
        name=kw.pop("name", "subnet-1"), cidr=cidr, gateway_ip=gateway, vpc_id=vpc_id, **kw
    )
    return vpc.create_subnet(
        CreateSubnetRequest(body=CreateSubnetRequestBody(subnet=option))
    ).subnet


def refused(call) -> ClientRequestException:  # noqa: ANN001
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


def subnets_of(vpc, vpc_id: str) -> list:  # noqa: ANN001
    return vpc.list_subnets(ListSubnetsRequest(vpc_id=vpc_id)).subnets


# -- the Terraform flow


def test_vpc_is_creating_then_ok(server, tenant):
    vpc = clients.hw_vpc(tenant)
    created = create_vpc(vpc, description="net", enterprise_project_id="0")
    assert created.status == "CREATING"
    assert created.cidr == "192.168.0.0/16" and created.description == "net"
    server.advance(2)
    shown = vpc.show_vpc(ShowVpcRequest(vpc_id=created.id)).vpc
    assert shown.status == "OK"
    assert shown.enterprise_project_id == "0" and shown.tenant_id == tenant.project_id()


def test_subnet_is_unknown_then_active_with_its_settings(server, tenant):
    vpc = clients.hw_vpc(tenant)
    vpc_id = create_vpc(vpc).id
    created = create_subnet(vpc, vpc_id, availability_zone=ZONE, primary_dns="100.125.1.250")
    assert created.status == "UNKNOWN"
    server.advance(2)
    shown = vpc.show_subnet(ShowSubnetRequest(subnet_id=created.id)).subnet
    assert shown.status == "ACTIVE"
    assert (shown.cidr, shown.gateway_ip, shown.vpc_id) == ("192.168.1.0/24", "192.168.1.1", vpc_id)
    assert shown.availability_zone == ZONE and shown.dhcp_enable is True
    assert shown.primary_dns == "100.125.1.250" and shown.dns_list == ["100.125.1.250"]
    assert shown.neutron_network_id == created.id and shown.neutron_subnet_id != created.id
    # 256 addresses less the network, gateway, two DHCP/system and broadcast addresses
    assert shown.available_ip_address_count == 251
    assert [s.id for s in subnets_of(vpc, vpc_id)] == [created.id]


def test_vpc_and_subnet_update(server, tenant):
    vpc = clients.hw_vpc(tenant)
    vpc_id = create_vpc(vpc).id
    subnet_id = create_subnet(vpc, vpc_id).id
    option = UpdateVpcOption(name="renamed", description="d2", cidr="192.168.0.0/17")
    updated = vpc.update_vpc(
        UpdateVpcRequest(vpc_id=vpc_id, body=UpdateVpcRequestBody(vpc=option))
    ).vpc
    assert (updated.name, updated.description, updated.cidr) == ("renamed", "d2", "192.168.0.0/17")
    body = UpdateSubnetRequestBody(
        subnet=UpdateSubnetOption(name="sn-2", dns_list=["8.8.8.8", "8.8.4.4"])
    )
    result = vpc.update_subnet(
        UpdateSubnetRequest(vpc_id=vpc_id, subnet_id=subnet_id, body=body)
    ).subnet
    assert result.id == subnet_id
    shown = vpc.show_subnet(ShowSubnetRequest(subnet_id=subnet_id)).subnet
    assert (shown.name, shown.primary_dns, shown.secondary_dns) == ("sn-2", "8.8.8.8", "8.8.4.4")


def test_delete_subnet_then_vpc_then_reads_are_404(server, tenant):
    vpc = clients.hw_vpc(tenant)
    vpc_id = create_vpc(vpc).id
    subnet_id = create_subnet(vpc, vpc_id).id
    vpc.delete_subnet(DeleteSubnetRequest(vpc_id=vpc_id, subnet_id=subnet_id))
    vpc.delete_vpc(DeleteVpcRequest(vpc_id=vpc_id))
    err = refused(lambda: vpc.show_subnet(ShowSubnetRequest(subnet_id=subnet_id)))
    assert (err.status_code, err.error_code) == (404, "VPC.0202")
    err = refused(lambda: vpc.show_vpc(ShowVpcRequest(vpc_id=vpc_id)))
    assert (err.status_code, err.error_code) == (404, "VPC.0003")


def test_list_vpcs_pages_by_marker(server, tenant):
    vpc = clients.hw_vpc(tenant)
    ids = [create_vpc(vpc, f"10.{i}.0.0/16", f"v{i}").id for i in range(3)]
    first = vpc.list_vpcs(ListVpcsRequest(limit=2)).vpcs
    rest = vpc.list_vpcs(ListVpcsRequest(limit=2, marker=first[-1].id)).vpcs
    assert [v.id for v in first + rest] == ids
    assert [v.id for v in vpc.list_vpcs(ListVpcsRequest(id=ids[1])).vpcs] == [ids[1]]


def test_v3_show_vpc(server, tenant):
    vpc = clients.hw_vpc(tenant)
    vpc_id = create_vpc(vpc, tags=["env*prod"]).id
    create_subnet(vpc, vpc_id)
    shown = clients.hw_vpc3(tenant).show_vpc(ShowVpcV3Request(vpc_id=vpc_id)).vpc
    assert shown.status == "PENDING"
    assert [(t.key, t.value) for t in shown.tags] == [("env", "prod")]
    counts = {r.resource_type: r.resource_count for r in shown.cloud_resources}
    assert counts["virsubnet"] == 1
    server.advance(2)
    assert clients.hw_vpc3(tenant).show_vpc(ShowVpcV3Request(vpc_id=vpc_id)).vpc.status == "ACTIVE"


# -- refusals


@pytest.mark.parametrize("cidr", ["192.168.0.0/25", "11.0.0.0/8", "192.168.0.1/16", "not-a-cidr"])
def test_vpc_with_a_bad_cidr_is_refused(server, tenant, cidr):
    vpc = clients.hw_vpc(tenant)
    err = refused(lambda: create_vpc(vpc, cidr))
    assert (err.status_code, err.error_code) == (400, "VPC.0101")
    assert vpc.list_vpcs(ListVpcsRequest()).vpcs == []


def test_vpc_with_a_bad_name_is_refused(server, tenant):
    vpc = clients.hw_vpc(tenant)
    err = refused(lambda: create_vpc(vpc, name="bad name!"))
    assert (err.status_code, err.error_code) == (400, "VPC.0101")
    assert vpc.list_vpcs(ListVpcsRequest()).vpcs == []


def test_duplicate_vpc_name_is_refused(server, tenant):
    vpc = clients.hw_vpc(tenant)
    create_vpc(vpc, name="same")
    err = refused(lambda: create_vpc(vpc, "10.0.0.0/16", name="same"))
    assert (err.status_code, err.error_code) == (400, "VPC.0115")
    assert len(vpc.list_vpcs(ListVpcsRequest()).vpcs) == 1


def test_subnet_outside_the_vpc_is_refused(server, tenant):
    vpc = clients.hw_vpc(tenant)
    vpc_id = create_vpc(vpc).id
    err = refused(lambda: create_subnet(vpc, vpc_id, "10.0.1.0/24", "10.0.1.1"))
    assert (err.status_code, err.error_code) == (400, "VPC.0203")
    assert subnets_of(vpc, vpc_id) == []


def test_overlapping_subnet_is_refused(server, tenant):
    vpc = clients.hw_vpc(tenant)
    vpc_id = create_vpc(vpc).id
    create_subnet(vpc, vpc_id, "192.168.1.0/24")
    err = refused(lambda: create_subnet(vpc, vpc_id, "192.168.0.0/23", "192.168.0.1", name="other"))
    assert (err.status_code, err.error_code) == (400, "VPC.0204")
    assert len(subnets_of(vpc, vpc_id)) == 1


def test_gateway_outside_the_subnet_is_refused(server, tenant):
    vpc = clients.hw_vpc(tenant)
    vpc_id = create_vpc(vpc).id
    err = refused(lambda: create_subnet(vpc, vpc_id, "192.168.1.0/24", "192.168.2.1"))
    assert (err.status_code, err.error_code) == (400, "VPC.0201")
    assert subnets_of(vpc, vpc_id) == []


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("cidr", "192.168.1.0/29", "VPC.0212"),
        ("name", "", "VPC.0201"),
        ("availability_zone", "xx-1a", "VPC.0201"),
    ],
)
def test_bad_subnet_parameters_are_refused(server, tenant, field, value, code):
    vpc = clients.hw_vpc(tenant)
    vpc_id = create_vpc(vpc).id
    err = refused(lambda: create_subnet(vpc, vpc_id, **{field: value}))
    assert (err.status_code, err.error_code) == (400, code)
    assert subnets_of(vpc, vpc_id) == []


def test_unknown_ids_are_404(server, tenant):
    vpc = clients.hw_vpc(tenant)
    vpc_id = create_vpc(vpc).id
    missing = "00000000-0000-4000-8000-000000000000"
    for call, code in [
        (lambda: vpc.show_vpc(ShowVpcRequest(vpc_id=missing)), "VPC.0003"),
        (lambda: vpc.delete_vpc(DeleteVpcRequest(vpc_id=missing)), "VPC.0003"),
        (lambda: vpc.show_subnet(ShowSubnetRequest(subnet_id=missing)), "VPC.0202"),
        (
            lambda: vpc.delete_subnet(DeleteSubnetRequest(vpc_id=vpc_id, subnet_id=missing)),
            "VPC.0202",
        ),
        (lambda: create_subnet(vpc, missing), "VPC.0003"),
        (lambda: clients.hw_vpc3(tenant).show_vpc(ShowVpcV3Request(vpc_id=missing)), "VPC.0003"),
    ]:
        err = refused(call)
        assert (err.status_code, err.error_code) == (404, code)


def test_delete_vpc_with_subnets_is_refused(server, tenant):
    vpc = clients.hw_vpc(tenant)
    vpc_id = create_vpc(vpc).id
    create_subnet(vpc, vpc_id)
    err = refused(lambda: vpc.delete_vpc(DeleteVpcRequest(vpc_id=vpc_id)))
    assert (err.status_code, err.error_code) == (409, "VPC.0104")
    assert vpc.show_vpc(ShowVpcRequest(vpc_id=vpc_id)).vpc.id == vpc_id


def test_delete_subnet_with_addresses_in_use_is_refused(server, tenant):
    vpc = clients.hw_vpc(tenant)
    vpc_id = create_vpc(vpc).id
    subnet = create_subnet(vpc, vpc_id)
    with server.runtime.db.write() as conn:
        ipam.allocate(conn, subnet.id, subnet.cidr, "port", "port-1")
    err = refused(lambda: vpc.delete_subnet(DeleteSubnetRequest(vpc_id=vpc_id, subnet_id=subnet.id)))
    assert (err.status_code, err.error_code) == (409, "VPC.0209")
    assert vpc.show_subnet(ShowSubnetRequest(subnet_id=subnet.id)).subnet.id == subnet.id


def test_vpc_cidr_update_must_keep_its_subnets(server, tenant):
    vpc = clients.hw_vpc(tenant)
    vpc_id = create_vpc(vpc).id
    create_subnet(vpc, vpc_id, "192.168.200.0/24", "192.168.200.1")
    body = UpdateVpcRequestBody(vpc=UpdateVpcOption(cidr="192.168.0.0/17"))
    err = refused(lambda: vpc.update_vpc(UpdateVpcRequest(vpc_id=vpc_id, body=body)))
    assert (err.status_code, err.error_code) == (400, "VPC.0117")
    assert vpc.show_vpc(ShowVpcRequest(vpc_id=vpc_id)).vpc.cidr == "192.168.0.0/16"


def test_another_tenants_vpc_is_404(server, tenant):
    vpc_id = create_vpc(clients.hw_vpc(tenant)).id
    other = clients.hw_vpc(server.new_tenant())
    err = refused(lambda: other.show_vpc(ShowVpcRequest(vpc_id=vpc_id)))
    assert (err.status_code, err.error_code) == (404, "VPC.0003")
    err = refused(lambda: other.delete_vpc(DeleteVpcRequest(vpc_id=vpc_id)))
    assert err.status_code == 404
    assert clients.hw_vpc(tenant).show_vpc(ShowVpcRequest(vpc_id=vpc_id)).vpc.id == vpc_id
