"""Huawei VPCs: the VPC v1 API (create, read, list, update, delete) and the v3 ShowVpc.

A Huawei VPC is a row of the core's cloud-neutral VPC table scoped to
(huawei, account, region). The vendor's spelling lives here: v1 statuses
CREATING then OK, v3 statuses PENDING then ACTIVE, the VPC.01xx error codes,
the CIDR ranges the vendor allows. Vendor-only fields (enterprise project,
routes, tags, the update time) ride in the core's ``extra``.

VPC v1 answers its parameter errors with ``VPC.0101`` (not the ``VPC.0002``
of the shared VPC service, which the vendor reserves for a blank
availability zone), so the operations here use that service with their own
parameter code.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from openecs.core import network
from openecs.core.ids import huawei_id
from openecs.faces.call import Call
from openecs.faces.huawei import errors as E
from openecs.faces.huawei.common import MARKER, limit_param, page_after, region_of
from openecs.faces.huawei.operations import VPC, VPC3, HuaweiArgs, operation
from openecs.faces.params import LIST, STRUCT, Check, ErrorSpec, Param

# Seconds of engine time a new VPC or subnet spends CREATING / UNKNOWN.
READY_AFTER = 1.0

# -- vendor rules shared by VPCs and subnets
NAME_PATTERN = r"[A-Za-z0-9_\-.\u4e00-\u9fff]*"
NO_ANGLE_BRACKETS = r"[^<>]*"
DESCRIPTION_MAX = 255
NAME_MAX = 64
UUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
TAG_PATTERN = r"[^*]{1,128}\*[^*]{0,255}"
MAX_TAGS = 10
# The private ranges a VPC CIDR may lie in, each with its longest allowed prefix.
VPC_RANGES = (
    (ipaddress.IPv4Network("10.0.0.0/8"), 24),
    (ipaddress.IPv4Network("172.16.0.0/12"), 24),
    (ipaddress.IPv4Network("192.168.0.0/16"), 24),
)

VPC_PARAM_INVALID = ErrorSpec("VPC.0101", "Param is invalid. Parameter {name} is invalid.")
VPC_CIDR_INVALID = ErrorSpec(
    "VPC.0101",
    "Param is invalid. cidr {value} must be a CIDR block in 10.0.0.0/8-24, 172.16.0.0/12-24 "
    "or 192.168.0.0/16-24.",
)
VPC_CIDR_REQUIRED = ErrorSpec(
    "VPC.0101",
    "Param is invalid. OpenECS requires the cidr of a new VPC (an empty CIDR is not supported).",
)
VPC_NAME_EXISTS = ErrorSpec("VPC.0115", "The router name has exist.")
VPC_CIDR_EXCLUDES_SUBNETS = ErrorSpec("VPC.0117", "Cidr can not contain subnetList cidr.")

V1_STATUS = {network.CREATING: "CREATING", network.AVAILABLE: "OK"}
V3_STATUS = {network.CREATING: "PENDING", network.AVAILABLE: "ACTIVE"}


def scope_of(call: Call) -> network.Scope:
    """The caller's Huawei network scope in the region its project names."""
    return network.Scope("huawei", call.account.id, region_of(call))


