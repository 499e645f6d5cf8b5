"""ECS 2014-05-26 reading instances: DescribeInstances, DescribeInstanceStatus,
DescribeInstanceAttribute, DescribeUserData.

The core keeps seven states; the vendor shows five. A rebooting instance shows
``Starting`` (it is on its way back to Running) and a deleting one
``Stopping`` (it goes away once released), so a client that waits for Running
or for the instance to disappear behaves as against the vendor. Cpu and
Memory come from the catalog's instance type, OSType and OSName from the
image; the password is never answered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from openecs.core import catalog, interfaces
from openecs.core import instance_query as query
from openecs.core import instances as core
from openecs.core import tags as core_tags
from openecs.core.network import Scope
from openecs.faces.aliyun import common
from openecs.faces.aliyun.common import NEXT_TOKEN_INVALID
from openecs.faces.aliyun.ecs import instance_attributes as attributes
from openecs.faces.aliyun.ecs import instance_billing as billing
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.paging import Page, by_page_number, by_token, decode_token, encode_token
from openecs.faces.aliyun.vpc.vpcs import RESOURCE_GROUP_ID, iso_time, scope
from openecs.faces.call import Call
from openecs.faces.params import BOOLEAN, INTEGER, JSON, LIST, STRUCT, ErrorSpec, Param

STATUS = {
    core.PENDING: "Pending",
    core.STARTING: "Starting",
    core.RUNNING: "Running",
    core.STOPPING: "Stopping",
    core.STOPPED: "Stopped",
    core.REBOOTING: "Starting",
    core.DELETING: "Stopping",
}
VENDOR_STATUSES = ("Pending", "Running", "Starting", "Stopping", "Stopped")
LOCK_REASONS = ("financial", "security", "recycling", "dedicatedhostfinancial", "refunded")
MAX_IDS = 100
IDS_INVALID = ErrorSpec(
    "InvalidInstanceIds.Malformed", "The specified parameter InstancesIds is not valid."
)
STATUS_INVALID = ErrorSpec("InvalidStatus.ValueNotSupported", "The specified Status is invalid.")
NOT_MODELLED = "OpenECS does not model this filter"

INSTANCE_ID = Param("InstanceId", required=True, max_length=64)


def _refused(name: str, type_: str = "string", why: str = NOT_MODELLED) -> Param:
    return Param(name, type_, refused=why)


def render_instances(
    conn: Connection, where: Scope, shown: list[core.Instance]
) -> list[dict[str, Any]]:
    """The vendor's Instance shape for each of ``shown`` (their tags and their interfaces
    read in one batch each, whatever the page's length)."""
    ids = [vm.id for vm in shown]
    tags = core_tags.tags_of(conn, ids)
    nics_of = interfaces.interfaces_of_devices(conn, where, ids)
    out = []
    for vm in shown:
        nics = nics_of[vm.id]
        primary = next((n for n in nics if n.type == "primary"), None)
        itype = catalog.aliyun_instance_type(vm.instance_type) or {}
        image = catalog.aliyun_image(vm.image_id) or {}
        out.append(
            {
                "InstanceId": vm.id,
                "InstanceName": vm.name,
                "HostName": vm.hostname,
                "Description": vm.description,
                "RegionId": vm.region,
                "ZoneId": vm.zone_id,
                "Status": STATUS[vm.status],
                "InstanceType": vm.instance_type,
                "InstanceTypeFamily": itype.get("InstanceTypeFamily", ""),
                "Cpu": attributes.vcpus(vm, itype),
                "Memory": int(itype.get("MemorySize", 0) * 1024),
                "GPUAmount": itype.get("GPUAmount", 0),
                "GPUSpec": itype.get("GPUSpec", ""),
                "ImageId": vm.image_id,
                "OSType": image.get("OSType", ""),
                "OSName": image.get("OSName", ""),
                "OSNameEn": image.get("OSNameEn", ""),
                "InstanceNetworkType": "vpc",
                "IoOptimized": True,
                "InternetChargeType": "PayByTraffic",
                "InternetMaxBandwidthIn": 0,
                "InternetMaxBandwidthOut": 0,
                **billing.render(vm),
                "StoppedMode": (vm.extra.get("StoppedMode") or "KeepCharging")
                if vm.status == core.STOPPED
                else "Not-applicable",
                "DeletionProtection": vm.deletion_protection,
                "KeyPairName": vm.key_pair_name or "",
                "CreationTime": iso_time(vm.created_at)[:-4] + "Z",
                "StartTime": iso_time(vm.started_at)[:-4] + "Z" if vm.started_at else "",
                "ResourceGroupId": vm.extra.get("ResourceGroupId", ""),
                "SerialNumber": vm.id,
                "VpcAttributes": {
                    "VpcId": vm.vpc_id,
                    "VSwitchId": vm.subnet_id,
                    "NatIpAddress": "",
                    "PrivateIpAddress": {"IpAddress": [primary.primary_ip] if primary else []},
                },
                "InnerIpAddress": {"IpAddress": []},
                "PublicIpAddress": {"IpAddress": []},
                "EipAddress": {"AllocationId": "", "IpAddress": "", "InternetChargeType": ""},
                "SecurityGroupIds": {
                    "SecurityGroupId": list(primary.security_group_ids) if primary else []
                },
                "NetworkInterfaces": {
                    "NetworkInterface": [
                        {
                            "NetworkInterfaceId": n.id,
                            "MacAddress": n.mac_address,
                            "PrimaryIpAddress": n.primary_ip,
                            "Type": "Primary" if n.type == "primary" else "Secondary",
                            "PrivateIpSets": {
                                "PrivateIpSet": [
                                    {"PrivateIpAddress": n.primary_ip, "Primary": True},
                                    *(
                                        {"PrivateIpAddress": a, "Primary": False}
                                        for a in n.secondary_ips
                                    ),
                                ]
                            },
                            "Ipv6Sets": {"Ipv6Set": [{"Ipv6Address": a} for a in n.ipv6_addresses]},
                            "Ipv6PrefixSets": {
                                "Ipv6PrefixSet": [{"Ipv6Prefix": b} for b in n.ipv6_prefixes]
                            },
                        }
                        for n in nics
                    ]
                },
                "Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in tags[vm.id]]},
                "OperationLocks": {
                    "LockReason": [{"LockReason": vm.extra[core.LOCK_REASON], "LockMsg": ""}]
                    if vm.extra.get(core.LOCK_REASON)
                    else []
                },
                "DeviceAvailable": True,
                "LocalStorageAmount": 0,
                "LocalStorageCapacity": 0,
                **attributes.described(vm, itype),
            }
        )
    return out


