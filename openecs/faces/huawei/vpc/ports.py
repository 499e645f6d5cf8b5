"""Huawei ports: the VPC v1 port API (create, read, list, update, delete).

A Huawei port is a row of the core's network interface table, so its address
comes from the same allocator as every other address of the subnet (and two
clients can never be handed the same one). The vendor's spelling lives here:
``network_id`` is the subnet's id (its ``neutron_network_id``), ``fixed_ips``
name the subnet's Neutron subnet id, the MAC starts with ``fa:16:3e``, a port
is DOWN until a device binds it and ACTIVE while one does. Vendor-only
fields (admin state, device owner, allowed address pairs, DHCP options) ride
in the interface's ``extra``. A port created without security groups joins
the project's default group.

Port operations answer their parameter errors with ``VPC.2500``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from openecs.core import interfaces, network
from openecs.core.ids import huawei_id
from openecs.faces.call import Call
from openecs.faces.huawei import errors as E
from openecs.faces.huawei.common import MARKER, limit_param, page_after
from openecs.faces.huawei.operations import HuaweiArgs, Service, operation
from openecs.faces.huawei.vpc.security_groups import ensure_default_group
from openecs.faces.huawei.vpc.vpcs import project_id_of, scope_of
from openecs.faces.params import BOOLEAN, LIST, STRUCT, Check, ErrorSpec, Param

PORTS = Service("vpc", E.param_defaults("VPC.2500"), E.vpc_v1_shape)

NAME_MAX = 255
MAX_FIXED_IPS = 1  # "a port supports only one fixed IP address"
MAX_ADDRESS_PAIRS = 10  # Neutron's max_allowed_address_pair, which the vendor keeps
DEVICE_OWNERS = ("", "neutron:VIP_PORT")  # what a client may set; the rest is the system's
DHCP_OPTION_NAMES = ("51",)  # only the lease time is supported
MAC_PATTERN = r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}"

PORT_PARAM_INVALID = ErrorSpec("VPC.2500", "Param is invalid. {reason}")
SUBNET_NOT_ACTIVE = ErrorSpec("VPC.0205", "Subnet states is invalid, please try again later.", 409)
PORT_IN_USE = ErrorSpec("VPC.0707", "Port {id} is in use by device {device}.", 409)

ACTIVE, DOWN = "ACTIVE", "DOWN"


def _invalid(reason: str) -> None:
    PORT_PARAM_INVALID.raise_("port", reason=reason)


def _check_ipv4(value: str) -> None:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        _invalid(f"ip_address {value} is not an IPv4 address.")


def _check_pair_ip(value: str) -> None:
    """An IPv4 address or CIDR, never 0.0.0.0 (``1.1.1.1/0`` turns the address check off)."""
    try:
        pair = ipaddress.IPv4Interface(value)
    except ValueError:
        _invalid(f"allowed_address_pairs ip_address {value} is not an IPv4 address or CIDR.")
    if pair.ip == ipaddress.IPv4Address("0.0.0.0"):
        _invalid(f"allowed_address_pairs ip_address {value} is not supported.")


FIXED_IP = Param(
    "fixed_ip",
    STRUCT,
    fields=(
        Param("subnet_id", max_length=36, doc="The subnet's neutron_subnet_id."),
        Param(
            "ip_address", check=_check_ipv4, doc="An address of the subnet; automatic if absent."
        ),
    ),
)
ADDRESS_PAIR = Param(
    "allowed_address_pair",
    STRUCT,
    fields=(
        Param("ip_address", required=True, max_length=255, check=_check_pair_ip),
        Param("mac_address", pattern=MAC_PATTERN, doc="Defaults to the port's MAC."),
    ),
)
DHCP_OPTION = Param(
    "extra_dhcp_opt",
    STRUCT,
    fields=(
        Param("opt_name", required=True, enum=DHCP_OPTION_NAMES, doc="Only 51 (lease time)."),
        Param("opt_value", required=True, min_length=1, max_length=255),
    ),
)


def _name() -> Param:
    return Param("name", max_length=NAME_MAX)


def _groups() -> Param:
    return Param(
        "security_groups", LIST, items=Param("security_group", min_length=1, max_length=36)
    )


def _pairs() -> Param:
    return Param("allowed_address_pairs", LIST, items=ADDRESS_PAIR, max_items=MAX_ADDRESS_PAIRS)


def _dhcp() -> Param:
    return Param("extra_dhcp_opts", LIST, items=DHCP_OPTION)


# -- rendering


def status_of(port: interfaces.Interface) -> str:
    return ACTIVE if port.device_id else DOWN


def render(call: Call, port: interfaces.Interface, neutron_subnet_id: str) -> dict[str, Any]:
    x = port.extra
    return {
        "id": port.id,
        "name": port.name,
        "network_id": port.subnet_id,
        "admin_state_up": x.get("admin_state_up", True),
        "mac_address": port.mac_address,
        "fixed_ips": [
            {"subnet_id": neutron_subnet_id, "ip_address": ip} for ip in port.private_ips
        ],
        "device_id": port.device_id or "",
        "device_owner": x.get("device_owner", ""),
        "tenant_id": project_id_of(call),
        "status": status_of(port),
        "security_groups": list(port.security_group_ids),
        "allowed_address_pairs": [
            {"ip_address": p["ip_address"], "mac_address": p.get("mac_address") or port.mac_address}
            for p in x.get("allowed_address_pairs", [])
        ],
        "extra_dhcp_opts": list(x.get("extra_dhcp_opts", [])),
        "binding:vif_details": {},
        "binding:profile": {},
        "binding:vnic_type": "normal",
        "dns_assignment": [],
        "dns_name": "",
        "instance_id": x.get("instance_id", ""),
        "instance_type": x.get("instance_type", ""),
        "port_security_enabled": True,
        "zone_id": port.zone_id,
        "enable_efi": False,
    }


def _neutron_subnet_ids(
    conn: Connection, call: Call, ports: list[interfaces.Interface]
) -> dict[str, str]:
    ids = sorted({p.subnet_id for p in ports})
    subnets = network.list_subnets(conn, scope_of(call), ids=ids) if ids else []
    return {s.id: s.extra.get("neutron_subnet_id", "") for s in subnets}


def _render_all(
    conn: Connection, call: Call, ports: list[interfaces.Interface]
) -> list[dict[str, Any]]:
    neutron = _neutron_subnet_ids(conn, call, ports)
    return [render(call, p, neutron.get(p.subnet_id, "")) for p in ports]


# -- request checks


def _one_fixed_ip(values: Mapping[str, Any]) -> None:
    if len(values.get("port", {}).get("fixed_ips", [])) > MAX_FIXED_IPS:
        _invalid("A port supports only one fixed IP address.")


def _pairs_extra(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in p.items() if k in ("ip_address", "mac_address")} for p in pairs]


def _requested_ip(subnet: network.Subnet, fixed_ips: list[dict[str, Any]]) -> str | None:
    if not fixed_ips:
        return None
    fixed = fixed_ips[0]
    wanted = fixed.get("subnet_id")
    if wanted is not None and wanted != subnet.extra.get("neutron_subnet_id"):
        _invalid(f"fixed_ips subnet_id {wanted} is not the subnet of network {subnet.id}.")
    return fixed.get("ip_address")


# -- operations


@operation(
    PORTS,
    "CreatePort",
    "POST",
    "/v1/{project_id}/ports",
    body=[
        Param(
            "port",
            STRUCT,
            required=True,
            fields=(
                _name(),
                Param(
                    "network_id",
                    required=True,
                    min_length=1,
                    max_length=36,
                    doc="The subnet's id (its neutron_network_id).",
                ),
                Param("admin_state_up", BOOLEAN, doc="Default true."),
                Param("device_owner", enum=DEVICE_OWNERS, doc='"" or neutron:VIP_PORT.'),
                Param("fixed_ips", LIST, items=FIXED_IP, doc="At most one fixed IP."),
                Param("tenant_id", max_length=64),
                _groups(),
                _pairs(),
                _dhcp(),
            ),
        )
    ],
    rules=[Check(_one_fixed_ip, "at most one fixed_ips entry (VPC.2500)")],
)
def create_port(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Create a port: DOWN, with an address of the subnet (given or the lowest free one)."""
    body = req.body["port"]
    scope = scope_of(call)
    tenant = body.get("tenant_id")
    if tenant is not None and tenant != project_id_of(call):
        _invalid(f"tenant_id {tenant} is not the project of the request.")
    with call.db.write() as conn:
        subnet = network.get_subnet(conn, scope, body["network_id"])
        if subnet.status != network.AVAILABLE:
            raise E.vendor(SUBNET_NOT_ACTIVE)
        address = _requested_ip(subnet, body.get("fixed_ips", []))
        groups = body.get("security_groups")
        if not groups:
            groups = [ensure_default_group(conn, scope, call.clock.now()).id]
        extra = {
            "admin_state_up": body.get("admin_state_up", True),
            "device_owner": body.get("device_owner", ""),
            "allowed_address_pairs": _pairs_extra(body.get("allowed_address_pairs", [])),
            "extra_dhcp_opts": body.get("extra_dhcp_opts", []),
        }
        port = interfaces.create_interface(
            conn,
            scope,
            interface_id=huawei_id(),
            subnet_id=subnet.id,
            now=call.clock.now(),
            name=body.get("name", ""),
            primary_ip=address,
            group_ids=groups,
            extra=extra,
        )
        return {"port": render(call, port, subnet.extra.get("neutron_subnet_id", ""))}


