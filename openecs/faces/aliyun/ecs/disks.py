"""ECS 2014-05-26 reading disks: DescribeDisks, and what the disk operations share.

Disks live in the core (:mod:`openecs.core.disks` for a disk on its own, the
instance's own disks in :mod:`openecs.core.instances`); this module spells
them the vendor's way: ``In_use``/``Available``/``Attaching``/``Detaching``/
``Creating``, ``Disks.Disk[]`` with ``Attachments.Attachment[]`` and
``Tags.Tag[{TagKey, TagValue}]``. Every disk is pay-as-you-go (``PostPaid``),
unencrypted, without multi-attach, snapshots or locks, so the filters on
those attributes are answered from that; what names a thing OpenECS does not
model (snapshots, automatic snapshot policies, KMS keys, locks) is refused.
A system disk is not portable; a data disk is. The create, attach, detach,
resize, modify and delete operations are :mod:`.disks_lifecycle`.
"""

from __future__ import annotations

import calendar
import time
from typing import Any

from sqlalchemy import Connection

from openecs.core import catalog, instance_query
from openecs.core import disks as core
from openecs.core import tags as core_tags
from openecs.core.errors import NotFound
from openecs.faces.aliyun import common
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.paging import by_page_number, by_token
from openecs.faces.aliyun.vpc.vpcs import RESOURCE_GROUP_ID, iso_time, scope, tags_match
from openecs.faces.call import Call
from openecs.faces.params import BOOLEAN, INTEGER, JSON, LIST, STRUCT, ErrorSpec, Param

STATUS = {
    core.CREATING: "Creating",
    core.AVAILABLE: "Available",
    core.ATTACHING: "Attaching",
    core.IN_USE: "In_use",
    core.DETACHING: "Detaching",
}
VENDOR_STATUSES = ("In_use", "Available", "Attaching", "Detaching", "Creating", "ReIniting")
# Every category DescribeDisks names (local and ephemeral ones simply match no disk).
FILTER_CATEGORIES = (
    "cloud",
    "cloud_efficiency",
    "cloud_ssd",
    "cloud_essd",
    "cloud_auto",
    "cloud_regional_disk_auto",
    "cloud_essd_entry",
    "elastic_ephemeral_disk_standard",
    "elastic_ephemeral_disk_premium",
    "local_ssd_pro",
    "local_hdd_pro",
    "ephemeral",
    "ephemeral_ssd",
)
MAX_IDS = 100
MAX_RESULTS = (10, 500)  # MaxResults below or above is taken as the bound, as the vendor does
PAY_AS_YOU_GO_EXPIRY = "2999-09-08T16:00Z"  # what the vendor shows as a PostPaid disk's expiry
DEFAULT_PERFORMANCE_LEVEL = "PL1"  # an ESSD created without one
SNAPSHOTS = "snapshots are not modelled"
ENCRYPTION = "encryption is not modelled"

DISK_NAME_INVALID = ErrorSpec(
    "InvalidDiskName.Malformed", "The specified disk name is wrongly formed."
)
DESCRIPTION_INVALID = ErrorSpec(
    "InvalidDescription.Malformed", "The specified description is wrongly formed."
)
DISK_IDS_INVALID = ErrorSpec(
    "InvalidParameter.DiskIds", "The specified parameter diskIds is not valid."
)
DISK_IDS_TOO_MANY = ErrorSpec(
    "InvalidDiskIds.Malformed", "The amount of specified disk Ids exceeds the limit.", 403
)
FILTER_KEY_INVALID = ErrorSpec("InvalidFilterKey.NotFound", "The filter key is not found.", 404)
FILTER_VALUE_INVALID = ErrorSpec("InvalidFilterValue", "The filter value is not valid.", 404)
FILTER_KEYS = ("CreationStartTime", "CreationEndTime")