def timestamp(seconds: float) -> str:
    """A Huawei VPC time: UTC, RFC 3339 with a ``Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def project_id_of(call: Call) -> str:
    return call.account.huawei_project_ids.get(region_of(call), "")


def check_vpc_cidr(value: str) -> None:
    try:
        net = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        VPC_CIDR_INVALID.raise_("cidr", value)
    if not any(net.subnet_of(r) and net.prefixlen <= longest for r, longest in VPC_RANGES):
        VPC_CIDR_INVALID.raise_("cidr", value)


def name_param(
    *, required: bool = False, min_length: int = 0, invalid: ErrorSpec | None = None
) -> Param:
    return Param(
        "name",
        required=required,
        min_length=min_length,
        max_length=NAME_MAX,
        pattern=NAME_PATTERN,
        invalid=invalid,
        doc="Letters, digits, Chinese characters, _ - and .",
    )


def description_param(invalid: ErrorSpec | None = None) -> Param:
    return Param(
        "description",
        max_length=DESCRIPTION_MAX,
        pattern=NO_ANGLE_BRACKETS,
        invalid=invalid,
        doc="No < or >.",
    )


def tags_param(invalid: ErrorSpec | None = None) -> Param:
    return Param(
        "tags",
        LIST,
        items=Param("tag", pattern=TAG_PATTERN, invalid=invalid),
        max_items=MAX_TAGS,
        invalid=invalid,
        doc="Tags as key*value strings.",
    )


def _check_route(route: Mapping[str, Any]) -> None:
    try:
        ipaddress.IPv4Network(route["destination"], strict=True)
        ipaddress.IPv4Address(route["nexthop"])
    except ValueError:
        VPC_PARAM_INVALID.raise_("routes")


ROUTE = Param(
    "route",
    STRUCT,
    fields=(Param("destination", required=True), Param("nexthop", required=True)),
    check=_check_route,
)


# -- rendering


def render_v1(conn: Connection, call: Call, vpc: network.Vpc) -> dict[str, Any]:
    return {
        "id": vpc.id,
        "name": vpc.name,
        "cidr": vpc.cidr_block,
        "description": vpc.description,
        "routes": list(vpc.extra.get("routes", [])),
        "status": V1_STATUS.get(vpc.status, "ERROR"),
        "enterprise_project_id": vpc.extra.get("enterprise_project_id", "0"),
        "tenant_id": project_id_of(call),
        "created_at": timestamp(vpc.created_at),
        "updated_at": timestamp(vpc.extra.get("updated_at", vpc.created_at)),
    }


def render_v3(conn: Connection, call: Call, vpc: network.Vpc) -> dict[str, Any]:
    subnet_count = len(network.list_subnets(conn, scope_of(call), vpc_id=vpc.id))
    return {
        "id": vpc.id,
        "name": vpc.name,
        "description": vpc.description,
        "cidr": vpc.cidr_block,
        "extend_cidrs": [],
        "status": V3_STATUS.get(vpc.status, "ERROR"),
        "project_id": project_id_of(call),
        "enterprise_project_id": vpc.extra.get("enterprise_project_id", "0"),
        "created_at": timestamp(vpc.created_at),
        "updated_at": timestamp(vpc.extra.get("updated_at", vpc.created_at)),
        "cloud_resources": [
            {"resource_type": "routetable", "resource_count": 1},
            {"resource_type": "virsubnet", "resource_count": subnet_count},
        ],
        "tags": [
            dict(zip(("key", "value"), t.split("*", 1), strict=True))
            for t in vpc.extra.get("tags", [])
        ],
    }


def _refuse_duplicate_name(
    conn: Connection, call: Call, name: str, own_id: str | None = None
) -> None:
    """A tenant's non-empty VPC names are unique in a region."""
    if not name:
        return
    for other in network.list_vpcs(conn, scope_of(call)):
        if other.name == name and other.id != own_id:
            raise E.vendor(VPC_NAME_EXISTS)


def _require_cidr(values: Mapping[str, Any]) -> None:
    if "cidr" not in values.get("vpc", {}):
        raise E.vendor(VPC_CIDR_REQUIRED)


# -- operations


