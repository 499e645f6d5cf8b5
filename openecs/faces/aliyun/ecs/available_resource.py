"""DescribeAvailableResource: what a zone can sell, one resource kind at a time.

The vendor orders the kinds ``Zone > IoOptimized > InstanceType = Network = ddh >
SystemDisk > DataDisk``: each narrows by the parameters of the ones before it.
Terraform's ``alicloud_zones`` and ``alicloud_instance_types`` call it with
``DestinationResource`` Zone or InstanceType and keep zones whose ``Status`` is
Available. In OpenECS stock never runs out, so everything a zone sells is
``Available``/``WithStock``; what a zone does not sell is simply absent, and a
zone with nothing left is left out. OpenECS sells no dedicated hosts, no reserved
instances and no classic network or non-I/O-optimized instances, so asking for
those finds nothing.
"""

from __future__ import annotations

from typing import Any

from openecs.core import catalog
from openecs.faces.aliyun.common import REGION_ID
from openecs.faces.aliyun.operations import operation
from openecs.faces.call import Call
from openecs.faces.params import FLOAT, INTEGER, Check, ErrorSpec, Param

DESTINATIONS = ("Zone", "IoOptimized", "InstanceType", "Network", "ddh", "SystemDisk", "DataDisk")
DISK_CATEGORIES = (
    "cloud",
    "cloud_efficiency",
    "cloud_ssd",
    "ephemeral_ssd",
    "cloud_essd",
    "cloud_auto",
    "cloud_essd_entry",
)

TYPE_AND_SHAPE = ErrorSpec(
    "InvalidParam.TypeAndCpuMem.Conflict",
    "The specified 'InstanceType' and 'Cores','Memory' are not blank at the same time.",
    403,
)
CORES_NOT_HERE = ErrorSpec(
    "InvalidParam.Cores", "The specified parameter 'Cores' should be empty.", 403
)
MEMORY_NOT_HERE = ErrorSpec(
    "InvalidParam.Memory", "The specified parameter 'Memory' should be empty.", 403
)
DEDICATED_HOST_NOT_FOUND = ErrorSpec(
    "InvalidDedicatedHostId.NotFound", "The specified DedicatedHostId does not exist.", 403
)
INSTANCE_TYPE_MISSING = ErrorSpec(
    "MissingParameter",
    'The input parameter "InstanceType" that is mandatory for processing this request is not supplied.',
)


def _no_dedicated_host(host_id: str) -> None:
    DEDICATED_HOST_NOT_FOUND.raise_("DedicatedHostId", host_id)  # OpenECS has no dedicated hosts


def _shape_rules(p: dict[str, Any]) -> None:
    for name, spec in (("Cores", CORES_NOT_HERE), ("Memory", MEMORY_NOT_HERE)):
        if name in p and p["DestinationResource"] != "InstanceType":
            spec.raise_(name)
    if "InstanceType" in p and ("Cores" in p or "Memory" in p):
        TYPE_AND_SHAPE.raise_("InstanceType")
    needs_type = p["DestinationResource"] == "SystemDisk" or (
        p["DestinationResource"] == "DataDisk" and p["ResourceType"] == "instance"
    )
    if needs_type and "InstanceType" not in p:
        INSTANCE_TYPE_MISSING.raise_("InstanceType")


