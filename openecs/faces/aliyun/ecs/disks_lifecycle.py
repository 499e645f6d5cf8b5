"""ECS 2014-05-26 a data disk's life: CreateDisk, AttachDisk, DetachDisk, ResizeDisk,
ModifyDiskAttribute, DeleteDisk.

What Terraform's alicloud_ecs_disk and alicloud_ecs_disk_attachment do. A new
disk is ``Creating`` for ``STEP_SECONDS`` of engine time, then ``Available``;
attaching and detaching take as long (``Attaching`` -> ``In_use``,
``Detaching`` -> ``Available``). Sizes are those of the catalog's category
(:func:`openecs.core.catalog.aliyun_disk_categories`), with the vendor's
performance-level floors for an ESSD (PL2 from 461 GiB, PL3 from 1261 GiB).
A disk is created from nothing: snapshots, encryption, multi-attach, storage
sets and subscription disks are refused. An instance takes at most
``MAX_DATA_DISKS`` data disks, of the categories its type attaches, in its own
zone. Only grow: a resize to the same size or smaller is refused. The
operations that carry no RegionId find the disk (or instance) in any region.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openecs.core import catalog
from openecs.core import disks as core
from openecs.core import tags as core_tags
from openecs.core.ids import aliyun_id
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.ecs.disks import (
    DESCRIPTION,
    DISK_ID,
    DISK_NAME,
    ENCRYPTION,
    SNAPSHOTS,
    find_disk,
)
from openecs.faces.aliyun.ecs.instance_params import MAX_DATA_DISKS
from openecs.faces.aliyun.ecs.instances_describe import INSTANCE_ID, find_instance
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.vpc.vpcs import RESOURCE_GROUP_ID, once, scope, tag_pairs
from openecs.faces.call import Call
from openecs.faces.params import (
    BOOLEAN,
    INTEGER,
    LIST,
    ErrorSpec,
    Exclusive,
    OneRequired,
    Param,
    optional,
)

STEP_SECONDS = 1.0  # engine seconds a disk takes to be created, attached or detached
# Categories CreateDisk names; those the catalog does not sell answer InvalidDiskCategory.NotSupported.
CREATE_CATEGORIES = (
    "cloud",
    "cloud_efficiency",
    "cloud_ssd",
    "cloud_essd",
    "cloud_auto",
    "cloud_essd_entry",
    "cloud_regional_disk_auto",
    "elastic_ephemeral_disk_standard",
    "elastic_ephemeral_disk_premium",
)
PERFORMANCE_LEVELS = {"PL0": 1, "PL1": 20, "PL2": 461, "PL3": 1261}  # level -> least GiB
ONLINE_CATEGORIES = (
    "cloud_efficiency",
    "cloud_ssd",
    "cloud_essd",
    "cloud_auto",
    "cloud_essd_entry",
)

ZONE_REQUIRED = ErrorSpec(
    "MissingParameter",
    "The input parameter ZoneId that is mandatory for processing this request is not supplied.",
)
SIZE_REQUIRED = ErrorSpec(
    "MissingParameter", 'The input parameter either "SnapshotId" or "Size" should be specified.'
)
SIZE_INVALID = ErrorSpec(
    "InvalidSize.ValueNotSupported", "The specified parameter Size is not valid."
)
CATEGORY_INVALID = ErrorSpec(
    "InvalidDiskCategory.ValueNotSupported", 'The specified parameter "DiskCategory" is not valid.'
)
CATEGORY_NOT_SOLD = ErrorSpec(
    "InvalidDiskCategory.NotSupported", "The specified disk category is not support."
)
LEVEL_INVALID = ErrorSpec(
    "InvalidPerformanceLevel.Malformed", "The specified parameter PerformanceLevel is not valid."
)
LEVEL_SIZE = ErrorSpec(
    "OperationDenied.PerformanceLevelNotMatch",
    "The specified PerformanceLevel and Size do not match.",
    403,
)
FORCE_UNSUPPORTED = ErrorSpec(
    "InvalidParameterForce.DiskCategoryNotSupported",
    "The specified disk category does not support force attach operation.",
)
TYPE_INVALID = ErrorSpec("InvalidParam.Type", "The specified type is not supported.")
CATEGORY_OFFLINE_ONLY = ErrorSpec(
    "OperationDenied", "The type of the disk does not support the operation.", 403
)
IDS_CONFLICT = ErrorSpec(
    "InvalidParameter.Conflict", "You can specify DiskId or DiskIds.N, but not both."
)
DELETE_WITH_INSTANCE_CONFLICT = ErrorSpec(
    "DeleteWithInstance.Conflict",
    "The specified disk is not a portable disk and cannot be set to DeleteWithInstance attribute.",
    403,
)


def _only(
    name: str, allowed: object, why: str, error: ErrorSpec | None = None
) -> Callable[[object], None]:
    """A check that accepts only ``allowed`` (what OpenECS models) and refuses the rest."""

    def check(value: object) -> None:
        if value != allowed:
            if error is not None:
                error.raise_(name, value)
            E.PARAM_DEFAULTS.unsupported.raise_(name, value, reason=why)

    return check


def _refused(name: str, type_: str = "string", why: str = "OpenECS does not model it") -> Param:
    return Param(name, type_, refused=why)


# --------------------------------------------------------------------------- CreateDisk


@operation(
    "Ecs",
    "CreateDisk",
    params=[
        common.REGION_ID,
        common.CLIENT_TOKEN,
        Param("ZoneId", max_length=64, doc="Required: every disk is zonal."),
        Param("Size", INTEGER, minimum=1, maximum=65536, invalid=SIZE_INVALID, doc="GiB."),
        Param(
            "DiskCategory",
            enum=CREATE_CATEGORIES,
            default="cloud",
            invalid=CATEGORY_INVALID,
            doc="Default cloud, as the vendor's; the zone must sell it.",
        ),
        DISK_NAME,
        DESCRIPTION,
        Param(
            "PerformanceLevel",
            enum=tuple(PERFORMANCE_LEVELS),
            invalid=LEVEL_INVALID,
            doc="cloud_essd only, default PL1; kept and shown, performance is not modelled.",
        ),
        RESOURCE_GROUP_ID,
        common.tags(extra_fields=common.LEGACY_TAG_FIELDS),
        Param("Encrypted", BOOLEAN, check=_only("Encrypted", False, ENCRYPTION), doc="false only."),
        Param(
            "MultiAttach",
            enum=("Disabled", "Enabled"),
            check=_only("MultiAttach", "Disabled", "multi-attach is not modelled"),
            doc="Disabled only.",
        ),
        _refused("SnapshotId", why=SNAPSHOTS),
        _refused("InstanceId", why="subscription (PrePaid) disks are not modelled"),
        _refused("KMSKeyId", why=ENCRYPTION),
        _refused("EncryptAlgorithm", why=ENCRYPTION),
        _refused("AdvancedFeatures"),
        _refused("Arn", LIST),
        _refused("BurstingEnabled", BOOLEAN, why="performance burst is not modelled"),
        _refused("ProvisionedIops", INTEGER, why="provisioned performance is not modelled"),
        _refused("StorageClusterId", why="dedicated block storage clusters are not modelled"),
        _refused("StorageSetId", why="storage sets are not modelled"),
        _refused("StorageSetPartitionNumber", INTEGER, why="storage sets are not modelled"),
    ],
)
def create_disk(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Create a pay-as-you-go data disk in a zone: Creating, then Available."""
    region = p["RegionId"]
    if "ZoneId" not in p:
        raise E.vendor(ZONE_REQUIRED)
    if "Size" not in p:
        raise E.vendor(SIZE_REQUIRED)
    zone = catalog.require_zone(catalog.aliyun(), region, p["ZoneId"])
    category, size = p["DiskCategory"], p["Size"]
    ranges = catalog.aliyun_disk_categories()
    if category not in ranges or category not in zone["DiskCategories"]:
        raise E.vendor(CATEGORY_NOT_SOLD)
    lo, hi = ranges[category]["DataDisk"]["Min"], ranges[category]["DataDisk"]["Max"]
    extra: dict[str, Any] = {"DeleteAutoSnapshot": True, "EnableAutoSnapshot": True}
    if category == "cloud_essd":
        level = p.get("PerformanceLevel", "PL1")
        lo = PERFORMANCE_LEVELS[level]
        if size < lo:
            raise E.vendor(LEVEL_SIZE)
        extra["PerformanceLevel"] = level
    if not lo <= size <= hi:
        raise E.vendor(SIZE_INVALID)
    if "ResourceGroupId" in p:
        extra["ResourceGroupId"] = p["ResourceGroupId"]
    where = scope(call, region)
    with call.db.write() as conn:

        def produce() -> dict[str, Any]:
            disk = core.create_disk(
                conn,
                where,
                disk_id=aliyun_id("d", region),
                zone_id=zone["id"],
                category=category,
                size=size,
                name=p.get("DiskName", ""),
                description=p.get("Description", ""),
                extra=extra,
                now=call.clock.now(),
                ready_after=STEP_SECONDS,
            )
            pairs = tag_pairs(p.get("Tag"))
            core_tags.set_tags(conn, call.account.id, core.TAGGED, disk.id, pairs, new=True)
            return {"DiskId": disk.id}

        return once(conn, call, region, "CreateDisk", p, produce)


