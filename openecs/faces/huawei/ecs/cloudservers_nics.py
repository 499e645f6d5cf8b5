"""BatchAddServerNics and BatchDeleteServerNics: a server's extra NICs, as jobs.

Both are asynchronous as on the vendor's cloud: the answer is a ``job_id``
(one sub-job per NIC) that settles once every NIC reached its state (see
:func:`openecs.core.jobs.create_nic_job`). A NIC added with ``subnet_id``
is a new port, made in the request's transaction with its address claimed
(so a refused request allocates nothing); one added with ``port_id`` is an
existing port, which must be DOWN (attached to nothing) and in the server's
VPC. Deleting a NIC detaches it; a port the addition made is then deleted,
an existing port is left DOWN (so too when the server is deleted). The
server keeps at most its flavor's ``quota:vif_max_num`` NICs, and its
primary NIC is never deleted. Every NIC is a port of
GET /v1/{project_id}/ports while it exists.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from openecs.core import catalog, interfaces, jobs, network
from openecs.core import instances as inst
from openecs.core import security_groups as sg
from openecs.core.errors import NotFound
from openecs.core.ids import huawei_id
from openecs.faces.call import Call
from openecs.faces.huawei.common import region_of
from openecs.faces.huawei.operations import ECS, HuaweiArgs, operation
from openecs.faces.huawei.vpc.security_groups import ensure_default_group
from openecs.faces.huawei.vpc.vpcs import scope_of
from openecs.faces.params import BOOLEAN, LIST, STRUCT, ErrorSpec, Param

MAX_PER_REQUEST = 12  # NICs of one request (a server's NICs at creation, the same bound)
SETTLED = (inst.RUNNING, inst.STOPPED)  # ACTIVE or SHUTOFF
PARAM = ErrorSpec("Ecs.0005", "{reason}")
NO_IPV6 = "IPv6 is not modelled"

_GROUP = Param(
    "security_group", STRUCT, fields=(Param("id", required=True, min_length=1, max_length=36),)
)
ADD_BODY = [
    Param(
        "nics",
        LIST,
        required=True,
        min_items=1,
        max_items=MAX_PER_REQUEST,
        items=Param(
            "nic",
            STRUCT,
            fields=(
                Param("subnet_id", min_length=1, max_length=36),
                Param("port_id", min_length=1, max_length=36),
                Param("security_groups", LIST, items=_GROUP),
                Param("ip_address", max_length=64),
                Param("ipv6_enable", BOOLEAN, refused=NO_IPV6),
                Param("ipv6_bandwidth", STRUCT, refused=NO_IPV6),
                Param("efi_enable", BOOLEAN, refused="EFI NICs are not modelled"),
            ),
        ),
    )
]
DELETE_BODY = [
    Param(
        "nics",
        LIST,
        required=True,
        min_items=1,
        max_items=MAX_PER_REQUEST,
        items=Param(
            "nic", STRUCT, fields=(Param("id", required=True, min_length=1, max_length=36),)
        ),
    )
]


def _refuse(reason: str) -> None:
    PARAM.raise_("nics", reason=reason)


def _server(conn: Connection, call: Call, server_id: str) -> inst.Instance:
    """The caller's server, settled (ACTIVE or SHUTOFF): NICs change only on such a server."""
    server = inst.get_instance(conn, scope_of(call), server_id)
    if server.status not in SETTLED:
        _refuse(f"server [{server_id}] is {server.status}; NICs change only when it is settled.")
    return server


def _nic_limit(server: inst.Instance) -> int:
    flavor = catalog.huawei_flavor(server.region, server.instance_type) or {}
    return int(flavor.get("os_extra_specs", {}).get("quota:vif_max_num", MAX_PER_REQUEST))


def _new_port(
    conn: Connection, call: Call, server: inst.Instance, nic: dict[str, Any], now: float
) -> interfaces.Interface:
    scope = scope_of(call)
    subnet = network.get_subnet(conn, scope, nic["subnet_id"])
    if subnet.vpc_id != server.vpc_id:
        _refuse(f"subnet [{subnet.id}] is not in the server's vpc [{server.vpc_id}].")
    groups = [g["id"] for g in nic.get("security_groups", [])]
    if not groups:
        groups = [ensure_default_group(conn, scope, now).id]
    for gid in groups:
        sg.get_group(conn, scope, gid)
    port = interfaces.create_interface(
        conn,
        scope,
        interface_id=huawei_id(),
        subnet_id=subnet.id,
        now=now,
        primary_ip=nic.get("ip_address") or None,
        group_ids=groups,
        # A port the addition made goes with the server, as its first NIC does.
        extra={
            "device_owner": f"compute:{server.zone_id}",
            "added_with_server": True,
            "delete_on_release": True,
        },
    )
    return port


