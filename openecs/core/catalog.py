"""The catalog: regions, zones, instance types or flavors, and public images of each cloud.

The catalog is data, not code: JSON files under ``openecs/data/<cloud>/``,
loaded once and read-only. Each file holds records already in the vendor's
own field names, so a face renders them with little more than filtering and
paging. Which clouds exist and what their records hold is described in
``openecs/data/README.md``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

DATA_PACKAGE = "openecs.data"


@cache
def load(cloud: str, name: str) -> Any:
    """The parsed JSON of ``openecs/data/<cloud>/<name>.json`` (cached, do not mutate)."""
    text = resources.files(DATA_PACKAGE).joinpath(cloud, f"{name}.json").read_text("utf-8")
    return json.loads(text)


class CloudCatalog:
    """Regions and zones of one cloud, plus access to its other catalog files."""

    def __init__(self, cloud: str) -> None:
        self.cloud = cloud

    def regions(self) -> list[dict[str, Any]]:
        return load(self.cloud, "regions")

    def region_ids(self) -> list[str]:
        return [r["id"] for r in self.regions()]

    def region(self, region_id: str) -> dict[str, Any] | None:
        return _region_index(self.cloud).get(region_id)

    def zones(self, region_id: str) -> list[dict[str, Any]]:
        region = self.region(region_id)
        return [] if region is None else region["zones"]

    def zone_ids(self, region_id: str) -> list[str]:
        return [z["id"] for z in self.zones(region_id)]

    def zone(self, region_id: str, zone_id: str) -> dict[str, Any] | None:
        for z in self.zones(region_id):
            if z["id"] == zone_id:
                return z
        return None

    def records(self, name: str) -> list[dict[str, Any]]:
        """Every record of another catalog file of this cloud (instance types, images...)."""
        return load(self.cloud, name)


@cache
def _region_index(cloud: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in load(cloud, "regions")}


@cache
def aliyun() -> CloudCatalog:
    return CloudCatalog("aliyun")


@cache
def huawei() -> CloudCatalog:
    return CloudCatalog("huawei")


# -- Huawei flavors and public images ---------------------------------------
#
# ``huawei/flavors.json`` holds each flavor in ListFlavors' shape plus
# ``availability``: region -> {zone: status}, where a status is the vendor's
# ``cond:operation:az`` word (normal, sellout, abandon, obt, promotion). A
# flavor absent from a region's map is not sold there. ``huawei/images.json``
# holds the public (gold) images in IMS' shape, the same in every region.

HUAWEI_ORDERABLE = frozenset({"normal", "obt", "promotion"})


def huawei_flavors(region_id: str) -> list[dict[str, Any]]:
    """The flavor records sold in a Huawei region, sorted by id (do not mutate)."""
    return [f for f in _huawei_flavors_sorted() if region_id in f["availability"]]


def huawei_flavor(region_id: str, flavor_id: str) -> dict[str, Any] | None:
    """One flavor record sold in ``region_id``, or None."""
    flavor = _huawei_flavor_index().get(flavor_id)
    return flavor if flavor is not None and region_id in flavor["availability"] else None


def huawei_flavor_zone_status(flavor: dict[str, Any], region_id: str, zone_id: str) -> str:
    """The flavor's status in one zone: normal, sellout, abandon... (abandon when not listed)."""
    return flavor["availability"].get(region_id, {}).get(zone_id, "abandon")


def huawei_flavor_orderable(flavor: dict[str, Any], region_id: str, zone_id: str) -> bool:
    """Whether a server of this flavor can be created in the zone now."""
    return huawei_flavor_zone_status(flavor, region_id, zone_id) in HUAWEI_ORDERABLE


def huawei_flavor_is_arm(flavor: dict[str, Any]) -> bool:
    return flavor["os_extra_specs"].get("ecs:instance_architecture") == "arm64"


def huawei_images(region_id: str) -> list[dict[str, Any]]:
    """The public images of a Huawei region (the same catalog in every region; do not mutate)."""
    return load("huawei", "images") if huawei().region(region_id) is not None else []


def huawei_image(region_id: str, image_id: str) -> dict[str, Any] | None:
    image = _huawei_image_index().get(image_id)
    return image if image is not None and huawei().region(region_id) is not None else None


def huawei_image_is_arm(image: dict[str, Any]) -> bool:
    return image.get("__support_arm") == "true"


def huawei_image_fits_flavor(image: dict[str, Any], flavor: dict[str, Any]) -> bool:
    """An image boots on a flavor when their CPU architectures match and the RAM suffices."""
    return (
        huawei_image_is_arm(image) == huawei_flavor_is_arm(flavor)
        and image.get("min_ram", 0) <= flavor["ram"]
    )


@cache
def _huawei_flavors_sorted() -> list[dict[str, Any]]:
    return sorted(load("huawei", "flavors"), key=lambda f: f["id"])


@cache
def _huawei_flavor_index() -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in load("huawei", "flavors")}


@cache
def _huawei_image_index() -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in load("huawei", "images")}


