"""VPC 2016-04-28 vSwitches: CreateVSwitch, DescribeVSwitches, DescribeVSwitchAttributes,
ModifyVSwitchAttribute, DeleteVSwitch.

A vSwitch is a core subnet (:mod:`openecs.core.network`); the core keeps its
CIDR inside the VPC's and apart from its siblings, and its addresses in
:mod:`openecs.core.ipam`, so ``AvailableIpAddressCount`` is exact (the first
and the last three addresses are reserved, as Alibaba reserves them). What is
Alibaba's alone is checked here: the zone belongs to the region, the mask is
16 to 29 bits, names and descriptions follow the vendor's rules. Tags and the
ClientToken are kept by the core (:mod:`openecs.core.tags`,
:mod:`openecs.core.idempotency`), as for VPCs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from openecs.core import catalog, ipam, network
from openecs.core import tags as core_tags
from openecs.core.errors import NotFound
from openecs.core.ids import aliyun_id
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.paging import by_page_number
from openecs.faces.aliyun.vpc.vpcs import (
    OWNER_ID_FILTER,
    READY_AFTER,
    RESOURCE_GROUP_ID,
    STATUS,
    TAGGED_SUBNET,
    VPC_STATUS_INCORRECT,
    ipv6_filter,
    iso_time,
    locate,
    name_param,
    once,
    parse_cidr,
    require_status,
    scope,
    tag_pairs,
    tags_match,
    tags_out,
)
from openecs.faces.call import Call
from openecs.faces.params import BOOLEAN, INTEGER, ErrorSpec, OneRequired, Param, optional

VSWITCH_MASKS = (16, 29)
MASK_INVALID = ErrorSpec("InvalidCirdrBlock.MaskLength", "Specified CIDR block is not valid .")
VSWITCH_NAME_INVALID = ErrorSpec(
    "InvalidVSwitchName.Malformed", "Specified virtual switch name is not valid."
)
VSWITCH_DESCRIPTION_INVALID = ErrorSpec(
    "InvalidVSwitchDiscription.Malformed", "Specified virtual switch description is not valid."
)
VSWITCH_STATUS_INCORRECT = ErrorSpec(
    "IncorrectVSwitchStatus", "The current virtual switch status does not support this operation."
)
REGION_OR_VPC = ErrorSpec("MissingParameter", "Miss mandatory parameter: RegionId or VpcId.")
IPV6_INDEX_MISSING = ErrorSpec(
    "MissingParam.Ipv6CidrBlock", "The parameter Ipv6CidrBlock is mandatory."
)
IPV6_INDEX_INVALID = ErrorSpec("InvalidParameter", "Ipv6CidrBlock must be 0 to 255.")
VPC_IPV6_BLOCK_INVALID = ErrorSpec(
    "IllegalParam.VpcIpv6CidrBlock", "The VpcIpv6CidrBlock {value} is not the VPC's."
)
IPV6_INDEX = Param(
    "Ipv6CidrBlock",
    INTEGER,
    minimum=0,
    maximum=255,
    invalid=IPV6_INDEX_INVALID,
    doc="0 to 255: the last eight bits of the vSwitch's /64 inside its VPC's /56 (the VPC "
    "must have IPv6; one /64 per vSwitch).",
)
VPC_IPV6_BLOCK = Param(
    "VpcIpv6CidrBlock",
    max_length=64,
    doc="The VPC's /56 (a VPC has one: any other block is refused).",
)


def _check_vpc_block(vpc: network.Vpc, p: dict[str, Any]) -> None:
    """A VpcIpv6CidrBlock given must be the VPC's own /56 (a VPC without one is refused by
    the core, with the vendor's code for that)."""
    given = p.get("VpcIpv6CidrBlock")
    if given is not None and vpc.ipv6_cidr_block is not None and given != vpc.ipv6_cidr_block:
        raise E.vendor(VPC_IPV6_BLOCK_INVALID, value=p["VpcIpv6CidrBlock"])


def _check_vswitch_cidr(value: str) -> None:
    lo, hi = VSWITCH_MASKS
    if not lo <= parse_cidr(value).prefixlen <= hi:
        raise E.vendor(MASK_INVALID)


