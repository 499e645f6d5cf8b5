"""DescribeRegions: the regions of the catalog, named in the caller's language."""

from __future__ import annotations

from typing import Any

from openecs.core import catalog
from openecs.faces.aliyun.operations import operation
from openecs.faces.call import Call
from openecs.faces.params import Param

ACCEPT_LANGUAGE = Param(
    "AcceptLanguage",
    enum=("zh-CN", "zh_TW", "en-US", "ja", "fr", "de", "ko"),
    default="zh-CN",
    doc="Language of LocalName.",
)


@operation(
    "Ecs",
    "DescribeRegions",
    params=[
        Param("RegionId", doc="Ignored: every region is listed, as the vendor does."),
        ACCEPT_LANGUAGE,
        Param("InstanceChargeType", enum=("PrePaid", "PostPaid", "SpotWithPriceLimit", "SpotAsPriceGo")),
        Param("ResourceType", enum=("instance", "disk", "reservedinstance", "scu")),
    ],
)
def describe_regions(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """List the regions where the caller can create resources."""
    english = p["AcceptLanguage"] != "zh-CN"
    regions = [
        {
            "RegionId": r["id"],
            "LocalName": r["LocalNameEn"] if english else r["LocalName"],
            "RegionEndpoint": r["RegionEndpoint"],
            "Status": "available",
        }
        for r in catalog.aliyun().regions()
    ]
    return {"Regions": {"Region": regions}}
