"""ECS 2014-05-26 RunInstances: the vendor's rules for a batch of new instances.

The instances live in the core (:mod:`openecs.core.instances`), which creates a
batch with its network interfaces and disks in one transaction; this module
checks what the vendor checks before that: the image and instance type of the
catalog (the type sold in the vSwitch's zone, the image bootable on it), the
vSwitch and security groups (same VPC), names (numbered as the vendor numbers
a batch, :mod:`.instance_naming`), the password (kept only as a salted PBKDF2
hash, never answered), user data, disks within their category's size range,
the amount, the charge type and the instance's lifetime (subscription, spot,
auto-release: :mod:`.instance_billing`). ``DryRun`` answers after every check;
``ClientToken`` gives a retry the first answer. :class:`Launch` is shared with
CreateInstance (:mod:`.instances_create`): check, then specs, then the core.
Reading the instances back is :mod:`.instances_describe`; starting, stopping,
rebooting and deleting them is :mod:`.instances_lifecycle`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from openecs.core import catalog, keypairs, lifetimes, network
from openecs.core import instances as core
from openecs.core.errors import NotFound
from openecs.core.ids import aliyun_id
from openecs.core.passwords import hash_password
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.ecs import instance_billing as billing
from openecs.faces.aliyun.ecs import instance_naming as naming
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
    TYPE_NOT_IN_ZONE,
    VSWITCH_REQUIRED,
    VSWITCH_STATUS,
    ZONE_MISMATCH,
    check_host_name,
    check_instance_name,
)
from openecs.faces.aliyun.ecs.network_interfaces import CONFLICT, IPV6_EXCEEDED, ipv6_request
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.vpc.vpcs import once, scope, tag_pairs
from openecs.faces.call import Call
from openecs.faces.params import ErrorSpec

IPV6_FOR_ONE = ErrorSpec(
    "InvalidParameter.Conflict", "Ipv6Address can only be specified when Amount is 1."
)


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


@dataclass(frozen=True)
class Launch:
    """One create request checked as far as it can be without the store: image, type, groups."""

    call: Call
    p: dict[str, Any]
    image: dict[str, Any]
    itype: dict[str, Any]
    groups: list[str]
    paid: billing.Billing

    @classmethod
    def check(
        cls, call: Call, p: dict[str, Any], renew_periods: dict[str, tuple[int, ...]]
    ) -> Launch:
        for name in ("ImageId", "InstanceType"):
            if name not in p:
                E.PARAM_DEFAULTS.missing.raise_(name)
        if "VSwitchId" not in p:
            raise E.vendor(VSWITCH_REQUIRED)
        image = catalog.require_aliyun_image(p["ImageId"])
        itype = catalog.require_aliyun_instance_type(p["InstanceType"])
        groups = list(p.get("SecurityGroupIds") or [])
        if "SecurityGroupId" in p:
            groups = [p["SecurityGroupId"], *[g for g in groups if g != p["SecurityGroupId"]]]
        paid = billing.check(p, call.clock.now(), renew_periods)
        return cls(call, p, image, itype, groups, paid)

    def specs(self, conn: Connection, amount: int) -> list[core.InstanceSpec]:
        """The checks that need the store, then ``amount`` instance specs with fresh ids."""
        p, region = self.p, self.p["RegionId"]
        where = scope(self.call, region)
        subnet = network.get_subnet(conn, where, p["VSwitchId"])
        if subnet.status != network.AVAILABLE:
            raise E.vendor(VSWITCH_STATUS)
        if p.get("ZoneId", subnet.zone_id) != subnet.zone_id:
            raise E.vendor(ZONE_MISMATCH)
        zone = catalog.require_zone(catalog.aliyun(), region, subnet.zone_id)
        if not catalog.aliyun_zone_offers(zone, self.itype):
            raise E.vendor(TYPE_NOT_IN_ZONE)
        if not catalog.aliyun_image_fits_type(self.image, self.itype):
            raise E.vendor(IMAGE_NOT_FOR_TYPE)
        if len(p.get("Ipv6Address", [])) + p.get("Ipv6AddressCount", 0) > self.itype.get(
            "EniIpv6AddressQuantity", 0
        ):
            raise E.vendor(IPV6_EXCEEDED)
        if "KeyPairName" in p:
            try:
                keypairs.get(conn, where, p["KeyPairName"])
            except NotFound:
                raise E.vendor(KEY_PAIR_NOT_FOUND) from None
        if not self.groups:
            E.PARAM_DEFAULTS.missing.raise_("SecurityGroupId")
        password = hash_password(p["Password"]) if "Password" in p else None
        extra = {k: p[k] for k in ("ResourceGroupId",) if k in p}
        extra["OSType"] = self.image["OSType"]
        extra.update(self.paid.extra)
        ids = [aliyun_id("i", region) for _ in range(amount)]
        names, hosts = self._names(ids)
        return [
            core.InstanceSpec(
                instance_id=iid,
                interface_id=aliyun_id("eni", region),
                zone_id=subnet.zone_id,
                subnet_id=subnet.id,
                instance_type=self.itype["InstanceTypeId"],
                image_id=self.image["ImageId"],
                name=name,
                hostname=host,
                description=p.get("Description", ""),
                disks=_disk_specs(p, zone, self.itype, self.image, region),
                group_ids=self.groups,
                primary_ip=p.get("PrivateIpAddress"),
                key_pair_name=p.get("KeyPairName"),
                password_hash=password,
                user_data=p.get("UserData"),
                charge_type=self.paid.charge_type,
                deletion_protection=p["DeletionProtection"],
                expires_at=self.paid.expires_at,
                auto_release_at=self.paid.auto_release_at,
                extra=extra,
                ipv6=ipv6_request(p),
            )
            for iid, name, host in zip(ids, names, hosts, strict=True)
        ]

    def _names(self, ids: list[str]) -> tuple[list[str], list[str]]:
        """Each instance's name and host name: numbered, suffixed, or given one by one."""
        p, count = self.p, len(ids)

        def expand(
            key: str, limit: int, exceed: ErrorSpec, check: Callable[[str], None]
        ) -> list[str]:
            unique = bool(p.get("UniqueSuffix"))
            return naming.expand(
                p[key], count, unique=unique, limit=limit, exceed=exceed, check=check
            )

        names = list(ids)
        if "InstanceName" in p:
            names = expand(
                "InstanceName",
                naming.MAX_INSTANCE_NAME,
                naming.INSTANCE_NAME_EXCEED,
                check_instance_name,
            )
        hosts = ["iZ" + iid.split("-", 1)[1] + "Z" for iid in ids]
        if p.get("HostNames") is not None:
            hosts = list(p["HostNames"])
        elif "HostName" in p:
            hosts = expand(
                "HostName", naming.MAX_HOST_NAME, naming.HOST_NAME_EXCEED, check_host_name
            )
        return names, [naming.with_id(h, iid) for h, iid in zip(hosts, ids, strict=True)]

    def create(
        self,
        conn: Connection,
        specs: list[core.InstanceSpec],
        action: str,
        answer: Callable[[list[core.Instance]], dict[str, Any]],
        *,
        boot: bool = True,
    ) -> dict[str, Any]:
        """Create the instances (a trial for ``DryRun``), once per ClientToken of ``action``;
        ``answer`` words the response."""
        call, p = self.call, self.p

        def make() -> list[core.Instance]:
            made = core.create_instances(
                conn,
                scope(call, p["RegionId"]),
                specs,
                now=call.clock.now(),
                boot_seconds=call.runtime.settings.boot_seconds,
                boot=boot,
                tags=tag_pairs(p.get("Tag")),
                tag_limit=common.TAG_LIMIT,
            )
            for vm in made:
                lifetimes.schedule_expiry(conn, vm)
            return made

        if p["DryRun"]:
            with conn.begin_nested() as trial:
                make()
                trial.rollback()
            common.dry_run(p)

        def produce() -> dict[str, Any]:
            return {**answer(make()), **self.paid.order()}

        fingerprint_values = {k: v for k, v in p.items() if k != "Password"}
        fingerprint_values["Password"] = bool(p.get("Password"))
        return once(conn, call, p["RegionId"], action, fingerprint_values, produce)


@operation("Ecs", "RunInstances", params=RUN_PARAMS)
def run_instances(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Create 1 to 100 instances in one vSwitch, all or none; Pending until they boot."""
    with call.db.read() as conn:
        p = launch_templates.merge_into_run(conn, call, p)
    if "PrivateIpAddress" in p and p["Amount"] > 1:
        raise E.vendor(IP_FOR_ONE)
    if "Ipv6Address" in p and p["Amount"] > 1:
        raise E.vendor(IPV6_FOR_ONE)
    if "Ipv6Address" in p and "Ipv6AddressCount" in p:
        CONFLICT.raise_("Ipv6Address", other="Ipv6AddressCount")
    if p.get("MinAmount", 1) > p["Amount"]:
        raise E.vendor(MIN_AMOUNT_INVALID)
    naming.host_names_of(p.get("HostNames"), p.get("HostName"), p["Amount"])
    launch = Launch.check(call, p, billing.RUN_RENEW_PERIODS)
    with call.db.write() as conn:
        specs = launch.specs(conn, p["Amount"])
        return launch.create(
            conn,
            specs,
            "RunInstances",
            lambda made: {"InstanceIdSets": {"InstanceIdSet": [vm.id for vm in made]}},
        )
