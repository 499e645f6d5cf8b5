"""DescribeImages: the public images of the catalog, filtered and paged as the vendor does.

OpenECS offers Alibaba Cloud's public (``system``) images in every region; it
has no custom, shared, community or Marketplace images yet, so asking for those
sources (``self``, ``others``, ``marketplace``) truthfully finds none. Without a
``Status`` the vendor lists only ``Available`` images. ``InstanceType`` keeps the
images that boot on that type (CPU architecture, NVMe, boot mode).
"""

from __future__ import annotations

import re
from typing import Any

from openecs.core import catalog
from openecs.faces.aliyun.common import (
    DRY_RUN,
    LEGACY_TAG_FIELDS,
    REGION_ID,
    TAGS_FILTER_COUNT,
    dry_run,
    normalized_tags,
    page_number,
    page_size,
    tags,
)
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.paging import by_page_number
from openecs.faces.call import Call
from openecs.faces.params import BOOLEAN, INTEGER, LIST, STRUCT, Check, ErrorSpec, Param

STATUSES = ("Creating", "Waiting", "Available", "UnAvailable", "CreateFailed", "Deprecated")
OWNER_ALIASES = ("system", "self", "others", "marketplace")
FILTER_KEYS = ("CreationStartTime", "CreationEndTime", "NetworkType")
# The vendor's filter time format: yyyy-MM-ddTHH:mmZ (seconds optional).
FILTER_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z")

FILTER_KEY_NOT_FOUND = ErrorSpec(
    "InvalidFilterKey.NotFound", "The specified Filter Key is not found.", 404
)
FILTER_VALUE_INVALID = ErrorSpec(
    "InvalidFilterValue", "The specified Filter Value is not valid.", 404
)
FILTER_NETWORK_INVALID = ErrorSpec(
    "InvalidFilterValue.NetworkType", "The specified networkType value in the Filter is invalid."
)
OWNER_ID_UNSUPPORTED = ErrorSpec(
    "InvalidOperation.ImageOwnerIdUnsupported",
    'The parameter "ImageOwnerId" is not supported in this context, it is only valid when querying '
    "shared images or community images.",
)
PUBLIC_NEEDS_OTHERS = ErrorSpec(
    "InvalidImageOwnerAlias.PublicImageUnsupported",
    "When querying images, the parameter ImageOwnerAlias should be others while specified "
    "parameter IsPublic is true.",
)
STATUS_INVALID = ErrorSpec("InvalidParamter", "Invalid Parameter.")


def _statuses(text: str) -> None:
    if not all(s.strip() in STATUSES for s in text.split(",")):
        STATUS_INVALID.raise_("Status", text)


def _filters(filters: list[dict[str, Any]]) -> None:
    for f in filters:
        key, value = f.get("Key"), f.get("Value")
        if key not in FILTER_KEYS:
            FILTER_KEY_NOT_FOUND.raise_("Filter.N.Key", key)
        if key == "NetworkType":
            if value not in ("vpc", "classic"):
                FILTER_NETWORK_INVALID.raise_("Filter.N.Value", value)
        elif value is None or not FILTER_TIME.fullmatch(value):
            FILTER_VALUE_INVALID.raise_("Filter.N.Value", value)


def _owner_rules(p: dict[str, Any]) -> None:
    alias = p.get("ImageOwnerAlias")
    if p.get("IsPublic") and alias != "others":
        PUBLIC_NEEDS_OTHERS.raise_("IsPublic")
    if p.get("ImageOwnerId") is not None and alias != "others":
        OWNER_ID_UNSUPPORTED.raise_("ImageOwnerId")