@operation(
    "Ecs",
    "DescribeAvailableResource",
    params=[
        REGION_ID,
        Param(
            "DestinationResource",
            required=True,
            enum=DESTINATIONS,
            missing=ErrorSpec(
                "Invalid.Param",
                "The input parameter DestinationResource that is mandatory for processing this request "
                "is not supplied.",
            ),
            invalid=ErrorSpec(
                "Invalid.DestinationResource",
                "The specified DestinationResource is not valid.",
                404,
            ),
        ),
        Param("ZoneId", max_length=64, doc="Empty: every zone of the region."),
        Param(
            "InstanceChargeType",
            enum=("PrePaid", "PostPaid"),
            default="PostPaid",
            invalid=ErrorSpec(
                "Invalid.InstanceChargeType", "The specified InstanceChargeType is not valid."
            ),
            doc="Every zone sells both billing methods.",
        ),
        Param(
            "SpotStrategy",
            enum=("NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"),
            default="NoSpot",
            invalid=ErrorSpec(
                "Invalid.SpotStrategy", "The specified SpotStrategy is not valid.", 404
            ),
            doc="Every instance type may be bought as a spot instance.",
        ),
        Param(
            "SpotDuration",
            INTEGER,
            minimum=0,
            maximum=6,
            doc="Protection period of a spot instance (hours).",
        ),
        Param(
            "IoOptimized",
            enum=("none", "optimized"),
            default="optimized",
            invalid=ErrorSpec(
                "Invalid.IoOptimized", "The specified IoOptimized is not valid.", 404
            ),
        ),
        Param(
            "NetworkCategory",
            enum=("vpc", "classic"),
            invalid=ErrorSpec(
                "Invalid.NetworkCategory", "The specified NetworkCategory is not valid.", 404
            ),
        ),
        Param(
            "ResourceType",
            enum=("instance", "disk", "reservedinstance", "ddh"),
            default="instance",
            invalid=ErrorSpec(
                "Invalid.ResourceType",
                "The ResourceType provided does not exist in our records.",
                404,
            ),
        ),
        Param(
            "Scope",
            enum=("Region", "Zone"),
            invalid=ErrorSpec(
                "InvalidParameter.Scope", "The specified parameter Scope is invalid.", 403
            ),
        ),
        Param("InstanceType", max_length=64),
        Param("Cores", INTEGER, minimum=1, doc="Only with DestinationResource=InstanceType."),
        Param("Memory", FLOAT, minimum=0, doc="GiB; only with DestinationResource=InstanceType."),
        Param("SystemDiskCategory", enum=DISK_CATEGORIES),
        Param("DataDiskCategory", enum=DISK_CATEGORIES),
        Param("DedicatedHostId", max_length=64, check=_no_dedicated_host),
    ],
    rules=[Check(_shape_rules, "Cores/Memory only for InstanceType, never with InstanceType")],
)
def describe_available_resource(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """List, per zone, the resources of one kind that can be bought there."""
    zones = catalog.aliyun().zones(p["RegionId"])
    if "ZoneId" in p:
        zones = [z for z in zones if z["id"] == p["ZoneId"]]
    available = []
    for zone in zones:
        values = _supported(zone, p)
        if values:
            available.append(
                {
                    "ZoneId": zone["id"],
                    "RegionId": p["RegionId"],
                    "Status": "Available",
                    "StatusCategory": "WithStock",
                    "AvailableResources": {
                        "AvailableResource": [
                            {
                                "Type": p["DestinationResource"],
                                "SupportedResources": {"SupportedResource": values},
                            }
                        ]
                    },
                }
            )
    return {"AvailableZones": {"AvailableZone": available}}


def _sold(value: str, **extra: Any) -> dict[str, Any]:
    return {"Value": value, "Status": "Available", "StatusCategory": "WithStock", **extra}


def _types(zone: dict[str, Any], p: dict[str, Any]) -> list[dict[str, Any]]:
    types = catalog.aliyun_zone_instance_types(zone)
    if "InstanceType" in p:
        types = [t for t in types if t["InstanceTypeId"] == p["InstanceType"]]
    if "Cores" in p:
        types = [t for t in types if t["CpuCoreCount"] == p["Cores"]]
    if "Memory" in p:
        types = [t for t in types if t["MemorySize"] == p["Memory"]]
    return types


def _disks(categories: list[str], kind: str, wanted: str | None) -> list[dict[str, Any]]:
    limits = catalog.aliyun_disk_categories()
    return [
        _sold(c, Min=limits[c][kind]["Min"], Max=limits[c][kind]["Max"], Unit="GiB")
        for c in categories
        if c in limits and (wanted is None or c == wanted)
    ]


def _supported(zone: dict[str, Any], p: dict[str, Any]) -> list[dict[str, Any]]:
    dest, resource = p["DestinationResource"], p["ResourceType"]
    if resource in ("reservedinstance", "ddh") or dest == "ddh":
        return []  # OpenECS sells neither reserved instances nor dedicated hosts
    if p["IoOptimized"] != "optimized" or p.get("NetworkCategory", "vpc") != "vpc":
        return []  # every instance is I/O optimized and in a VPC
    if resource == "disk":
        if dest == "Zone":
            return [_sold(zone["id"])] if zone["DiskCategories"] else []
        if dest == "DataDisk":
            categories = catalog.aliyun_disk_categories_for(zone, None, "DataDisk")
            return _disks(categories, "DataDisk", p.get("DataDiskCategory"))
        return []
    types = _types(zone, p)
    if not types:
        return []
    if dest == "Zone":
        return [_sold(zone["id"])]
    if dest == "IoOptimized":
        return [_sold("optimized")]
    if dest == "Network":
        return [_sold("vpc")]
    if dest == "InstanceType":
        return [_sold(t["InstanceTypeId"]) for t in types]
    itype = types[0]  # SystemDisk and DataDisk name one instance type
    system = catalog.aliyun_disk_categories_for(zone, itype, "SystemDisk")
    if dest == "SystemDisk":
        return _disks(system, "SystemDisk", p.get("SystemDiskCategory"))
    default = "cloud_efficiency" if "cloud_efficiency" in system else "cloud_essd"
    if p.get("SystemDiskCategory", default) not in system:
        return []
    data = catalog.aliyun_disk_categories_for(zone, itype, "DataDisk")
    return _disks(data, "DataDisk", p.get("DataDiskCategory"))
