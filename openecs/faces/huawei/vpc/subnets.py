"""Huawei subnets: the VPC v1 subnet API (create, read, list, update, delete).

A Huawei subnet is a row of the core's subnet table. Its ``id`` is the one
servers name as ``nics[].subnet_id`` and, as on the vendor, also its
``neutron_network_id``; the Neutron subnet id is a second UUID kept in
``extra`` with the other vendor-only fields (DHCP, DNS servers, DHCP options,
tags). A new subnet answers UNKNOWN and becomes ACTIVE through the engine.

Subnet operations answer their parameter errors with ``VPC.0201``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import Connection

from openecs.core import catalog, network
from openecs.core.ids import huawei_id
from openecs.faces.call import Call
from openecs.faces.huawei import errors as E
from openecs.faces.huawei.common import MARKER, limit_param, page_after, region_of
from openecs.faces.huawei.operations import VPC_SUBNETS, HuaweiArgs, operation
from openecs.faces.huawei.vpc.vpcs import (
    READY_AFTER,
    description_param,
    name_param,
    project_id_of,
    scope_of,
    tags_param,
    timestamp,
)
from openecs.faces.params import BOOLEAN, LIST, STRUCT, ErrorSpec, Param

MAX_SUBNET_PREFIX = 28  # the longest mask a subnet may have
MAX_DNS = 5

SUBNET_CIDR_INVALID = ErrorSpec("VPC.0212", "The subnet cidr is not valid.")
SUBNET_PARAM_INVALID = ErrorSpec("VPC.0201", "Subnet {name} is invalid.")
AZ_BLANK = ErrorSpec("VPC.0002", "Available zone Name is null.")
SUBNET_NOT_IN_VPC = ErrorSpec("VPC.0207", "Subnet does not belong to the VPC.")

STATUS = {network.CREATING: "UNKNOWN", network.AVAILABLE: "ACTIVE"}


def _check_cidr(value: str) -> None:
    try:
        net = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        SUBNET_CIDR_INVALID.raise_("cidr", value)
    if net.prefixlen > MAX_SUBNET_PREFIX:
        SUBNET_CIDR_INVALID.raise_("cidr", value)


def _ipv4(name: str) -> Param:
    return Param(name, check=lambda v: _check_ipv4(name, v))


def _check_ipv4(name: str, value: str) -> None:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        SUBNET_PARAM_INVALID.raise_(name, value)


def _check_ipv6_enable(value: bool) -> None:
    if value:
        SUBNET_PARAM_INVALID.raise_(
            "ipv6_enable (IPv6 subnets are not supported by OpenECS)", value
        )


DHCP_OPTION = Param(
    "extra_dhcp_opt",
    STRUCT,
    fields=(Param("opt_name", required=True, max_length=64), Param("opt_value", max_length=1024)),
)

DHCP_AND_DNS = (
    Param("dhcp_enable", BOOLEAN, doc="Default true."),
    _ipv4("primary_dns"),
    _ipv4("secondary_dns"),
    Param("dnsList", LIST, items=_ipv4("dnsList"), max_items=MAX_DNS),
    Param("extra_dhcp_opts", LIST, items=DHCP_OPTION),
    Param(
        "ipv6_enable",
        BOOLEAN,
        check=_check_ipv6_enable,
        doc="Only false: OpenECS has no IPv6 subnets.",
    ),
)


def _dns(body: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    """primary_dns, secondary_dns and dnsList kept consistent, as the vendor shows them."""
    cur = current or {}
    listed = body.get("dnsList")
    primary = body.get("primary_dns", cur.get("primary_dns") if listed is None else None)
    secondary = body.get("secondary_dns", cur.get("secondary_dns") if listed is None else None)
    if listed is None:
        listed = [d for d in (primary, secondary) if d]
    else:
        primary = primary or (listed[0] if listed else None)
        secondary = secondary or (listed[1] if len(listed) > 1 else None)
    return {"primary_dns": primary, "secondary_dns": secondary, "dnsList": listed}


def render(conn: Connection, call: Call, subnet: network.Subnet) -> dict[str, Any]:
    x = subnet.extra
    out = {
        "id": subnet.id,
        "name": subnet.name,
        "description": subnet.description,
        "cidr": subnet.cidr_block,
        "gateway_ip": subnet.gateway_ip,
        "ipv6_enable": False,
        "dhcp_enable": x.get("dhcp_enable", True),
        "dnsList": list(x.get("dnsList", [])),
        "availability_zone": subnet.zone_id,
        "vpc_id": subnet.vpc_id,
        "status": STATUS.get(subnet.status, "ERROR"),
        "neutron_network_id": subnet.id,
        "neutron_subnet_id": x.get("neutron_subnet_id", ""),
        "extra_dhcp_opts": list(x.get("extra_dhcp_opts", [])),
        "scope": "center",
        "tenant_id": project_id_of(call),
        "created_at": timestamp(subnet.created_at),
        "updated_at": timestamp(x.get("updated_at", subnet.created_at)),
        "available_ip_address_count": network.available_addresses(conn, subnet),
    }
    for key in ("primary_dns", "secondary_dns"):
        if x.get(key):
            out[key] = x[key]
    return out


def _zone(call: Call, zone: str | None) -> str:
    if zone is None:
        return ""
    if zone == "":
        raise E.vendor(AZ_BLANK)
    if catalog.huawei().zone(region_of(call), zone) is None:
        SUBNET_PARAM_INVALID.raise_("availability_zone", zone)
    return zone


@operation(
    VPC_SUBNETS,
    "CreateSubnet",
    "POST",
    "/v1/{project_id}/subnets",
    body=[
        Param(
            "subnet",
            STRUCT,
            required=True,
            fields=(
                name_param(required=True, min_length=1),
                description_param(),
                Param(
                    "cidr",
                    required=True,
                    check=_check_cidr,
                    doc="Inside the VPC's CIDR, mask at most /28.",
                ),
                Param("gateway_ip", required=True, check=lambda v: _check_ipv4("gateway_ip", v)),
                Param("vpc_id", required=True),
                Param("availability_zone", doc="A zone of the project's region."),
                *DHCP_AND_DNS,
                tags_param(),
            ),
        )
    ],
)
def create_subnet(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Create a subnet: UNKNOWN, then ACTIVE after a moment."""
    body = req.body["subnet"]
    zone = _zone(call, body.get("availability_zone"))
    extra: dict[str, Any] = {
        "dhcp_enable": body.get("dhcp_enable", True),
        "neutron_subnet_id": huawei_id(),
        "extra_dhcp_opts": body.get("extra_dhcp_opts", []),
        **_dns(body),
    }
    if body.get("tags"):
        extra["tags"] = body["tags"]
    with call.db.write() as conn:
        subnet = network.create_subnet(
            conn,
            scope_of(call),
            subnet_id=huawei_id(),
            vpc_id=body["vpc_id"],
            zone_id=zone,
            cidr_block=body["cidr"],
            name=body["name"],
            description=body.get("description", ""),
            now=call.clock.now(),
            ready_after=READY_AFTER,
            gateway_ip=body["gateway_ip"],
            extra=extra,
        )
        return {"subnet": render(conn, call, subnet)}


