"""ECS 2014-05-26 elastic network interfaces: CreateNetworkInterface and DeleteNetworkInterface.

The interface lives in the cloud-neutral core (:mod:`openecs.core.interfaces`):
its addresses and /28 IPv4 prefixes are rows of the vSwitch's allocator, so
no two interfaces (or clients, or processes) ever get one address, and a
refused request, rolled back whole, allocates nothing. This module adds the
vendor's rules and spelling (seed 004): the parameter limits and their codes,
the vendor's statuses, and the settings OpenECS keeps without acting on them
(queues, traffic mode, connection tracking, source/destination check), held
in the interface's ``extra`` and answered back by the Describe operations.

IPv6 addresses and /80 prefixes come from the vSwitch's /64 through
:mod:`openecs.core.ipam6` (drawn at random, claimed under a primary key); a
vSwitch without IPv6 answers ``InvalidOperation.VSwitchIpv6Disabled``.

The helpers the other interface modules share (scope, lookup, rendering,
codes) are here too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from openecs.core import interfaces, ipam6, network
from openecs.core import security_groups as sg
from openecs.core import tags as core_tags
from openecs.core.errors import DomainError, Invalid
from openecs.core.ids import aliyun_id
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.ecs.security_group_rules import ENTERPRISE
from openecs.faces.aliyun.ecs.security_groups import CAPACITY, group_type
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.vpc.vpcs import (
    RESOURCE_GROUP_ID,
    default_resource_group,
    iso_time,
    once,
    scope,
    tag_pairs,
)
from openecs.faces.call import Call
from openecs.faces.errors import VendorError
from openecs.faces.params import (
    BOOLEAN,
    INTEGER,
    LIST,
    STRUCT,
    Check,
    ErrorSpec,
    Exclusive,
    OneRequired,
    Param,
)

TAGGED = "network_interface"  # the core's resource type in the tags table
STATUS = {
    interfaces.AVAILABLE: "Available",
    interfaces.ATTACHING: "Attaching",
    interfaces.IN_USE: "InUse",
    interfaces.DETACHING: "Detaching",
}
TYPES = {"primary": "Primary", "secondary": "Secondary", "trunk": "Trunk"}
MAX_SECONDARY = 49  # secondary addresses at creation (seed 004)
MAX_LISTED_IPS = 10  # PrivateIpAddress.N, Ipv6Address.N, Ipv4Prefix.N, Ipv6Prefix.N
MAX_GROUPS = 5  # security groups an interface joins (the vendor's default limit)
UNATTACHED_IP_LIMIT = 1 + MAX_SECONDARY  # addresses of an interface no instance type bounds
PREFIX_MASK = interfaces.PREFIX_LEN
IPV6_PREFIX_MASK = ipam6.PREFIX_LEN
UNATTACHED_IPV6_LIMIT = 30  # the largest EniIpv6AddressQuantity of the catalog's types
QUEUE_SIZES = (8192, 16384)
TCP_ESTABLISHED = (30, 60, 80, 100, 200, 300, 500, 700, 910)
UDP_TIMEOUTS = (10, 20, 30, 60, 80, 100)
DEPRECATED = "deprecated by the vendor"

# -- codes of seed 004 (CreateNetworkInterface's error table)
CONFLICT = ErrorSpec("InvalidParameter.Conflict", "{name} and {other} cannot both be specified.")
GROUP_CONFLICT = ErrorSpec(
    "InvalidSecurityGroupId.SingleIdAndMultiIdConflict",
    "SecurityGroupId and SecurityGroupIds.N cannot both be specified.",
)
GROUP_MISSING = ErrorSpec(
    "MissingParameter",
    'The input parameter "SecurityGroupId" or "SecurityGroupIds" that is mandatory '
    "for processing this request is not supplied.",
)
GROUP_REPEATED = ErrorSpec(
    "InvalidParameter.SecurityGroupIdRepeated", "The security group ID passed in is duplicate."
)
GROUP_LIMIT = ErrorSpec(
    "JoinedGroupLimitExceed",
    f"The network interface can join at most {MAX_GROUPS} security groups.",
)
GROUP_MIXED = ErrorSpec(
    "EnterpriseGroupLimited.MutliGroupType",
    "The specified instance can't associate security group of different types.",
    403,
)
GROUP_FULL = ErrorSpec(
    "SecurityGroupInstanceLimitExceed",
    "The security group {id} already holds the most network interfaces it can.",
    403,
)
ENTERPRISE_FULL = ErrorSpec(
    "InvalidOperation.EniCountExceeded",
    "The maximum number of NICs in the Enterprise Security Group {id} has been reached.",
)
VPC_MISMATCH = ErrorSpec(
    "InvalidOperation.VpcMismatch",
    "The security group and the vSwitch are not in the same VPC.",
    403,
)
VSWITCH_STATUS = ErrorSpec(
    "IncorrectVSwitchStatus",
    "The operation is not allowed in the current VSwitch state. Expecting state includes "
    '"Created Available", but current state is "Pending".',
)
NAME_INVALID = ErrorSpec(
    "InvalidParams.NetworkInterfaceName", "The specified NetworkInterfaceName is not valid.", 403
)
ENI_TYPE_INVALID = ErrorSpec(
    "InvalidOperation.InvalidEniType", "The specified InstanceType is not valid.", 403
)
QUEUE_NUMBER_INVALID = ErrorSpec(
    "InvalidParameter.InvalidEniQueueNumber", "The specified QueueNumber is not valid.", 403
)
TRAFFIC_MODE_INVALID = ErrorSpec(
    "InvalidParameter.EniTrafficMode",
    "The specified NetworkInterfaceTrafficMode is not valid.",
    403,
)
QUEUE_PAIR_MUST_EMPTY = ErrorSpec(
    "InvalidParameter.QueuePairNumberMustEmpty",
    "QueuePairNumber can be given only with the HighPerformance traffic mode.",
    403,
)
QUEUE_PAIR_INVALID = ErrorSpec(
    "InvalidParameter.InvalidQueuePairNumber", "The specified QueuePairNumber is not valid.", 403
)
HIGH_PERFORMANCE_TYPE = ErrorSpec(
    "InvalidOperation.HighPerformanceTrafficModeEniUnsupported",
    "High performance traffic mode does not support the current ENI type. Expected ENI type "
    'is "Secondary" but the current ENI type is "Trunk".',
    403,
)
QUEUE_SIZE_INVALID = ErrorSpec(
    "InvalidParameter.EniQueueSize",
    'The specified parameter "TxQueueSize" and "RxQueueSize" are not equal or the value '
    "must be 8192 or 16384.",
)
TRACKING_INVALID = ErrorSpec(
    "InvalidParameter.EniConnectionTrackingConfiguration",
    'The specified ENI connection tracking configuration "{name}" must be between {low} and '
    "{high}.",
)
ENHANCED_INVALID = ErrorSpec(
    "InvalidParameter.EniEnhancedNetwork",
    'The input parameter "EnhancedNetwork" is illegal, when EnableSriov is true, '
    "VirtualFunctionTotalQueueNumber must not be empty, and VirtualFunctionQuantity must be "
    "1 to 256. When EnableSriov is empty or false, VirtualFunctionTotalQueueNumber and "
    "VirtualFunctionQuantity must be empty.",
)
IP_REPEATED = ErrorSpec("InvalidIp.IpRepeated", "The IP address {value} is given twice.", 403)
IPS_EXCEEDED = ErrorSpec(
    "MaxEniPrivateIpsCountExceeded",
    "The network interface can hold at most {limit} private IP addresses.",
    403,
)
PREFIX_ILLEGAL = ErrorSpec(
    "InvalidIp.IpPrefixIllegal", "The ip prefixes {value} is/are illegal.", 403
)
PREFIX_NOT_STRICT = ErrorSpec(
    "InvalidIp.IpPrefixNotStrict", 'The IP prefix "{value}" must be strict CIDR format.', 403
)
PREFIX_MASK_INVALID = ErrorSpec(
    "InvalidIp.IpPrefixMaskInvalid",
    f"The IP prefix mask {{value}} is illegal which must be between {PREFIX_MASK} and "
    f"{PREFIX_MASK}.",
    403,
)
IPV6_PREFIX_MASK_INVALID = ErrorSpec(
    "InvalidIp.IpPrefixMaskInvalid",
    f"The IP prefix mask {{value}} is illegal which must be between {IPV6_PREFIX_MASK} and "
    f"{IPV6_PREFIX_MASK}.",
    403,
)
IPV6_EXCEEDED = ErrorSpec(
    "InvalidOperation.MaxEniIpv6IpsCountExceeded", "The ipv6 address count exceed limitation.", 404
)
PREFIX_MASK_NOT_SAME = ErrorSpec(
    "InvalidIp.IpPrefixMaskNotSame",
    "The IP prefixes {value} are illegal.The IP prefix mask must be the same.",
    403,
)
PREFIX_NOT_AVAILABLE = ErrorSpec(
    "InvalidIp.IpPrefixNotAvailable", "The IP prefix is not available.", 403
)
PREFIX_NOT_ENOUGH = ErrorSpec(
    "InvalidVSwitchId.IpPrefixNotEnough",
    "The specified VSwitch does not have enough IP prefixes.",
    403,
)
IPV6_DISABLED = ErrorSpec(
    "InvalidOperation.VSwitchIpv6Disabled",
    "The specified VSwitch does not support Ipv6 feature.",
    404,
)
RDMA_IPV6 = ErrorSpec(
    "InvalidOperation.EniTrafficModeNotSupportIpv6",
    "The High Performance(RDMA) traffic mode does not support IPv6.",
    404,
)
ENI_NOT_FOUND = ErrorSpec(
    "InvalidEniId.NotFound", "The specified NetworkInterfaceId {id} does not exist.", 404
)
ENI_STATE = ErrorSpec(
    "InvalidOperation.InvalidEniState",
    "The network interface {id} is {status}; the operation is not allowed in this state.",
)

# Core refusals that read differently on the network interface operations than elsewhere.
DOMAIN_OVERRIDES: dict[str, ErrorSpec] = {
    "interface.not_found": ENI_NOT_FOUND,
    "interface.incorrect_status": ENI_STATE,
    "interface.group_other_vpc": VPC_MISMATCH,
    "interface.groups_repeated": GROUP_REPEATED,
    "prefix.in_use": PREFIX_NOT_AVAILABLE,
    "prefix.outside_subnet": PREFIX_ILLEGAL,
    "subnet.prefix_exhausted": PREFIX_NOT_ENOUGH,
}


def vendor_error(err: DomainError) -> VendorError:
    """The vendor error of a core refusal on an interface operation."""
    spec = DOMAIN_OVERRIDES.get(err.reason)
    if spec is None:
        return E.from_domain(err)
    details = {"value": err.details.get("prefix", ""), **err.details}
    if "status" in details:
        details["status"] = STATUS.get(details["status"], details["status"])
    return VendorError(spec.status, spec.code, spec.render(**details))


# --------------------------------------------------------------------------- shared parameters

ENI_ID = Param("NetworkInterfaceId", required=True, max_length=64)
NAME = Param(
    "NetworkInterfaceName",
    pattern=r"(?!https?://)[\w:.\-]{2,128}",
    invalid=NAME_INVALID,
    doc="2 to 128 characters: letters (Unicode), digits, colons, underscores, periods, hyphens.",
)
DESCRIPTION = Param(
    "Description",
    pattern=common.ECS_DESCRIPTION_PATTERN,
    doc="2 to 256 characters; cannot start with http:// or https://.",
)


def _unique(error: ErrorSpec):  # noqa: ANN202
    def check(values: list[str]) -> None:
        if len(set(values)) != len(values):
            error.raise_("", next(v for v in values if values.count(v) > 1))

    return check


def groups_param(name: str) -> Param:
    """The list of security groups an interface joins (or, on Modify, is moved to)."""
    return Param(
        name,
        LIST,
        items=Param("item", max_length=64),
        max_items=MAX_GROUPS,
        too_many=GROUP_LIMIT,
        check=_unique(GROUP_REPEATED),
        doc=f"Up to {MAX_GROUPS} groups of the interface's VPC, none twice, of one type.",
    )


def _queue_number(name: str = "QueueNumber") -> Param:
    return Param(name, INTEGER, minimum=1, maximum=2048, invalid=QUEUE_NUMBER_INVALID)


def _queue_pairs(name: str = "QueuePairNumber") -> Param:
    return Param(name, INTEGER, minimum=1, maximum=2**31 - 1, invalid=QUEUE_PAIR_INVALID)


def _queue_size(name: str) -> Param:
    return Param(
        name,
        INTEGER,
        enum=QUEUE_SIZES,
        invalid=QUEUE_SIZE_INVALID,
        doc="8192 or 16384; equal to the other queue depth.",
    )


def _traffic_mode(default: str | None = None) -> Param:
    return Param(
        "NetworkInterfaceTrafficMode",
        enum=("Standard", "HighPerformance"),
        default=default,
        invalid=TRAFFIC_MODE_INVALID,
    )


def _tracking_check(values: dict[str, Any]) -> None:
    if values.get("TcpEstablishedTimeout", 910) not in TCP_ESTABLISHED:
        TRACKING_INVALID.raise_("TcpEstablishedTimeout", low=30, high=910)
    if not 3 <= values.get("TcpClosedAndTimeWaitTimeout", 3) <= 15:
        TRACKING_INVALID.raise_("TcpClosedAndTimeWaitTimeout", low=3, high=15)
    if values.get("UdpTimeout", 30) not in UDP_TIMEOUTS:
        TRACKING_INVALID.raise_("UdpTimeout", low=10, high=100)


CONNECTION_TRACKING = Param(
    "ConnectionTrackingConfiguration",
    STRUCT,
    fields=tuple(
        Param(n, INTEGER, invalid=TRACKING_INVALID)
        for n in ("TcpEstablishedTimeout", "TcpClosedAndTimeWaitTimeout", "UdpTimeout")
    ),
    check=_tracking_check,
    doc="TcpEstablishedTimeout one of 30..910 (default 910), TcpClosedAndTimeWaitTimeout 3 to 15 "
    "(default 3), UdpTimeout one of 10..100 (default 30).",
)


def _enhanced_check(values: dict[str, Any]) -> None:
    quantity = values.get("VirtualFunctionQuantity")
    total = values.get("VirtualFunctionTotalQueueNumber")
    if values.get("EnableSriov"):
        if total is None or quantity is None or not 1 <= quantity <= 256:
            raise E.vendor(ENHANCED_INVALID)
    elif total is not None or quantity is not None:
        raise E.vendor(ENHANCED_INVALID)


ENHANCED_NETWORK = Param(
    "EnhancedNetwork",
    STRUCT,
    fields=(
        Param("EnableSriov", BOOLEAN),
        Param("EnableRss", BOOLEAN),
        Param("EnableExpress", BOOLEAN, doc=common.EXTENSION + "the Tea SDK's model carries it."),
        Param("VirtualFunctionTotalQueueNumber", INTEGER, minimum=1, invalid=ENHANCED_INVALID),
        Param("VirtualFunctionQuantity", INTEGER, invalid=ENHANCED_INVALID),
    ),
    check=_enhanced_check,
    doc="Kept and answered back; SR-IOV needs its queue number and 1 to 256 functions.",
)
TRAFFIC_CONFIG = Param(
    "NetworkInterfaceTrafficConfig",
    STRUCT,
    fields=(
        _queue_number(),
        _traffic_mode(),
        _queue_pairs(),
        _queue_size("TxQueueSize"),
        _queue_size("RxQueueSize"),
    ),
)
SETTINGS = (
    _queue_number(),
    _queue_pairs(),
    _queue_size("TxQueueSize"),
    _queue_size("RxQueueSize"),
)


def traffic_settings(p: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """Queue, traffic-mode and tracking settings of a request (top level or in
    ``NetworkInterfaceTrafficConfig``, which must agree) merged over ``current``."""
    config = p.get("NetworkInterfaceTrafficConfig") or {}
    out = dict(current)
    for name in (
        "QueueNumber",
        "NetworkInterfaceTrafficMode",
        "QueuePairNumber",
        "TxQueueSize",
        "RxQueueSize",
    ):
        top, inner = p.get(name), config.get(name)
        if top is not None and inner is not None and top != inner:
            CONFLICT.raise_(name, other=f"NetworkInterfaceTrafficConfig.{name}")
        if (value := top if top is not None else inner) is not None:
            out[name] = value
    mode = out.get("NetworkInterfaceTrafficMode", "Standard")
    if out.get("QueuePairNumber") is not None and mode != "HighPerformance":
        raise E.vendor(QUEUE_PAIR_MUST_EMPTY)
    tx, rx = out.get("TxQueueSize"), out.get("RxQueueSize")
    if (tx is not None or rx is not None) and tx != rx:
        raise E.vendor(QUEUE_SIZE_INVALID)
    if "ConnectionTrackingConfiguration" in p:
        tracking = {
            "TcpEstablishedTimeout": 910,
            "TcpClosedAndTimeWaitTimeout": 3,
            "UdpTimeout": 30,
        }
        out["ConnectionTrackingConfiguration"] = {
            **tracking,
            **p["ConnectionTrackingConfiguration"],
        }
    if "EnhancedNetwork" in p:
        out["EnhancedNetwork"] = p["EnhancedNetwork"]
    if "SourceDestCheck" in p:
        out["SourceDestCheck"] = p["SourceDestCheck"]
    if "DeleteOnRelease" in p:  # the core's key: the instance's release reads it
        out["delete_on_release"] = p["DeleteOnRelease"]
    return out


# --------------------------------------------------------------------------- addresses and prefixes


def check_addresses(values: list[str], version: int = 4) -> None:
    """Listed addresses: each of the IP version, none twice (InvalidIp.Address,
    InvalidIp.IpRepeated)."""
    address_type = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    for v in values:
        try:
            address_type(v)
        except ValueError:
            raise E.from_domain(Invalid("ip.malformed", address=v)) from None
    _unique(IP_REPEATED)(values)


def check_prefixes(values: list[str], version: int = 4) -> None:
    """Listed prefixes: strict CIDR blocks of one IP version, one mask, that mask the
    interface's (/28 for IPv4, /80 for IPv6), none twice."""
    network_type = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
    name, mask = ("Ipv4Prefix", PREFIX_MASK) if version == 4 else ("Ipv6Prefix", IPV6_PREFIX_MASK)
    nets = []
    for v in values:
        if "/" not in v:
            PREFIX_ILLEGAL.raise_(name, v)
        try:
            nets.append(network_type(v, strict=False))
        except ValueError:
            PREFIX_ILLEGAL.raise_(name, v)
        if str(nets[-1]) != v:
            PREFIX_NOT_STRICT.raise_(name, v)
    if len({n.prefixlen for n in nets}) > 1:
        PREFIX_MASK_NOT_SAME.raise_(name, ",".join(values))
    if nets and nets[0].prefixlen != mask:
        (PREFIX_MASK_INVALID if version == 4 else IPV6_PREFIX_MASK_INVALID).raise_(
            name, nets[0].prefixlen
        )
    _unique(PREFIX_NOT_AVAILABLE)(values)


