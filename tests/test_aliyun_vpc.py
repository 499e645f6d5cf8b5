"""VPC 2016-04-28 VPCs, vSwitches and route tables through the official Tea VPC SDK, on both stores.

The flow Terraform's alicloud_vpc and alicloud_vswitch follow (create, poll
until Available, read the route table, delete), and each refusal with the
vendor's code and status; a refused request leaves nothing behind.
"""

from __future__ import annotations

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_vpc20160428 import models as m

from openecs.core import ipam
from tests import clients

REGION = "cn-hangzhou"
ZONE = "cn-hangzhou-h"


def _vpc(client, server=None, cidr: str = "10.0.0.0/16", **kw) -> str:  # noqa: ANN001
    vpc_id = client.create_vpc(
        m.CreateVpcRequest(region_id=REGION, cidr_block=cidr, **kw)
    ).body.vpc_id
    if server is not None:
        server.advance(1.5)
    return vpc_id


def _vswitch(client, vpc_id: str, cidr: str = "10.0.1.0/24", **kw) -> str:  # noqa: ANN001
    request = m.CreateVSwitchRequest(
        region_id=REGION, vpc_id=vpc_id, zone_id=ZONE, cidr_block=cidr, **kw
    )
    return client.create_vswitch(request).body.v_switch_id


def _refused(call) -> ClientException:  # noqa: ANN001
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def _vpc_count(client) -> int:  # noqa: ANN001
    return client.describe_vpcs(m.DescribeVpcsRequest(region_id=REGION)).body.total_count


def _vswitch_ids(client, vpc_id: str) -> list[str]:  # noqa: ANN001
    body = client.describe_vswitches(
        m.DescribeVSwitchesRequest(region_id=REGION, vpc_id=vpc_id)
    ).body
    return [s.v_switch_id for s in body.v_switches.v_switch]


def test_terraform_flow_creates_polls_reads_route_table_and_deletes(server, tenant):
    vpc = clients.tea_vpc(tenant)
    created = vpc.create_vpc(
        m.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16", vpc_name="tf")
    ).body
    assert created.vpc_id.startswith("vpc-bp") and len(created.vpc_id) == 24
    assert created.vrouter_id.startswith("vrt-") and created.route_table_id.startswith("vtb-")
    assert created.resource_group_id.startswith("rg-")
    attr = m.DescribeVpcAttributeRequest(region_id=REGION, vpc_id=created.vpc_id)
    assert vpc.describe_vpc_attribute(attr).body.status == "Pending"
    server.advance(1.5)
    body = vpc.describe_vpc_attribute(attr).body
    assert (body.status, body.cidr_block, body.vpc_name) == ("Available", "10.0.0.0/16", "tf")
    assert body.creation_time.endswith("Z") and body.vrouter_id == created.vrouter_id

    vsw_id = _vswitch(vpc, created.vpc_id, v_switch_name="a")
    vsw_attr = m.DescribeVSwitchAttributesRequest(region_id=REGION, v_switch_id=vsw_id)
    assert vpc.describe_vswitch_attributes(vsw_attr).body.status == "Pending"
    server.advance(1.5)
    sw = vpc.describe_vswitch_attributes(vsw_attr).body
    assert (sw.status, sw.zone_id, sw.available_ip_address_count) == ("Available", ZONE, 252)
    assert sw.route_table.route_table_id == created.route_table_id

    tables = vpc.describe_route_table_list(
        m.DescribeRouteTableListRequest(region_id=REGION, vpc_id=created.vpc_id)
    ).body.router_table_list.router_table_list_type
    assert [(t.route_table_id, t.route_table_type, t.router_id) for t in tables] == [
        (created.route_table_id, "System", created.vrouter_id)
    ]
    assert tables[0].v_switch_ids.v_switch_id == [vsw_id]

    vpc.delete_vswitch(m.DeleteVSwitchRequest(region_id=REGION, v_switch_id=vsw_id))
    assert (
        _refused(lambda: vpc.describe_vswitch_attributes(vsw_attr)).code
        == "InvalidVSwitchId.NotFound"
    )
    vpc.delete_vpc(m.DeleteVpcRequest(region_id=REGION, vpc_id=created.vpc_id))
    err = _refused(lambda: vpc.describe_vpc_attribute(attr))
    assert (err.code, err.status_code) == ("InvalidVpcId.NotFound", 404)