@operation(VPC_SUBNETS, "ShowSubnet", "GET", "/v1/{project_id}/subnets/{subnet_id}")
def show_subnet(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query a subnet."""
    with call.db.read() as conn:
        return {
            "subnet": render(
                conn, call, network.get_subnet(conn, scope_of(call), req.path["subnet_id"])
            )
        }


@operation(
    VPC_SUBNETS,
    "ListSubnets",
    "GET",
    "/v1/{project_id}/subnets",
    query=[
        limit_param(2000, 2**31 - 1, minimum=0),
        MARKER,
        Param("vpc_id", doc="Only this VPC's subnets."),
    ],
)
def list_subnets(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query subnets, paged by limit and marker."""
    q = req.query
    with call.db.read() as conn:
        subnets = network.list_subnets(conn, scope_of(call), vpc_id=q.get("vpc_id"))
        page = page_after(
            subnets, q.get("marker"), q["limit"], key=lambda s: s.id, errors=VPC_SUBNETS.params
        )
        return {"subnets": [render(conn, call, s) for s in page]}


def _in_vpc(
    conn: Connection, call: Call, req: HuaweiArgs, *, for_update: bool = False
) -> network.Subnet:
    """The path's subnet, which must exist and belong to the path's (existing) VPC."""
    scope = scope_of(call)
    network.get_vpc(conn, scope, req.path["vpc_id"])
    subnet = network.get_subnet(conn, scope, req.path["subnet_id"], for_update=for_update)
    if subnet.vpc_id != req.path["vpc_id"]:
        raise E.vendor(SUBNET_NOT_IN_VPC)
    return subnet


@operation(
    VPC_SUBNETS,
    "UpdateSubnet",
    "PUT",
    "/v1/{project_id}/vpcs/{vpc_id}/subnets/{subnet_id}",
    body=[
        Param(
            "subnet",
            STRUCT,
            required=True,
            fields=(name_param(required=True, min_length=1), description_param(), *DHCP_AND_DNS),
        )
    ],
)
def update_subnet(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Update a subnet's name, description, DHCP and DNS settings."""
    body = req.body["subnet"]
    with call.db.write() as conn:
        current = _in_vpc(conn, call, req, for_update=True)
        extra: dict[str, Any] = {"updated_at": call.clock.now()}
        if "dhcp_enable" in body:
            extra["dhcp_enable"] = body["dhcp_enable"]
        if "extra_dhcp_opts" in body:
            extra["extra_dhcp_opts"] = body["extra_dhcp_opts"]
        if any(k in body for k in ("primary_dns", "secondary_dns", "dnsList")):
            extra.update(_dns(body, current.extra))
        changes: dict[str, Any] = {"name": body["name"], "extra": extra}
        if "description" in body:
            changes["description"] = body["description"]
        subnet = network.update_subnet(conn, scope_of(call), current.id, **changes)
        return {"subnet": {"id": subnet.id, "status": STATUS.get(subnet.status, "ERROR")}}


@operation(
    VPC_SUBNETS,
    "DeleteSubnet",
    "DELETE",
    "/v1/{project_id}/vpcs/{vpc_id}/subnets/{subnet_id}",
    status=204,
)
def delete_subnet(call: Call, req: HuaweiArgs) -> tuple[int, None]:
    """Delete a subnet (refused while addresses in it are in use)."""
    with call.db.write() as conn:
        subnet = _in_vpc(conn, call, req, for_update=True)
        network.delete_subnet(conn, scope_of(call), subnet.id)
    return 204, None