def addresses_param(name: str = "PrivateIpAddress") -> Param:
    return Param(
        name,
        LIST,
        items=Param("item", max_length=64),
        max_items=MAX_LISTED_IPS,
        too_many=IPS_EXCEEDED,
        check=check_addresses,
        doc=f"Up to {MAX_LISTED_IPS} free addresses of the vSwitch.",
    )


def count_param(name: str, maximum: int) -> Param:
    return Param(name, INTEGER, minimum=1, maximum=maximum)


IPV4_PREFIXES = Param(
    "Ipv4Prefix",
    LIST,
    items=Param("item", max_length=64),
    max_items=MAX_LISTED_IPS,
    check=check_prefixes,
    doc=f"Up to {MAX_LISTED_IPS} free /{PREFIX_MASK} blocks of the vSwitch, strict CIDR.",
)
IPV6_PARAMS = (
    Param(
        "Ipv6Address",
        LIST,
        items=Param("item", max_length=64),
        max_items=MAX_LISTED_IPS,
        check=lambda values: check_addresses(values, 6),
        doc=f"Up to {MAX_LISTED_IPS} free addresses of the vSwitch's IPv6 /64.",
    ),
    count_param("Ipv6AddressCount", MAX_LISTED_IPS),
    Param(
        "Ipv6Prefix",
        LIST,
        items=Param("item", max_length=64),
        max_items=MAX_LISTED_IPS,
        check=lambda values: check_prefixes(values, 6),
        doc=f"Up to {MAX_LISTED_IPS} free /{IPV6_PREFIX_MASK} blocks of the vSwitch's /64, "
        "strict CIDR.",
    ),
    count_param("Ipv6PrefixCount", MAX_LISTED_IPS),
)
IPV6_RULES = (
    Exclusive(("Ipv6Address", "Ipv6AddressCount"), CONFLICT),
    Exclusive(("Ipv6Prefix", "Ipv6PrefixCount"), CONFLICT),
)
IPV6_NAMES = ("Ipv6Address", "Ipv6AddressCount", "Ipv6Prefix", "Ipv6PrefixCount")


