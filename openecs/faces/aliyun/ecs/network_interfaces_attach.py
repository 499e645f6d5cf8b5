"""ECS 2014-05-26 interfaces: AttachNetworkInterface and DetachNetworkInterface.

Both are asynchronous as on the vendor's cloud: an attach moves an Available
interface to Attaching and, ``ATTACH_SECONDS`` of engine time later, to
InUse; a detach moves an InUse interface to Detaching and then Available.
The rules (seed 004's codes): the instance is Running or Stopped, in the
interface's zone and VPC, and holds fewer interfaces than its type's
``EniQuantity`` (the primary one included); only a secondary interface is
detached, and only from the instance that holds it.
"""

from __future__ import annotations

from typing import Any

from openecs.core import catalog, interfaces
from openecs.core import instances as core
from openecs.core.errors import DomainError, NotFound
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.ecs.network_interfaces import ENI_ID, IPV6_EXCEEDED, get_eni, vendor_error
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.vpc.vpcs import scope
from openecs.faces.call import Call
from openecs.faces.errors import VendorError
from openecs.faces.params import BOOLEAN, INTEGER, ErrorSpec, Param

ATTACHABLE = (core.RUNNING, core.STOPPED)
TRUNK = "trunk member interfaces are not modelled"

INSTANCE_MALFORMED = ErrorSpec(
    "InvalidInstanceID.Malformed", "The specified InstanceId is not valid."
)
INSTANCE_NOT_FOUND = ErrorSpec(
    "InvalidEcsId.NotFound", "The specified instance {id} does not exist.", 404
)
INSTANCE_STATE = ErrorSpec(
    "InvalidOperation.InvalidEcsState",
    "The instance {id} is {status}; it must be Running or Stopped.",
)
PER_INSTANCE = ErrorSpec(
    "EniPerInstanceLimitExceeded",
    "The instance can hold at most {limit} network interfaces.",
    403,
)
ZONE_MISMATCH = ErrorSpec(
    "InvalidOperation.AvailabilityZoneMismatch",
    "The network interface and the instance are not in the same zone.",
    403,
)
VPC_MISMATCH = ErrorSpec(
    "InvalidOperation.VpcMismatch",
    "The network interface and the instance are not in the same VPC.",
    403,
)
PRIMARY_DETACH = ErrorSpec(
    "InvalidOperation.DetachPrimaryEniNotAllowed",
    "The primary network interface of an instance cannot be detached.",
)
NOT_ATTACHED = ErrorSpec(
    "InvalidOperation.InvalidEniState",
    "The network interface {id} is not attached to the instance {instance_id}.",
)
TRUNK_NOT_ALLOWED = ErrorSpec(
    "InvalidOperation.TrunkingIsNotAllowed",
    "The instance type {type} does not support trunk network interfaces.",
    403,
)
HIGH_PERFORMANCE_NOT_ALLOWED = ErrorSpec(
    "InvalidOperation.HighPerformanceTrafficModeIsNotAllowed",
    "The instance type {type} does not support the HighPerformance traffic mode.",
    403,
)
QUEUES_EXCEEDED = ErrorSpec(
    "InvalidOperation.MaxEniQueueNumberExceeded",
    "The instance type {type} supports at most {limit} queues per network interface.",
    403,
)
QUEUE_PAIRS_EXCEEDED = ErrorSpec(
    "InvalidParameter.InvalidQueuePairNumber",
    "The instance type {type} supports at most {limit} queue pairs.",
    403,
)
IPS_EXCEEDED = ErrorSpec(
    "MaxEniPrivateIpsCountExceeded",
    "The instance type {type} allows at most {limit} private IP addresses per interface.",
    403,
)
CARD_INVALID = ErrorSpec(
    "InvalidParameter", "The NetworkCardIndex must be below the type's NetworkCardQuantity."
)
ATTACH_ERRORS = {
    "interface.per_instance_exceeded": PER_INSTANCE,
    "interface.zone_mismatch": ZONE_MISMATCH,
    "interface.vpc_mismatch": VPC_MISMATCH,
    "interface.primary_detach": PRIMARY_DETACH,
    "interface.not_attached": NOT_ATTACHED,
}

INSTANCE_ID = Param(
    "InstanceId",
    required=True,
    max_length=64,
    pattern=r"i-[0-9a-z]+",
    invalid=INSTANCE_MALFORMED,
)