@operation(PORTS, "ShowPort", "GET", "/v1/{project_id}/ports/{port_id}")
def show_port(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query a port."""
    with call.db.read() as conn:
        port = interfaces.get_interface(conn, scope_of(call), req.path["port_id"])
        return {"port": _render_all(conn, call, [port])[0]}


_FIXED_IPS_FILTER = re.compile(r"(ip_address|subnet_id)=(.+)")


def _check_fixed_ips_filter(value: str) -> None:
    if not _FIXED_IPS_FILTER.fullmatch(value):
        PORTS.params.invalid.raise_("fixed_ips", value)


def _matches(port: dict[str, Any], q: Mapping[str, Any]) -> bool:
    for key in ("name", "network_id", "mac_address", "device_id", "device_owner", "status"):
        if key in q and port[key] != q[key]:
            return False
    if "admin_state_up" in q and port["admin_state_up"] != q["admin_state_up"]:
        return False
    if "id" in q and port["id"] not in q["id"]:
        return False
    if "security_groups" in q and not set(q["security_groups"]) & set(port["security_groups"]):
        return False
    for wanted in q.get("fixed_ips", []):
        key, value = _FIXED_IPS_FILTER.fullmatch(wanted).groups()  # type: ignore[union-attr]
        if not any(f[key] == value for f in port["fixed_ips"]):
            return False
    return True


@operation(
    PORTS,
    "ListPorts",
    "GET",
    "/v1/{project_id}/ports",
    query=[
        limit_param(2000, 2**31 - 1, minimum=0),
        MARKER,
        Param("id", LIST, doc="Only these ports."),
        Param("name"),
        Param("admin_state_up", BOOLEAN),
        Param("network_id"),
        Param("mac_address"),
        Param("device_id"),
        Param("device_owner"),
        Param("status", enum=(ACTIVE, "BUILD", DOWN)),
        Param("security_groups", LIST, doc="Ports in any of these groups."),
        Param(
            "fixed_ips",
            LIST,
            items=Param("fixed_ip", check=_check_fixed_ips_filter),
            doc="ip_address=... or subnet_id=..., all must match.",
        ),
        Param("enterprise_project_id"),
        Param("enable_efi", BOOLEAN),
    ],
)
def list_ports(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query ports, filtered, paged by limit and marker."""
    q = req.query
    with call.db.read() as conn:
        ports = interfaces.list_interfaces(
            conn,
            scope_of(call),
            device_id=q.get("device_id") or None,
            subnet_id=q.get("network_id"),
        )
        rendered = [p for p in _render_all(conn, call, ports) if _matches(p, q)]
        if q.get("enable_efi") is True:
            rendered = []
        page = page_after(
            rendered, q.get("marker"), q["limit"], key=lambda p: p["id"], errors=PORTS.params
        )
        return {"ports": page}


def _refuse_empty_groups(values: Mapping[str, Any]) -> None:
    if values.get("port", {}).get("security_groups") == []:
        _invalid("security_groups cannot be updated to empty.")


@operation(
    PORTS,
    "UpdatePort",
    "PUT",
    "/v1/{project_id}/ports/{port_id}",
    body=[Param("port", STRUCT, required=True, fields=(_name(), _groups(), _pairs(), _dhcp()))],
    rules=[Check(_refuse_empty_groups, "security_groups cannot become empty (VPC.2500)")],
)
def update_port(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Update a port's name, security groups, allowed address pairs or DHCP options."""
    body = req.body["port"]
    scope = scope_of(call)
    port_id = req.path["port_id"]
    with call.db.write() as conn:
        interfaces.get_interface(conn, scope, port_id, for_update=True)
        if "security_groups" in body:
            interfaces.set_groups(conn, scope, port_id, body["security_groups"])
        changes: dict[str, Any] = {"extra": {}}
        if "name" in body:
            changes["name"] = body["name"]
        if "allowed_address_pairs" in body:
            changes["extra"]["allowed_address_pairs"] = _pairs_extra(body["allowed_address_pairs"])
        if "extra_dhcp_opts" in body:
            changes["extra"]["extra_dhcp_opts"] = body["extra_dhcp_opts"]
        port = interfaces.update_interface(conn, scope, port_id, **changes)
        return {"port": _render_all(conn, call, [port])[0]}


@operation(PORTS, "DeletePort", "DELETE", "/v1/{project_id}/ports/{port_id}", status=204)
def delete_port(call: Call, req: HuaweiArgs) -> tuple[int, None]:
    """Delete a port and free its address (refused while a device uses it)."""
    scope = scope_of(call)
    with call.db.write() as conn:
        port = interfaces.get_interface(conn, scope, req.path["port_id"], for_update=True)
        if port.device_id:
            raise E.vendor(PORT_IN_USE, id=port.id, device=port.device_id)
        interfaces.delete_interface(conn, scope, port.id)
    return 204, None
