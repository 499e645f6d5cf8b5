"""Alibaba error codes: the defaults of the parameter checker, the signature and
protocol errors, and the mapping of core domain errors to vendor codes.

Codes and messages are the public ones of the Alibaba Cloud API gateway and
of ECS/VPC; each is written here once.
"""

from __future__ import annotations

from openecs.core.errors import Conflict, DomainError, Invalid, NotFound, QuotaExceeded
from openecs.faces.errors import VendorError
from openecs.faces.params import ErrorDefaults, ErrorSpec

PARAM_DEFAULTS = ErrorDefaults(
    missing=ErrorSpec(
        "MissingParameter",
        'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
    ),
    invalid=ErrorSpec("InvalidParameter", 'The specified parameter "{name}" is not valid.'),
    unsupported=ErrorSpec(
        "UnsupportedParameter", 'The parameter "{name}" is not supported by OpenECS: {reason}.'
    ),
)

# -- protocol and signature errors
INVALID_ACTION = ErrorSpec(
    "InvalidAction.NotFound", "Specified api is not found, please check your url and method.", 404
)
INVALID_VERSION = ErrorSpec("InvalidVersion", "Specified parameter Version is not valid.", 400)
INVALID_PRODUCT = ErrorSpec("InvalidProduct.NotFound", "Cannot find product according to your domain.", 404)
MISSING_AUTH = ErrorSpec(
    "MissingParameter",
    'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
)
ACCESS_KEY_NOT_FOUND = ErrorSpec("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
SIGNATURE_MISMATCH = ErrorSpec(
    "SignatureDoesNotMatch",
    "Specified signature does not match our calculation. server string to sign is:{value}",
)
INCOMPLETE_SIGNATURE = ErrorSpec(
    "IncompleteSignature", "The request signature does not conform to Aliyun standards. {value}"
)
CONTENT_SHA_MISMATCH = ErrorSpec(
    "IncompleteSignature",
    "The request signature does not conform to Aliyun standards. x-acs-content-sha256 does not match the body.",
)
UNSUPPORTED_SIGNATURE = ErrorSpec(
    "InvalidSignatureMethod", "Specified signature method is not supported: {value}."
)
TIMESTAMP_EXPIRED = ErrorSpec(
    "InvalidTimeStamp.Expired",
    "Specified time stamp or date value is expired. The time is {value}; the server time is {now}.",
)
TIMESTAMP_FORMAT = ErrorSpec(
    "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
)
NONCE_USED = ErrorSpec("SignatureNonceUsed", "Specified signature nonce was used already.")
INTERNAL_ERROR = ErrorSpec(
    "InternalError", "The request processing has failed due to some unknown error.", 500
)
DRY_RUN = ErrorSpec(
    "DryRunOperation", "Request validation has been passed with DryRun flag set."
)

# -- domain errors: core reason -> vendor error. Messages may use the error's details.
DOMAIN_ERRORS: dict[str, ErrorSpec] = {
    "region.not_found": ErrorSpec(
        "InvalidRegionId.NotFound", "The specified RegionId does not exist.", 404
    ),
    "zone.not_found": ErrorSpec("InvalidZoneId.NotFound", "The specified zone does not exist.", 404),
    "instance_type.not_found": ErrorSpec(
        "InvalidInstanceType.ValueNotSupported",
        "The specified instance type {instance_type} does not exist. "
        "You can use the DescribeInstanceTypes API to query the available instance types.",
    ),
    "image.not_found": ErrorSpec("InvalidImageId.NotFound", "The specified ImageId does not exist.", 404),
    # -- VPCs and vSwitches (VPC 2016-04-28)
    "vpc.not_found": ErrorSpec("InvalidVpcId.NotFound", "Specified VPC does not exist.", 404),
    "vpc.cidr_invalid": ErrorSpec("InvalidCidrBlock.Malformed", "Specified CIDR block is not valid."),
    "vpc.has_subnets": ErrorSpec("DependencyViolation.VSwitch", "Specified object has dependent resources."),
    "subnet.not_found": ErrorSpec(
        "InvalidVSwitchId.NotFound", "Specified virtual switch does not exist.", 404
    ),
    "subnet.cidr_invalid": ErrorSpec("InvalidCidrBlock.Malformed", "Specified CIDR block is not valid."),
    "subnet.cidr_outside_vpc": ErrorSpec("InvalidParameter", "Specified CIDR block is not valid in VPC."),
    "subnet.cidr_overlap": ErrorSpec(
        "InvalidCidrBlock.Overlapped", "Specified CIDR block overlapped with other subnets."
    ),
    "subnet.in_use": ErrorSpec("DependencyViolation", "Specified object has dependent resources."),
    # -- addresses taken from a vSwitch (seed 004, CreateNetworkInterface's error table)
    "subnet.ip_exhausted": ErrorSpec(
        "InvalidVSwitchId.IpNotEnough",
        "The number of available IP addresses on the specified vSwitch is insufficient.",
        403,
    ),
    "ip.malformed": ErrorSpec(
        "InvalidIp.Address",
        "The IP entered is not in the correct format or is not in the optional CIDR range.",
        403,
    ),
    "ip.outside_subnet": ErrorSpec(
        "InvalidIp.Address",
        "The IP entered is not in the correct format or is not in the optional CIDR range.",
        403,
    ),
    "ip.reserved": ErrorSpec(
        "InvalidVSwitchId.IpInvalid", "The specified private IP address is invalid.", 403
    ),
    "ip.in_use": ErrorSpec(
        "InvalidPrivateIpAddress.Duplicated",
        'The specified private IP address "{address}" is duplicated.',
    ),
    # -- IPv6 of VPCs, vSwitches and interfaces (VPC 2016-04-28; seed 004's IPv6 codes)
    "vpc.ipv6_enabled": ErrorSpec("OperationFailed.Ipv6AlreadyEnabled", "IPv6 is already enabled."),
    "subnet.ipv6_enabled": ErrorSpec(
        "OperationFailed.Ipv6AlreadyEnabled", "IPv6 is already enabled."
    ),
    "vpc.ipv6_disabled": ErrorSpec(
        "OperationFailed.Ipv6NotEnabled", "The VPC of the vSwitch has no IPv6 CIDR block."
    ),
    "subnet.ipv6_index": ErrorSpec("InvalidParameter", "Ipv6CidrBlock must be 0 to 255."),
    "subnet.ipv6_disabled": ErrorSpec(
        "InvalidOperation.VSwitchIpv6Disabled",
        "The specified VSwitch does not support Ipv6 feature.",
        404,
    ),
    "ipv6.outside_subnet": ErrorSpec(
        "InvalidOperation.AddressNotInVSwitchCidr",
        "The specified ipv6 does not match VSwitch cidr scope.",
        404,
    ),
    "ipv6.in_use": ErrorSpec(
        "InvalidOperation.AddressAlreadyAllocated",
        "The specified ipv6 has been already allocated.",
        404,
    ),
    # -- a ClientToken sent again with other parameters (VPC and ECS idempotence guides)
    "idempotency.mismatch": ErrorSpec(
        "IdempotentParameterMismatch",
        "Request uses a client token in a previous request but is not identical to that request.",
    ),
    # -- security groups (ECS 2014-05-26; Alibaba's VPC product has no security groups)
    "security_group.not_found": ErrorSpec(
        "InvalidSecurityGroupId.NotFound", "The specified SecurityGroupId does not exist.", 404
    ),
    "security_group.in_use": ErrorSpec(
        "DependencyViolation", "There is still instance(s) in the specified security group.", 403
    ),
    "security_group.referenced": ErrorSpec(
        "DependencyViolation", "The specified security group has been authorized in another one.", 403
    ),
    "security_group.rules_exceeded": ErrorSpec(
        "AuthorizationLimitExceed", "The limit of authorization records in the security group reaches.", 403
    ),
    "security_group.remote_other_vpc": ErrorSpec(
        "InvalidSourceGroupId.Mismatch",
        "Specified security group and source group are not in the same VPC.",
    ),
    "security_group_rule.not_found": ErrorSpec(
        "InvalidSecurityGroupRuleId.NotFound", "The specified SecurityGroupRuleId is not exists.", 404
    ),
    # -- key pairs (CreateKeyPair and ImportKeyPair error tables)
    "key_pair.duplicate": ErrorSpec("KeyPair.AlreadyExist", "The key pair already exist."),
    "key_pair.quota_exceeded": ErrorSpec("QuotaExceed.KeyPair", "The key pair quota exceeds.", 403),
    "key_pair.public_key_invalid": ErrorSpec(
        "InvalidPublicKeyBody.Malformed", "The PublicKeyBody format is not supported."
    ),
    # -- instances (RunInstances, Start/Stop/Reboot/DeleteInstance error tables)
    "instance.not_found": ErrorSpec(
        "InvalidInstanceId.NotFound", "The specified InstanceId does not exist.", 404
    ),
    "instance.incorrect_status": ErrorSpec(
        "IncorrectInstanceStatus",
        "The current status of the resource does not support this operation.",
        403,
    ),
    "instance.deletion_protected": ErrorSpec(
        "InvalidOperation.DeletionProtection",
        "The instance has deletion protection enabled; disable it before deleting.",
        403,
    ),
    "instance.expired": ErrorSpec(
        "InstanceExpiredOrInArrears",
        "The specified operation is denied as your prepay instance is expired (prepay mode) "
        "or in arrears (afterpay mode).",
        403,
    ),
    "instance.charge_type_violation": ErrorSpec(
        "ChargeTypeViolation",
        "The operation is not permitted due to charge type of the instance.",
        403,
    ),
    "instance.zone_mismatch": ErrorSpec(
        "InvalidParameter.Mismatch", "Specified virtual switch is not in the specified zone."
    ),
    "interface.group_other_vpc": ErrorSpec(
        "InvalidParameter.Mismatch",
        "Specified security group and virtual switch are not in the same VPC.",
    ),
    # -- launch templates (seed 000 and the CreateLaunchTemplate, Delete*, Modify* tables)
    "launch_template.not_found": ErrorSpec(
        "InvalidLaunchTemplate.NotFound",
        'The specified LaunchTemplateId "{id}" LaunchTemplateName "{name}" is not found.',
        404,
    ),
    "launch_template.version_not_found": ErrorSpec(
        "InvalidLaunchTemplateVersion.NotFound",
        'The specified LaunchTemplateId "{id}" Version "{number}" is not found.',
        404,
    ),
    "launch_template.duplicate": ErrorSpec(
        "LaunchTemplateName.Duplicated",
        'The specified LaunchTemplateName "{name}" already exist.',
        403,
    ),
    "launch_template.quota_exceeded": ErrorSpec(
        "LaunchTemplateLimitExceed", "The maximum number of templates is exceeded.", 403
    ),
    "launch_template.version_limit": ErrorSpec(
        "LaunchTemplateVersionLimitExceed",
        "The maximum number of template's versions is exceeded.",
        403,
    ),
    "launch_template.default_version": ErrorSpec(
        "InvalidParameter",
        "The default version {number} of launch template {id} cannot be deleted; "
        "change the default version first.",
    ),
    # -- disks (DescribeDisks, CreateDisk, AttachDisk, DetachDisk, DeleteDisk, ResizeDisk tables)
    "disk.not_found": ErrorSpec(
        "InvalidDiskId.NotFound", "The specified disk does not exist.", 404
    ),
    "disk.incorrect_status": ErrorSpec(
        "IncorrectDiskStatus", "The current disk status does not support this operation.", 403
    ),
    "disk.initializing": ErrorSpec(
        "IncorrectDiskStatus.Initializing", "The specified disk is still being created.", 403
    ),
    "disk.not_portable": ErrorSpec(
        "DiskNotPortable", "The specified disk is not a portable disk.", 403
    ),
    "disk.instance_status": ErrorSpec(
        "IncorrectInstanceStatus",
        "The current status of the resource does not support this operation.",
    ),
    "disk.zone_mismatch": ErrorSpec(
        "ResourcesNotInSameZone", "The specified instance and disk are not in the same zone.", 403
    ),
    "disk.category_unsupported": ErrorSpec(
        "InvalidInstanceType.NotSupportDiskCategory",
        "The instanceType of the specified instance does not support this disk category.",
        403,
    ),
    "disk.instance_limit": ErrorSpec(
        "InstanceDiskLimitExceeded",
        "The amount of the disk on instance in question reach its limits.",
        403,
    ),
    "disk.device_malformed": ErrorSpec(
        "InvalidDevice.Malformed", "The specified device is not valid."
    ),
    "disk.device_in_use": ErrorSpec(
        "InvalidDevice.InUse", "The specified device has been occupied.", 403
    ),
    "disk.already_detached": ErrorSpec(
        "InvalidDisk.AlreadyDetached", "The specified disk has been detached.", 404
    ),
    "disk.other_instance": ErrorSpec(
        "DependencyViolation",
        "The specified disk has not been attached on the specified instance.",
        403,
    ),
    "disk.system": ErrorSpec(
        "DiskTypeViolation",
        "The specified disk is a system disk and cannot support the operation.",
        403,
    ),
    "disk.detaching": ErrorSpec(
        "InvalidOperation.DiskDetachingFromThisEcs",
        "The specified disk is detaching from this ecs.",
        403,
    ),
    "disk.size_too_small": ErrorSpec(
        "InvalidDiskSize.TooSmall",
        "Specified new disk size is less than the original disk size.",
        403,
    ),
    "disk.size_too_large": ErrorSpec(
        "InvalidDiskSize.TooLarge", "Specified new disk size is beyond the permitted range.", 403
    ),
    "disk.resize_status": ErrorSpec(
        "OperationDenied",
        "The status of the disk or the instance that the disk is attaching with does not "
        "support the operation.",
        403,
    ),
}

_FALLBACK_STATUS: list[tuple[type[DomainError], int, str]] = [
    (NotFound, 404, "InvalidParameter.NotFound"),
    (QuotaExceeded, 400, "QuotaExceeded"),
    (Conflict, 403, "IncorrectStatus"),
    (Invalid, 400, "InvalidParameter"),
]


def from_domain(err: DomainError) -> VendorError:
    """The vendor error for a core refusal (a reason without a mapping keeps its own message)."""
    spec = DOMAIN_ERRORS.get(err.reason)
    if spec is not None:
        return VendorError(spec.status, spec.code, spec.render(**err.details))
    for cls, status, code in _FALLBACK_STATUS:
        if isinstance(err, cls):
            return VendorError(status, code, err.message)
    return VendorError(400, "InvalidParameter", err.message)


def vendor(spec: ErrorSpec, **fmt: object) -> VendorError:
    return VendorError(spec.status, spec.code, spec.render(**fmt))
