"""ECS 2014-05-26 RunInstances: the vendor's rules for a batch of new instances.

The instances live in the core (:mod:`openecs.core.instances`), which creates a
batch with its network interfaces and disks in one transaction; this module
checks what the vendor checks before that: the image and instance type of the
catalog (the type sold in the vSwitch's zone, the image bootable on it), the
vSwitch and security groups (same VPC), names, the password (kept only as a
salted PBKDF2 hash, never answered), user data, disks within their category's
size range, the amount, the charge type. PrePaid is refused (OpenECS bills
nothing, and a subscription's renewal cycle is not modelled). ``DryRun``
answers after every check; ``ClientToken`` gives a retry the first answer.
Reading the instances back is :mod:`.instances_describe`; starting, stopping,
rebooting and deleting them is :mod:`.instances_lifecycle`.
"""

from __future__ import annotations

from typing import Any

from openecs.core import catalog, keypairs, network
from openecs.core import instances as core
from openecs.core import tags as core_tags
from openecs.core.errors import NotFound
from openecs.core.ids import aliyun_id
from openecs.core.passwords import hash_password
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.ecs import launch_templates
from openecs.faces.aliyun.ecs.instance_params import (
    DATA_CATEGORY_INVALID,
    DATA_SIZE_INVALID,
    IMAGE_NOT_FOR_TYPE,
    IP_FOR_ONE,
    KEY_PAIR_NOT_FOUND,
    MIN_AMOUNT_INVALID,
    RUN_PARAMS,
    SYSTEM_CATEGORY_INVALID,
    SYSTEM_SIZE_INVALID,
    TAGGED,
    TYPE_NOT_IN_ZONE,
    VSWITCH_REQUIRED,
    VSWITCH_STATUS,
    ZONE_MISMATCH,
)
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.vpc.vpcs import once, scope, tag_pairs
from openecs.faces.call import Call


def _disk_specs(
    p: dict[str, Any],
    zone: dict[str, Any],
    itype: dict[str, Any],
    image: dict[str, Any],
    region: str,
) -> list[tuple[str, core.DiskSpec]]:
    """The system disk then the data disks, each category sold for the type, each size in range."""
    ranges = catalog.aliyun_disk_categories()
    system_ok = catalog.aliyun_disk_categories_for(zone, itype, "SystemDisk")
    sd = p["SystemDisk"]
    category = sd.get("Category") or (
        "cloud_essd" if "cloud_essd" in system_ok else (system_ok or ["cloud_efficiency"])[0]
    )
    if category not in system_ok:
        raise E.vendor(SYSTEM_CATEGORY_INVALID)
    lo, hi = ranges[category]["SystemDisk"]["Min"], ranges[category]["SystemDisk"]["Max"]
    size = int(sd["Size"]) if "Size" in sd else max(lo, int(image["Size"]))
    if not max(lo, int(image["Size"])) <= size <= hi:
        raise E.vendor(SYSTEM_SIZE_INVALID)
    extra = {"PerformanceLevel": sd["PerformanceLevel"]} if "PerformanceLevel" in sd else {}
    out = [
        (
            aliyun_id("d", region),
            core.DiskSpec(
                "system",
                category,
                size,
                name=sd.get("DiskName", ""),
                description=sd.get("Description", ""),
                extra=extra,
            ),
        )
    ]
    data_ok = catalog.aliyun_disk_categories_for(zone, itype, "DataDisk")
    for disk in p.get("DataDisk") or []:
        cat = disk.get("Category") or "cloud_efficiency"
        if cat not in data_ok:
            raise E.vendor(DATA_CATEGORY_INVALID)
        lo, hi = ranges[cat]["DataDisk"]["Min"], ranges[cat]["DataDisk"]["Max"]
        if "Size" not in disk or not lo <= disk["Size"] <= hi:
            raise E.vendor(DATA_SIZE_INVALID)
        extra = {"PerformanceLevel": disk["PerformanceLevel"]} if "PerformanceLevel" in disk else {}
        out.append(
            (
                aliyun_id("d", region),
                core.DiskSpec(
                    "data",
                    cat,
                    disk["Size"],
                    delete_with_instance=disk["DeleteWithInstance"],
                    name=disk.get("DiskName", ""),
                    description=disk.get("Description", ""),
                    extra=extra,
                ),
            )
        )
    return out


