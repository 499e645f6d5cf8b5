"""VPC 2016-04-28 TagResources, UnTagResources and ListTagResources for VPCs and vSwitches.

Tags are the core's (:mod:`openecs.core.tags`), the same rows CreateVpc and
CreateVSwitch write and DescribeVpcs/DescribeVSwitches filter on. A resource
is named by id within the request's region and the caller's account: any
other id answers ``InvalidInstanceIds.NotFound``, as does a resource of
another tenant. The tag rules (at most 20 per resource, key 1 to 128
characters without the ``aliyun``/``acs:`` prefix, value up to 128) are
:mod:`openecs.faces.aliyun.common`'s; this API family only words its
refusals differently (``InvalidTagKey``, ``QuotaExceeded.TagNum``, ...), as
the vendor's reference for these operations lists them. ResourceType is
case-insensitive (the vendor's note) and answered in the documented upper
case; the documented types OpenECS does not model (route tables, EIPs,
gateways, bandwidth plans) are refused as unsupported.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from openecs.core import network
from openecs.core import tags as core_tags
from openecs.core.errors import NotFound, QuotaExceeded
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.paging import by_token
from openecs.faces.aliyun.vpc.vpcs import TAGGED_SUBNET, TAGGED_VPC, scope, tags_match
from openecs.faces.call import Call
from openecs.faces.params import BOOLEAN, LIST, ErrorSpec, OneRequired, Param

MAX_RESOURCE_IDS = 20
MAX_TAG_KEYS = 20

TAG_KEY_INVALID = ErrorSpec("InvalidTagKey", "The tag keys are not valid.")
TAG_VALUE_INVALID = ErrorSpec("InvalidTagValue", "The tag values are not valid.")
TAG_KEY_DUPLICATE = ErrorSpec(
    "Forbidden.TagKey.Duplicated", "The specified tag key already exists."
)
TAGS_TOO_MANY = ErrorSpec("SizeLimitExceeded.TagNum", "The maximum number of tags is exceeded.")
TAGS_QUOTA = ErrorSpec("QuotaExceeded.TagNum", "Custom Tags quota exceeded")
RESOURCE_IDS_TOO_MANY = ErrorSpec(
    "SizeLimitExceeded.ResourceId", "The maximum number of resource IDs is exceeded."
)
RESOURCE_TYPE_NOT_FOUND = ErrorSpec(
    "InvalidInstanceType.NotFound", "The instance type is not found"
)
RESOURCE_NOT_FOUND = ErrorSpec("InvalidInstanceIds.NotFound", "The instanceIds are not found")
BOTH_EMPTY = ErrorSpec(
    "BothEmpty.TagsAndResources",
    "The specified Tags and ResourcesIds are not allow to both empty.",
    403,
)

# The vendor's resource types -> the core's tagged resource type (None: not modelled).
RESOURCE_TYPES: dict[str, str | None] = {
    "VPC": TAGGED_VPC,
    "VSWITCH": TAGGED_SUBNET,
    "ROUTETABLE": None,
    "EIP": None,
    "VpnGateway": None,
    "NATGATEWAY": None,
    "COMMONBANDWIDTHPACKAGE": None,
}
NOT_MODELLED = "OpenECS tags only VPC and VSWITCH resources"


def _modelled(value: str) -> None:
    if RESOURCE_TYPES[value] is None:
        E.PARAM_DEFAULTS.unsupported.raise_("ResourceType", value, reason=NOT_MODELLED)


RESOURCE_TYPE = Param(
    "ResourceType",
    required=True,
    enum=tuple(RESOURCE_TYPES),
    enum_ignore_case=True,
    invalid=RESOURCE_TYPE_NOT_FOUND,
    check=_modelled,
    doc="VPC or VSWITCH, in any case; the other documented types are refused as unsupported.",
)


def resource_ids(required: bool) -> Param:
    return Param(
        "ResourceId",
        LIST,
        required=required,
        items=Param("item", min_length=1, max_length=64),
        max_items=MAX_RESOURCE_IDS,
        too_many=RESOURCE_IDS_TOO_MANY,
        doc=f"Up to {MAX_RESOURCE_IDS} ids of the caller's resources in the region.",
    )


def vpc_tags(required: bool) -> Param:
    return common.tags(
        required=required,
        too_many=TAGS_TOO_MANY,
        key_invalid=TAG_KEY_INVALID,
        value_invalid=TAG_VALUE_INVALID,
        duplicate=TAG_KEY_DUPLICATE,
    )


def _resources(
    conn: Connection, call: Call, p: dict[str, Any], ids: list[str]
) -> tuple[str, list[str]]:
    """The core type and the ids, each checked to be the caller's resource in the region."""
    kind = RESOURCE_TYPES[p["ResourceType"]]
    where = scope(call, p["RegionId"])
    getter = network.get_vpc if kind == TAGGED_VPC else network.get_subnet
    unique = list(dict.fromkeys(ids))
    for resource_id in unique:
        try:
            getter(conn, where, resource_id)
        except NotFound:
            raise E.vendor(RESOURCE_NOT_FOUND) from None
    return kind, unique  # type: ignore[return-value]


