"""ECS 2014-05-26 interfaces: DescribeNetworkInterfaces, DescribeNetworkInterfaceAttribute and
ModifyNetworkInterfaceAttribute.

DescribeNetworkInterfaces filters in the core's list (by ids, instance, vSwitch,
VPC) and here (name, status, type, addresses, group, tags), then pages by
page number or, once a caller sends ``NextToken`` or ``MaxResults``, by token
(creation order). Every interface of the caller's region is listed, the
instances' primary interfaces included (Type ``Primary``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from openecs.core import interfaces
from openecs.core import tags as core_tags
from openecs.core.errors import DomainError
from openecs.faces.aliyun import common
from openecs.faces.aliyun.ecs.network_interfaces import (
    CONNECTION_TRACKING,
    DESCRIPTION,
    ENHANCED_NETWORK,
    ENI_ID,
    ENI_STATE,
    NAME,
    SETTINGS,
    STATUS,
    TRAFFIC_CONFIG,
    TYPES,
    _check_groups,
    get_eni,
    groups_param,
    render_full,
    traffic_settings,
    vendor_error,
)
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.paging import by_page_number, by_token
from openecs.faces.aliyun.vpc.vpcs import RESOURCE_GROUP_ID, scope, tags_match
from openecs.faces.call import Call
from openecs.faces.errors import VendorError
from openecs.faces.params import BOOLEAN, LIST, ErrorSpec, Param

MAX_IDS = 100
IDS_TOO_MANY = ErrorSpec(
    "InvalidParameter", "The NetworkInterfaceId.N can hold at most {limit} ids."
)
NOT_PUBLIC = "ServiceManaged interfaces are not publicly available"


def _sort_key(eni: interfaces.Interface) -> str:
    return f"{eni.created_at:020.6f}|{eni.id}"


def _id_list(name: str, max_items: int) -> Param:
    return Param(name, LIST, items=Param("item", max_length=64), max_items=max_items)


@operation(
    "Ecs",
    "DescribeNetworkInterfaces",
    params=[
        common.REGION_ID,
        Param(
            "NetworkInterfaceId",
            LIST,
            items=Param("item", max_length=64),
            max_items=MAX_IDS,
            too_many=IDS_TOO_MANY,
        ),
        Param("InstanceId", max_length=64),
        Param("VSwitchId", max_length=64),
        Param("VpcId", max_length=64),
        Param("PrimaryIpAddress", max_length=64),
        _id_list("PrivateIpAddress", MAX_IDS),
        _id_list("Ipv6Address", MAX_IDS),
        Param("SecurityGroupId", max_length=64),
        Param("NetworkInterfaceName", max_length=128),
        Param("Type", enum=("Primary", "Secondary", "Trunk", "Member")),
        Param("Status", enum=("Available", "Attaching", "InUse", "Detaching", "Deleting")),
        Param(
            "ServiceManaged",
            BOOLEAN,
            doc="true lists none: no interface is managed by a cloud service.",
        ),
        RESOURCE_GROUP_ID,
        common.tags(too_many=common.TAGS_FILTER_COUNT),
        common.page_number(),
        common.page_size(maximum=1000),
        common.next_token(),
        # No default: a MaxResults sent is what switches the answer to token paging.
        replace(common.max_results(maximum=500, default=10, minimum=10), default=None),
    ],
)
def describe_network_interfaces(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """The caller's interfaces, filtered, by page or by token."""
    region = p["RegionId"]
    where = scope(call, region)
    with call.db.read() as conn:
        shown = interfaces.list_interfaces(
            conn,
            where,
            ids=p.get("NetworkInterfaceId"),
            device_id=p.get("InstanceId"),
            subnet_id=p.get("VSwitchId"),
            vpc_id=p.get("VpcId"),
        )
        tags = core_tags.tags_of(conn, [e.id for e in shown])
    wanted_ips = set(p.get("PrivateIpAddress") or [])
    wanted_v6 = {interfaces.canonical_ipv6(a) for a in p.get("Ipv6Address") or []}
    wanted_tags = common.normalized_tags(p.get("Tag"))

    def keep(e: interfaces.Interface) -> bool:
        return (
            ("NetworkInterfaceName" not in p or e.name == p["NetworkInterfaceName"])
            and ("Status" not in p or STATUS[e.status] == p["Status"])
            and ("Type" not in p or TYPES.get(e.type) == p["Type"])
            and ("PrimaryIpAddress" not in p or e.primary_ip == p["PrimaryIpAddress"])
            and (not wanted_ips or bool(wanted_ips & set(e.private_ips)))
            and (not wanted_v6 or bool(wanted_v6 & set(e.ipv6_addresses)))
            and ("SecurityGroupId" not in p or p["SecurityGroupId"] in e.security_group_ids)
            and not p.get("ServiceManaged")
            and (
                "ResourceGroupId" not in p
                or e.extra.get("ResourceGroupId", p["ResourceGroupId"]) == p["ResourceGroupId"]
            )
            and tags_match(dict(tags[e.id]), wanted_tags)
        )

    shown = [e for e in shown if keep(e)]
    fields: dict[str, Any]
    if "NextToken" in p or "MaxResults" in p:
        page = by_token(shown, p.get("NextToken"), p.get("MaxResults", 10), _sort_key)
        items = page.items
        fields = {**page.fields(), "TotalCount": len(shown)}
    else:
        numbered = by_page_number(shown, p["PageNumber"], p["PageSize"])
        items, fields = numbered.items, {**numbered.fields(), "NextToken": ""}
    return {
        **fields,
        "NetworkInterfaceSets": {
            "NetworkInterfaceSet": [render_full(call, e, tags[e.id]) for e in items]
        },
    }