PARAMS = [
    REGION_ID,
    Param("ImageId", max_length=4096, doc="One image id or several, separated by commas."),
    Param("ImageName", max_length=128, doc="Fuzzy match on the image name."),
    Param("ImageFamily", max_length=128),
    Param(
        "ImageOwnerAlias",
        enum=OWNER_ALIASES,
        invalid=ErrorSpec(
            "InvalidImageOwnerAlias.ValueNotSupported",
            "The specified ImageOwnerAlias value is not supported.",
        ),
    ),
    Param("ImageOwnerId", INTEGER, minimum=1),
    Param("IsPublic", BOOLEAN, doc="true (community images) requires ImageOwnerAlias=others."),
    Param(
        "OSType",
        enum=("windows", "linux"),
        invalid=ErrorSpec("InvalidOSType", "The specified OSType is not valid.", 404),
    ),
    Param(
        "Architecture",
        enum=("i386", "x86_64", "arm64"),
        invalid=ErrorSpec("InvalidArchitecture", "The specified Architecture is not valid.", 404),
    ),
    Param(
        "Status",
        max_length=128,
        check=_statuses,
        doc="Comma-separated statuses; default Available.",
    ),
    Param("InstanceType", max_length=64, doc="Only images that boot on this instance type."),
    Param("IsSupportCloudinit", BOOLEAN),
    Param("IsSupportIoOptimized", BOOLEAN),
    Param("ActionType", enum=("CreateEcs", "ChangeOS"), doc="Every public image serves both."),
    Param(
        "Usage",
        refused="which images instances use is not tracked yet",
        doc="instance (in use) or none (idle).",
    ),
    Param(
        "SnapshotId",
        max_length=64,
        doc="Custom images made from a snapshot: public images match none.",
    ),
    Param(
        "ResourceGroupId",
        max_length=64,
        doc="Public images belong to no group and are always listed.",
    ),
    Param(
        "ShowExpired",
        BOOLEAN,
        doc="Subscription (Marketplace) images only; public images never expire.",
    ),
    Param(
        "Filter",
        LIST,
        items=Param("item", STRUCT, fields=(Param("Key"), Param("Value"))),
        check=_filters,
        doc="CreationStartTime / CreationEndTime (yyyy-MM-ddTHH:mmZ), NetworkType (vpc, classic).",
    ),
    tags(too_many=TAGS_FILTER_COUNT, extra_fields=LEGACY_TAG_FIELDS),
    DRY_RUN,
    page_number(),
    page_size(maximum=100, default=10),
]


def _matches(image: dict[str, Any], p: dict[str, Any], itype: dict[str, Any] | None) -> bool:
    if p.get("ImageOwnerAlias", "system") != image["ImageOwnerAlias"]:
        return False
    if "ImageId" in p and image["ImageId"] not in {i.strip() for i in p["ImageId"].split(",")}:
        return False
    statuses = {s.strip() for s in p.get("Status", "Available").split(",")}
    if image["Status"] not in statuses:
        return False
    exact = ("ImageFamily", "OSType", "Architecture", "IsSupportCloudinit", "IsSupportIoOptimized")
    if any(name in p and p[name] != image[name] for name in exact):
        return False
    if "ImageName" in p and p["ImageName"].lower() not in image["ImageName"].lower():
        return False
    if "SnapshotId" in p or normalized_tags(p.get("Tag")):
        return False  # public images come from no snapshot of the caller and carry no tags
    for f in p.get("Filter", []):
        if f["Key"] == "CreationStartTime" and image["CreationTime"][:16] < f["Value"][:16]:
            return False
        if f["Key"] == "CreationEndTime" and image["CreationTime"][:16] > f["Value"][:16]:
            return False
        if f["Key"] == "NetworkType" and f["Value"] != "vpc":
            return False  # the classic network is retired: images serve VPC instances only
    return itype is None or catalog.aliyun_image_fits_type(image, itype)


@operation(
    "Ecs",
    "DescribeImages",
    params=PARAMS,
    rules=[Check(_owner_rules, "IsPublic/ImageOwnerId need ImageOwnerAlias=others")],
)
def describe_images(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """List the images the caller can use in a region."""
    itype = catalog.require_aliyun_instance_type(p["InstanceType"]) if "InstanceType" in p else None
    dry_run(p)
    found = [dict(i, Tags={"Tag": []}) for i in catalog.aliyun_images() if _matches(i, p, itype)]
    page = by_page_number(found, p["PageNumber"], p["PageSize"])
    return {"Images": {"Image": page.items}, "RegionId": p["RegionId"], **page.fields()}
