"""Server metadata: UpdateServerMetadata and DeleteServerMetadata (v1), and Nova's reads.

A server's metadata is what the cloud keeps for itself (``charging_mode``,
``vpc_id``, ``metering.*``, ``image_name``, ``os_type``, ``os_bit``: see
``servers_read.system_metadata``) plus the pairs users set, kept in the
server's ``extra``. Users cannot set or delete the cloud's own keys.

The v1 update adds and overwrites pairs and answers the server's whole
metadata, as Nova does; an empty ``metadata`` changes nothing. It and the
delete need the server settled (vm_state active or stopped), else
``Ecs.0100``. A key must be 1-255 letters, digits, ``-``, ``_``, ``:`` or
``.``, a value a string of at most 255 characters, and a server holds at
most 128 user pairs (Nova's ``maxServerMeta``). The delete answers 204, or
404 for a key the server does not have. The ECS SDK has no v1 read: GET
server shows the metadata, and so do Nova's ``GET /v2.1/{project_id}/servers/
{server_id}/metadata[/{key}]``, which answer Nova fault bodies.
"""

from __future__ import annotations

import re
from typing import Any

from openecs.core import catalog
from openecs.core import instances as inst
from openecs.core.errors import NotFound
from openecs.faces.call import Call
from openecs.faces.huawei import errors as E
from openecs.faces.huawei.common import region_of
from openecs.faces.huawei.ecs.keypairs import NOVA
from openecs.faces.huawei.ecs.servers_read import STATES, system_metadata
from openecs.faces.huawei.operations import ECS, HuaweiArgs, operation
from openecs.faces.huawei.vpc.vpcs import scope_of
from openecs.faces.params import STRUCT, ErrorSpec, Param

KEY = re.compile(r"[A-Za-z0-9_:.-]{1,255}")
VALUE_MAX = 255
MAX_ITEMS = 128  # Nova's maxServerMeta
SETTLED_VM_STATES = ("active", "stopped")  # also paused and suspended, which OpenECS never is

PARAM = ErrorSpec("Ecs.0005", "{reason}")
STATUS = ErrorSpec(
    "Ecs.0100", "The ECS status does not meet requirements: server [{id}] is {state}."
)
ITEM_NOT_FOUND = ErrorSpec("Ecs.0005", "Metadata item [{key}] of server [{id}] was not found.", 404)
NOVA_SERVER_NOT_FOUND = ErrorSpec("itemNotFound", "Instance {id} could not be found.", 404)
NOVA_ITEM_NOT_FOUND = ErrorSpec("itemNotFound", "Metadata item was not found", 404)


def _check_pairs(value: dict[str, Any]) -> None:
    for key, item in value.items():
        if not KEY.fullmatch(key):
            PARAM.raise_("metadata", reason=f"metadata key [{key}] is invalid.")
        if not isinstance(item, str) or len(item) > VALUE_MAX:
            PARAM.raise_("metadata", reason=f"metadata value of [{key}] is invalid.")


BODY = [
    Param(
        "metadata",
        STRUCT,
        required=True,
        check=_check_pairs,
        doc="key: 1..255 of A-Z a-z 0-9 - _ : .; value: a string of at most 255 characters.",
    )
]


def reserved(server: inst.Instance, key: str) -> bool:
    """Whether ``key`` is one the cloud keeps for itself."""
    return key.startswith("metering.") or key in system_metadata(server, None)


def full_metadata(call: Call, server: inst.Instance) -> dict[str, str]:
    image = catalog.huawei_image(region_of(call), server.image_id)
    return {**system_metadata(server, image), **server.extra.get("metadata", {})}


def _settled(server: inst.Instance) -> None:
    vm_state = STATES[server.status][1]
    if vm_state not in SETTLED_VM_STATES or server.status == inst.DELETING:
        raise E.vendor(STATUS, id=server.id, state=vm_state)


@operation(
    ECS, "UpdateServerMetadata", "POST", "/v1/{project_id}/cloudservers/{server_id}/metadata",
    body=BODY,
)  # fmt: skip
def update_server_metadata(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Add or overwrite user metadata pairs; answers the server's whole metadata."""
    given: dict[str, str] = req.body["metadata"]
    server_id = req.path["server_id"]
    with call.db.write() as conn:
        server = inst.get_instance(conn, scope_of(call), server_id)
        _settled(server)
        for key in given:
            if reserved(server, key):
                PARAM.raise_("metadata", reason=f"metadata key [{key}] is reserved by the system.")
        if given:

            def merge(current: dict[str, str] | None) -> dict[str, str]:
                merged = {**(current or {}), **given}
                if len(merged) > MAX_ITEMS:
                    PARAM.raise_(
                        "metadata", reason=f"a server holds at most {MAX_ITEMS} metadata items."
                    )
                return merged

            server = inst.modify_extra(conn, scope_of(call), server_id, "metadata", merge)
        return {"metadata": full_metadata(call, server)}


@operation(
    ECS, "DeleteServerMetadata", "DELETE",
    "/v1/{project_id}/cloudservers/{server_id}/metadata/{key}", status=204,
)  # fmt: skip
def delete_server_metadata(call: Call, req: HuaweiArgs) -> None:
    """Delete one user metadata pair; 404 when the server does not have the key."""
    key, server_id = req.path["key"], req.path["server_id"]
    with call.db.write() as conn:
        server = inst.get_instance(conn, scope_of(call), server_id)
        _settled(server)
        if reserved(server, key):
            PARAM.raise_("key", reason=f"metadata key [{key}] is reserved by the system.")

        def without(current: dict[str, str] | None) -> dict[str, str]:
            if key not in (current or {}):
                raise E.vendor(ITEM_NOT_FOUND, key=key, id=server_id)
            return {k: v for k, v in (current or {}).items() if k != key}

        inst.modify_extra(conn, scope_of(call), server_id, "metadata", without)


def _nova_server(call: Call, server_id: str) -> inst.Instance:
    with call.db.read() as conn:
        try:
            return inst.get_instance(conn, scope_of(call), server_id)
        except NotFound:
            raise E.vendor(NOVA_SERVER_NOT_FOUND, id=server_id) from None


@operation(NOVA, "NovaShowServerMetadata", "GET", "/v2.1/{project_id}/servers/{server_id}/metadata")
def nova_show_server_metadata(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query a server's metadata (native OpenStack API)."""
    return {"metadata": full_metadata(call, _nova_server(call, req.path["server_id"]))}


@operation(
    NOVA, "NovaShowServerMetadataItem", "GET",
    "/v2.1/{project_id}/servers/{server_id}/metadata/{key}",
)  # fmt: skip
def nova_show_server_metadata_item(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query one metadata item of a server by its key (native OpenStack API)."""
    metadata = full_metadata(call, _nova_server(call, req.path["server_id"]))
    key = req.path["key"]
    if key not in metadata:
        raise E.vendor(NOVA_ITEM_NOT_FOUND)
    return {"meta": {key: metadata[key]}}