DISK_NAME = Param(
    "DiskName",
    pattern=common.ECS_NAME_PATTERN,
    invalid=DISK_NAME_INVALID,
    doc="2 to 128 characters, starting with a letter; letters, digits, : _ . -",
)
DESCRIPTION = Param(
    "Description",
    pattern=common.ECS_DESCRIPTION_PATTERN,
    invalid=DESCRIPTION_INVALID,
    doc="2 to 256 characters, not starting with http:// or https://.",
)
DISK_ID = Param("DiskId", required=True, max_length=64)


# --------------------------------------------------------------------------- shared


def find_disk(conn: Connection, call: Call, disk_id: str, region: str | None = None) -> core.Disk:
    """A disk by id, in the named region or in any (operations whose request has no RegionId)."""
    first = [region or call.region_id] if (region or call.region_id) else []
    regions = [region] if region else [*first, *catalog.aliyun().region_ids()]
    for r in regions:
        try:
            return core.get_disk(conn, scope(call, r), disk_id)
        except NotFound:
            continue
    raise NotFound("disk.not_found", f"The disk {disk_id} does not exist.", id=disk_id)


def portable(disk: core.Disk) -> bool:
    return disk.type == core.DATA


def render_disks(conn: Connection, call: Call, shown: list[core.Disk]) -> list[dict[str, Any]]:
    """The vendor's Disk shape for each of ``shown``."""
    tags = core_tags.tags_of(conn, [d.id for d in shown])
    images: dict[str, str] = {}
    for region in {d.region for d in shown if d.instance_id}:
        ids = [d.instance_id for d in shown if d.instance_id and d.region == region]
        wanted = instance_query.InstanceFilter(ids=ids)  # by id, a statement built once
        for vm in instance_query.find_instances(conn, scope(call, region), wanted):
            images[vm.id] = vm.image_id
    return [_render(d, tags[d.id], images) for d in shown]


def _render(disk: core.Disk, tags: list[core_tags.Tag], images: dict[str, str]) -> dict[str, Any]:
    x = disk.extra
    attached = disk.status in (core.IN_USE, core.DETACHING) and disk.instance_id is not None
    # When it was last attached: an instance's own disks from the start, others when attached.
    attached_at = x.get("AttachedAt", disk.created_at if disk.instance_id else None)
    level = x.get("PerformanceLevel", DEFAULT_PERFORMANCE_LEVEL)
    image = x.get("ImageId") or images.get(disk.instance_id or "", "")
    return {
        "DiskId": disk.id,
        "DiskName": disk.name,
        "Description": disk.description,
        "Type": disk.type,
        "Category": disk.category,
        "Size": disk.size,
        "Status": STATUS[disk.status],
        "InstanceId": disk.instance_id if attached else "",
        "Device": (disk.device or "") if attached else "",
        "DeleteWithInstance": disk.delete_with_instance,
        "DeleteAutoSnapshot": x.get("DeleteAutoSnapshot", False),
        "EnableAutoSnapshot": x.get("EnableAutoSnapshot", True),
        "EnableAutomatedSnapshotPolicy": False,
        "AutoSnapshotPolicyId": "",
        "Portable": portable(disk),
        "Encrypted": False,
        "KMSKeyId": "",
        "PerformanceLevel": level if disk.category == "cloud_essd" else "",
        "BurstingEnabled": False,
        "MultiAttach": "Disabled",
        "ZoneId": disk.zone_id,
        "RegionId": disk.region,
        "DiskChargeType": "PostPaid",
        "ExpiredTime": PAY_AS_YOU_GO_EXPIRY,
        "CreationTime": iso_time(disk.created_at),
        "AttachedTime": iso_time(attached_at) if attached_at is not None else "",
        "DetachedTime": iso_time(x["DetachedAt"]) if "DetachedAt" in x else "",
        "ImageId": image if disk.type == core.SYSTEM else "",
        "SourceSnapshotId": "",
        "ResourceGroupId": x.get("ResourceGroupId", ""),
        "SerialNumber": disk.id.split("-", 1)[-1],
        "StorageSetId": "",
        "StorageClusterId": "",
        "ProductCode": "",
        "OperationLocks": {"OperationLock": []},
        "MountInstances": {"MountInstance": []},
        "Attachments": {
            "Attachment": [
                {
                    "InstanceId": disk.instance_id,
                    "Device": disk.device or "",
                    "AttachedTime": iso_time(attached_at or disk.created_at),
                }
            ]
            if attached
            else []
        },
        "Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in tags]},
    }


