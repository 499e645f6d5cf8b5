"""VPC 2016-04-28 DescribeRouteTableList: the system route table each VPC gets at creation.

OpenECS models no custom route tables and no route entries yet; every VPC's
vRouter has exactly one System table, created with the VPC (its id is in the
VPC's ``extra``) and associated with all of the VPC's vSwitches. Terraform's
alicloud_vpc reads it right after CreateVpc.
"""

from __future__ import annotations

from typing import Any

from openecs.core import network
from openecs.faces.aliyun import common
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.paging import by_page_number
from openecs.faces.aliyun.vpc.vpcs import RESOURCE_GROUP_ID, STATUS, iso_time, scope, tags_match
from openecs.faces.call import Call
from openecs.faces.params import Param


def render_table(call: Call, vpc: network.Vpc, vswitch_ids: list[str]) -> dict[str, Any]:
    x = vpc.extra
    return {
        "VpcId": vpc.id,
        "RouteTableId": x.get("RouteTableId", ""),
        "RouteTableName": "",
        "RouteTableType": "System",
        "RouterId": x.get("VRouterId", ""),
        "RouterType": "VRouter",
        "Status": STATUS[vpc.status],
        "Description": "",
        "CreationTime": iso_time(vpc.created_at),
        "AssociateType": "VSwitch",
        "OwnerId": call.account.id,
        "ResourceGroupId": x.get("ResourceGroupId", ""),
        "VSwitchIds": {"VSwitchId": vswitch_ids},
        "Tags": {"Tag": []},
    }


@operation(
    "Vpc",
    "DescribeRouteTableList",
    params=[
        common.REGION_ID,
        Param("VpcId"),
        Param("RouteTableId"),
        Param("RouteTableName"),
        Param("RouteTableType", enum=("System", "Custom")),
        Param("RouterId"),
        Param("RouterType", enum=("VRouter", "VBR"), default="VRouter"),
        RESOURCE_GROUP_ID,
        common.tags(),
        common.page_number(),
        common.page_size(maximum=50),
    ],
)
def describe_route_table_list(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """List the route tables of the caller's VPCs in a region (one System table per VPC)."""
    where = scope(call, p["RegionId"])
    wanted_tags = common.normalized_tags(p.get("Tag"))
    with call.db.read() as conn:
        vpcs = network.list_vpcs(conn, where, ids=[p["VpcId"]] if "VpcId" in p else None)
        subnets = network.list_subnets(conn, where)
    vpcs = [
        v
        for v in vpcs
        if p["RouterType"] == "VRouter"
        and ("RouteTableId" not in p or v.extra.get("RouteTableId") == p["RouteTableId"])
        and ("RouteTableName" not in p or p["RouteTableName"] == "")
        and p.get("RouteTableType", "System") == "System"
        and ("RouterId" not in p or v.extra.get("VRouterId") == p["RouterId"])
        and ("ResourceGroupId" not in p or v.extra.get("ResourceGroupId") == p["ResourceGroupId"])
        and tags_match({}, wanted_tags)
    ]
    page = by_page_number(vpcs, p["PageNumber"], p["PageSize"])
    tables = [
        render_table(call, v, [s.id for s in subnets if s.vpc_id == v.id]) for v in page.items
    ]
    return {"RouterTableList": {"RouterTableListType": tables}, **page.fields()}
