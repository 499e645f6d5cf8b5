"""DescribeZones: the zones of a region and what each sells, as the catalog says.

A zone sells the instance types of the families deployed in it and the disk
categories it lists; every zone is VPC-only and I/O optimized. Terraform's
``alicloud_zones`` keeps only zones whose ``AvailableInstanceTypes`` and
``AvailableDiskCategories`` are non-empty, so the detailed answer (``Verbose``,
default true) always carries them. OpenECS models no dedicated hosts and no
Shared Block Storage, so those lists are empty.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

from openecs.core import catalog
from openecs.faces.aliyun.common import ACCEPT_LANGUAGE, REGION_ID, local_name
from openecs.faces.aliyun.operations import operation
from openecs.faces.call import Call
from openecs.faces.params import BOOLEAN, ErrorSpec, Param

RESOURCE_TYPES = ["Instance", "Disk", "VSwitch", "IoOptimized"]
CHARGE_TYPES = ("PrePaid", "PostPaid")
SPOT_STRATEGIES = ("NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo")


@operation(
    "Ecs",
    "DescribeZones",
    params=[
        REGION_ID,
        replace(
            ACCEPT_LANGUAGE,
            enum=("zh-CN", "en-US", "ja"),
            invalid=ErrorSpec(
                "InvalidAcceptLanguage.NotFound",
                "Only Chinese (zh-CN), English (en-US), and Japanese (ja) are allowed.",
                404,
            ),
        ),
        Param(
            "InstanceChargeType",
            enum=CHARGE_TYPES,
            enum_ignore_case=True,
            default="PostPaid",
            invalid=ErrorSpec(
                "InvalidInstanceChargeType.NotFound",
                "The InstanceChargeType does not exist in our records.",
                404,
            ),
            doc="Every zone sells both billing methods.",
        ),
        Param(
            "SpotStrategy",
            enum=SPOT_STRATEGIES,
            default="NoSpot",
            invalid=ErrorSpec("InvalidSpotStrategy", "The specified SpotStrategy is not valid."),
            doc="Every instance type of the catalog may be bought as a spot instance.",
        ),
        Param(
            "Verbose", BOOLEAN, default=True, doc="false: only ids, names and creatable resources."
        ),
    ],
)
def describe_zones(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """List the zones of a region with the instance types and disk categories they sell."""
    return {"Zones": {"Zone": list(rendered_zones(p["RegionId"], p["AcceptLanguage"], p["Verbose"]))}}


@lru_cache(maxsize=512)
def rendered_zones(region_id: str, language: str, verbose: bool) -> tuple[dict[str, Any], ...]:
    """A region's zones as DescribeZones shows them, rendered once (the catalog is static):
    clients call it before every launch, and rendering took 0.5 ms (do not mutate)."""
    return tuple(render_zone(z, language, verbose) for z in catalog.aliyun().zones(region_id))


def render_zone(zone: dict[str, Any], language: str, verbose: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ZoneId": zone["id"],
        "LocalName": local_name(zone, language),
        "ZoneType": zone.get("ZoneType", "AvailabilityZone"),
        "AvailableResourceCreation": {"ResourceTypes": RESOURCE_TYPES},
        "AvailableDiskCategories": {"DiskCategories": list(zone["DiskCategories"])},
        "AvailableVolumeCategories": {"VolumeCategories": []},
    }
    if not verbose:
        return out
    types = catalog.aliyun_zone_instance_types(zone)
    families = sorted({t["InstanceTypeFamily"] for t in types})
    generations = sorted(
        {f["Generation"] for f in (catalog.aliyun_family(i) for i in families) if f is not None}
    )
    type_ids = [t["InstanceTypeId"] for t in types]
    system_disks = sorted(
        {c for t in types for c in catalog.aliyun_disk_categories_for(zone, t, "SystemDisk")}
    )
    data_disks = sorted(
        {c for t in types for c in catalog.aliyun_disk_categories_for(zone, t, "DataDisk")}
    )
    out.update(
        {
            "AvailableInstanceTypes": {"InstanceTypes": type_ids},
            "AvailableDedicatedHostTypes": {"DedicatedHostType": []},
            "DedicatedHostGenerations": {"DedicatedHostGeneration": []},
            "AvailableResources": {
                "ResourcesInfo": [
                    {
                        "IoOptimized": True,
                        "InstanceGenerations": {"supportedInstanceGeneration": generations},
                        "InstanceTypeFamilies": {"supportedInstanceTypeFamily": families},
                        "InstanceTypes": {"supportedInstanceType": type_ids},
                        "SystemDiskCategories": {"supportedSystemDiskCategory": system_disks},
                        "DataDiskCategories": {"supportedDataDiskCategory": data_disks},
                        "NetworkTypes": {"supportedNetworkCategory": ["vpc"]},
                    }
                ]
            },
        }
    )
    return out