def ipv6_request(p: Mapping[str, Any]) -> interfaces.Ipv6Request:
    """The IPv6 addresses and prefixes a request asks for (the core refuses them on a
    vSwitch without IPv6)."""
    return interfaces.Ipv6Request(
        addresses=p.get("Ipv6Address") or [],
        count=p.get("Ipv6AddressCount", 0),
        prefixes=p.get("Ipv6Prefix") or [],
        prefix_count=p.get("Ipv6PrefixCount", 0),
    )


# --------------------------------------------------------------------------- lookup and rendering


def get_eni(
    conn: Connection, call: Call, region: str, eni_id: str, *, for_update: bool = False
) -> interfaces.Interface:
    """The caller's interface, or InvalidEniId.NotFound."""
    try:
        return interfaces.get_interface(conn, scope(call, region), eni_id, for_update=for_update)
    except DomainError as err:
        raise vendor_error(err) from None


def render(call: Call, eni: interfaces.Interface, tags: list[core_tags.Tag]) -> dict[str, Any]:
    """The vendor's shape of one interface (CreateNetworkInterface's answer; Describe* add more)."""
    x = eni.extra
    return {
        "NetworkInterfaceId": eni.id,
        "Status": STATUS[eni.status],
        "Type": TYPES.get(eni.type, "Secondary"),
        "VpcId": eni.vpc_id,
        "VSwitchId": eni.subnet_id,
        "ZoneId": eni.zone_id,
        "NetworkInterfaceName": eni.name,
        "Description": eni.description,
        "MacAddress": eni.mac_address,
        "PrivateIpAddress": eni.primary_ip,
        "OwnerId": str(call.account.id),
        "ServiceManaged": False,
        "ResourceGroupId": x.get("ResourceGroupId") or default_resource_group(call),
        "SecurityGroupIds": {"SecurityGroupId": list(eni.security_group_ids)},
        "PrivateIpSets": {
            "PrivateIpSet": [
                {"PrivateIpAddress": a, "Primary": a == eni.primary_ip} for a in eni.private_ips
            ]
        },
        "Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in tags]},
        "Ipv6Sets": {"Ipv6Set": [{"Ipv6Address": a} for a in eni.ipv6_addresses]},
        "Ipv4PrefixSets": {"Ipv4PrefixSet": [{"Ipv4Prefix": b} for b in eni.ipv4_prefixes]},
        "Ipv6PrefixSets": {"Ipv6PrefixSet": [{"Ipv6Prefix": b} for b in eni.ipv6_prefixes]},
        "SourceDestCheck": bool(x.get("SourceDestCheck", False)),
    }


