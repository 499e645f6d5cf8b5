"""Server metadata: UpdateServerMetadata and DeleteServerMetadata (v1), and the rules they
share with Nova's metadata API (``nova_metadata``).

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
server shows the metadata, and so does Nova's API. Each change is a
compare-and-swap on the server (``instances.modify_extra``): concurrent
updates all land.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from openecs.core import catalog
from openecs.core import instances as inst
from openecs.faces.call import Call
from openecs.faces.huawei import errors as E
from openecs.faces.huawei.common import region_of
from openecs.faces.huawei.ecs.servers_read import STATES, system_metadata
from openecs.faces.huawei.operations import ECS, HuaweiArgs, operation
from openecs.faces.huawei.vpc.vpcs import scope_of
from openecs.faces.params import STRUCT, ErrorSpec, Param

KEY = re.compile(r"[A-Za-z0-9_:.-]{1,255}")
VALUE_MAX = 255
MAX_ITEMS = 128  # Nova's maxServerMeta
SETTLED_VM_STATES = ("active", "stopped")  # also paused and suspended, which OpenECS never is


@dataclass(frozen=True)
class Refusals:
    """How an API words the metadata refusals (``{reason}``; ``{id}``, ``{state}``; ``{key}``)."""

    invalid: ErrorSpec
    status: ErrorSpec
    item_not_found: ErrorSpec


V1 = Refusals(
    invalid=ErrorSpec("Ecs.0005", "{reason}"),
    status=ErrorSpec(
        "Ecs.0100", "The ECS status does not meet requirements: server [{id}] is {state}."
    ),
    item_not_found=ErrorSpec(
        "Ecs.0005", "Metadata item [{key}] of server [{id}] was not found.", 404
    ),
)


def pairs_param(name: str, refusals: Refusals, doc: str = "") -> Param:
    """A required body object of metadata pairs, checked as the vendor allows them."""

    def check(value: dict[str, Any]) -> None:
        for key, item in value.items():
            if not KEY.fullmatch(key):
                refusals.invalid.raise_(name, reason=f"metadata key [{key}] is invalid.")
            if not isinstance(item, str) or len(item) > VALUE_MAX:
                refusals.invalid.raise_(name, reason=f"metadata value of [{key}] is invalid.")

    rules = "key: 1..255 of A-Z a-z 0-9 - _ : .; value: a string of at most 255 characters."
    return Param(name, STRUCT, required=True, check=check, doc=doc or rules)


def reserved(server: inst.Instance, key: str) -> bool:
    """Whether ``key`` is one the cloud keeps for itself."""
    return key.startswith("metering.") or key in system_metadata(server, None)


def full_metadata(call: Call, server: inst.Instance) -> dict[str, str]:
    image = catalog.huawei_image(region_of(call), server.image_id)
    return {**system_metadata(server, image), **server.extra.get("metadata", {})}


def _changeable(server: inst.Instance, keys: list[str], refusals: Refusals) -> None:
    vm_state = STATES[server.status][1]
    if vm_state not in SETTLED_VM_STATES or server.status == inst.DELETING:
        raise E.vendor(refusals.status, id=server.id, state=vm_state)
    for key in keys:
        if reserved(server, key):
            refusals.invalid.raise_(key, reason=f"metadata key [{key}] is reserved by the system.")


def update_pairs(
    call: Call, server_id: str, given: dict[str, str], refusals: Refusals
) -> dict[str, str]:
    """Add or overwrite ``given``; answers the server's whole metadata afterwards."""
    with call.db.write() as conn:
        server = inst.get_instance(conn, scope_of(call), server_id)
        _changeable(server, list(given), refusals)
        if given:

            def merge(current: dict[str, str] | None) -> dict[str, str]:
                merged = {**(current or {}), **given}
                if len(merged) > MAX_ITEMS:
                    reason = f"a server holds at most {MAX_ITEMS} metadata items."
                    refusals.invalid.raise_("metadata", reason=reason)
                return merged

            server = inst.modify_extra(conn, scope_of(call), server_id, "metadata", merge)
        return full_metadata(call, server)


def delete_pair(call: Call, server_id: str, key: str, refusals: Refusals) -> None:
    """Delete one user pair; ``item_not_found`` when the server does not have it."""
    with call.db.write() as conn:
        server = inst.get_instance(conn, scope_of(call), server_id)
        _changeable(server, [key], refusals)

        def without(current: dict[str, str] | None) -> dict[str, str]:
            if key not in (current or {}):
                raise E.vendor(refusals.item_not_found, key=key, id=server_id)
            return {k: v for k, v in (current or {}).items() if k != key}

        inst.modify_extra(conn, scope_of(call), server_id, "metadata", without)


BODY = [pairs_param("metadata", V1)]


@operation(
    ECS, "UpdateServerMetadata", "POST", "/v1/{project_id}/cloudservers/{server_id}/metadata",
    body=BODY,
)  # fmt: skip
def update_server_metadata(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Add or overwrite user metadata pairs; answers the server's whole metadata."""
    return {"metadata": update_pairs(call, req.path["server_id"], req.body["metadata"], V1)}


@operation(
    ECS, "DeleteServerMetadata", "DELETE",
    "/v1/{project_id}/cloudservers/{server_id}/metadata/{key}", status=204,
)  # fmt: skip
def delete_server_metadata(call: Call, req: HuaweiArgs) -> None:
    """Delete one user metadata pair; 404 when the server does not have the key."""
    delete_pair(call, req.path["server_id"], req.path["key"], V1)
