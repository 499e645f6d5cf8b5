"""RunInstances' parameters and the vendor rules they carry, declared once.

Names, host names, descriptions, passwords (and their salted hash), user data,
disks and amounts, with the vendor's error codes; :mod:`.instances` runs the
operation with them, and the later ModifyInstanceAttribute reuses the rules.
Sequential names are :mod:`.instance_naming`'s, charge types and lifetimes
:mod:`.instance_billing`'s; CreateInstance (:mod:`.instances_create`) declares
the subset of these it shares with RunInstances.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from openecs.core import catalog
from openecs.core import instances as core_instances
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.ecs import instance_billing as billing
from openecs.faces.aliyun.ecs import instance_naming as naming
from openecs.faces.aliyun.ecs.network_interfaces import IPV6_PARAMS
from openecs.faces.aliyun.vpc.vpcs import RESOURCE_GROUP_ID
from openecs.faces.params import BOOLEAN, INTEGER, LIST, STRUCT, ErrorSpec, Param

# RunInstances' IPv6 addresses of the primary interface: the interface's own declarations.
PRIMARY_IPV6 = tuple(q for q in IPV6_PARAMS if q.name in ("Ipv6Address", "Ipv6AddressCount"))

TAGGED = core_instances.TAGGED  # an instance's tags: one resource type for both clouds
MAX_AMOUNT = 100
MAX_DATA_DISKS = 16
MAX_USER_DATA = 32 * 1024  # bytes, before base64
MAX_GROUPS = 5  # SecurityGroupIds.N
PASSWORD_SPECIALS = "()`~!@#$%^&*-_+=|{}[]:;'<>,.?/"
NOT_MODELLED = "OpenECS does not model this feature"

INSTANCE_NAME_INVALID = ErrorSpec(
    "InvalidInstanceName.Malformed", 'The specified parameter "InstanceName" is not valid.'
)
HOST_NAME_INVALID = ErrorSpec(
    "InvalidHostName.Malformed", 'The specified parameter "HostName" is not valid.'
)
DESCRIPTION_INVALID = ErrorSpec(
    "InvalidDescription.Malformed", 'The specified parameter "Description" is not valid.'
)
PASSWORD_INVALID = ErrorSpec(
    "InvalidPassword.Malformed", 'The specified parameter "Password" is not valid.'
)
USER_DATA_SIZE = ErrorSpec(
    "InvalidUserData.SizeExceeded", 'The specified parameter "UserData" exceeds the size.'
)
USER_DATA_BASE64 = ErrorSpec(
    "InvalidUserData.Base64FormatInvalid", "The specified UserData is not valid base64 format."
)
AMOUNT_INVALID = ErrorSpec("InvalidParam.Amount", "The specified parameter Amount is not valid.")
MIN_AMOUNT_INVALID = ErrorSpec(
    "InvalidParam.MinAmount", "The specified parameter MinAmount is not valid."
)
SYSTEM_CATEGORY_INVALID = ErrorSpec(
    "InvalidSystemDiskCategory.ValueNotSupported",
    "The specified parameter SystemDisk.Category is not valid.",
)
SYSTEM_SIZE_INVALID = ErrorSpec(
    "InvalidSystemDiskSize.ValueNotSupported",
    "The specified parameter SystemDisk.Size is not valid.",
)
DATA_CATEGORY_INVALID = ErrorSpec(
    "InvalidDataDiskCategory.ValueNotSupported",
    "The specified parameter DataDisk.n.Category is not valid.",
)
DATA_SIZE_INVALID = ErrorSpec(
    "InvalidDataDiskSize.ValueNotSupported", "The specified parameter DataDisk.n.Size is not valid."
)
TYPE_NOT_IN_ZONE = ErrorSpec(
    "InvalidResourceType.NotSupported",
    "This resource type is not supported; please try other resource types.",
    403,
)
IMAGE_NOT_FOR_TYPE = ErrorSpec(
    "ImageNotSupportInstanceType", "The specified instance type does not support this image.", 403
)
VSWITCH_REQUIRED = ErrorSpec(
    "MissingParameter",
    'The input parameter "VSwitchId" that is mandatory for processing this '
    "request is not supplied.",
)
ZONE_MISMATCH = ErrorSpec(
    "InvalidParameter.Mismatch", "Specified virtual switch is not in the specified zone."
)
VSWITCH_STATUS = ErrorSpec(
    "IncorrectVSwitchStatus",
    "The current status of virtual switch does not support this operation.",
)
CHARGE_TYPE_INVALID = billing.CHARGE_TYPE_INVALID
KEY_PAIR_NOT_FOUND = ErrorSpec(
    "InvalidKeyPairName.NotFound", "The specified KeyPairName does not exist in our records.", 404
)
IP_FOR_ONE = ErrorSpec(
    "InvalidParameter.Conflict", "PrivateIpAddress can only be specified when Amount is 1."
)

# 2 to 128 characters, starting with a letter (Chinese included); letters, digits, : _ . -
NAME_PATTERN = common.ECS_NAME_PATTERN
# Linux host names: 2 to 64 characters, dot-separated labels of letters, digits and hyphens
HOST_NAME_PATTERN = r"(?=.{2,64}$)[A-Za-z0-9]([A-Za-z0-9\-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9\-]*[A-Za-z0-9])?)*"
DESCRIPTION_PATTERN = common.ECS_DESCRIPTION_PATTERN
SEQUENCE = r"|.*[\[\]].*"  # a numbering gets past the plain name rules to be checked by its own
PLACEHOLDER = r"|.*\$\{instance_id\}.*"  # a host name with the instance's id in it, likewise


def _check_password(value: str, *, windows: bool = True) -> None:
    """8 to 30 characters, at least three of: lowercase, uppercase, digits, the vendor's specials.

    A Windows password cannot start with "/"; ``windows=False`` when the OS is known not to be.
    """
    allowed = all(c.isascii() and (c.isalnum() or c in PASSWORD_SPECIALS) for c in value)
    classes = sum(
        any(test(c) for c in value)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: c in PASSWORD_SPECIALS)
    )
    slash = windows and value.startswith("/")
    if not (8 <= len(value) <= 30 and allowed and classes >= 3 and not slash):
        raise E.vendor(PASSWORD_INVALID)


def _check_user_data(value: str, base64_error: ErrorSpec = USER_DATA_BASE64) -> None:
    """Base64 of at most 32 KB; operations differ in the status of the base64 refusal."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise E.vendor(base64_error) from None
    if len(raw) > MAX_USER_DATA:
        raise E.vendor(USER_DATA_SIZE)