@operation("Ecs", "RunInstances", params=RUN_PARAMS)
def run_instances(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Create 1 to 100 instances in one vSwitch, all or none; Pending until they boot."""
    with call.db.read() as conn:
        p = launch_templates.merge_into_run(conn, call, p)
    region = p["RegionId"]
    for name in ("ImageId", "InstanceType"):
        if name not in p:
            E.PARAM_DEFAULTS.missing.raise_(name)
    if "VSwitchId" not in p:
        raise E.vendor(VSWITCH_REQUIRED)
    if "PrivateIpAddress" in p and p["Amount"] > 1:
        raise E.vendor(IP_FOR_ONE)
    if p.get("MinAmount", 1) > p["Amount"]:
        raise E.vendor(MIN_AMOUNT_INVALID)
    image = catalog.require_aliyun_image(p["ImageId"])
    itype = catalog.require_aliyun_instance_type(p["InstanceType"])
    where = scope(call, region)
    groups = list(p.get("SecurityGroupIds") or [])
    if "SecurityGroupId" in p:
        groups = [p["SecurityGroupId"], *[g for g in groups if g != p["SecurityGroupId"]]]
    with call.db.write() as conn:
        subnet = network.get_subnet(conn, where, p["VSwitchId"])
        if subnet.status != network.AVAILABLE:
            raise E.vendor(VSWITCH_STATUS)
        if p.get("ZoneId", subnet.zone_id) != subnet.zone_id:
            raise E.vendor(ZONE_MISMATCH)
        zone = catalog.require_zone(catalog.aliyun(), region, subnet.zone_id)
        if not catalog.aliyun_zone_offers(zone, itype):
            raise E.vendor(TYPE_NOT_IN_ZONE)
        if not catalog.aliyun_image_fits_type(image, itype):
            raise E.vendor(IMAGE_NOT_FOR_TYPE)
        if "KeyPairName" in p:
            try:
                keypairs.get(conn, where, p["KeyPairName"])
            except NotFound:
                raise E.vendor(KEY_PAIR_NOT_FOUND) from None
        if not groups:
            E.PARAM_DEFAULTS.missing.raise_("SecurityGroupId")
        password = hash_password(p["Password"]) if "Password" in p else None
        extra = {k: p[k] for k in ("ResourceGroupId",) if k in p}
        extra["OSType"] = image["OSType"]

        def specs() -> list[core.InstanceSpec]:
            out = []
            for _ in range(p["Amount"]):
                iid = aliyun_id("i", region)
                out.append(
                    core.InstanceSpec(
                        instance_id=iid,
                        interface_id=aliyun_id("eni", region),
                        zone_id=subnet.zone_id,
                        subnet_id=subnet.id,
                        instance_type=itype["InstanceTypeId"],
                        image_id=image["ImageId"],
                        name=p.get("InstanceName", iid),
                        hostname=p.get("HostName", "iZ" + iid.split("-", 1)[1] + "Z"),
                        description=p.get("Description", ""),
                        disks=_disk_specs(p, zone, itype, image, region),
                        group_ids=groups,
                        primary_ip=p.get("PrivateIpAddress"),
                        key_pair_name=p.get("KeyPairName"),
                        password_hash=password,
                        user_data=p.get("UserData"),
                        charge_type="PostPaid",
                        deletion_protection=p["DeletionProtection"],
                        extra=extra,
                    )
                )
            return out

        if p["DryRun"]:
            _disk_specs(p, zone, itype, image, region)
            with conn.begin_nested() as trial:
                core.create_instances(
                    conn,
                    where,
                    specs(),
                    now=call.clock.now(),
                    boot_seconds=call.runtime.settings.boot_seconds,
                )
                trial.rollback()
            common.dry_run(p)

        def produce() -> dict[str, Any]:
            made = core.create_instances(
                conn,
                where,
                specs(),
                now=call.clock.now(),
                boot_seconds=call.runtime.settings.boot_seconds,
            )
            for vm in made:
                core_tags.set_tags(
                    conn,
                    call.account.id,
                    TAGGED,
                    vm.id,
                    tag_pairs(p.get("Tag")),
                    limit=common.TAG_LIMIT,
                )
            return {"InstanceIdSets": {"InstanceIdSet": [vm.id for vm in made]}}

        fingerprint_values = {k: v for k, v in p.items() if k != "Password"}
        fingerprint_values["Password"] = bool(p.get("Password"))
        return once(conn, call, region, "RunInstances", fingerprint_values, produce)
