"""Server metadata through the native OpenStack (Nova v2.1) API.

``GET /v2.1/{project_id}/servers/{server_id}/metadata`` and ``.../{key}``
read what the v1 API and GET server show; ``POST .../metadata`` adds and
overwrites pairs (``{"metadata": {...}}``), ``PUT .../metadata/{key}`` sets
one (``{"meta": {key: value}}``: exactly one pair, whose key is the path's),
``DELETE .../metadata/{key}`` removes one (204). The rules are the v1 API's
(``server_metadata``); the refusals are Nova fault bodies: ``badRequest``
400, ``itemNotFound`` 404 for an unknown server or key, and
``conflictingRequest`` 409 for a server that is not settled. (The vendor's
PUT that replaces all metadata is discarded and not offered.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from openecs.core import instances as inst
from openecs.core.errors import NotFound
from openecs.faces.call import Call
from openecs.faces.huawei import errors as E
from openecs.faces.huawei.ecs import server_metadata as shared
from openecs.faces.huawei.ecs.keypairs import NOVA
from openecs.faces.huawei.operations import HuaweiArgs, operation
from openecs.faces.huawei.vpc.vpcs import scope_of
from openecs.faces.params import ErrorSpec

T = TypeVar("T")
PATH = "/v2.1/{project_id}/servers/{server_id}/metadata"
SERVER_NOT_FOUND = ErrorSpec("itemNotFound", "Instance {id} could not be found.", 404)
REFUSALS = shared.Refusals(
    invalid=ErrorSpec("badRequest", "Invalid input for field/attribute {name}: {reason}"),
    status=ErrorSpec(
        "conflictingRequest",
        "Cannot 'update metadata' instance {id} while it is in vm_state {state}",
        409,
    ),
    item_not_found=ErrorSpec("itemNotFound", "Metadata item was not found", 404),
)


def _known(call: Call, server_id: str, act: Callable[[], T]) -> T:
    """``act()``, with an unknown server answered as Nova's ``itemNotFound``."""
    try:
        return act()
    except NotFound as err:
        if err.reason != "instance.not_found":
            raise
        raise E.vendor(SERVER_NOT_FOUND, id=server_id) from None


def _metadata_of(call: Call, server_id: str) -> dict[str, str]:
    with call.db.read() as conn:
        server = inst.get_instance(conn, scope_of(call), server_id)
    return shared.full_metadata(call, server)


def _one_pair(meta: dict[str, Any], path_key: str) -> None:
    if len(meta) != 1:
        REFUSALS.invalid.raise_("meta", reason="Request body contains too many items.")
    if path_key not in meta:
        REFUSALS.invalid.raise_("meta", reason="Request body and URI mismatch.")


@operation(NOVA, "NovaShowServerMetadata", "GET", PATH)
def nova_show_server_metadata(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query a server's metadata (native OpenStack API)."""
    sid = req.path["server_id"]
    return {"metadata": _known(call, sid, lambda: _metadata_of(call, sid))}


@operation(NOVA, "NovaShowServerMetadataItem", "GET", PATH + "/{key}")
def nova_show_server_metadata_item(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query one metadata item of a server by its key (native OpenStack API)."""
    sid, key = req.path["server_id"], req.path["key"]
    metadata = _known(call, sid, lambda: _metadata_of(call, sid))
    if key not in metadata:
        raise E.vendor(REFUSALS.item_not_found)
    return {"meta": {key: metadata[key]}}


@operation(
    NOVA, "NovaUpdateServerMetadata", "POST", PATH,
    body=[shared.pairs_param("metadata", REFUSALS)],
)  # fmt: skip
def nova_update_server_metadata(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Add or overwrite metadata pairs (native OpenStack API); answers the whole metadata."""
    sid, given = req.path["server_id"], req.body["metadata"]
    return {"metadata": _known(call, sid, lambda: shared.update_pairs(call, sid, given, REFUSALS))}


@operation(
    NOVA, "NovaUpdateServerMetadataItem", "PUT", PATH + "/{key}",
    body=[shared.pairs_param("meta", REFUSALS, doc="Exactly one pair, whose key is the path's.")],
)  # fmt: skip
def nova_update_server_metadata_item(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Set one metadata item (native OpenStack API)."""
    sid, key, meta = req.path["server_id"], req.path["key"], req.body["meta"]
    _one_pair(meta, key)
    _known(call, sid, lambda: shared.update_pairs(call, sid, meta, REFUSALS))
    return {"meta": meta}


@operation(NOVA, "NovaDeleteServerMetadataItem", "DELETE", PATH + "/{key}", status=204)
def nova_delete_server_metadata_item(call: Call, req: HuaweiArgs) -> None:
    """Delete one metadata item (native OpenStack API)."""
    sid, key = req.path["server_id"], req.path["key"]
    _known(call, sid, lambda: shared.delete_pair(call, sid, key, REFUSALS))
