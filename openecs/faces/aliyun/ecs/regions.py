"""DescribeRegions: the regions of the catalog, named in the caller's language."""

from __future__ import annotations

from typing import Any

from openecs.core import catalog
from openecs.faces.aliyun.common import ACCEPT_LANGUAGE, REGION_ID_IGNORED, local_name
from openecs.faces.aliyun.operations import operation
from openecs.faces.call import Call
from openecs.faces.params import Param


@operation(
    "Ecs",
    "DescribeRegions",
    params=[
        REGION_ID_IGNORED,
        ACCEPT_LANGUAGE,
        Param(
            "InstanceChargeType",
            enum=("PrePaid", "PostPaid", "SpotWithPriceLimit", "SpotAsPriceGo"),
            default="PostPaid",
            doc="Every catalog region sells every billing method, so the list is the same.",
        ),
        Param(
            "ResourceType",
            enum=("instance", "disk", "reservedinstance", "scu"),
            default="instance",
            doc="Every catalog region offers every resource type, so the list is the same.",
        ),
    ],
)
def describe_regions(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """List the regions where the caller can create resources."""
    regions = [
        {
            "RegionId": r["id"],
            "LocalName": local_name(r, p["AcceptLanguage"]),
            "RegionEndpoint": r["RegionEndpoint"],
            "Status": "available",
        }
        for r in catalog.aliyun().regions()
    ]
    return {"Regions": {"Region": regions}}