@operation(
    "Vpc",
    "TagResources",
    params=[common.REGION_ID, RESOURCE_TYPE, resource_ids(True), vpc_tags(True)],
)
def tag_resources(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Add or overwrite tags on VPCs or vSwitches; a resource may carry at most 20 tags."""
    pairs = [(t["Key"], t["Value"]) for t in common.normalized_tags(p["Tag"])]
    with call.db.write() as conn:
        kind, ids = _resources(conn, call, p, p["ResourceId"])
        for resource_id in ids:
            try:
                core_tags.set_tags(
                    conn, call.account.id, kind, resource_id, pairs, limit=common.TAG_LIMIT
                )
            except QuotaExceeded:
                raise E.vendor(TAGS_QUOTA) from None
    return {}


@operation(
    "Vpc",
    "UnTagResources",
    params=[
        common.REGION_ID,
        RESOURCE_TYPE,
        resource_ids(True),
        Param(
            "TagKey",
            LIST,
            items=replace(common.TAG_KEY, name="item", invalid=TAG_KEY_INVALID),
            max_items=MAX_TAG_KEYS,
            too_many=TAGS_TOO_MANY,
            doc=f"Up to {MAX_TAG_KEYS} keys to remove; a key the resource lacks is ignored.",
        ),
        Param("All", BOOLEAN, default=False, doc="true: remove every tag of the resources."),
    ],
)
def untag_resources(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Remove the named tag keys (or, with All=true, every tag) from VPCs or vSwitches."""
    with call.db.write() as conn:
        _, ids = _resources(conn, call, p, p["ResourceId"])
        keys = None if p["All"] else p.get("TagKey", [])
        for resource_id in ids:
            if keys is None or keys:
                core_tags.remove_tags(conn, resource_id, keys)
    return {}


@operation(
    "Vpc",
    "ListTagResources",
    params=[
        common.REGION_ID,
        RESOURCE_TYPE,
        resource_ids(False),
        vpc_tags(False),
        common.next_token(),
        common.max_results(maximum=50, default=50),
    ],
    rules=[OneRequired(("ResourceId", "Tag"), BOTH_EMPTY)],
)
def list_tag_resources(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """The tags of the named resources, or of every resource carrying all the given tags."""
    wanted = p.get("Tag") or []
    with call.db.read() as conn:
        if "ResourceId" in p:
            kind, ids = _resources(conn, call, p, p["ResourceId"])
        else:
            kind = RESOURCE_TYPES[p["ResourceType"]] or ""
            where = scope(call, p["RegionId"])
            listed = (
                network.list_vpcs(conn, where)
                if kind == TAGGED_VPC
                else network.list_subnets(conn, where)
            )
            ids = [r.id for r in listed]
        tags = core_tags.tags_of(conn, ids)
    rows = [
        (f"{rid}\n{i:04d}", rid, key, value)
        for rid in sorted(ids)
        if tags_match(dict(tags[rid]), wanted)
        for i, (key, value) in enumerate(tags[rid])
    ]
    page = by_token(rows, p.get("NextToken"), p["MaxResults"], key=lambda row: row[0])
    return {
        "TagResources": {
            "TagResource": [
                {
                    "ResourceId": rid,
                    "ResourceType": p["ResourceType"],
                    "TagKey": key,
                    "TagValue": value,
                }
                for _, rid, key, value in page.items
            ]
        },
        **page.fields(),
    }
