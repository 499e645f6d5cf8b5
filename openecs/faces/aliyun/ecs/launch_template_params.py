"""The fields of an ECS launch template version, declared once with the vendor's rules.

CreateLaunchTemplate and CreateLaunchTemplateVersion take the same version
fields (:data:`VERSION_FIELDS`); the names, host names, descriptions, user
data and tags reuse RunInstances' declarations (:mod:`.instance_params`,
:mod:`openecs.faces.aliyun.common`). The vendor checks the format of a value
when the template is written and its meaning only when an instance is
launched from it ("ECS does not verify the existence or validity of specified
parameter values"), so every field is accepted and kept as given: an image,
a vSwitch or a feature OpenECS does not model is refused by RunInstances when
the version is used, with RunInstances' own code. No field has a default, so
a version keeps exactly what its creator gave.

The error codes are those of seed 000's table (CreateLaunchTemplateVersion)
and the vendor's CreateLaunchTemplate table; a rule the table names no code
for answers ``InvalidParameter``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from openecs.core import catalog
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.ecs import instance_params as run
from openecs.faces.aliyun.ecs.key_pairs import NAME_PATTERN as ECS_NAME_NO_PERIOD
from openecs.faces.aliyun.vpc.vpcs import RESOURCE_GROUP_ID
from openecs.faces.params import BOOLEAN, FLOAT, INTEGER, LIST, STRUCT, Check, ErrorSpec, Param

MAX_VERSIONS = (
    30  # per template ("Each instance launch template supports a maximum of 30 versions")
)
MAX_TEMPLATES = 30  # per region ("You can create up to 30 launch templates in each region")
MAX_DATA_DISKS = 16
MAX_NETWORK_INTERFACES = 2  # one primary and one secondary
MAX_DELETE_VERSIONS = 29  # DeleteVersion.N: N from 1 to 29
PERIODS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60)
AUTO_RENEW_PERIODS = (1, 2, 3, 6, 12, 24, 36, 48, 60)
NOT_FOUND_MESSAGE = (
    'The specified LaunchTemplateId "{id}" LaunchTemplateName "{name}" is not found.'
)

REGION_NOT_EXIST = ErrorSpec("InvalidRegion.NotExist", "The specified region does not exist.")
NAME_INVALID = ErrorSpec(
    "InvalidLaunchTemplateName.Malformed",
    "The specified parameter LaunchTemplateName is not valid.",
)
VERSION_DESCRIPTION_INVALID = ErrorSpec(
    "InvalidDescription.Malformed", 'The specified parameter "VersionDescription" is not valid.'
)
ENI_INVALID = ErrorSpec(
    "InvalidParams.CreateEniParams",
    "The specified parameter NetworkInterface.N is not valid: {why}",
)
RESOURCE_GROUP_NOT_FOUND = ErrorSpec(
    "InvalidResourceGroup.NotFound",
    "The ResourceGroup provided does not exist in our records.",
    404,
)
TEMPLATE_MISSING = ErrorSpec(
    "MissingParameter",
    'The input parameter "LaunchTemplateId" or "LaunchTemplateName" that is mandatory for '
    "processing this request is not supplied.",
)
INVALID = E.PARAM_DEFAULTS.invalid


def _region_exists(region_id: str) -> None:
    if catalog.aliyun().region(region_id) is None:
        raise E.vendor(REGION_NOT_EXIST)


# RegionId as the launch template operations check it: an unknown region is
# InvalidRegion.NotExist (400) in their error tables, not InvalidRegionId.NotFound.
REGION_ID = replace(common.REGION_ID, check=_region_exists)
RESOURCE_GROUP = replace(RESOURCE_GROUP_ID, invalid=RESOURCE_GROUP_NOT_FOUND)

# -- identifying a template

TEMPLATE_ID = Param("LaunchTemplateId", max_length=64, doc="lt- id of a template of the region.")
TEMPLATE_NAME_LOOKUP = Param(
    "LaunchTemplateName", max_length=128, doc="A template's name; another name is not found."
)
TEMPLATE_NAME = Param(
    "LaunchTemplateName",
    required=True,
    pattern=ECS_NAME_NO_PERIOD,  # no "/" at all, so never http:// or https://
    invalid=NAME_INVALID,
    doc="2 to 128 characters, starting with a letter; letters, digits, : _ -; unique in the region.",
)
ONE_TEMPLATE = Check(
    lambda v: None if (v.get("LaunchTemplateId") or v.get("LaunchTemplateName")) else _missing(),
    "LaunchTemplateId or LaunchTemplateName is required (MissingParameter)",
)


def _missing() -> None:
    raise E.vendor(TEMPLATE_MISSING)


VERSION_DESCRIPTION = Param(
    "VersionDescription",
    pattern=run.DESCRIPTION_PATTERN,
    invalid=VERSION_DESCRIPTION_INVALID,
    doc="2 to 256 characters; cannot start with http:// or https://.",
)


def _is(*values: Any, **kw: Any) -> dict[str, Any]:
    return {"enum": values, **kw}


def _max_decimals(places: int, name: str) -> Any:
    def check(value: float) -> None:
        if round(value, places) != value:
            INVALID.raise_(name, value)

    return check


_ISO_MINUTE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?Z"
_DISK_NAME = Param("DiskName", pattern=run.NAME_PATTERN, invalid=INVALID)
_DISK_DESCRIPTION = Param("Description", pattern=run.DESCRIPTION_PATTERN, invalid=INVALID)
_LEVEL = Param("PerformanceLevel", **_is("PL0", "PL1", "PL2", "PL3"))
SYSTEM_CATEGORIES = (
    "cloud",
    "cloud_efficiency",
    "cloud_ssd",
    "cloud_auto",
    "cloud_essd",
    "cloud_essd_entry",
)
DATA_CATEGORIES = (
    *SYSTEM_CATEGORIES[:5],
    "cloud_regional_disk_auto",
    "cloud_essd_entry",
    "elastic_ephemeral_disk_standard",
    "elastic_ephemeral_disk_premium",
)
# The seed's size ranges (GiB) of a data disk by category; an ESSD's depend on its level.
DATA_SIZES: dict[str, tuple[int, int]] = {
    "cloud": (5, 2000),
    "cloud_efficiency": (20, 32768),
    "cloud_ssd": (20, 32768),
    "cloud_auto": (1, 32768),
    "cloud_essd_entry": (10, 32768),
}
ESSD_SIZES = {"PL0": (1, 32768), "PL1": (20, 32768), "PL2": (461, 32768), "PL3": (1261, 32768)}

SYSTEM_DISK = Param(
    "SystemDisk",
    STRUCT,
    fields=(
        Param("Category", enum=SYSTEM_CATEGORIES, invalid=INVALID),
        Param("Size", INTEGER, doc="GiB: cloud 20 to 500, other categories 20 to 2048."),
        replace(_DISK_NAME, doc="2 to 128 characters, starting with a letter."),
        _DISK_DESCRIPTION,
        Param("Iops", INTEGER, minimum=0),
        replace(_LEVEL, doc="ESSD performance level."),
        Param("DeleteWithInstance", BOOLEAN),
        Param("AutoSnapshotPolicyId", max_length=64),
        Param("ProvisionedIops", INTEGER, minimum=0, maximum=50000),
        Param("BurstingEnabled", BOOLEAN),
        Param("Encrypted", **_is("true", "false", enum_ignore_case=True)),
        Param("KMSKeyId", max_length=128),
    ),
)
DATA_DISK = Param(
    "DataDisk",
    LIST,
    max_items=MAX_DATA_DISKS,
    items=Param(
        "item",
        STRUCT,
        fields=(
            Param("Category", enum=DATA_CATEGORIES, invalid=INVALID),
            Param("Size", INTEGER, doc="GiB, within the category's range (seed 000)."),
            _LEVEL,
            _DISK_NAME,
            _DISK_DESCRIPTION,
            Param("SnapshotId", max_length=64),
            Param("Device", pattern=r"/dev/xvd[a-z]{1,2}", invalid=INVALID),
            Param("DeleteWithInstance", BOOLEAN),
            Param("Encrypted", **_is("true", "false", enum_ignore_case=True)),
            Param("ProvisionedIops", INTEGER, minimum=0, maximum=50000),
            Param("BurstingEnabled", BOOLEAN),
            Param("AutoSnapshotPolicyId", max_length=64),
            Param("KMSKeyId", max_length=128),
        ),
    ),
)
NETWORK_INTERFACE = Param(
    "NetworkInterface",
    LIST,
    max_items=MAX_NETWORK_INTERFACES,
    too_many=replace(ENI_INVALID, message="At most one primary and one secondary interface."),
    items=Param(
        "item",
        STRUCT,
        fields=(
            Param("VSwitchId", max_length=64),
            Param("NetworkInterfaceName", pattern=run.NAME_PATTERN, invalid=ENI_INVALID),
            Param("Description", pattern=run.DESCRIPTION_PATTERN, invalid=ENI_INVALID),
            Param("SecurityGroupId", max_length=64),
            Param(
                "SecurityGroupIds",
                LIST,
                items=Param("item", max_length=64),
                max_items=run.MAX_GROUPS,
                too_many=ENI_INVALID,
            ),
            Param("PrimaryIpAddress", max_length=15),
            Param("InstanceType", **_is("Primary", "Secondary", invalid=ENI_INVALID)),
            Param(
                "NetworkInterfaceTrafficMode",
                **_is("Standard", "HighPerformance", invalid=ENI_INVALID),
            ),
            Param("DeleteOnRelease", BOOLEAN),
        ),
    ),
)

# Every field of a version: CreateLaunchTemplate and CreateLaunchTemplateVersion alike.
VERSION_FIELDS: list[Param] = [
    Param("ImageId", max_length=128),
    Param("ImageOwnerAlias", **_is("system", "self", "others", "marketplace")),
    Param("PasswordInherit", BOOLEAN),
    Param("InstanceType", max_length=64),
    Param("SecurityGroupId", max_length=64),
    Param("SecurityGroupIds", LIST, items=Param("item", max_length=64), max_items=run.MAX_GROUPS),
    Param("VpcId", max_length=64),
    Param("VSwitchId", max_length=64),
    Param(
        "InstanceName",
        pattern=run.NAME_PATTERN + run.SEQUENCE,
        invalid=run.INSTANCE_NAME_INVALID,
        doc="2 to 128 characters, starting with a letter; [begin,digits] sequences are kept.",
    ),
    Param("Description", pattern=run.DESCRIPTION_PATTERN, invalid=run.DESCRIPTION_INVALID),
    Param("InternetMaxBandwidthIn", INTEGER, minimum=1, maximum=100),
    Param("InternetMaxBandwidthOut", INTEGER, minimum=0, maximum=100),
    Param(
        "HostName",
        pattern=run.HOST_NAME_PATTERN + run.SEQUENCE,
        invalid=run.HOST_NAME_INVALID,
        doc="2 to 64 characters, dotted labels of letters, digits and hyphens.",
    ),
    Param("ZoneId", max_length=64),
    SYSTEM_DISK,
    Param("IoOptimized", **_is("none", "optimized")),
    Param("InstanceChargeType", **_is("PrePaid", "PostPaid")),
    Param("Period", INTEGER, enum=PERIODS, doc="Months; required with PrePaid."),
    Param("InternetChargeType", **_is("PayByBandwidth", "PayByTraffic")),
    Param("EnableVmOsConfig", BOOLEAN),
    Param("NetworkType", **_is("vpc", "classic")),
    Param("UserData", check=run._check_user_data, doc="Base64, at most 32 KB decoded."),
    Param("KeyPairName", max_length=128),
    Param("RamRoleName", max_length=64),
    Param(
        "AutoReleaseTime",
        pattern=_ISO_MINUTE,
        invalid=INVALID,
        doc="yyyy-MM-ddTHH:mm:ssZ (UTC); the window is checked when an instance is launched.",
    ),
    Param("SpotStrategy", **_is("NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo")),
    Param(
        "SpotPriceLimit",
        FLOAT,
        minimum=0,
        check=_max_decimals(3, "SpotPriceLimit"),
        doc="At most three decimal places.",
    ),
    Param("SpotDuration", INTEGER, enum=(0, 1)),
    RESOURCE_GROUP,
    Param("SecurityEnhancementStrategy", **_is("Active", "Deactive")),
    Param("PrivateIpAddress", max_length=15),
    Param("Ipv6AddressCount", INTEGER, minimum=1, maximum=10),
    Param("DeploymentSetId", max_length=64),
    DATA_DISK,
    NETWORK_INTERFACE,
    common.tags(),
    Param("DeletionProtection", BOOLEAN),
    Param("CreditSpecification", **_is("Standard", "Unlimited")),
    Param("AutoRenew", BOOLEAN),
    Param("AutoRenewPeriod", INTEGER, enum=AUTO_RENEW_PERIODS),
    Param("PeriodUnit", **_is("Month")),
    Param("HttpEndpoint", **_is("enabled", "disabled")),
    Param("HttpTokens", **_is("optional", "required")),
    Param("HttpPutResponseHopLimit", INTEGER, minimum=1, maximum=64),
    Param("ImageOptions", STRUCT, fields=(Param("LoginAsNonRoot", BOOLEAN),)),
    Param("SecurityOptions", STRUCT, fields=(Param("TrustedSystemMode", **_is("vTPM")),)),
]
VERSION_FIELD_NAMES = frozenset(p.name for p in VERSION_FIELDS)


# -- the rules across fields


def _bandwidth(v: Mapping[str, Any]) -> None:
    """In is 1 to 10 while Out is at most 10, else 1 to Out."""
    if "InternetMaxBandwidthIn" not in v:
        return
    out = v.get("InternetMaxBandwidthOut", 0)
    if v["InternetMaxBandwidthIn"] > max(10, out):
        INVALID.raise_("InternetMaxBandwidthIn", v["InternetMaxBandwidthIn"])


def _system_size(v: Mapping[str, Any]) -> None:
    disk = v.get("SystemDisk") or {}
    if "Size" in disk:
        hi = 500 if disk.get("Category") == "cloud" else 2048
        if not 20 <= disk["Size"] <= hi:
            INVALID.raise_("SystemDisk.Size", disk["Size"])


def _data_sizes(v: Mapping[str, Any]) -> None:
    for i, disk in enumerate(v.get("DataDisk") or [], 1):
        if "Size" not in disk:
            continue
        category = disk.get("Category", "cloud_efficiency")
        if category == "cloud_essd":
            lo, hi = ESSD_SIZES[disk.get("PerformanceLevel", "PL1")]
        else:
            lo, hi = DATA_SIZES.get(category, (1, 32768))
        if not lo <= disk["Size"] <= hi:
            INVALID.raise_(f"DataDisk.{i}.Size", disk["Size"])


def _prepaid(v: Mapping[str, Any]) -> None:
    if v.get("InstanceChargeType") == "PrePaid" and "Period" not in v:
        E.PARAM_DEFAULTS.missing.raise_("Period")


def _groups(v: Mapping[str, Any]) -> None:
    if v.get("SecurityGroupId") and v.get("SecurityGroupIds"):
        INVALID.raise_("SecurityGroupIds", other="SecurityGroupId")


def _interfaces(v: Mapping[str, Any]) -> None:
    nics = v.get("NetworkInterface") or []
    kinds = [n.get("InstanceType", "Secondary") for n in nics]
    if len(nics) == 2 and sorted(kinds) != ["Primary", "Secondary"]:
        raise E.vendor(ENI_INVALID, why="two interfaces must be one Primary and one Secondary.")
    for n in nics:
        if n.get("SecurityGroupId") and n.get("SecurityGroupIds"):
            raise E.vendor(
                ENI_INVALID, why="SecurityGroupId and SecurityGroupIds exclude each other."
            )


VERSION_RULES = [
    Check(_bandwidth, "InternetMaxBandwidthIn is 1..10, or 1..InternetMaxBandwidthOut above 10"),
    Check(_system_size, "SystemDisk.Size: 20..500 for cloud, 20..2048 otherwise"),
    Check(_data_sizes, "DataDisk.N.Size within its category's (and ESSD level's) range"),
    Check(_prepaid, "Period is required with InstanceChargeType PrePaid (MissingParameter)"),
    Check(_groups, "at most one of SecurityGroupId, SecurityGroupIds (InvalidParameter)"),
    Check(_interfaces, "one Primary and one Secondary interface; one way to give groups"),
]


def version_data(values: Mapping[str, Any]) -> dict[str, Any]:
    """The version fields of checked request values, as a version keeps them."""
    return {k: v for k, v in values.items() if k in VERSION_FIELD_NAMES}


def version_numbers(name: str, *, required: bool = False, max_items: int | None = None) -> Param:
    """A list of version numbers (``LaunchTemplateVersion.N``, ``DeleteVersion.N``)."""
    return Param(
        name,
        LIST,
        required=required,
        items=Param("item", INTEGER, minimum=1, maximum=2**31 - 1),
        max_items=max_items,
    )