def render_full(call: Call, eni: interfaces.Interface, tags: list[core_tags.Tag]) -> dict[str, Any]:
    """The Describe* shape: the creation answer plus attachment, time and traffic settings."""
    x = eni.extra
    out = render(call, eni, tags)
    out.update(
        {
            "InstanceId": eni.device_id or "",
            "CreationTime": iso_time(eni.created_at),
            "DeleteOnRelease": bool(x.get("delete_on_release", eni.type == "primary")),
            "QueueNumber": x.get("QueueNumber", 0),
            "QueuePairNumber": x.get("QueuePairNumber", 0),
            "NetworkInterfaceTrafficMode": x.get("NetworkInterfaceTrafficMode", "Standard"),
            "Attachment": {"InstanceId": eni.device_id, "DeviceIndex": x.get("DeviceIndex", 0)}
            if eni.device_id
            else {},
            "AssociatedPublicIp": {},
        }
    )
    return out


# --------------------------------------------------------------------------- operations


def _check_groups(
    conn: Connection, where: network.Scope, group_ids: list[str]
) -> list[sg.SecurityGroup]:
    """Groups of one type, each with room for one more interface (seed 004's limits); the
    groups, read."""
    groups = [sg.get_group(conn, where, g) for g in group_ids]
    if len({group_type(g) for g in groups}) > 1:
        raise E.vendor(GROUP_MIXED)
    for g in groups:
        kind = group_type(g)
        if g.interface_count >= CAPACITY[kind]:
            raise E.vendor(ENTERPRISE_FULL if kind == ENTERPRISE else GROUP_FULL, id=g.id)
    return groups