def _key(created_at: float, instance_id: str) -> str:
    """The NextToken's sort key: creation time, then id, as text."""
    return f"{created_at:020.6f}|{instance_id}"


def _sort_key(vm: core.Instance) -> str:
    return _key(vm.created_at, vm.id)


@operation(
    "Ecs",
    "DescribeInstances",
    params=[
        common.REGION_ID,
        common.DRY_RUN,
        Param(
            "InstanceIds",
            JSON,
            items=Param("item", max_length=64, invalid=IDS_INVALID),
            max_items=MAX_IDS,
            invalid=IDS_INVALID,
            doc=f"A JSON array of up to {MAX_IDS} ids.",
        ),
        Param("VpcId", max_length=64),
        Param("VSwitchId", max_length=64),
        Param("ZoneId", max_length=64),
        Param("InstanceName", max_length=128, doc="Exact name; * is a wildcard, as the vendor's."),
        Param("Status", enum=VENDOR_STATUSES, invalid=STATUS_INVALID),
        Param("InstanceType", max_length=64),
        Param("InstanceTypeFamily", max_length=64),
        Param("ImageId", max_length=128),
        Param("KeyPairName", max_length=128),
        Param("SecurityGroupId", max_length=64),
        Param("InstanceChargeType", enum=("PostPaid", "PrePaid")),
        Param("InstanceNetworkType", enum=("vpc", "classic"), doc="Every instance is vpc."),
        Param("IoOptimized", BOOLEAN, doc="Every instance is I/O optimized."),
        Param("DeviceAvailable", BOOLEAN, doc="Accepted and ignored."),
        Param("NeedSaleCycle", BOOLEAN, doc="Accepted and ignored."),
        RESOURCE_GROUP_ID,
        common.tags(too_many=common.TAGS_FILTER_COUNT, extra_fields=common.LEGACY_TAG_FIELDS),
        common.page_number(),
        common.page_size(maximum=100),
        Param(
            "MaxResults",
            INTEGER,
            minimum=1,
            maximum=100,
            invalid=common.MAX_RESULTS_INVALID,
            doc="1 to 100, default 10.",
        ),
        common.next_token(),
        Param(
            "PrivateIpAddresses",
            JSON,
            items=Param("item", max_length=15),
            max_items=MAX_IDS,
            doc="A JSON array of private addresses.",
        ),
        _refused("AdditionalAttributes", LIST),
        _refused("EipAddresses", why="public addresses are not modelled"),
        Param(
            "Filter",
            LIST,
            items=Param("item", STRUCT, fields=(Param("Key"), Param("Value"))),
            max_items=4,
            refused="the creation-time filters are not implemented",
        ),
        _refused("HpcClusterId"),
        _refused("HttpEndpoint", why="the metadata service is not modelled"),
        _refused("HttpPutResponseHopLimit", INTEGER, why="the metadata service is not modelled"),
        _refused("HttpTokens", why="the metadata service is not modelled"),
        _refused("InnerIpAddresses", why="classic network addresses are retired"),
        _refused("InternetChargeType", why="public addresses are not modelled"),
        Param(
            "Ipv6Address",
            LIST,
            items=Param("item", max_length=64),
            max_items=MAX_IDS,
            doc="Instances with any of these IPv6 addresses on an interface.",
        ),
        Param(
            "LockReason",
            enum=LOCK_REASONS,
            doc="financial: an expired subscription; recycling: a spot instance being reclaimed.",
        ),
        _refused("PublicIpAddresses", why="public addresses are not modelled"),
        _refused("RdmaIpAddresses", why="RDMA is not modelled"),
    ],
)
def describe_instances(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """The caller's instances of a region, filtered, by page number or next token.

    The filters, the count and the page are the store's (:mod:`openecs.core.instance_query`);
    only the filters on ``extra`` (ResourceGroupId, LockReason) are checked here, and
    with them (or with InstanceIds, at most 100) the matching instances are paged here.
    """
    common.dry_run(p)
    where = scope(call, p["RegionId"])
    wanted = _filter(p)
    kept = _extra_filter(p)
    with call.db.read() as conn:
        if kept is not None or wanted.ids is not None:
            found = [
                vm for vm in query.find_instances(conn, where, wanted) if kept is None or kept(vm)
            ]
            shown, paging = _paged(found, p)
        elif "MaxResults" in p or "NextToken" in p:
            shown, paging = _token_page(conn, where, wanted, p)
        else:
            size = p["PageSize"]
            offset = (p["PageNumber"] - 1) * size
            shown = query.find_instances(conn, where, wanted, offset=offset, limit=size)
            total = query.count_instances(conn, where, wanted)
            paging = Page(shown, total, p["PageNumber"], size).fields()
        rendered = render_instances(conn, where, shown)
    return {"Instances": {"Instance": rendered}, **paging}


_PLAIN = {
    "VpcId": "vpc_id",
    "VSwitchId": "subnet_id",
    "ZoneId": "zone_id",
    "InstanceType": "instance_type",
    "ImageId": "image_id",
    "KeyPairName": "key_pair_name",
    "InstanceChargeType": "charge_type",
}


def _filter(p: dict[str, Any]) -> query.InstanceFilter:
    """DescribeInstances' filters as the store checks them."""
    family = p.get("InstanceTypeFamily")
    v6 = p.get("Ipv6Address")
    return query.InstanceFilter(
        ids=p.get("InstanceIds"),
        **{field: p.get(name) for name, field in _PLAIN.items()},
        instance_types=None if family is None else _types_of_family(family),
        statuses=[s for s, shown in STATUS.items() if shown == p["Status"]]
        if "Status" in p
        else None,
        name=p.get("InstanceName"),
        security_group_id=p.get("SecurityGroupId"),
        primary_ips=p.get("PrivateIpAddresses"),
        ipv6_addresses=[interfaces.canonical_ipv6(a) for a in v6] if v6 else None,
        tags=[(t["Key"], t["Value"] or None) for t in common.normalized_tags(p.get("Tag"))],
        nothing=p.get("InstanceNetworkType", "vpc") != "vpc" or not p.get("IoOptimized", True),
    )


def _types_of_family(family: str) -> list[str]:
    return [
        t["InstanceTypeId"]
        for t in catalog.aliyun_instance_types()
        if t.get("InstanceTypeFamily") == family
    ]


def _extra_filter(p: dict[str, Any]) -> Callable[[core.Instance], bool] | None:
    """The filters on the instance's ``extra`` (kept as JSON text), checked after the store's."""
    if "ResourceGroupId" not in p and "LockReason" not in p:
        return None

    def kept(vm: core.Instance) -> bool:
        group, lock = vm.extra.get("ResourceGroupId"), vm.extra.get(core.LOCK_REASON)
        return p.get("ResourceGroupId", group) == group and p.get("LockReason", lock) == lock

    return kept


def _paged(found: list[core.Instance], p: dict[str, Any]) -> tuple[list[core.Instance], Any]:
    """A page of instances already filtered, the way the request asks for it."""
    if "MaxResults" in p or "NextToken" in p:
        token_page = by_token(found, p.get("NextToken"), p.get("MaxResults") or 10, _sort_key)
        return token_page.items, token_page.fields()
    page = by_page_number(found, p["PageNumber"], p["PageSize"])
    return page.items, page.fields()


# A token's time, as _sort_key writes it: the store can start reading near it.
_TOKEN_TIME = re.compile(r"\d{13}\.\d{6}")


def _token_page(
    conn: Connection, where: Scope, wanted: query.InstanceFilter, p: dict[str, Any]
) -> tuple[list[core.Instance], dict[str, str]]:
    """The page after a NextToken, read from the store: exactly what :func:`by_token` answers
    over every matching instance (the token's key compared as text), without reading them all.
    """
    size = p.get("MaxResults") or 10
    token = p.get("NextToken")
    since: float | None = None
    after: Any = None
    if token:
        after = decode_token(token)
        if not isinstance(after, str):  # by_token refuses it, when anything matches
            if query.find_instances(conn, where, wanted, limit=1):
                NEXT_TOKEN_INVALID.raise_("NextToken", token)
            return [], {"NextToken": ""}
        head = after.split("|", 1)[0]
        # Below this time every key sorts before the token's (a margin past the rounding).
        since = float(head) - 1e-4 if _TOKEN_TIME.fullmatch(head) else None
    rows = query.first_after(
        conn,
        where,
        wanted,
        since=since,
        passed=lambda created_at, iid: after is not None and _key(created_at, iid) <= after,
        limit=size + 1,
    )
    shown = rows[:size]
    more = len(rows) > size
    return shown, {"NextToken": encode_token(_sort_key(shown[-1])) if more and shown else ""}


@operation(
    "Ecs",
    "DescribeInstanceStatus",
    params=[
        common.REGION_ID,
        Param("InstanceId", LIST, items=Param("item", max_length=64), max_items=MAX_IDS),
        Param("ZoneId", max_length=64),
        common.page_number(),
        common.page_size(maximum=50),
        _refused("ClusterId", why="clusters are retired"),
    ],
)
def describe_instance_status(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Each instance's id and status, paged."""
    where = scope(call, p["RegionId"])
    wanted = query.InstanceFilter(ids=p.get("InstanceId") or None, zone_id=p.get("ZoneId"))
    size = p["PageSize"]
    with call.db.read() as conn:
        if wanted.ids is not None:  # at most 100: paged here
            page = by_page_number(query.find_statuses(conn, where, wanted), p["PageNumber"], size)
        else:
            offset = (p["PageNumber"] - 1) * size
            shown = query.find_statuses(conn, where, wanted, offset=offset, limit=size)
            total = query.count_instances(conn, where, wanted)
            page = Page(shown, total, p["PageNumber"], size)
    return {
        "InstanceStatuses": {
            "InstanceStatus": [
                {"InstanceId": iid, "Status": STATUS[status]} for iid, status in page.items
            ]
        },
        **page.fields(),
    }


def find_instance(
    conn: Connection, call: Call, instance_id: str, *, for_update: bool = False
) -> core.Instance:
    """An instance by id in any region (operations whose request carries no RegionId, or
    names another region: the vendor finds the instance all the same); ``for_update``
    holds its row to the transaction's end."""
    return core.get_owned(conn, "aliyun", call.account.id, instance_id, for_update=for_update)


@operation(
    "Ecs",
    "DescribeInstanceAttribute",
    params=[INSTANCE_ID, common.REGION_ID_IGNORED],
)
def describe_instance_attribute(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """One instance's attributes (the vendor finds it without a RegionId)."""
    with call.db.read() as conn:
        vm = find_instance(conn, call, p["InstanceId"])
        (body,) = render_instances(conn, scope(call, vm.region), [vm])
    itype = catalog.aliyun_instance_type(vm.instance_type) or {}
    return {**body, **attributes.attribute_fields(vm, itype)}


@operation("Ecs", "DescribeUserData", params=[common.REGION_ID, INSTANCE_ID])
def describe_user_data(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """The instance's user data as it was given (base64), empty when none."""
    with call.db.read() as conn:
        vm = core.get_instance(conn, scope(call, p["RegionId"]), p["InstanceId"])
    return {"InstanceId": vm.id, "RegionId": vm.region, "UserData": vm.user_data or ""}