# --------------------------------------------------------------------------- DescribeDisks


def _check_filters(filters: list[dict[str, Any]]) -> None:
    for f in filters:
        if f.get("Key") not in FILTER_KEYS:
            FILTER_KEY_INVALID.raise_("Filter.N.Key", f.get("Key"))
        if _filter_time(f.get("Value")) is None:
            FILTER_VALUE_INVALID.raise_("Filter.N.Value", f.get("Value"))


def _filter_time(value: str | None) -> float | None:
    """A filter's yyyy-MM-ddTHH:mmZ time (UTC) in seconds, or None when it is not one."""
    try:
        return float(calendar.timegm(time.strptime(value or "", "%Y-%m-%dT%H:%MZ")))
    except ValueError:
        return None


def _refused(name: str, type_: str = "string", why: str = SNAPSHOTS) -> Param:
    return Param(name, type_, refused=why)


@operation(
    "Ecs",
    "DescribeDisks",
    params=[
        common.REGION_ID,
        common.DRY_RUN,
        Param("ZoneId", max_length=64),
        Param(
            "DiskIds",
            JSON,
            items=Param("item", max_length=64, invalid=DISK_IDS_INVALID),
            max_items=MAX_IDS,
            invalid=DISK_IDS_INVALID,
            too_many=DISK_IDS_TOO_MANY,
            doc=f"A JSON array of up to {MAX_IDS} ids; [] matches no disk.",
        ),
        Param("InstanceId", max_length=64),
        Param(
            "DiskType",
            enum=("all", "system", "data"),
            default="all",
            invalid=ErrorSpec(
                "InvalidDiskType.ValueNotSupported", "The specified disk type is not supported."
            ),
        ),
        Param(
            "Category",
            enum=("all", *FILTER_CATEGORIES),
            default="all",
            invalid=ErrorSpec(
                "InvalidCategory.ValueNotSupported", "The specified disk category is not supported."
            ),
        ),
        Param(
            "Status",
            enum=(*VENDOR_STATUSES, "All"),
            default="All",
            invalid=ErrorSpec(
                "InvalidStatus.ValueNotSupported", "The specified disk status is not supported."
            ),
        ),
        Param("DiskName", max_length=128, doc="Exact name."),
        Param("Portable", BOOLEAN, doc="Data disks are portable, system disks are not."),
        Param("DeleteWithInstance", BOOLEAN),
        Param("DeleteAutoSnapshot", BOOLEAN),
        Param("EnableAutoSnapshot", BOOLEAN),
        Param(
            "EnableAutomatedSnapshotPolicy", BOOLEAN, doc="No disk has a policy: true matches none."
        ),
        Param("EnableShared", BOOLEAN, doc="No disk is shared: true matches none."),
        Param("Encrypted", BOOLEAN, doc="No disk is encrypted: true matches none."),
        Param(
            "DiskChargeType",
            enum=("PrePaid", "PostPaid"),
            invalid=ErrorSpec(
                "InvalidDiskChargeType.NotFound",
                "The DiskChargeType does not exist in our records.",
                404,
            ),
            doc="Every disk is PostPaid.",
        ),
        Param(
            "MultiAttach",
            enum=("Disabled", "Enabled", "LegacyShared"),
            invalid=ErrorSpec(
                "InvalidParameter.MultiAttach", "The specified param MultiAttach is not valid.", 403
            ),
            doc="Every disk is Disabled.",
        ),
        Param(
            "Filter",
            LIST,
            items=Param("item", STRUCT, fields=(Param("Key"), Param("Value"))),
            max_items=2,
            check=_check_filters,
            doc="CreationStartTime / CreationEndTime, yyyy-MM-ddTHH:mmZ (UTC).",
        ),
        Param(
            "AdditionalAttributes",
            LIST,
            items=Param("item", enum=("Placement",)),
            doc="Placement is answered for Regional ESSDs only; OpenECS has none.",
        ),
        RESOURCE_GROUP_ID,
        common.tags(too_many=common.TAGS_FILTER_COUNT, extra_fields=common.LEGACY_TAG_FIELDS),
        common.page_number(),
        common.page_size(maximum=100),
        Param("MaxResults", INTEGER, doc="10 to 500 (a value outside is taken as the bound)."),
        common.next_token(),
        _refused("SnapshotId"),
        _refused("AutoSnapshotPolicyId"),
        _refused("KMSKeyId", why=ENCRYPTION),
        _refused("LockReason", why="no disk is ever locked"),
    ],
)
def describe_disks(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """The caller's disks of a region, filtered, by page number or next token."""
    common.dry_run(p)
    where = scope(call, p["RegionId"])
    wanted = common.normalized_tags(p.get("Tag"))
    after = before = None
    for f in p.get("Filter") or []:
        if f["Key"] == "CreationStartTime":
            after = _filter_time(f["Value"])
        else:
            before = _filter_time(f["Value"])
    with call.db.read() as conn:
        found = core.list_disks(  # by instance in the store: its index, not the region's disks
            conn, where, ids=p["DiskIds"] if "DiskIds" in p else None, instance_id=p.get("InstanceId")
        )
        tags = core_tags.tags_of(conn, [d.id for d in found])

        def keep(d: core.Disk) -> bool:
            x = d.extra
            return (
                p.get("ZoneId", d.zone_id) == d.zone_id
                and ("InstanceId" not in p or d.instance_id == p["InstanceId"])
                and p["DiskType"] in ("all", d.type)
                and p["Category"] in ("all", d.category)
                and p["Status"] in ("All", STATUS[d.status])
                and p.get("DiskName", d.name) == d.name
                and p.get("Portable", portable(d)) == portable(d)
                and p.get("DeleteWithInstance", d.delete_with_instance) == d.delete_with_instance
                and p.get("DeleteAutoSnapshot", x.get("DeleteAutoSnapshot", False))
                == x.get("DeleteAutoSnapshot", False)
                and p.get("EnableAutoSnapshot", x.get("EnableAutoSnapshot", True))
                == x.get("EnableAutoSnapshot", True)
                and not p.get("EnableAutomatedSnapshotPolicy")
                and not p.get("EnableShared")
                and not p.get("Encrypted")
                and p.get("DiskChargeType", "PostPaid") == "PostPaid"
                and p.get("MultiAttach", "Disabled") == "Disabled"
                and p.get("ResourceGroupId", x.get("ResourceGroupId")) == x.get("ResourceGroupId")
                and (after is None or d.created_at >= after)
                and (before is None or d.created_at <= before)
                and tags_match(dict(tags[d.id]), wanted)
            )

        found = [d for d in found if keep(d)]
        if "MaxResults" in p or "NextToken" in p:
            lo, hi = MAX_RESULTS
            size = min(max(p.get("MaxResults") or lo, lo), hi)
            token_page = by_token(found, p.get("NextToken"), size, core.sort_key)
            shown, paging = token_page.items, {**token_page.fields(), "TotalCount": len(found)}
        else:
            page = by_page_number(found, p["PageNumber"], p["PageSize"])
            shown, paging = page.items, page.fields()
        rendered = render_disks(conn, call, shown)
    return {"Disks": {"Disk": rendered}, **paging}