# --------------------------------------------------------------------------- Alibaba: lookups
# Regions and zones that must exist, instance types and their families, public images,
# and the rules that tie them together (which zone sells which type, which image boots
# on which type). RunInstances, CreateVSwitch and the catalog operations share these.

from openecs.core.errors import NotFound  # noqa: E402 - the section is appended to this module


def require_region(cat: CloudCatalog, region_id: str) -> dict[str, Any]:
    """The region, or ``NotFound("region.not_found")``."""
    region = cat.region(region_id)
    if region is None:
        raise NotFound(
            "region.not_found", f"region {region_id!r} does not exist", region_id=region_id
        )
    return region


def require_zone(cat: CloudCatalog, region_id: str, zone_id: str) -> dict[str, Any]:
    """The zone of that region, or ``NotFound("zone.not_found")``."""
    require_region(cat, region_id)
    zone = cat.zone(region_id, zone_id)
    if zone is None:
        raise NotFound("zone.not_found", f"zone {zone_id!r} is not in {region_id}", zone_id=zone_id)
    return zone


def aliyun_instance_types() -> list[dict[str, Any]]:
    """Every Alibaba instance type, in the vendor's DescribeInstanceTypes field names."""
    return load("aliyun", "instance_types")


@cache
def _aliyun_type_index() -> dict[str, dict[str, Any]]:
    return {t["InstanceTypeId"]: t for t in aliyun_instance_types()}


def aliyun_instance_type(type_id: str) -> dict[str, Any] | None:
    return _aliyun_type_index().get(type_id)


def require_aliyun_instance_type(type_id: str) -> dict[str, Any]:
    """The instance type, or ``NotFound("instance_type.not_found")``."""
    itype = aliyun_instance_type(type_id)
    if itype is None:
        raise NotFound(
            "instance_type.not_found",
            f"instance type {type_id!r} does not exist",
            instance_type=type_id,
        )
    return itype


def aliyun_families() -> list[dict[str, Any]]:
    """Instance families: ``InstanceTypeFamilyId``, ``Generation`` and the disk categories they take."""
    return load("aliyun", "instance_type_families")["families"]


@cache
def _aliyun_family_index() -> dict[str, dict[str, Any]]:
    return {f["InstanceTypeFamilyId"]: f for f in aliyun_families()}


def aliyun_family(family_id: str) -> dict[str, Any] | None:
    return _aliyun_family_index().get(family_id)


def aliyun_disk_categories() -> dict[str, dict[str, Any]]:
    """Cloud disk categories with their system-disk and data-disk size ranges (GiB)."""
    return {c["Category"]: c for c in load("aliyun", "instance_type_families")["disk_categories"]}


def aliyun_zone_offers(zone: dict[str, Any], itype: dict[str, Any]) -> bool:
    """Whether a zone sells an instance type (its family is deployed there)."""
    return itype["InstanceTypeFamily"] in zone["InstanceTypeFamilies"]


def aliyun_zone_instance_types(zone: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in aliyun_instance_types() if aliyun_zone_offers(zone, t)]


def aliyun_disk_categories_for(
    zone: dict[str, Any], itype: dict[str, Any] | None, kind: str
) -> list[str]:
    """Disk categories a zone sells, narrowed to what the instance type attaches.

    ``kind`` is ``"SystemDisk"`` or ``"DataDisk"``; without an instance type, every
    category the zone sells (a data disk bought on its own).
    """
    allowed = zone["DiskCategories"]
    if itype is None:
        return list(allowed)
    family = aliyun_family(itype["InstanceTypeFamily"]) or {}
    takes = family.get("SystemDiskCategories" if kind == "SystemDisk" else "DataDiskCategories", [])
    return [c for c in takes if c in allowed]


def aliyun_images() -> list[dict[str, Any]]:
    """Alibaba public (system) images, the same in every region, in DescribeImages field names."""
    return load("aliyun", "images")


@cache
def _aliyun_image_index() -> dict[str, dict[str, Any]]:
    return {i["ImageId"]: i for i in aliyun_images()}


def aliyun_image(image_id: str) -> dict[str, Any] | None:
    return _aliyun_image_index().get(image_id)


def require_aliyun_image(image_id: str) -> dict[str, Any]:
    """The public image, or ``NotFound("image.not_found")``."""
    image = aliyun_image(image_id)
    if image is None:
        raise NotFound("image.not_found", f"image {image_id!r} does not exist", image_id=image_id)
    return image


_ARCH_OF_CPU = {"X86": ("x86_64", "i386"), "ARM": ("arm64",)}


def aliyun_image_fits_type(image: dict[str, Any], itype: dict[str, Any]) -> bool:
    """Whether an image boots on an instance type: CPU architecture, NVMe and boot mode agree."""
    if image["Architecture"] not in _ARCH_OF_CPU.get(itype["CpuArchitecture"], ()):
        return False
    if itype.get("NvmeSupport") == "required" and image["Features"]["NvmeSupport"] != "supported":
        return False
    modes = itype.get("SupportedBootModes", {}).get("SupportedBootMode", ["BIOS"])
    boot = image.get("BootMode", "BIOS")
    if boot == "UEFI-Preferred":
        return True
    return boot in modes