check_instance_name = naming.name_check(NAME_PATTERN, INSTANCE_NAME_INVALID)
check_host_name = naming.name_check(HOST_NAME_PATTERN, HOST_NAME_INVALID)


def _refused(name: str, type_: str = "string", why: str = NOT_MODELLED, **kw: Any) -> Param:
    return Param(name, type_, refused=why, **kw)


_DISK_CATEGORIES = tuple(catalog.aliyun_disk_categories())
_DATA_DISK = Param(
    "item",
    STRUCT,
    fields=(
        Param("Category", enum=_DISK_CATEGORIES, invalid=DATA_CATEGORY_INVALID),
        Param("Size", INTEGER, minimum=1, maximum=65536, invalid=DATA_SIZE_INVALID),
        Param("DeleteWithInstance", BOOLEAN, default=True),
        Param(
            "DiskName",
            pattern=NAME_PATTERN,
            invalid=ErrorSpec(
                "InvalidDiskName.Malformed", "The specified disk name is wrongly formed."
            ),
        ),
        Param("Description", pattern=DESCRIPTION_PATTERN, invalid=DESCRIPTION_INVALID),
        Param(
            "PerformanceLevel",
            enum=("PL0", "PL1", "PL2", "PL3"),
            doc="Accepted for cloud_essd and kept; performance is not modelled.",
        ),
        _refused("AutoSnapshotPolicyId", why="snapshots are not modelled"),
        _refused("BurstingEnabled", BOOLEAN),
        _refused("Device", why="devices are assigned in order"),
        _refused("EncryptAlgorithm", why="encryption is not modelled"),
        _refused("Encrypted", why="encryption is not modelled"),
        _refused("KMSKeyId", why="encryption is not modelled"),
        _refused("ProvisionedIops", INTEGER),
        _refused("SnapshotId", why="snapshots are not modelled"),
        _refused("StorageClusterId"),
    ),
)