def _attribute(call: Call, eni: interfaces.Interface, tags: list[core_tags.Tag]) -> dict[str, Any]:
    x = eni.extra
    out = render_full(call, eni, tags)
    out["NetworkInterfaceTrafficConfig"] = {
        "NetworkInterfaceTrafficMode": x.get("NetworkInterfaceTrafficMode", "Standard"),
        "QueueNumber": x.get("QueueNumber", 0),
        "QueuePairNumber": x.get("QueuePairNumber", 0),
        "TxQueueSize": x.get("TxQueueSize", 0),
        "RxQueueSize": x.get("RxQueueSize", 0),
    }
    if "ConnectionTrackingConfiguration" in x:
        out["ConnectionTrackingConfiguration"] = x["ConnectionTrackingConfiguration"]
    if "EnhancedNetwork" in x:
        out["EnhancedNetwork"] = x["EnhancedNetwork"]
    return out


@operation(
    "Ecs",
    "DescribeNetworkInterfaceAttribute",
    params=[
        common.REGION_ID,
        ENI_ID,
        Param(
            "Attribute",
            enum=("attachment",),
            doc="attachment: the answer always carries the attachment.",
        ),
        Param("Tag", LIST, refused="a tag filter on a lookup by id is not modelled"),
    ],
)
def describe_network_interface_attribute(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """One interface with its attachment and its traffic settings."""
    with call.db.read() as conn:
        eni = get_eni(conn, call, p["RegionId"], p["NetworkInterfaceId"])
        return _attribute(call, eni, core_tags.get_tags(conn, eni.id))


@operation(
    "Ecs",
    "ModifyNetworkInterfaceAttribute",
    params=[
        common.REGION_ID,
        ENI_ID,
        NAME,
        DESCRIPTION,
        groups_param("SecurityGroupId"),
        *(q for q in SETTINGS if q.name != "QueuePairNumber"),
        TRAFFIC_CONFIG,
        CONNECTION_TRACKING,
        ENHANCED_NETWORK,
        Param("SourceDestCheck", BOOLEAN),
        Param("DeleteOnRelease", BOOLEAN),
    ],
)
def modify_network_interface_attribute(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Rename, describe, regroup or retune an interface; queues change only while detached."""
    region = p["RegionId"]
    where = scope(call, region)
    with call.db.write() as conn:
        eni = get_eni(conn, call, region, p["NetworkInterfaceId"], for_update=True)
        settings = traffic_settings(p, eni.extra)
        queues = ("QueueNumber", "TxQueueSize", "RxQueueSize", "QueuePairNumber")
        changes_queues = any(settings.get(q) != eni.extra.get(q) for q in queues)
        if changes_queues and eni.status != interfaces.AVAILABLE:
            raise VendorError(
                ENI_STATE.status,
                ENI_STATE.code,
                ENI_STATE.render(id=eni.id, status=STATUS[eni.status]),
            )
        try:
            if "SecurityGroupId" in p:
                _check_groups(conn, where, p["SecurityGroupId"])
                interfaces.set_groups(conn, where, eni.id, p["SecurityGroupId"])
            interfaces.update_interface(
                conn,
                where,
                eni.id,
                name=p.get("NetworkInterfaceName", eni.name),
                description=p.get("Description", eni.description),
                extra=settings,
            )
        except DomainError as err:
            raise vendor_error(err) from None
    return {}
