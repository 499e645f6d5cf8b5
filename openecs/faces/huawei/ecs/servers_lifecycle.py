"""BatchStartServers, BatchStopServers, BatchRebootServers and DeleteServers, each as a job.

All four answer ``{"job_id"}`` at once (HTTP 200, as the vendor documents and
the Terraform provider requires) while the core moves each server by
compare-and-swap and the engine finishes the move in engine-clock time; the
job has a sub-job per server and settles when each server reached the state
it awaits (running, stopped, gone). The three actions share one route,
``POST /v1/{project_id}/cloudservers/action``, told apart by the body's key
(``os-start``, ``os-stop``, ``reboot``): exactly one must be given.

A batch changes every server or none: a server that does not exist answers
404 ``Ecs.0114``, one whose state does not allow the operation (stopping a
server that is not running, starting one that is not stopped, deleting one
that is being deleted) 400 ``Ecs.0100``, and in both cases nothing changed and
no job was written. At most 1000 servers per batch (``Ecs.0118``). A deletion
takes running servers too; it releases the ports created with the server and
the system disk, and the data disks only with ``delete_volume=true``
(otherwise they stay, detached and available).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection

from openecs.core import instances as inst
from openecs.core import jobs
from openecs.core import tags as core_tags
from openecs.faces.call import Call
from openecs.faces.huawei.common import region_of
from openecs.faces.huawei.operations import ECS, HuaweiArgs, operation
from openecs.faces.huawei.vpc.vpcs import scope_of
from openecs.faces.params import BOOLEAN, LIST, STRUCT, Check, ErrorSpec, Param

MAX_BATCH = 1000
ACTION_TYPES = ("SOFT", "HARD")
TOO_MANY = ErrorSpec("Ecs.0118", "The number of ECSs is greater than the maximum number {limit}.")
ONE_ACTION = ErrorSpec(
    "Ecs.0005", "Request parameter error. Give exactly one of os-start, os-stop and reboot."
)


def _servers(doc: str) -> Param:
    return Param(
        "servers",
        LIST,
        required=True,
        min_items=1,
        max_items=MAX_BATCH,
        too_many=TOO_MANY,
        items=Param(
            "server", STRUCT, fields=(Param("id", required=True, min_length=1, max_length=64),)
        ),
        doc=doc,
    )


SERVERS = _servers(f"The servers, [{{id}}], 1..{MAX_BATCH}; a repeated id counts once.")
ACTIONS = {
    "os-start": "batchStartServers",
    "os-stop": "batchStopServers",
    "reboot": "batchRebootServers",
}


def _one_action(values: Mapping[str, Any]) -> None:
    if sum(1 for key in ACTIONS if key in values) != 1:
        ONE_ACTION.raise_("action")


# A move of one server at engine time ``now``: the job that watches it settles at ``now`` plus
# the move's duration, due with (and scheduled after) the move's own step.
Move = Callable[[Connection, Call, str, float], inst.Instance]


def _start(conn: Connection, call: Call, server_id: str, now: float) -> inst.Instance:
    boot = call.runtime.settings.boot_seconds
    return inst.start(conn, scope_of(call), server_id, now=now, boot_seconds=boot)


def _stop(conn: Connection, call: Call, server_id: str, now: float) -> inst.Instance:
    took = call.runtime.settings.stop_seconds
    return inst.stop(conn, scope_of(call), server_id, now=now, stop_seconds=took)


def _reboot(conn: Connection, call: Call, server_id: str, now: float) -> inst.Instance:
    boot = call.runtime.settings.boot_seconds
    return inst.reboot(conn, scope_of(call), server_id, now=now, boot_seconds=boot)


def _batch(call: Call, job_type: str, ids: list[str], move: Move, took: float) -> dict[str, Any]:
    """Move every server of ``ids`` or none, and write the job that watches them."""
    ids = list(dict.fromkeys(ids))
    now = call.clock.now()
    with call.db.write() as conn:
        for server_id in ids:
            move(conn, call, server_id, now)
        job = jobs.create_job(
            conn, call.account.id, region_of(call), job_type, ids, now=now, settle_at=now + took
        )
    return {"job_id": job.id}


@operation(
    ECS,
    "BatchStartServers, BatchStopServers, BatchRebootServers",
    "POST",
    "/v1/{project_id}/cloudservers/action",
    body=[
        Param("os-start", STRUCT, fields=(SERVERS,), doc="Start stopped servers."),
        Param(
            "os-stop",
            STRUCT,
            fields=(
                SERVERS,
                Param("type", enum=ACTION_TYPES, default="SOFT", doc="SOFT or HARD; both stop."),
            ),
            doc="Stop running servers.",
        ),
        Param(
            "reboot",
            STRUCT,
            fields=(
                SERVERS,
                Param("type", required=True, enum=ACTION_TYPES, doc="SOFT or HARD."),
            ),
            doc="Reboot running servers.",
        ),
    ],
    rules=[Check(_one_action, "exactly one of os-start, os-stop, reboot (Ecs.0005)")],
)
def batch_server_action(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Start, stop or reboot servers in a batch, asynchronously: answers a job."""
    settings = call.runtime.settings
    (key,) = [k for k in ACTIONS if k in req.body]
    ids = [s["id"] for s in req.body[key]["servers"]]
    if key == "os-start":
        return _batch(call, ACTIONS[key], ids, _start, settings.boot_seconds)
    if key == "os-stop":
        return _batch(call, ACTIONS[key], ids, _stop, settings.stop_seconds)
    return _batch(call, ACTIONS[key], ids, _reboot, settings.boot_seconds)


@operation(
    ECS,
    "DeleteServers",
    "POST",
    "/v1/{project_id}/cloudservers/delete",
    body=[
        _servers(f"The servers to delete, [{{id}}], 1..{MAX_BATCH}."),
        Param(
            "delete_publicip",
            BOOLEAN,
            default=False,
            doc="EIPs are not modelled (none can be bound), so there is none to delete.",
        ),
        Param(
            "delete_volume",
            BOOLEAN,
            default=False,
            doc="true: delete the data disks too; false: detach them (they stay available).",
        ),
    ],
)
def delete_servers(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Delete servers (running or not), asynchronously: answers a job."""
    keep_volumes = not req.body["delete_volume"]
    after = call.runtime.settings.stop_seconds

    def delete(conn: Connection, call: Call, server_id: str, now: float) -> inst.Instance:
        where = scope_of(call)
        if keep_volumes:
            inst.keep_data_disks(conn, where, server_id)
        gone = inst.delete_instance(conn, where, server_id, now=now, after=after, force=True)
        core_tags.remove_tags(conn, server_id)
        return gone

    ids = [s["id"] for s in req.body["servers"]]
    return _batch(call, "deleteServer", ids, delete, after)
