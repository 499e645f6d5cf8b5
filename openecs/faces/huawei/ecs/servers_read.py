"""ShowServer: one server in huaweicloudsdkecs' ServerDetail shape.

The core's states are spelled the Nova way: ``status`` (BUILD, ACTIVE,
SHUTOFF, REBOOT), ``OS-EXT-STS:vm_state``, ``OS-EXT-STS:task_state`` and
``OS-EXT-STS:power_state``. A server that does not exist (not yet, or no
longer) answers 404 ``Ecs.0114``, which is how clients poll for deletion.

(The module's name sorts after ``flavors``: routes match in registration
order, and ``cloudservers/flavors`` must be tried before ``cloudservers/{server_id}``.)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from openecs.core import catalog, interfaces
from openecs.core import instances as inst
from openecs.core import security_groups as sg
from openecs.core import tags as core_tags
from openecs.faces.call import Call
from openecs.faces.huawei.common import region_of
from openecs.faces.huawei.operations import ECS, HuaweiArgs, operation
from openecs.faces.huawei.vpc.vpcs import project_id_of, scope_of

# core state -> (status, vm_state, task_state, power_state)
STATES: dict[str, tuple[str, str, str | None, int]] = {
    inst.PENDING: ("BUILD", "building", "spawning", 0),
    inst.STARTING: ("BUILD", "building", "spawning", 0),
    inst.RUNNING: ("ACTIVE", "active", None, 1),
    inst.STOPPING: ("ACTIVE", "active", "powering-off", 1),
    inst.STOPPED: ("SHUTOFF", "stopped", None, 4),
    inst.REBOOTING: ("REBOOT", "active", "rebooting", 1),
    inst.DELETING: ("ACTIVE", "active", "deleting", 1),
}


def rfc3339(seconds: float | None) -> str:
    """A Huawei ECS time: UTC, RFC 3339 with a ``Z`` ("" when unset)."""
    if seconds is None:
        return ""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def system_metadata(server: inst.Instance, image: dict[str, Any] | None) -> dict[str, str]:
    """The metadata the cloud keeps for itself; users cannot set or delete these keys."""
    x = server.extra
    out = {
        "charging_mode": "1" if x.get("charging_mode") == "prePaid" else "0",
        "vpc_id": server.vpc_id,
        "metering.image_id": server.image_id,
        "metering.imagetype": (image or {}).get("__imagetype", "gold"),
        "metering.resourcespeccode": f"{server.instance_type}.linux",
        "metering.resourcetype": "1",
        "image_name": (image or {}).get("name", ""),
        "os_type": (image or {}).get("__os_type", "Linux"),
        "os_bit": (image or {}).get("__os_bit", "64"),
    }
    if x.get("order_id"):
        out["metering.order_id"] = x["order_id"]
    return out


def _metadata(server: inst.Instance, image: dict[str, Any] | None) -> dict[str, str]:
    return {**system_metadata(server, image), **server.extra.get("metadata", {})}


def render(conn: Connection, call: Call, server: inst.Instance) -> dict[str, Any]:
    """One server in the ServerDetail shape."""
    return render_many(conn, call, [server])[0]


def render_many(
    conn: Connection, call: Call, servers: Sequence[inst.Instance]
) -> list[dict[str, Any]]:
    """Servers in the ServerDetail shape, their ports, groups, disks and tags read in batches
    (a page costs the same few statements however many servers it shows)."""
    scope = scope_of(call)
    ids = [s.id for s in servers]
    ports = interfaces.interfaces_of_devices(conn, scope, ids)
    group_ids = sorted({g for nics in ports.values() for p in nics for g in p.security_group_ids})
    groups = sg.list_groups(conn, scope, ids=group_ids) if group_ids else []
    disks = inst.disks_of(conn, ids)
    tags = core_tags.tags_of(conn, ids)
    out = []
    for server in servers:
        mine = {g for p in ports[server.id] for g in p.security_group_ids}
        shown = [g for g in groups if g.id in mine]  # in list_groups' order, as one by one
        out.append(
            _rendered(call, server, ports[server.id], shown, disks[server.id], tags[server.id])
        )
    return out


def _rendered(
    call: Call,
    server: inst.Instance,
    ports: list[interfaces.Interface],
    groups: list[sg.SecurityGroup],
    disks: list[dict[str, Any]],
    tags: list[core_tags.Tag],
) -> dict[str, Any]:
    region = region_of(call)
    flavor = catalog.huawei_flavor(region, server.instance_type) or {}
    image = catalog.huawei_image(region, server.image_id)
    status, vm_state, task_state, power = STATES[server.status]
    x = server.extra
    return {
        "id": server.id,
        "name": server.name,
        "description": x.get("description", ""),
        "status": status,
        "OS-EXT-STS:vm_state": vm_state,
        "OS-EXT-STS:task_state": task_state,
        "OS-EXT-STS:power_state": power,
        "progress": 100 if status != "BUILD" else 0,
        "created": rfc3339(server.created_at),
        "updated": rfc3339(server.started_at or server.created_at),
        "OS-SRV-USG:launched_at": rfc3339(server.started_at),
        "OS-SRV-USG:terminated_at": "",
        "tenant_id": project_id_of(call),
        "user_id": str(call.account.id),
        "hostId": "",
        "host_status": "UP",
        "OS-EXT-AZ:availability_zone": x.get("availability_zone") or server.zone_id,
        "OS-EXT-SRV-ATTR:hostname": server.hostname,
        "OS-EXT-SRV-ATTR:instance_name": server.name,
        "OS-EXT-SRV-ATTR:host": "",
        "OS-EXT-SRV-ATTR:hypervisor_hostname": "",
        "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
        "OS-EXT-SRV-ATTR:user_data": server.user_data,
        "OS-EXT-SRV-ATTR:launch_index": 0,
        "OS-EXT-SRV-ATTR:reservation_id": x.get("reservation_id", ""),
        "OS-DCF:diskConfig": "MANUAL",
        "accessIPv4": "",
        "accessIPv6": "",
        "config_drive": "",
        "key_name": server.key_pair_name,
        "locked": False,
        "image": {"id": server.image_id},
        "flavor": {
            "id": server.instance_type,
            "name": flavor.get("name", server.instance_type),
            "vcpus": str(flavor.get("vcpus", "")),
            "ram": str(flavor.get("ram", "")),
            "disk": str(flavor.get("disk", "0")),
        },
        "addresses": {
            server.vpc_id: [
                {
                    "version": "4",
                    "addr": p.primary_ip,
                    "primary": p.type == "primary",
                    "OS-EXT-IPS:type": "fixed",
                    "OS-EXT-IPS-MAC:mac_addr": p.mac_address,
                    "OS-EXT-IPS:port_id": p.id,
                }
                for p in sorted(ports, key=lambda p: p.type != "primary")
            ]
        },
        "security_groups": [{"id": g.id, "name": g.name} for g in groups],
        "os-extended-volumes:volumes_attached": [
            {
                "id": d["id"],
                "delete_on_termination": str(bool(d["delete_with_instance"])),
                "bootIndex": "0" if d["type"] == "system" else "-1",
                "device": d["device"],
            }
            for d in disks
        ],
        "metadata": _metadata(server, image),
        "tags": [f"{k}={v}" for k, v in tags],
        "enterprise_project_id": x.get("enterprise_project_id", "0"),
        "sys_tags": [{"key": "_sys_enterprise_project_id", "value": "0"}],
    }


@operation(ECS, "ShowServer", "GET", "/v1/{project_id}/cloudservers/{server_id}")
def show_server(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query one server's details."""
    with call.db.read() as conn:
        server = inst.get_instance(conn, scope_of(call), req.path["server_id"])
        return {"server": render(conn, call, server)}