def _error(err: DomainError) -> VendorError:
    spec = ATTACH_ERRORS.get(err.reason)
    if spec is None:
        return vendor_error(err)
    return VendorError(spec.status, spec.code, spec.render(**err.details))


def _instance(conn: Any, call: Call, region: str, instance_id: str) -> core.Instance:
    try:
        return core.get_instance(conn, scope(call, region), instance_id)
    except NotFound:
        raise E.vendor(INSTANCE_NOT_FOUND, id=instance_id) from None


def _check_type(eni: interfaces.Interface, itype: dict[str, Any]) -> None:
    """What the instance type allows an interface: trunking, RDMA, queues and addresses."""
    x, name = eni.extra, itype.get("InstanceTypeId", "")
    if eni.type == "trunk" and not itype.get("EniTrunkSupported", False):
        raise E.vendor(TRUNK_NOT_ALLOWED, type=name)
    if x.get("NetworkInterfaceTrafficMode") == "HighPerformance":
        if not itype.get("EriQuantity", 0):
            raise E.vendor(HIGH_PERFORMANCE_NOT_ALLOWED, type=name)
        pairs = itype.get("QueuePairNumber", 0)
        if x.get("QueuePairNumber", 0) > pairs:
            raise E.vendor(QUEUE_PAIRS_EXCEEDED, type=name, limit=pairs)
    queues = itype.get("MaximumQueueNumberPerEni", 0)
    if x.get("QueueNumber", 0) > queues:
        raise E.vendor(QUEUES_EXCEEDED, type=name, limit=queues)
    addresses = itype.get("EniPrivateIpAddressQuantity", 0)
    if len(eni.private_ips) > addresses:
        raise E.vendor(IPS_EXCEEDED, type=name, limit=addresses)
    if len(eni.ipv6_addresses) > itype.get("EniIpv6AddressQuantity", 0):
        raise E.vendor(IPV6_EXCEEDED)


@operation(
    "Ecs",
    "AttachNetworkInterface",
    params=[
        common.REGION_ID,
        ENI_ID,
        INSTANCE_ID,
        Param("NetworkCardIndex", INTEGER, minimum=0, maximum=64, invalid=CARD_INVALID),
        Param("TrunkNetworkInstanceId", refused=TRUNK),
        Param(
            "WaitForNetworkConfigurationReady",
            BOOLEAN,
            refused="the guest's network configuration is not modelled",
        ),
    ],
)
def attach_network_interface(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Begin attaching an Available interface to a Running or Stopped instance."""
    region = p["RegionId"]
    with call.db.write() as conn:
        eni = get_eni(conn, call, region, p["NetworkInterfaceId"], for_update=True)
        vm = _instance(conn, call, region, p["InstanceId"])
        if vm.status not in ATTACHABLE:
            raise E.vendor(INSTANCE_STATE, id=vm.id, status=vm.status)
        itype = catalog.aliyun_instance_type(vm.instance_type) or {}
        if p.get("NetworkCardIndex", 0) >= itype.get("NetworkCardQuantity", 1):
            raise E.vendor(CARD_INVALID)
        _check_type(eni, itype)
        try:
            interfaces.attach(
                conn,
                scope(call, region),
                eni.id,
                instance_id=vm.id,
                instance_version=vm.version,
                zone_id=vm.zone_id,
                vpc_id=vm.vpc_id,
                limit=itype.get("EniQuantity", 1),
                now=call.clock.now(),
            )
        except DomainError as err:
            raise _error(err) from None
    return {}


@operation(
    "Ecs",
    "DetachNetworkInterface",
    params=[
        common.REGION_ID,
        ENI_ID,
        INSTANCE_ID,
        Param("TrunkNetworkInstanceId", refused=TRUNK),
    ],
)
def detach_network_interface(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Begin detaching a secondary InUse interface from the instance that holds it."""
    region = p["RegionId"]
    with call.db.write() as conn:
        eni = get_eni(conn, call, region, p["NetworkInterfaceId"], for_update=True)
        vm = _instance(conn, call, region, p["InstanceId"])
        try:
            interfaces.detach(
                conn, scope(call, region), eni.id, instance_id=vm.id, now=call.clock.now()
            )
        except DomainError as err:
            raise _error(err) from None
    return {}