def render_vswitch(
    call: Call,
    s: network.Subnet,
    vpc: network.Vpc | None,
    free: int,
    tags: Iterable[core_tags.Tag],
) -> dict[str, Any]:
    x = s.extra
    return {
        "VSwitchId": s.id,
        "VpcId": s.vpc_id,
        "Status": STATUS[s.status],
        "CidrBlock": s.cidr_block,
        "ZoneId": s.zone_id,
        "AvailableIpAddressCount": free,
        "VSwitchName": s.name,
        "Description": s.description,
        "CreationTime": iso_time(s.created_at),
        "IsDefault": False,
        "ResourceGroupId": x.get("ResourceGroupId", ""),
        "OwnerId": call.account.id,
        "RouteTable": {
            "RouteTableId": (vpc.extra.get("RouteTableId", "") if vpc else ""),
            "RouteTableType": "System",
        },
        "Ipv6CidrBlock": s.ipv6_cidr_block or "",
        "EnabledIpv6": s.ipv6_cidr_block is not None,
        "NetworkAclId": "",
        "ShareType": "Sharing",
        "Tags": tags_out(tags),
    }


def _free(subnet: network.Subnet, used: int) -> int:
    return ipaddress.IPv4Network(subnet.cidr_block).num_addresses - used


@operation(
    "Vpc",
    "CreateVSwitch",
    params=[
        optional(common.REGION_ID),
        Param("VpcId", required=True),
        Param("ZoneId", required=True, max_length=64),
        Param(
            "CidrBlock",
            required=True,
            check=_check_vswitch_cidr,
            doc=f"IPv4 CIDR inside the VPC's, mask {VSWITCH_MASKS[0]} to {VSWITCH_MASKS[1]}.",
        ),
        name_param("VSwitchName", VSWITCH_NAME_INVALID),
        name_param("Description", VSWITCH_DESCRIPTION_INVALID, 256),
        common.CLIENT_TOKEN,
        common.tags(),
        IPV6_INDEX,
        VPC_IPV6_BLOCK,
    ],
)
def create_vswitch(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Create a vSwitch in a zone of the VPC's region; Pending, then Available."""
    with call.db.write() as conn:
        where, vpc = locate(conn, call, p.get("RegionId"), network.get_vpc, p["VpcId"])
        catalog.require_zone(catalog.aliyun(), where.region, p["ZoneId"])

        def produce() -> dict[str, Any]:
            require_status(vpc.status, VPC_STATUS_INCORRECT)
            subnet = network.create_subnet(
                conn,
                where,
                subnet_id=aliyun_id("vsw", where.region),
                vpc_id=vpc.id,
                zone_id=p["ZoneId"],
                cidr_block=p["CidrBlock"],
                name=p.get("VSwitchName", ""),
                description=p.get("Description", ""),
                now=call.clock.now(),
                ready_after=READY_AFTER,
                extra={"ResourceGroupId": vpc.extra.get("ResourceGroupId", "")},
            )
            if "Ipv6CidrBlock" in p:
                _check_vpc_block(vpc, p)
                subnet = network.enable_subnet_ipv6(conn, where, subnet.id, p["Ipv6CidrBlock"])
            core_tags.set_tags(
                conn,
                call.account.id,
                TAGGED_SUBNET,
                subnet.id,
                tag_pairs(p.get("Tag")),
                limit=common.TAG_LIMIT,
                new=True,
            )
            return {"VSwitchId": subnet.id}

        return once(conn, call, where.region, "CreateVSwitch", p, produce)


@operation(
    "Vpc",
    "DescribeVSwitches",
    params=[
        optional(common.REGION_ID),
        Param("VpcId"),
        Param("VSwitchId", doc="One vSwitch id, or several separated by commas."),
        Param("ZoneId"),
        Param("VSwitchName"),
        Param("IsDefault", BOOLEAN, doc="OpenECS creates no default vSwitches: true lists none."),
        ipv6_filter("EnableIpv6"),
        RESOURCE_GROUP_ID,
        Param("RouteTableId"),
        common.tags(),
        Param("VSwitchOwnerId", INTEGER, doc=OWNER_ID_FILTER),
        common.page_number(),
        common.page_size(maximum=50),
        common.DRY_RUN,
    ],
    rules=[OneRequired(("RegionId", "VpcId"), REGION_OR_VPC)],
)
def describe_vswitches(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """List the caller's vSwitches of a region or a VPC, filtered and paged."""
    common.dry_run(p)
    ids = [i.strip() for i in p["VSwitchId"].split(",") if i.strip()] if "VSwitchId" in p else None
    wanted_tags = p.get("Tag") or []
    with call.db.read() as conn:
        where = None
        if "RegionId" in p:
            where = scope(call, p["RegionId"])
        else:
            try:
                where, _ = locate(conn, call, None, network.get_vpc, p["VpcId"])
            except NotFound:
                pass
        subnets = network.list_subnets(conn, where, vpc_id=p.get("VpcId"), ids=ids) if where else []
        vpcs = {v.id: v for v in network.list_vpcs(conn, where)} if where else {}
        tags = core_tags.tags_of(conn, [s.id for s in subnets])
        subnets = [
            s
            for s in subnets
            if ("ZoneId" not in p or s.zone_id == p["ZoneId"])
            and ("VSwitchName" not in p or s.name == p["VSwitchName"])
            and not p.get("IsDefault")
            and (
                "ResourceGroupId" not in p or s.extra.get("ResourceGroupId") == p["ResourceGroupId"]
            )
            and (
                "RouteTableId" not in p
                or vpcs[s.vpc_id].extra.get("RouteTableId") == p["RouteTableId"]
            )
            and p.get("VSwitchOwnerId", call.account.id) == call.account.id
            and ("EnableIpv6" not in p or (s.ipv6_cidr_block is not None) == p["EnableIpv6"])
            and tags_match(dict(tags[s.id]), wanted_tags)
        ]
        page = by_page_number(subnets, p["PageNumber"], p["PageSize"])
        used = ipam.used_counts(conn, [s.id for s in page.items])
    return {
        "VSwitches": {
            "VSwitch": [
                render_vswitch(call, s, vpcs.get(s.vpc_id), _free(s, used[s.id]), tags[s.id])
                for s in page.items
            ]
        },
        **page.fields(),
    }


@operation(
    "Vpc",
    "DescribeVSwitchAttributes",
    params=[optional(common.REGION_ID), Param("VSwitchId", required=True), common.DRY_RUN],
)
def describe_vswitch_attributes(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """One vSwitch's attributes, with its exact count of free addresses."""
    common.dry_run(p)
    with call.db.read() as conn:
        where, subnet = locate(conn, call, p.get("RegionId"), network.get_subnet, p["VSwitchId"])
        vpc = network.get_vpc(conn, where, subnet.vpc_id)
        free = network.available_addresses(conn, subnet)
        tags = core_tags.get_tags(conn, subnet.id)
    body = render_vswitch(call, subnet, vpc, free, tags)
    body["CloudResources"] = {"CloudResourceSetType": []}
    return body


@operation(
    "Vpc",
    "ModifyVSwitchAttribute",
    params=[
        optional(common.REGION_ID),
        Param("VSwitchId", required=True),
        name_param("VSwitchName", VSWITCH_NAME_INVALID),
        name_param("Description", VSWITCH_DESCRIPTION_INVALID, 256),
        Param(
            "EnableIPv6",
            BOOLEAN,
            doc="true (with Ipv6CidrBlock) gives the vSwitch a /64 of its VPC's /56; false "
            "changes nothing (IPv6 cannot be taken back from a vSwitch here).",
        ),
        IPV6_INDEX,
        VPC_IPV6_BLOCK,
    ],
)
def modify_vswitch_attribute(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Rename or re-describe a vSwitch, or enable IPv6 on it."""
    changes = {}
    if "VSwitchName" in p:
        changes["name"] = p["VSwitchName"]
    if "Description" in p:
        changes["description"] = p["Description"]
    with call.db.write() as conn:
        where, subnet = locate(conn, call, p.get("RegionId"), network.get_subnet, p["VSwitchId"])
        # As on the vendor's API, an Ipv6CidrBlock alone enables IPv6 too (unless
        # EnableIPv6=false); EnableIPv6=true needs one.
        if p.get("EnableIPv6", "Ipv6CidrBlock" in p):
            if "Ipv6CidrBlock" not in p:
                raise E.vendor(IPV6_INDEX_MISSING)
            _check_vpc_block(network.get_vpc(conn, where, subnet.vpc_id), p)
            network.enable_subnet_ipv6(conn, where, subnet.id, p["Ipv6CidrBlock"])
        network.update_subnet(conn, where, subnet.id, **changes)
    return {}


@operation(
    "Vpc",
    "DeleteVSwitch",
    params=[optional(common.REGION_ID), Param("VSwitchId", required=True), common.DRY_RUN],
)
def delete_vswitch(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Delete an Available vSwitch whose addresses are all free (DependencyViolation otherwise)."""
    with call.db.write() as conn:
        where, subnet = locate(conn, call, p.get("RegionId"), network.get_subnet, p["VSwitchId"])
        common.dry_run(p)
        require_status(subnet.status, VSWITCH_STATUS_INCORRECT)
        network.delete_subnet(conn, where, subnet.id)
        core_tags.remove_tags(conn, subnet.id)
    return {}