@operation(
    "Ecs",
    "CreateNetworkInterface",
    params=[
        common.REGION_ID,
        common.CLIENT_TOKEN,
        Param("VSwitchId", required=True, max_length=64),
        Param("PrimaryIpAddress", max_length=64),
        Param("SecurityGroupId", max_length=64),
        groups_param("SecurityGroupIds"),
        NAME,
        DESCRIPTION,
        Param(
            "InstanceType",
            enum=("Secondary", "Trunk"),
            default="Secondary",
            invalid=ENI_TYPE_INVALID,
        ),
        count_param("SecondaryPrivateIpAddressCount", MAX_SECONDARY),
        addresses_param(),
        IPV4_PREFIXES,
        count_param("Ipv4PrefixCount", MAX_LISTED_IPS),
        *IPV6_PARAMS,
        _traffic_mode(),
        *SETTINGS,
        TRAFFIC_CONFIG,
        CONNECTION_TRACKING,
        ENHANCED_NETWORK,
        Param("SourceDestCheck", BOOLEAN, default=False),
        Param("DeleteOnRelease", BOOLEAN, default=False),
        RESOURCE_GROUP_ID,
        common.tags(),
        Param("Visible", BOOLEAN, refused=DEPRECATED),
        Param("BusinessType", refused=DEPRECATED),
    ],
    rules=[
        Exclusive(("SecurityGroupId", "SecurityGroupIds"), GROUP_CONFLICT),
        OneRequired(("SecurityGroupId", "SecurityGroupIds"), GROUP_MISSING),
        Exclusive(("PrivateIpAddress", "SecondaryPrivateIpAddressCount"), CONFLICT),
        Exclusive(("Ipv4Prefix", "Ipv4PrefixCount"), CONFLICT),
        *IPV6_RULES,
        Check(
            lambda p: (
                p.get("PrimaryIpAddress") in (p.get("PrivateIpAddress") or [])
                and IP_REPEATED.raise_("PrimaryIpAddress", p["PrimaryIpAddress"])
            ),
            "PrimaryIpAddress not also in PrivateIpAddress.N (InvalidIp.IpRepeated)",
        ),
    ],
)
def create_network_interface(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Create an Available interface in a vSwitch, its addresses and prefixes claimed at once."""
    region = p["RegionId"]
    where = scope(call, region)
    settings = traffic_settings(p, {})
    trunk = p["InstanceType"] == "Trunk"
    high_performance = settings.get("NetworkInterfaceTrafficMode") == "HighPerformance"
    if high_performance and trunk:
        raise E.vendor(HIGH_PERFORMANCE_TYPE)
    if high_performance and any(p.get(n) for n in IPV6_NAMES):
        raise E.vendor(RDMA_IPV6)
    group_ids = p.get("SecurityGroupIds") or [p["SecurityGroupId"]]
    with call.db.write() as conn:

        def produce() -> dict[str, Any]:
            subnet = network.get_subnet(conn, where, p["VSwitchId"])
            if subnet.status != network.AVAILABLE:
                raise E.vendor(VSWITCH_STATUS)
            groups = _check_groups(conn, where, group_ids)
            eni = interfaces.create_interface(
                conn,
                where,
                interface_id=aliyun_id("eni", region),
                subnet_id=subnet.id,
                subnet=subnet,
                groups=groups,
                now=call.clock.now(),
                type="trunk" if trunk else "secondary",
                name=p.get("NetworkInterfaceName", ""),
                description=p.get("Description", ""),
                primary_ip=p.get("PrimaryIpAddress"),
                secondary_ips=p.get("PrivateIpAddress", []),
                secondary_count=p.get("SecondaryPrivateIpAddressCount", 0),
                ipv4_prefixes=p.get("Ipv4Prefix", []),
                ipv4_prefix_count=p.get("Ipv4PrefixCount", 0),
                ipv6=ipv6_request(p),
                group_ids=group_ids,
                extra={
                    **settings,
                    "ResourceGroupId": p.get("ResourceGroupId") or default_resource_group(call),
                },
            )
            pairs = tag_pairs(p.get("Tag"))
            if pairs:  # a new interface has none to read back
                core_tags.set_tags(
                    conn, call.account.id, TAGGED, eni.id, pairs, limit=common.TAG_LIMIT
                )
            return render(call, eni, pairs)

        try:
            return once(conn, call, region, "CreateNetworkInterface", p, produce)
        except DomainError as err:
            raise vendor_error(err) from None


@operation("Ecs", "DeleteNetworkInterface", params=[common.REGION_ID, ENI_ID])
def delete_network_interface(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Delete an Available interface, freeing its addresses and prefixes."""
    with call.db.write() as conn:
        try:  # the core reads and locks the row itself: an unknown id is its NotFound
            interfaces.delete_interface(
                conn,
                scope(call, p["RegionId"]),
                p["NetworkInterfaceId"],
                only_if=interfaces.AVAILABLE,
            )
        except DomainError as err:
            raise vendor_error(err) from None
    return {}
