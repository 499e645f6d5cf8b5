"""EVS ShowVolume and ListVolumes (``/v2/{project_id}/cloudvolumes``): the project's disks.

The volumes are the core's disks of the project's servers (created with
them, named ``<server>-volume-NNNN`` in the server's AZ). Each is rendered in
EVS's volume shape: ``status`` ``in-use`` while attached, ``available`` once
its server was released without it; ``attachments`` naming the server and
device; ``bootable`` and ``shareable`` as the strings EVS sends; the system
disk's ``volume_image_metadata``; Cinder's metadata (``attached_mode``,
``readonly``, ``hw:passthrough`` for SCSI disks).

ListVolumes filters by every documented query parameter the model can
answer (name and status exactly, AZ, metadata given as a JSON object that
must be contained, multiattach, service_type, server_id, id or up to 60
``ids``, enterprise_project_id), sorts by ``sort_key``/``sort_dir`` (newest
first by default), then pages: after ``marker``, skipping ``offset``, at most
``limit`` (1-1000, default 1000). ``count`` is the number of matches before
paging. Disks are never in a dedicated storage pool, so a
``dedicated_storage_*`` filter matches none; volume type ids are not
modelled and are refused. Parameter errors are ``EVS.5400``; an unknown
volume is 404 ``EVS.5404``.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection

from openecs.core import catalog
from openecs.core import instances as inst
from openecs.core import volumes as core
from openecs.faces.call import Call
from openecs.faces.huawei.common import MARKER, limit_param, page_after, region_of
from openecs.faces.huawei.ecs.keypairs import nova_time, user_id
from openecs.faces.huawei.operations import EVS, HuaweiArgs, operation
from openecs.faces.huawei.vpc.vpcs import project_id_of, scope_of
from openecs.faces.params import BOOLEAN, INTEGER, Param, loads_json

PATH = "/v2/{project_id}/cloudvolumes"
STATUSES = {core.IN_USE: "in-use", core.AVAILABLE: "available"}
SORT_KEYS = ("id", "status", "size", "created_at")
SERVICE_TYPES = ("EVS", "DSS", "DESS")
IDS_MAX = 60
ALL_PROJECTS = "all_granted_eps"


def _check_metadata(value: str) -> None:
    try:
        decoded = loads_json(value)
    except ValueError:
        decoded = None
    if not isinstance(decoded, dict):
        EVS.params.invalid.raise_("metadata", value)


def parse_ids(value: str) -> list[str]:
    """``ids=['id1','id2']`` (quotes single or double) as a list of ids."""
    text = value.strip()
    if not (text.startswith("[") and text.endswith("]")):
        EVS.params.invalid.raise_("ids", value)
    items = [item.strip().strip("'\"") for item in text[1:-1].split(",")]
    ids = [item for item in items if item]
    if len(ids) > IDS_MAX:
        EVS.params.invalid.raise_("ids", value)
    return ids


QUERY = [
    MARKER,
    Param("name", max_length=255),
    limit_param(1000, 1000),
    Param("sort_key", enum=SORT_KEYS, default="created_at"),
    Param("sort_dir", enum=("desc", "asc"), default="desc"),
    Param("offset", INTEGER, minimum=0, doc="Matches to skip (after marker)."),
    Param("status"),
    Param("metadata", check=_check_metadata, doc='A JSON object, e.g. {"key":"value"}.'),
    Param("availability_zone"),
    Param("multiattach", BOOLEAN),
    Param("service_type", enum=SERVICE_TYPES),
    Param("dedicated_storage_id", doc="No disk is in a dedicated pool: matches none."),
    Param("dedicated_storage_name", doc="No disk is in a dedicated pool: matches none."),
    Param("volume_type_id", refused="volume type ids are not modelled"),
    Param("id"),
    Param("ids", check=parse_ids, doc=f"['id1','id2'], at most {IDS_MAX}; overrides id."),
    Param("enterprise_project_id", doc=f"{ALL_PROJECTS}: every enterprise project."),
    Param("server_id"),
]


def zone_of(volume: core.Volume) -> str:
    """A Huawei disk's AZ: the server's, kept in ``extra`` when its subnet is regional."""
    return volume.zone_id or volume.extra.get("availability_zone", "")


def _metadata(volume: core.Volume) -> dict[str, str]:
    out = {"__system__encrypted": "0", "attached_mode": "rw", "readonly": "False"}
    if volume.extra.get("passthrough"):
        out["hw:passthrough"] = "true"
    return out


def render(call: Call, volume: core.Volume, server: inst.Instance | None) -> dict[str, Any]:
    """One volume in EVS's shape; ``server`` is the one it is attached to, if any."""
    project = project_id_of(call)
    host = call.headers.get("host", "")
    shared = bool(volume.extra.get("multiattach"))
    out: dict[str, Any] = {
        "id": volume.id,
        "links": [
            {"href": f"http://{host}/v2/{project}/os-vendor-volumes/{volume.id}", "rel": "self"},
            {"href": f"http://{host}/{project}/os-vendor-volumes/{volume.id}", "rel": "bookmark"},
        ],
        "name": volume.name,
        "status": STATUSES.get(volume.status, volume.status),
        "attachments": [],
        "availability_zone": zone_of(volume),
        "os-vol-host-attr:host": "",
        "description": volume.description,
        "created_at": nova_time(volume.created_at),
        "updated_at": nova_time(volume.created_at),
        "volume_type": volume.category,
        "os-vol-tenant-attr:tenant_id": project,
        "size": volume.size,
        "metadata": _metadata(volume),
        "bootable": "true" if volume.bootable else "false",
        "encrypted": False,
        "replication_status": "disabled",
        "shareable": "true" if shared else "false",
        "multiattach": shared,
        "user_id": user_id(call),
        "service_type": "EVS",
        "tags": {},
        "wwn": "6888603000" + volume.id.replace("-", "")[:22],
        "enterprise_project_id": "0",
    }
    if server is not None:
        out["attachments"] = [
            {
                "id": volume.id,
                "attachment_id": volume.id,
                "volume_id": volume.id,
                "server_id": server.id,
                "device": volume.device,
                "host_name": "",
                "attached_at": nova_time(server.created_at),
            }
        ]
        out["enterprise_project_id"] = server.extra.get("enterprise_project_id", "0")
        image = catalog.huawei_image(region_of(call), server.image_id)
        if volume.bootable and image is not None:
            out["volume_image_metadata"] = {
                "image_id": image["id"],
                "image_name": image["name"],
                "__os_type": image.get("__os_type", ""),
                "__os_bit": image.get("__os_bit", ""),
                "__imagetype": image.get("__imagetype", ""),
                "min_disk": str(image.get("min_disk", 0)),
            }
    return out


