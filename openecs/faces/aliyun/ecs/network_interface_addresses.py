"""ECS 2014-05-26 interfaces: Assign/UnassignPrivateIpAddresses and Assign/UnassignIpv6Addresses.

Secondary addresses and /28 IPv4 prefixes are claimed from, and released to,
the interface's vSwitch through the same allocator as at creation. An
interface holds at most its instance type's ``EniPrivateIpAddressQuantity``
addresses once attached, and 50 (a primary and 49 secondary ones) while it is
not; an interface that is attaching or detaching refuses changes. IPv6
addresses and /80 prefixes come from the vSwitch's /64 (a vSwitch without one
answers InvalidOperation.VSwitchIpv6Disabled); an attached interface holds at
most its instance type's ``EniIpv6AddressQuantity`` IPv6 addresses.
"""

from __future__ import annotations

from typing import Any

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
    IPV6_EXCEEDED,
    IPV6_PARAMS,
    IPV6_RULES,
    MAX_LISTED_IPS,
    MAX_SECONDARY,
    STATUS,
    UNATTACHED_IP_LIMIT,
    UNATTACHED_IPV6_LIMIT,
    addresses_param,
    count_param,
    get_eni,
    ipv6_request,
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


def _ip_limit(
    conn: Any,
    call: Call,
    region: str,
    eni: interfaces.Interface,
    field: str = "EniPrivateIpAddressQuantity",
    unattached: int = UNATTACHED_IP_LIMIT,
) -> int:
    """How many addresses (``field`` of the instance type once attached) the interface holds."""
    if eni.device_id is None:
        return unattached
    vm = core.get_instance(conn, scope(call, region), eni.device_id)
    itype = catalog.aliyun_instance_type(vm.instance_type) or {}
    return itype.get(field, unattached)


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


@operation(
    "Ecs",
    "AssignIpv6Addresses",
    params=[common.REGION_ID, common.CLIENT_TOKEN, ENI_ID, *IPV6_PARAMS],
    rules=IPV6_RULES,
)
def assign_ipv6_addresses(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Claim IPv6 addresses or /80 prefixes of the vSwitch's /64 for an interface."""
    region = p["RegionId"]
    where = scope(call, region)
    with call.db.write() as conn:

        def produce() -> dict[str, Any]:
            eni = get_eni(conn, call, region, p["NetworkInterfaceId"], for_update=True)
            _steady(eni)
            wanted = ipv6_request(p)
            limit = _ip_limit(
                conn, call, region, eni, "EniIpv6AddressQuantity", UNATTACHED_IPV6_LIMIT
            )
            if len(eni.ipv6_addresses) + len(wanted.addresses) + wanted.count > limit:
                raise E.vendor(IPV6_EXCEEDED)
            try:
                addresses, prefixes = interfaces.assign_ipv6(conn, where, eni.id, wanted)
            except DomainError as err:
                raise vendor_error(err) from None
            return {
                "NetworkInterfaceId": eni.id,
                "Ipv6Sets": {"Ipv6Address": addresses},
                "Ipv6PrefixSets": {"Ipv6Prefix": prefixes},
            }

        return once(conn, call, region, "AssignIpv6Addresses", p, produce)


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
    """Release IPv6 addresses or prefixes of an interface (every one must be its own)."""
    region = p["RegionId"]
    with call.db.write() as conn:
        eni = get_eni(conn, call, region, p["NetworkInterfaceId"], for_update=True)
        _steady(eni)
        try:
            interfaces.unassign_ipv6(
                conn,
                scope(call, region),
                eni.id,
                addresses=p.get("Ipv6Address", []),
                prefixes=p.get("Ipv6Prefix", []),
            )
        except DomainError as err:
            if err.reason in ("interface.ip_not_found", "interface.prefix_not_found"):
                value = err.details.get("address") or err.details.get("prefix")
                raise E.vendor(NOT_ASSIGNED, value=value) from None
            raise vendor_error(err) from None
    return {}