def _existing_port(
    conn: Connection, call: Call, server: inst.Instance, port_id: str
) -> interfaces.Interface:
    port = interfaces.get_interface(conn, scope_of(call), port_id, for_update=True)
    if port.status != interfaces.AVAILABLE or port.device_id:
        _refuse(f"port [{port_id}] is not DOWN.")
    if port.vpc_id != server.vpc_id:
        _refuse(f"port [{port_id}] is not in the server's vpc [{server.vpc_id}].")
    return port


def _job(
    conn: Connection, call: Call, job_type: str, server_id: str, nic_ids: list[str], now: float
) -> jobs.Job:
    """The job of a NIC request: it settles when the NICs' attach or detach ends."""
    settle_at = now + interfaces.ATTACH_SECONDS
    return jobs.create_nic_job(
        conn,
        call.account.id,
        region_of(call),
        job_type,
        server_id,
        nic_ids,
        now=now,
        settle_at=settle_at,
    )


@operation(
    ECS,
    "BatchAddServerNics",
    "POST",
    "/v1/{project_id}/cloudservers/{server_id}/nics",
    body=ADD_BODY,
)
def batch_add_server_nics(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Add NICs to a server, asynchronously: answers a job."""
    nics = req.body["nics"]
    for nic in nics:
        if not nic.get("subnet_id") and not nic.get("port_id"):
            _refuse("subnet_id and port_id cannot both be empty.")
    now = call.clock.now()
    with call.db.write() as conn:
        server = _server(conn, call, req.path["server_id"])
        scope = scope_of(call)
        held = len(interfaces.list_interfaces(conn, scope, device_id=server.id))
        limit = _nic_limit(server)
        if held + len(nics) > limit:
            _refuse(f"the server can have at most {limit} NICs; it has {held}.")
        ids = []
        for nic in nics:
            # The vendor uses port_id when both are given.
            if nic.get("port_id"):
                port = _existing_port(conn, call, server, nic["port_id"])
            else:
                port = _new_port(conn, call, server, nic, now)
            interfaces.attach(
                conn,
                scope,
                port.id,
                instance_id=server.id,
                # Each attach bumps the server's version once: this request's own attaches.
                instance_version=server.version + len(ids),
                # A regional subnet (no AZ) serves every zone.
                zone_id=server.zone_id if port.zone_id else "",
                vpc_id=server.vpc_id,
                limit=limit,
                now=now,
            )
            ids.append(port.id)
        job = _job(conn, call, jobs.ADD_NICS, server.id, ids, now)
    return {"job_id": job.id}


@operation(
    ECS,
    "BatchDeleteServerNics",
    "POST",
    "/v1/{project_id}/cloudservers/{server_id}/nics/delete",
    body=DELETE_BODY,
)
def batch_delete_server_nics(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Delete (detach) NICs of a server, asynchronously: answers a job."""
    ids = [n["id"] for n in req.body["nics"]]
    if len(set(ids)) != len(ids):
        _refuse("a NIC is named twice.")
    now = call.clock.now()
    with call.db.write() as conn:
        server = _server(conn, call, req.path["server_id"])
        scope = scope_of(call)
        for port_id in ids:
            try:
                port = interfaces.get_interface(conn, scope, port_id, for_update=True)
            except NotFound:
                _refuse(f"nic [{port_id}] is not found.")
            if port.device_id != server.id:
                _refuse(f"nic [{port_id}] is not attached to server [{server.id}].")
            if port.type == "primary":
                _refuse(f"nic [{port_id}] is the primary NIC and cannot be deleted.")
            if port.status != interfaces.IN_USE:
                _refuse(f"nic [{port_id}] is still being attached or detached.")
            interfaces.detach(
                conn,
                scope,
                port_id,
                instance_id=server.id,
                now=now,
                delete_after=bool(port.extra.get("added_with_server")),
            )
        job = _job(conn, call, jobs.DELETE_NICS, server.id, ids, now)
    return {"job_id": job.id}