def _servers(conn: Connection, call: Call, found: list[core.Volume]) -> dict[str, inst.Instance]:
    ids = sorted({v.instance_id for v in found if v.instance_id})
    return {s.id: s for s in inst.list_instances(conn, scope_of(call), ids=ids)} if ids else {}


@operation(EVS, "ShowVolume", "GET", PATH + "/{volume_id}")
def show_volume(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query one disk's details."""
    with call.db.read() as conn:
        volume = core.get_volume(conn, scope_of(call), req.path["volume_id"])
        servers = _servers(conn, call, [volume])
    server = servers.get(volume.instance_id or "")
    return {"volume": render(call, volume, server)}


def _matches(q: dict[str, Any], volume: core.Volume, server: inst.Instance | None) -> bool:
    wanted_meta = json.loads(q["metadata"]) if "metadata" in q else {}
    project = server.extra.get("enterprise_project_id", "0") if server else "0"
    checks = [
        q.get("name") in (None, volume.name),
        q.get("status") in (None, STATUSES.get(volume.status, volume.status)),
        q.get("availability_zone") in (None, zone_of(volume)),
        q.get("multiattach") in (None, bool(volume.extra.get("multiattach"))),
        q.get("service_type") in (None, "EVS"),
        q.get("server_id") in (None, volume.instance_id),
        q.get("enterprise_project_id") in (None, ALL_PROJECTS, project),
        "dedicated_storage_id" not in q and "dedicated_storage_name" not in q,
        all(_metadata(volume).get(k) == v for k, v in wanted_meta.items()),
    ]
    return all(checks)


@operation(EVS, "ListVolumes", "GET", PATH + "/detail", query=QUERY)
def list_volumes(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query the project's disks in detail: filtered, sorted and paged."""
    q = req.query
    ids = parse_ids(q["ids"]) if "ids" in q else ([q["id"]] if "id" in q else None)
    with call.db.read() as conn:
        found = core.list_volumes(conn, scope_of(call), ids=ids)
        servers = _servers(conn, call, found)
    matched = [v for v in found if _matches(q, v, servers.get(v.instance_id or ""))]

    def sort_value(v: core.Volume) -> Any:
        return {"id": v.id, "status": v.status, "size": v.size, "created_at": v.created_at}[
            q["sort_key"]
        ]

    matched.sort(key=lambda v: (sort_value(v), v.id), reverse=q["sort_dir"] == "desc")
    after = page_after(
        matched, q.get("marker"), len(matched), key=lambda v: v.id, errors=EVS.params
    )
    page = after[q.get("offset", 0) :][: q["limit"]]
    answer: dict[str, Any] = {
        "count": len(matched),
        "volumes": [render(call, v, servers.get(v.instance_id or "")) for v in page],
    }
    if len(page) == q["limit"] and len(after) > q.get("offset", 0) + len(page):
        host, project = call.headers.get("host", ""), project_id_of(call)
        answer["volumes_links"] = [
            {
                "href": f"http://{host}/v2/{project}/cloudvolumes/detail"
                f"?limit={q['limit']}&marker={page[-1].id}",
                "rel": "next",
            }
        ]
    return answer
