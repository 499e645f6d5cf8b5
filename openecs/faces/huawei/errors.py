"""Huawei error codes and shapes: API gateway refusals, each service's parameter
error, and the mapping of core domain errors to vendor codes.

Each Huawei service words its errors in its own shape; the gateway (APIG)
in another. The shapes and codes are written here once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openecs.core.errors import Conflict, DomainError, Invalid, NotFound, QuotaExceeded
from openecs.faces.errors import VendorError
from openecs.faces.params import ErrorDefaults, ErrorSpec


def ecs_shape(code: str, message: str, request_id: str) -> dict[str, Any]:
    """ECS, EVS and IMS: ``{"error": {"code", "message"}}``."""
    return {"error": {"code": code, "message": message}}


def gateway_shape(code: str, message: str, request_id: str) -> dict[str, Any]:
    """API gateway, IAM and the VPC v3 API: ``{"error_code", "error_msg", "request_id"}``."""
    return {"error_msg": message, "error_code": code, "request_id": request_id}


def vpc_v1_shape(code: str, message: str, request_id: str) -> dict[str, Any]:
    """VPC v1: ``{"code", "message"}``."""
    return {"code": code, "message": message}


Shape = Callable[[str, str, str], dict[str, Any]]

# The ECS native OpenStack (Nova v2.1) APIs answer Nova's fault bodies: the fault name as
# the key, with the message and the HTTP status inside. Each fault name has one status.
NOVA_FAULTS = {
    "badRequest": 400,
    "forbidden": 403,
    "itemNotFound": 404,
    "conflictingRequest": 409,
}


def nova_shape(code: str, message: str, request_id: str) -> dict[str, Any]:
    """ECS native OpenStack APIs: ``{"<fault>": {"message", "code": <status>}}``."""
    return {code: {"message": message, "code": NOVA_FAULTS.get(code, 400)}}


# -- the gateway's own refusals (authentication, routing)
API_NOT_FOUND = ErrorSpec(
    "APIGW.0101", "The API does not exist or has not been published in the environment", 404
)
AUTH_MISSING = ErrorSpec(
    "APIGW.0301", "Incorrect IAM authentication information: Authorization not found", 401
)
AUTH_MALFORMED = ErrorSpec(
    "APIGW.0301", "Incorrect IAM authentication information: Authorization is malformed", 401
)
AK_NOT_FOUND = ErrorSpec(
    "APIGW.0301",
    "Incorrect IAM authentication information: Get secretKey failed,ak:{value},err:ak not exist",
    401,
)
SIGNATURE_MISMATCH = ErrorSpec(
    "APIGW.0301", "Incorrect IAM authentication information: verify aksk signature fail", 401
)
DATE_INVALID = ErrorSpec(
    "APIGW.0301",
    "Incorrect IAM authentication information: x-sdk-date {value} is missing, malformed or "
    "more than 15 minutes away from the server time",
    401,
)
PROJECT_MISMATCH = ErrorSpec(
    "APIGW.0301",
    "Incorrect IAM authentication information: project {value} does not belong to the caller",
    401,
)
INTERNAL_ERROR = ErrorSpec("APIGW.0201", "Internal server error", 500)


def param_defaults(code: str) -> ErrorDefaults:
    """A service's parameter errors: every failure answers its one generic code, worded."""
    return ErrorDefaults(
        missing=ErrorSpec(code, "Request parameter error. Parameter {name} is required."),
        invalid=ErrorSpec(code, "Request parameter error. Parameter {name} is invalid."),
        unsupported=ErrorSpec(
            code, "Request parameter error. Parameter {name} is not supported by OpenECS: {reason}."
        ),
    )


ECS_PARAMS = param_defaults("Ecs.0005")
IMS_PARAMS = param_defaults("IMG.0001")
# VPC answers parameter errors with VPC.0101 on VPC routes and VPC.0201 on subnet routes.
VPC_PARAMS = param_defaults("VPC.0101")
SUBNET_PARAMS = param_defaults("VPC.0201")
# ... and VPC.0601 on security group routes (v1 and v3).
SECURITY_GROUP_PARAMS = param_defaults("VPC.0601")
IAM_PARAMS = param_defaults("IAM.0007")
NOVA_PARAMS = ErrorDefaults(
    missing=ErrorSpec("badRequest", "Invalid input for field/attribute {name}. Value: None."),
    invalid=ErrorSpec("badRequest", "Invalid input for field/attribute {name}. Value: {value}."),
    unsupported=ErrorSpec(
        "badRequest",
        "Invalid input for field/attribute {name}: not supported by OpenECS: {reason}.",
    ),
)