@operation(
    VPC,
    "CreateVpc",
    "POST",
    "/v1/{project_id}/vpcs",
    body=[
        Param(
            "vpc",
            STRUCT,
            required=True,
            fields=(
                Param(
                    "cidr",
                    check=check_vpc_cidr,
                    doc="10.0.0.0/8-24, 172.16.0.0/12-24 or 192.168.0.0/16-24.",
                ),
                name_param(),
                description_param(),
                Param("enterprise_project_id", max_length=36, pattern=f"0|{UUID_PATTERN}"),
                tags_param(),
            ),
        )
    ],
    rules=[Check(_require_cidr, "OpenECS requires vpc.cidr (VPC.0101)")],
)
def create_vpc(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Create a VPC: CREATING, then OK after a moment."""
    body = req.body["vpc"]
    extra: dict[str, Any] = {"enterprise_project_id": body.get("enterprise_project_id", "0")}
    if body.get("tags"):
        extra["tags"] = body["tags"]
    with call.db.write() as conn:
        _refuse_duplicate_name(conn, call, body.get("name", ""))
        vpc = network.create_vpc(
            conn,
            scope_of(call),
            vpc_id=huawei_id(),
            cidr_block=body["cidr"],
            name=body.get("name", ""),
            description=body.get("description", ""),
            now=call.clock.now(),
            ready_after=READY_AFTER,
            extra=extra,
        )
        return {"vpc": render_v1(conn, call, vpc)}


@operation(VPC, "ShowVpc", "GET", "/v1/{project_id}/vpcs/{vpc_id}")
def show_vpc(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query a VPC."""
    with call.db.read() as conn:
        return {
            "vpc": render_v1(conn, call, network.get_vpc(conn, scope_of(call), req.path["vpc_id"]))
        }


@operation(
    VPC,
    "ListVpcs",
    "GET",
    "/v1/{project_id}/vpcs",
    query=[
        limit_param(2000, 2**31 - 1, minimum=0),
        MARKER,
        Param("id", doc="Only the VPC with this id."),
        Param(
            "enterprise_project_id",
            doc='Only VPCs of this enterprise project; "all_granted_eps" for all.',
        ),
    ],
)
def list_vpcs(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query VPCs, paged by limit and marker."""
    q = req.query
    with call.db.read() as conn:
        vpcs = network.list_vpcs(conn, scope_of(call), ids=[q["id"]] if "id" in q else None)
        ep = q.get("enterprise_project_id")
        if ep is not None and ep != "all_granted_eps":
            vpcs = [v for v in vpcs if v.extra.get("enterprise_project_id", "0") == ep]
        page = page_after(vpcs, q.get("marker"), q["limit"], key=lambda v: v.id, errors=VPC.params)
        return {"vpcs": [render_v1(conn, call, v) for v in page]}


@operation(
    VPC,
    "UpdateVpc",
    "PUT",
    "/v1/{project_id}/vpcs/{vpc_id}",
    body=[
        Param(
            "vpc",
            STRUCT,
            required=True,
            fields=(
                name_param(),
                description_param(),
                Param("cidr", check=check_vpc_cidr),
                Param("routes", LIST, items=ROUTE),
            ),
        )
    ],
)
def update_vpc(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Update a VPC's name, description, CIDR block or routes."""
    body = req.body["vpc"]
    vpc_id = req.path["vpc_id"]
    scope = scope_of(call)
    with call.db.write() as conn:
        network.get_vpc(conn, scope, vpc_id, for_update=True)
        changes: dict[str, Any] = {"extra": {"updated_at": call.clock.now()}}
        if "name" in body:
            _refuse_duplicate_name(conn, call, body["name"], vpc_id)
            changes["name"] = body["name"]
        if "description" in body:
            changes["description"] = body["description"]
        if "cidr" in body:
            new = ipaddress.IPv4Network(body["cidr"])
            for subnet in network.list_subnets(conn, scope, vpc_id=vpc_id):
                if not ipaddress.IPv4Network(subnet.cidr_block).subnet_of(new):
                    raise E.vendor(VPC_CIDR_EXCLUDES_SUBNETS)
            changes["cidr_block"] = body["cidr"]
        if "routes" in body:
            changes["extra"]["routes"] = [
                {"destination": r["destination"], "nexthop": r["nexthop"]} for r in body["routes"]
            ]
        vpc = network.update_vpc(conn, scope, vpc_id, **changes)
        return {"vpc": render_v1(conn, call, vpc)}


@operation(VPC, "DeleteVpc", "DELETE", "/v1/{project_id}/vpcs/{vpc_id}", status=204)
def delete_vpc(call: Call, req: HuaweiArgs) -> tuple[int, None]:
    """Delete a VPC (refused while it has subnets)."""
    with call.db.write() as conn:
        network.delete_vpc(conn, scope_of(call), req.path["vpc_id"])
    return 204, None


@operation(VPC3, "ShowVpc", "GET", "/v3/{project_id}/vpc/vpcs/{vpc_id}")
def show_vpc_v3(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query a VPC (v3 shape: PENDING/ACTIVE, cloud resources, tags)."""
    with call.db.read() as conn:
        vpc = network.get_vpc(conn, scope_of(call), req.path["vpc_id"])
        return {"request_id": call.request_id, "vpc": render_v3(conn, call, vpc)}
