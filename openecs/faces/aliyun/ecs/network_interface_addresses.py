"""ECS 2014-05-26 interfaces: Assign/UnassignPrivateIpAddresses and Assign/UnassignIpv6Addresses.

Secondary addresses and /28 IPv4 prefixes are claimed from, and released to,
the interface's vSwitch through the same allocator as at creation. An
interface holds at most its instance type's ``EniPrivateIpAddressQuantity``
addresses once attached, and 50 (a primary and 49 secondary ones) while it is
not; an interface that is attaching or detaching refuses changes. No OpenECS
vSwitch has an IPv6 block, so the IPv6 operations answer as the vendor does
for such a vSwitch.
"""

from __future__ import annotations

from typing import Any, NoReturn

from openecs.core import catalog, interfaces
from openecs.core import instances as core
from openecs.core.errors import DomainError
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.ecs.network_interfaces import (
    CONFLICT,
    ENI_ID,
    ENI_STATE,
    IPS_EXCEEDED,
    IPV4_PREFIXES,
    IPV6_DISABLED,
    IPV6_PARAMS,
    IPV6_RULES,
    MAX_LISTED_IPS,
    MAX_SECONDARY,
    STATUS,
    UNATTACHED_IP_LIMIT,
    addresses_param,
    count_param,
    get_eni,
    vendor_error,
)
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.vpc.vpcs import once, scope
from openecs.faces.call import Call
from openecs.faces.params import LIST, ErrorSpec, Exclusive, Param

MAX_UNASSIGN = 32  # PrivateIpAddress.N of UnassignPrivateIpAddresses
NOT_ASSIGNED = ErrorSpec("InvalidParameter", "{value} is not assigned to the network interface.")
STEADY = (interfaces.AVAILABLE, interfaces.IN_USE)


def _steady(eni: interfaces.Interface) -> None:
    """Addresses change only on an Available or InUse interface."""
    if eni.status not in STEADY:
        raise E.vendor(ENI_STATE, id=eni.id, status=STATUS[eni.status])


def _ip_limit(conn: Any, call: Call, region: str, eni: interfaces.Interface) -> int:
    if eni.device_id is None:
        return UNATTACHED_IP_LIMIT
    vm = core.get_instance(conn, scope(call, region), eni.device_id)
    itype = catalog.aliyun_instance_type(vm.instance_type) or {}
    return itype.get("EniPrivateIpAddressQuantity", UNATTACHED_IP_LIMIT)


@operation(
    "Ecs",
    "AssignPrivateIpAddresses",
    params=[
        common.REGION_ID,
        common.CLIENT_TOKEN,
        ENI_ID,
        addresses_param(),
        count_param("SecondaryPrivateIpAddressCount", MAX_SECONDARY),
        IPV4_PREFIXES,
        count_param("Ipv4PrefixCount", MAX_LISTED_IPS),
    ],
    rules=[
        Exclusive(("PrivateIpAddress", "SecondaryPrivateIpAddressCount"), CONFLICT),
        Exclusive(("Ipv4Prefix", "Ipv4PrefixCount"), CONFLICT),
    ],
)
def assign_private_ip_addresses(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Claim more secondary addresses or IPv4 prefixes for an interface."""
    region = p["RegionId"]
    where = scope(call, region)
    with call.db.write() as conn:

        def produce() -> dict[str, Any]:
            eni = get_eni(conn, call, region, p["NetworkInterfaceId"], for_update=True)
            _steady(eni)
            wanted = len(p.get("PrivateIpAddress", [])) + p.get("SecondaryPrivateIpAddressCount", 0)
            limit = _ip_limit(conn, call, region, eni)
            if len(eni.private_ips) + wanted > limit:
                raise E.vendor(IPS_EXCEEDED, limit=limit)
            try:
                ips = interfaces.assign_ips(
                    conn,
                    where,
                    eni.id,
                    addresses=p.get("PrivateIpAddress", []),
                    count=p.get("SecondaryPrivateIpAddressCount", 0),
                )
                prefixes = interfaces.assign_prefixes(
                    conn,
                    where,
                    eni.id,
                    blocks=p.get("Ipv4Prefix", []),
                    count=p.get("Ipv4PrefixCount", 0),
                )
            except DomainError as err:
                raise vendor_error(err) from None
            return {
                "AssignedPrivateIpAddressesSet": {
                    "NetworkInterfaceId": eni.id,
                    "PrivateIpSet": {"PrivateIpAddress": ips},
                    "Ipv4PrefixSet": {"Ipv4Prefixes": prefixes},
                }
            }

        return once(conn, call, region, "AssignPrivateIpAddresses", p, produce)


@operation(
    "Ecs",
    "UnassignPrivateIpAddresses",
    params=[
        common.REGION_ID,
        ENI_ID,
        Param(
            "PrivateIpAddress",
            LIST,
            items=Param("item", max_length=64),
            max_items=MAX_UNASSIGN,
            doc=f"Up to {MAX_UNASSIGN} secondary addresses of the interface.",
        ),
        Param(
            "Ipv4Prefix",
            LIST,
            items=Param("item", max_length=64),
            max_items=MAX_LISTED_IPS,
            doc=f"Up to {MAX_LISTED_IPS} prefixes of the interface.",
        ),
    ],
)
def unassign_private_ip_addresses(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Release secondary addresses or IPv4 prefixes of an interface (never its primary one)."""
    region = p["RegionId"]
    where = scope(call, region)
    with call.db.write() as conn:
        eni = get_eni(conn, call, region, p["NetworkInterfaceId"], for_update=True)
        _steady(eni)
        for address in p.get("PrivateIpAddress", []):
            if address not in eni.secondary_ips:
                raise E.vendor(NOT_ASSIGNED, value=address)
        for block in p.get("Ipv4Prefix", []):
            if block not in eni.ipv4_prefixes:
                raise E.vendor(NOT_ASSIGNED, value=block)
        try:
            interfaces.unassign_ips(conn, where, eni.id, p.get("PrivateIpAddress", []))
            interfaces.unassign_prefixes(conn, where, eni.id, p.get("Ipv4Prefix", []))
        except DomainError as err:
            raise vendor_error(err) from None
    return {}


def _ipv6(call: Call, p: dict[str, Any]) -> NoReturn:
    """Find the interface (InvalidEniId.NotFound), then refuse for its vSwitch: no IPv6 block."""
    with call.db.read() as conn:
        get_eni(conn, call, p["RegionId"], p["NetworkInterfaceId"])
    raise E.vendor(IPV6_DISABLED)


@operation(
    "Ecs",
    "AssignIpv6Addresses",
    params=[common.REGION_ID, common.CLIENT_TOKEN, ENI_ID, *IPV6_PARAMS],
    rules=IPV6_RULES,
)
def assign_ipv6_addresses(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """IPv6 addresses or prefixes for an interface: refused, its vSwitch has no IPv6 block."""
    return _ipv6(call, p)


@operation(
    "Ecs",
    "UnassignIpv6Addresses",
    params=[
        common.REGION_ID,
        ENI_ID,
        *(q for q in IPV6_PARAMS if q.type == LIST),
    ],
)
def unassign_ipv6_addresses(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Release IPv6 addresses or prefixes: refused, the interface's vSwitch has no IPv6 block."""
    return _ipv6(call, p)