# -- domain errors: core reason -> vendor error, per service ("*" applies to all)
DOMAIN_ERRORS: dict[str, dict[str, ErrorSpec]] = {
    "*": {},
    # ECS: servers (the ECS error table) and os-keypairs (Nova's faults).
    "ecs": {
        # Server creation and reading (the ECS API reference's error table; Ecs.0005 is
        # its generic parameter error).
        "instance.not_found": ErrorSpec("Ecs.0114", "Instance[{id}] could not be found.", 404),
        # Lifecycle (start, stop, reboot, delete): a server in a state that does not allow
        # the operation.
        "instance.incorrect_status": ErrorSpec(
            "Ecs.0100", "The ECS status does not meet requirements. ECS [{id}]."
        ),
        "job.not_found": ErrorSpec("Ecs.0005", "job_id [{id}] is invalid.", 404),
        "vpc.not_found": ErrorSpec("Ecs.0005", "vpc [{id}] is not found."),
        "subnet.not_found": ErrorSpec("Ecs.0005", "subnet [{id}] is not found."),
        "security_group.not_found": ErrorSpec("Ecs.0005", "security group [{id}] is not found."),
        "interface.group_other_vpc": ErrorSpec(
            "Ecs.0005", "security group [{id}] is not in vpc [{vpc_id}]."
        ),
        "interface.groups_repeated": ErrorSpec("Ecs.0005", "security_groups repeated."),
        "instance.zone_mismatch": ErrorSpec(
            "Ecs.0005", "subnet [{subnet}] is not in availability zone [{zone}]."
        ),
        "ip.in_use": ErrorSpec("Ecs.0010", "Private IP address {address} is already in use."),
        "ip.outside_subnet": ErrorSpec(
            "Ecs.0005", "privateIp [{address}] is not in this subnet [{cidr}]"
        ),
        "ip.reserved": ErrorSpec("Ecs.0005", "privateIp [{address}] is not in this subnet [{cidr}]"),
        "subnet.ip_exhausted": ErrorSpec("Ecs.0012", "Insufficient IP addresses."),
        # Server tags (create and BatchCreateServerTags): "An ECS allows a maximum of 10 tags."
        "tags.too_many": ErrorSpec("Ecs.0005", "An ECS allows a maximum of {limit} tags."),
        # Native OpenStack key pair APIs (os-keypairs): Nova's faults and messages.
        "key_pair.duplicate": ErrorSpec(
            "conflictingRequest", "Key pair '{name}' already exists.", 409
        ),
        "key_pair.not_found": ErrorSpec("itemNotFound", "Keypair {name} not found for user.", 404),
        "key_pair.public_key_invalid": ErrorSpec(
            "badRequest", "Keypair data is invalid: failed to generate fingerprint"
        ),
        # Launch templates (v3): Ecs.0005 with the status of what went wrong.
        "launch_template.not_found": ErrorSpec(
            "Ecs.0005", "launch template [{id}] is not found.", 404
        ),
        "launch_template.duplicate": ErrorSpec(
            "Ecs.0005", "launch template name [{name}] already exists.", 409
        ),
        "launch_template.default_version": ErrorSpec(
            "Ecs.0005",
            "version [{number}] is the default version of launch template [{id}].",
            409,
        ),
    },
    # EVS: the codes of the EVS API reference's error table (EVS.5404: resource not found).
    "evs": {
        "volume.not_found": ErrorSpec("EVS.5404", "Volume {id} could not be found.", 404),
    },
    # VPC v1 (and v3 ShowVpc): the codes of the VPC API reference's error table.
    "vpc": {
        "vpc.not_found": ErrorSpec("VPC.0003", "VPC does not exist.", 404),
        "vpc.cidr_invalid": ErrorSpec(
            "VPC.0101", "Param is invalid. {cidr} is not a valid CIDR block."
        ),
        "vpc.has_subnets": ErrorSpec(
            "VPC.0104", "Router contains subnets, please delete subnet first.", 409
        ),
        "subnet.not_found": ErrorSpec(
            "VPC.0202", "Query resource by id {id} fail.the subnet could not be found.", 404
        ),
        "subnet.cidr_invalid": ErrorSpec("VPC.0212", "The subnet cidr is not valid."),
        "subnet.cidr_outside_vpc": ErrorSpec("VPC.0203", "Subnet is not in the range of VPC."),
        "subnet.cidr_overlap": ErrorSpec(
            "VPC.0204",
            "The subnet has already existed in the VPC, or has been in conflict with the VPC subnet.",
        ),
        "subnet.gateway_invalid": ErrorSpec(
            "VPC.0201",
            "Subnet gateway_ip is invalid: {gateway} is not a host address of the subnet cidr.",
        ),
        # The vendor's table gives HTTP 500 for VPC.0209; a request that conflicts with the
        # state is the client's to fix, so OpenECS answers it with 409 (never a 5xx).
        "subnet.in_use": ErrorSpec("VPC.0209", "Subnet is still used, such as computer, LB.", 409),
        # Security groups: the error table's "Securitygroup is not exist." (404), and the
        # Neutron refusals the vendor wraps in VPC.0602 with Neutron's status.
        "security_group.not_found": ErrorSpec("VPC.0603", "Securitygroup is not exist.", 404),
        "security_group_rule.not_found": ErrorSpec(
            "VPC.0603", "Security group rule {id} is not exist.", 404
        ),
        "security_group.in_use": ErrorSpec(
            "VPC.0602",
            '{{"NeutronError":{{"message":"Security Group {id} in use.",'
            '"type":"SecurityGroupInUse","detail":""}}}}',
            409,
        ),
        "security_group.referenced": ErrorSpec(
            "VPC.0602",
            '{{"NeutronError":{{"message":"Security Group {id} in use.",'
            '"type":"SecurityGroupInUse","detail":""}}}}',
            409,
        ),
        # Ports (the port and private IP modules of the error table): a taken address is
        # VPC.0701 (409), an address the subnet cannot give is VPC.0705, a missing port is
        # the module's "Query resource by id fail." VPC.0704 (404). A full subnet is the
        # Neutron IpAddressGenerationFailure (409) wrapped in the port module's 409 VPC.2511.
        "interface.not_found": ErrorSpec(
            "VPC.0704", "Query resource by id {id} fail.the port could not be found.", 404
        ),
        "ip.in_use": ErrorSpec("VPC.0701", "IP is in use", 409),
        "ip.outside_subnet": ErrorSpec(
            "VPC.0705", "IP address is not a valid IP for the specified subnet."
        ),
        "ip.reserved": ErrorSpec(
            "VPC.0705", "IP address is not a valid IP for the specified subnet."
        ),
        "ip.malformed": ErrorSpec(
            "VPC.0705", "IP address is not a valid IP for the specified subnet."
        ),
        "subnet.ip_exhausted": ErrorSpec(
            "VPC.2511",
            '{{"NeutronError":{{"message":"No more IP addresses available on subnet {cidr}.",'
            '"type":"IpAddressGenerationFailure","detail":""}}}}',
            409,
        ),
        "interface.groups_repeated": ErrorSpec(
            "VPC.2500", "Param is invalid. A security group is named twice in security_groups."
        ),
    },
}

_FALLBACK: list[tuple[type[DomainError], int, str]] = [
    (NotFound, 404, "Common.0404"),
    (QuotaExceeded, 400, "Common.0400"),
    (Conflict, 409, "Common.0409"),
    (Invalid, 400, "Common.0400"),
]


def from_domain(err: DomainError, service: str, param_code: str) -> VendorError:
    spec = DOMAIN_ERRORS.get(service, {}).get(err.reason) or DOMAIN_ERRORS["*"].get(err.reason)
    if spec is not None:
        return VendorError(spec.status, spec.code, spec.render(**err.details))
    for cls, status, _ in _FALLBACK:
        if isinstance(err, cls):
            return VendorError(status, param_code, err.message)
    return VendorError(400, param_code, err.message)


def vendor(spec: ErrorSpec, **fmt: object) -> VendorError:
    return VendorError(spec.status, spec.code, spec.render(**fmt))