# --------------------------------------------------------------------------- attach, detach


@operation(
    "Ecs",
    "AttachDisk",
    params=[
        INSTANCE_ID,
        DISK_ID,
        Param("DeleteWithInstance", BOOLEAN, default=False),
        Param("Device", max_length=64, doc="/dev/xvdb to /dev/xvdz; by default the first free."),
        Param(
            "Bootable",
            BOOLEAN,
            check=_only("Bootable", False, "attaching a system disk is not modelled"),
            doc="false only.",
        ),
        Param(
            "Force",
            BOOLEAN,
            check=_only("Force", False, "", FORCE_UNSUPPORTED),
            doc="false only: force attach is for Regional ESSDs, which OpenECS has none of.",
        ),
        _refused("KeyPairName", why="only for attaching a system disk, which is not modelled"),
        _refused("Password", why="only for attaching a system disk, which is not modelled"),
    ],
)
def attach_disk(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Attach an Available data disk to a Running or Stopped instance: Attaching, then In_use."""
    with call.db.write() as conn:
        vm = find_instance(conn, call, p["InstanceId"])
        zone = catalog.aliyun().zone(vm.region, vm.zone_id) or {"DiskCategories": []}
        itype = catalog.aliyun_instance_type(vm.instance_type)
        core.attach(
            conn,
            scope(call, vm.region),
            p["DiskId"],
            vm.id,
            now=call.clock.now(),
            after=STEP_SECONDS,
            delete_with_instance=p["DeleteWithInstance"],
            max_data_disks=MAX_DATA_DISKS,
            categories=catalog.aliyun_disk_categories_for(zone, itype, "DataDisk"),
            device=p.get("Device"),
        )
    return {}


@operation(
    "Ecs",
    "DetachDisk",
    params=[
        INSTANCE_ID,
        DISK_ID,
        Param(
            "DeleteWithInstance",
            BOOLEAN,
            default=False,
            doc="The disk's DeleteWithInstance afterwards; false (a data disk's default).",
        ),
    ],
)
def detach_disk(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Detach a data disk from a Running or Stopped instance: Detaching, then Available."""
    with call.db.write() as conn:
        vm = find_instance(conn, call, p["InstanceId"])
        core.detach(
            conn,
            scope(call, vm.region),
            p["DiskId"],
            vm.id,
            now=call.clock.now(),
            after=STEP_SECONDS,
            delete_with_instance=p["DeleteWithInstance"],
        )
    return {}


# --------------------------------------------------------------------------- size, attributes


@operation(
    "Ecs",
    "ResizeDisk",
    params=[
        DISK_ID,
        Param("NewSize", INTEGER, required=True, minimum=1, doc="GiB, larger than the size."),
        Param(
            "Type",
            enum=("offline", "online"),
            default="offline",
            invalid=TYPE_INVALID,
            doc="offline: Available, or in use by a Running or Stopped instance; "
            "online: in use by a Running instance.",
        ),
        common.CLIENT_TOKEN,
    ],
)
def resize_disk(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Grow a disk, up to its category's largest size."""
    with call.db.write() as conn:
        disk = find_disk(conn, call, p["DiskId"])
        online = p["Type"] == "online"
        if online and disk.category not in ONLINE_CATEGORIES:
            raise E.vendor(CATEGORY_OFFLINE_ONLY)
        kind = "SystemDisk" if disk.type == core.SYSTEM else "DataDisk"
        limits = catalog.aliyun_disk_categories().get(disk.category, {}).get(kind, {})

        def produce() -> dict[str, Any]:
            core.resize(
                conn,
                scope(call, disk.region),
                disk.id,
                p["NewSize"],
                max_size=limits.get("Max", 0),
                online=online,
            )
            return {}

        return once(conn, call, disk.region, "ResizeDisk", p, produce)


@operation(
    "Ecs",
    "ModifyDiskAttribute",
    params=[
        Param("DiskId", max_length=64),
        Param("DiskIds", LIST, items=Param("item", max_length=64), max_items=100),
        optional(common.REGION_ID),
        DISK_NAME,
        DESCRIPTION,
        Param("DeleteWithInstance", BOOLEAN),
        Param("DeleteAutoSnapshot", BOOLEAN, doc="Kept and shown: no snapshot is taken."),
        Param("EnableAutoSnapshot", BOOLEAN, doc="Kept and shown: no snapshot is taken."),
        _refused("BurstingEnabled", BOOLEAN, why="performance burst is not modelled"),
    ],
    rules=[
        Exclusive(("DiskId", "DiskIds"), IDS_CONFLICT),
        OneRequired(("DiskId", "DiskIds"), E.PARAM_DEFAULTS.missing),
    ],
)
def modify_disk_attribute(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Change the name, description and release attributes of one disk or many (all or none)."""
    changes: dict[str, Any] = {}
    for name, column in (
        ("DiskName", "name"),
        ("Description", "description"),
        ("DeleteWithInstance", "delete_with_instance"),
    ):
        if name in p:
            changes[column] = p[name]
    extra = {k: p[k] for k in ("DeleteAutoSnapshot", "EnableAutoSnapshot") if k in p}
    if extra:
        changes["extra"] = extra
    with call.db.write() as conn:
        for disk_id in dict.fromkeys(p.get("DiskIds") or [p.get("DiskId")]):
            disk = find_disk(conn, call, disk_id, p.get("RegionId"))
            not_portable = disk.type == core.SYSTEM and disk.category == "cloud"
            if p.get("DeleteWithInstance") is False and not_portable:
                raise E.vendor(DELETE_WITH_INSTANCE_CONFLICT)
            core.update_disk(conn, scope(call, disk.region), disk.id, **changes)
    return {}


@operation("Ecs", "DeleteDisk", params=[DISK_ID])
def delete_disk(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Release an Available disk (and its tags)."""
    with call.db.write() as conn:
        disk = find_disk(conn, call, p["DiskId"])
        core.delete_disk(conn, scope(call, disk.region), disk.id)
    return {}