RUN_PARAMS = [
    common.REGION_ID,
    common.CLIENT_TOKEN,
    common.DRY_RUN,
    Param(
        "ImageId", max_length=128, doc="A public image of the catalog (ImageFamily not supported)."
    ),
    Param("InstanceType", max_length=64, doc="A catalog type sold in the vSwitch's zone."),
    Param("VSwitchId", max_length=64, doc="Required: the classic network is retired."),
    Param("ZoneId", max_length=64, doc="Optional; must be the vSwitch's zone."),
    Param("SecurityGroupId", max_length=64),
    Param("SecurityGroupIds", LIST, items=Param("item", max_length=64), max_items=MAX_GROUPS),
    Param("PrivateIpAddress", max_length=15, doc="Only with Amount 1."),
    Param(
        "InstanceName",
        pattern=NAME_PATTERN + SEQUENCE,
        invalid=INSTANCE_NAME_INVALID,
        check=check_instance_name,
        doc="2 to 128 characters, starting with a letter; prefix[begin,bits]suffix numbers a batch.",
    ),
    Param(
        "HostName",
        pattern=HOST_NAME_PATTERN + SEQUENCE + PLACEHOLDER,
        invalid=HOST_NAME_INVALID,
        check=check_host_name,
        doc="Linux rules: 2 to 64 characters, dotted labels; numbering and ${instance_id} as the "
        "vendor's.",
    ),
    Param("Description", pattern=DESCRIPTION_PATTERN, invalid=DESCRIPTION_INVALID),
    Param(
        "Password",
        check=_check_password,
        doc="8 to 30 characters, 3 of 4 classes; stored only as a salted hash.",
    ),
    Param("PasswordInherit", BOOLEAN, doc="Accepted; the image has no preset password to inherit."),
    Param(
        "KeyPairName", max_length=128, doc="A key pair of the region (ImportKeyPair/CreateKeyPair)."
    ),
    Param("UserData", check=_check_user_data, doc="Base64, at most 32 KB decoded."),
    Param(
        "SystemDisk",
        STRUCT,
        fields=(
            Param("Category", enum=_DISK_CATEGORIES, invalid=SYSTEM_CATEGORY_INVALID),
            Param(
                "Size",
                pattern=r"[0-9]{1,5}",
                invalid=SYSTEM_SIZE_INVALID,
                doc="GiB, a whole number (the vendor types it as a string).",
            ),
            Param(
                "DiskName",
                pattern=NAME_PATTERN,
                invalid=ErrorSpec(
                    "InvalidSystemDiskName.Malformed",
                    "The specified parameter SystemDisk.DiskName is not valid.",
                ),
            ),
            Param("Description", pattern=DESCRIPTION_PATTERN, invalid=DESCRIPTION_INVALID),
            Param(
                "PerformanceLevel",
                enum=("PL0", "PL1", "PL2", "PL3"),
                doc="Kept; performance is not modelled.",
            ),
            _refused("AutoSnapshotPolicyId", why="snapshots are not modelled"),
        ),
        default={},
    ),
    Param("DataDisk", LIST, items=_DATA_DISK, max_items=MAX_DATA_DISKS),
    Param("Amount", INTEGER, minimum=1, maximum=MAX_AMOUNT, default=1, invalid=AMOUNT_INVALID),
    Param(
        "MinAmount",
        INTEGER,
        minimum=1,
        maximum=MAX_AMOUNT,
        invalid=MIN_AMOUNT_INVALID,
        doc="Accepted; a batch is created whole or not at all.",
    ),
    billing.INSTANCE_CHARGE_TYPE,
    billing.PERIOD,
    billing.PERIOD_UNIT,
    billing.AUTO_RENEW,
    billing.auto_renew_period(billing.RUN_RENEW_PERIODS),
    billing.AUTO_PAY,
    Param("DeletionProtection", BOOLEAN, default=False),
    Param("IoOptimized", enum=("optimized", "none"), doc="Every instance is I/O optimized."),
    Param("SecurityEnhancementStrategy", enum=("Active", "Deactive"), doc="Accepted and ignored."),
    RESOURCE_GROUP_ID,
    common.tags(),
    _refused("Affinity"),
    _refused("Arn", LIST),
    billing.AUTO_RELEASE_TIME,
    _refused("ClockOptions", STRUCT),
    _refused("CpuOptions.Core", INTEGER),
    _refused("CpuOptions.Numa"),
    _refused("CpuOptions.ThreadsPerCore", INTEGER),
    _refused("CpuOptions.TopologyType"),
    _refused("CreditSpecification", why="burstable instances are not modelled"),
    _refused("DedicatedHostId", why="dedicated hosts are not modelled"),
    _refused("DeploymentSetGroupNo", INTEGER, why="deployment sets are not modelled"),
    _refused("DeploymentSetId", why="deployment sets are not modelled"),
    _refused("HibernationOptions.Configured", BOOLEAN),
    Param(
        "HostNames",
        LIST,
        items=Param(
            "item",
            pattern=HOST_NAME_PATTERN + PLACEHOLDER,
            invalid=HOST_NAME_INVALID,
            check=check_host_name,
        ),
        max_items=MAX_AMOUNT,
        too_many=naming.HOST_NAMES_SIZE,
        doc="One host name per instance (as many as Amount), not with HostName.",
    ),
    _refused("HpcClusterId"),
    _refused("HttpEndpoint", why="the metadata service is not modelled"),
    _refused("HttpPutResponseHopLimit", INTEGER, why="the metadata service is not modelled"),
    _refused("HttpTokens", why="the metadata service is not modelled"),
    _refused("ImageFamily", why="give ImageId"),
    _refused("ImageOptions", STRUCT),
    _refused("InternetChargeType", why="public addresses are not modelled"),
    _refused("InternetMaxBandwidthIn", INTEGER, why="public addresses are not modelled"),
    _refused("InternetMaxBandwidthOut", INTEGER, why="public addresses are not modelled"),
    *PRIMARY_IPV6,
    _refused("Isp", why="public addresses are not modelled"),
    Param("LaunchTemplateId", max_length=64, doc="The version's values fill what is left out."),
    Param("LaunchTemplateName", max_length=128, doc="A template's name, instead of its id."),
    Param("LaunchTemplateVersion", INTEGER, minimum=1, doc="Default: the default version."),
    _refused("NetworkInterface", LIST, why="secondary interfaces at launch are not implemented"),
    _refused("NetworkInterfaceQueueNumber", INTEGER),
    _refused("NetworkOptions", STRUCT),
    _refused("PrivateDnsNameOptions", STRUCT),
    _refused("PrivatePoolOptions.Id", why="private pools are not modelled"),
    _refused("PrivatePoolOptions.MatchCriteria", why="private pools are not modelled"),
    _refused("RamRoleName", why="RAM roles are not modelled"),
    _refused("SchedulerOptions.DedicatedHostClusterId", why="dedicated hosts are not modelled"),
    _refused("SecurityOptions.ConfidentialComputingMode"),
    _refused("SecurityOptions.TrustedSystemMode"),
    billing.SPOT_DURATION,
    billing.SPOT_INTERRUPTION_BEHAVIOR,
    billing.SPOT_PRICE_LIMIT,
    billing.SPOT_STRATEGY,
    _refused("StorageSetId", why="storage sets are not modelled"),
    _refused("StorageSetPartitionNumber", INTEGER, why="storage sets are not modelled"),
    _refused("Tenancy", why="dedicated hosts are not modelled"),
    Param(
        "UniqueSuffix",
        BOOLEAN,
        default=False,
        doc="Appends 001, 002... to InstanceName and HostName of a batch (Amount > 1).",
    ),
]