def test_describe_vpcs_lists_vswitch_ids_and_filters_by_name(server, tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc, server, vpc_name="listed")
    _vpc(vpc, cidr="192.168.0.0/16", vpc_name="other")
    vsw_id = _vswitch(vpc, vpc_id)
    body = vpc.describe_vpcs(m.DescribeVpcsRequest(region_id=REGION, vpc_name="listed")).body
    assert body.total_count == 1
    assert body.vpcs.vpc[0].vpc_id == vpc_id
    assert body.vpcs.vpc[0].v_switch_ids.v_switch_id == [vsw_id]
    assert _vpc_count(vpc) == 2


def test_default_cidr_block_is_172_16_0_0_12(tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = vpc.create_vpc(m.CreateVpcRequest(region_id=REGION)).body.vpc_id
    attr = vpc.describe_vpc_attribute(
        m.DescribeVpcAttributeRequest(region_id=REGION, vpc_id=vpc_id)
    ).body
    assert attr.cidr_block == "172.16.0.0/12"


def test_modify_vpc_and_vswitch_attributes_renames_them(server, tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc, server)
    vsw_id = _vswitch(vpc, vpc_id)
    vpc.modify_vpc_attribute(
        m.ModifyVpcAttributeRequest(vpc_id=vpc_id, vpc_name="new", description="d")
    )
    vpc.modify_vswitch_attribute(
        m.ModifyVSwitchAttributeRequest(v_switch_id=vsw_id, v_switch_name="sw")
    )
    attr = vpc.describe_vpc_attribute(
        m.DescribeVpcAttributeRequest(region_id=REGION, vpc_id=vpc_id)
    ).body
    assert (attr.vpc_name, attr.description) == ("new", "d")
    sw = vpc.describe_vswitch_attributes(
        m.DescribeVSwitchAttributesRequest(v_switch_id=vsw_id)
    ).body
    assert sw.v_switch_name == "sw"


def test_client_token_returns_the_first_vpc(tenant):
    vpc = clients.tea_vpc(tenant)
    first = _vpc(vpc, client_token="token-1")
    assert _vpc(vpc, client_token="token-1") == first
    assert _vpc_count(vpc) == 1


@pytest.mark.parametrize(
    ("cidr", "code"),
    [
        ("10.0.0.1/16", "InvalidCidrBlock.Malformed"),
        ("not-a-cidr", "InvalidCidrBlock.Malformed"),
        ("10.0.0.0/29", "InvalidParameter"),
        ("100.64.0.0/16", "InvalidParameter"),
    ],
)
def test_invalid_vpc_cidr_is_refused_and_creates_nothing(tenant, cidr, code):
    vpc = clients.tea_vpc(tenant)
    err = _refused(lambda: _vpc(vpc, cidr=cidr))
    assert (err.code, err.status_code) == (code, 400)
    assert _vpc_count(vpc) == 0


@pytest.mark.parametrize("name", ["http://vpc", "x" * 129])
def test_bad_vpc_name_is_refused(tenant, name):
    vpc = clients.tea_vpc(tenant)
    err = _refused(lambda: _vpc(vpc, vpc_name=name))
    assert (err.code, err.status_code) == ("InvalidVpcName.Malformed", 400)
    assert _vpc_count(vpc) == 0


def test_bad_vswitch_name_is_refused(server, tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc, server)
    err = _refused(lambda: _vswitch(vpc, vpc_id, v_switch_name="https://sw"))
    assert err.code == "InvalidVSwitchName.Malformed"
    assert _vswitch_ids(vpc, vpc_id) == []


def test_vswitch_outside_the_vpc_is_refused(server, tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc, server)
    err = _refused(lambda: _vswitch(vpc, vpc_id, cidr="192.168.1.0/24"))
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert _vswitch_ids(vpc, vpc_id) == []


def test_vswitch_mask_outside_16_to_29_is_refused(server, tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc, server)
    err = _refused(lambda: _vswitch(vpc, vpc_id, cidr="10.0.0.0/30"))
    assert err.code == "InvalidCirdrBlock.MaskLength"
    assert _vswitch_ids(vpc, vpc_id) == []


def test_overlapping_vswitch_is_refused(server, tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc, server)
    first = _vswitch(vpc, vpc_id, cidr="10.0.0.0/24")
    err = _refused(lambda: _vswitch(vpc, vpc_id, cidr="10.0.0.128/25"))
    assert (err.code, err.status_code) == ("InvalidCidrBlock.Overlapped", 400)
    assert _vswitch_ids(vpc, vpc_id) == [first]


def test_vswitch_in_a_zone_of_another_region_is_refused(server, tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc, server)
    request = m.CreateVSwitchRequest(
        region_id=REGION, vpc_id=vpc_id, zone_id="cn-beijing-a", cidr_block="10.0.1.0/24"
    )
    err = _refused(lambda: vpc.create_vswitch(request))
    assert (err.code, err.status_code) == ("InvalidZoneId.NotFound", 404)
    assert _vswitch_ids(vpc, vpc_id) == []


def test_unknown_vpc_is_not_found_with_404(tenant):
    vpc = clients.tea_vpc(tenant)
    request = m.DescribeVpcAttributeRequest(region_id=REGION, vpc_id="vpc-bp1doesnotexist00000")
    err = _refused(lambda: vpc.describe_vpc_attribute(request))
    assert (err.code, err.status_code) == ("InvalidVpcId.NotFound", 404)
    err = _refused(lambda: vpc.delete_vpc(m.DeleteVpcRequest(vpc_id="vpc-bp1doesnotexist00000")))
    assert (err.code, err.status_code) == ("InvalidVpcId.NotFound", 404)


def test_unknown_vswitch_is_not_found_with_404(tenant):
    vpc = clients.tea_vpc(tenant)
    err = _refused(
        lambda: vpc.delete_vswitch(m.DeleteVSwitchRequest(v_switch_id="vsw-bp1doesnotexist00000"))
    )
    assert (err.code, err.status_code) == ("InvalidVSwitchId.NotFound", 404)


def test_delete_vpc_with_vswitches_is_a_dependency_violation(server, tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc, server)
    _vswitch(vpc, vpc_id)
    err = _refused(lambda: vpc.delete_vpc(m.DeleteVpcRequest(region_id=REGION, vpc_id=vpc_id)))
    assert (err.code, err.status_code) == ("DependencyViolation.VSwitch", 400)
    assert _vpc_count(vpc) == 1


def test_pending_vpc_cannot_be_deleted(tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc)
    err = _refused(lambda: vpc.delete_vpc(m.DeleteVpcRequest(region_id=REGION, vpc_id=vpc_id)))
    assert err.code == "IncorrectVpcStatus"
    assert _vpc_count(vpc) == 1


def test_another_tenant_cannot_see_the_vpc(server, tenant):
    vpc_id = _vpc(clients.tea_vpc(tenant), server)
    stranger = clients.tea_vpc(server.new_tenant())
    request = m.DescribeVpcAttributeRequest(region_id=REGION, vpc_id=vpc_id)
    assert _refused(lambda: stranger.describe_vpc_attribute(request)).status_code == 404
    assert _vpc_count(stranger) == 0
    err = _refused(lambda: stranger.delete_vpc(m.DeleteVpcRequest(region_id=REGION, vpc_id=vpc_id)))
    assert err.code == "InvalidVpcId.NotFound"
    assert _vpc_count(clients.tea_vpc(tenant)) == 1


def test_vswitch_with_addresses_in_use_cannot_be_deleted(server, tenant):
    vpc = clients.tea_vpc(tenant)
    vsw_id = _vswitch(vpc, _vpc(vpc, server))
    server.advance(1.5)
    with server.runtime.db.write() as conn:  # an interface's address, as ECS will hold it
        ipam.allocate(conn, vsw_id, "10.0.1.0/24", "eni", "eni-test")
    sw = vpc.describe_vswitch_attributes(
        m.DescribeVSwitchAttributesRequest(v_switch_id=vsw_id)
    ).body
    assert sw.available_ip_address_count == 251
    err = _refused(
        lambda: vpc.delete_vswitch(m.DeleteVSwitchRequest(region_id=REGION, v_switch_id=vsw_id))
    )
    assert (err.code, err.status_code) == ("DependencyViolation", 400)
    assert vpc.describe_vswitch_attributes(
        m.DescribeVSwitchAttributesRequest(v_switch_id=vsw_id)
    ).body.v_switch_id
