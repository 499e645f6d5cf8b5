"""ECS 2014-05-26 instance lifecycle: Start, Stop, Reboot and Delete, one instance or many.

The core moves an instance by compare-and-swap and the engine finishes each
move in engine-clock time (``boot_seconds``, ``stop_seconds``); a deletion
is released ``stop_seconds`` later, after which the instance is gone. An
instance in the wrong state answers ``IncorrectInstanceStatus`` (403), a
protected one ``InvalidOperation.DeletionProtection``, an expired subscription
that is asked to start ``InstanceExpiredOrInArrears`` and a subscription still
in service that is asked to go ``ChargeTypeViolation``. The batch forms take
``BatchOptimization``: ``AllTogether`` (the default) changes every instance
or none; ``SuccessFirst`` changes those it can and answers a code per
instance. The single-instance forms carry no RegionId: the instance is found
in whichever region holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from openecs.core import instances as core
from openecs.core import tags as core_tags
from openecs.core.errors import Conflict, DomainError
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.ecs.instances_describe import INSTANCE_ID, STATUS, find_instance
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.vpc.vpcs import scope
from openecs.faces.call import Call
from openecs.faces.params import BOOLEAN, LIST, Param

MAX_BATCH = 100
STOPPED_MODES = ("KeepCharging", "StopCharging")
BATCH = Param(
    "BatchOptimization",
    enum=("AllTogether", "SuccessFirst"),
    default="AllTogether",
    doc="AllTogether: every instance or none; SuccessFirst: each on its own, a code per instance.",
)
INSTANCE_IDS = Param(
    "InstanceId", LIST, required=True, items=Param("item", max_length=64), max_items=MAX_BATCH
)
STOPPED_MODE = Param(
    "StoppedMode",
    enum=STOPPED_MODES,
    doc="Shown as the instance's StoppedMode; nothing is billed either way.",
)
FORCE_STOP = Param("ForceStop", BOOLEAN, default=False, doc="Accepted; a stop takes stop_seconds.")

Action = Callable[[Connection, Call, core.Instance, dict[str, Any]], core.Instance]


def _start(conn: Connection, call: Call, vm: core.Instance, p: dict[str, Any]) -> core.Instance:
    return core.start(
        conn,
        scope(call, vm.region),
        vm.id,
        now=call.clock.now(),
        boot_seconds=call.runtime.settings.boot_seconds,
    )


def _stop(conn: Connection, call: Call, vm: core.Instance, p: dict[str, Any]) -> core.Instance:
    where = scope(call, vm.region)
    stopped = core.stop(
        conn, where, vm.id, now=call.clock.now(), stop_seconds=call.runtime.settings.stop_seconds
    )
    mode = p.get("StoppedMode") or "KeepCharging"
    if vm.extra.get("StoppedMode") != mode:
        core.update_instance(conn, where, vm.id, extra={"StoppedMode": mode})
    return stopped


def _reboot(conn: Connection, call: Call, vm: core.Instance, p: dict[str, Any]) -> core.Instance:
    return core.reboot(
        conn,
        scope(call, vm.region),
        vm.id,
        now=call.clock.now(),
        boot_seconds=call.runtime.settings.boot_seconds,
    )


def _releasable(vm: core.Instance, p: dict[str, Any]) -> None:
    """Refused for a subscription (PrePaid) unless it expired and TerminateSubscription says so:
    the vendor releases only pay-as-you-go instances and expired subscriptions."""
    expired = vm.extra.get(core.LOCK_REASON) == core.LOCKED_EXPIRED
    if vm.charge_type == "PrePaid" and not (expired and p.get("TerminateSubscription")):
        raise Conflict(
            "instance.charge_type_violation",
            f"The instance {vm.id} is a subscription in service.",
            id=vm.id,
        )


def _delete(conn: Connection, call: Call, vm: core.Instance, p: dict[str, Any]) -> core.Instance:
    """Delete one instance (:func:`_releasable` first)."""
    _releasable(vm, p)
    gone = core.delete_instance(
        conn,
        scope(call, vm.region),
        vm.id,
        now=call.clock.now(),
        after=call.runtime.settings.stop_seconds,
        force=bool(p.get("Force")),
    )
    core_tags.remove_tags(conn, vm.id)
    return gone


def _one(call: Call, p: dict[str, Any], act: Action) -> dict[str, Any]:
    """Apply ``act`` to the instance named by ``InstanceId``, in whichever region it is."""
    with call.db.write() as conn:
        vm = find_instance(conn, call, p["InstanceId"])
        if p.get("DryRun"):
            with conn.begin_nested() as trial:
                act(conn, call, vm, p)
                trial.rollback()
            common.dry_run(p)
        act(conn, call, vm, p)
    return {}


def _many(call: Call, p: dict[str, Any], act: Action) -> dict[str, Any]:
    """Apply ``act`` to each instance of ``InstanceId.N`` of the region, as BatchOptimization says."""
    where = scope(call, p["RegionId"])
    ids = list(dict.fromkeys(p["InstanceId"]))
    together = p.get("BatchOptimization", "AllTogether") == "AllTogether"
    results: list[dict[str, Any]] = []
    with call.db.write() as conn:
        if together or p.get("DryRun"):
            with conn.begin_nested() as trial:
                for iid in ids:
                    act(conn, call, core.get_instance(conn, where, iid), p)
                trial.rollback()
            common.dry_run(p)
        for iid in ids:
            try:
                with conn.begin_nested():
                    before = core.get_instance(conn, where, iid)
                    after = act(conn, call, before, p)
                results.append(_result(iid, "200", "success", STATUS[before.status], after))
            except DomainError as err:
                refusal = E.from_domain(err)
                results.append(_result(iid, refusal.code, refusal.message, "", None))
    return {"InstanceResponses": {"InstanceResponse": results}}


def _result(
    iid: str, code: str, message: str, previous: str, after: core.Instance | None
) -> dict[str, Any]:
    return {
        "InstanceId": iid,
        "Code": code,
        "Message": message,
        "PreviousStatus": previous,
        "CurrentStatus": STATUS[after.status] if after else "",
    }


ONE = [INSTANCE_ID, common.DRY_RUN, common.REGION_ID_IGNORED]
MANY = [common.REGION_ID, INSTANCE_IDS, common.DRY_RUN, BATCH]


@operation(
    "Ecs",
    "StartInstance",
    params=[*ONE, Param("InitLocalDisk", BOOLEAN, doc="Accepted: no instance has local disks.")],
)
def start_instance(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Start a Stopped instance: Starting, then Running after boot_seconds."""
    return _one(call, p, _start)


@operation("Ecs", "StartInstances", params=MANY)
def start_instances(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Start Stopped instances of a region."""
    return _many(call, p, _start)


@operation(
    "Ecs",
    "StopInstance",
    params=[
        *ONE,
        FORCE_STOP,
        STOPPED_MODE,
        Param("ConfirmStop", BOOLEAN, doc="Accepted; no instance has local disks."),
        Param("Hibernate", BOOLEAN, refused="hibernation is not modelled"),
    ],
)
def stop_instance(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Stop a Running instance: Stopping, then Stopped after stop_seconds."""
    return _one(call, p, _stop)


@operation("Ecs", "StopInstances", params=[*MANY, FORCE_STOP, STOPPED_MODE])
def stop_instances(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Stop Running instances of a region."""
    return _many(call, p, _stop)


@operation("Ecs", "RebootInstance", params=[*ONE, FORCE_STOP])
def reboot_instance(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Reboot a Running instance: it shows Starting until Running again."""
    return _one(call, p, _reboot)


@operation(
    "Ecs",
    "RebootInstances",
    params=[*MANY, Param("ForceReboot", BOOLEAN, default=False, doc="Accepted.")],
)
def reboot_instances(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Reboot Running instances of a region."""
    return _many(call, p, _reboot)


DELETE_PARAMS = [
    Param("Force", BOOLEAN, default=False, doc="true deletes an instance in any state."),
    Param("ForceStop", BOOLEAN, doc="Accepted; the stop before a forced deletion is immediate."),
    Param(
        "TerminateSubscription",
        BOOLEAN,
        doc="true releases an expired PrePaid instance; one in service is ChargeTypeViolation.",
    ),
]


@operation("Ecs", "DeleteInstance", params=[*ONE, *DELETE_PARAMS])
def delete_instance(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Delete a Stopped instance (any state with Force); it is gone after stop_seconds."""
    return _one(call, p, _delete)


@operation(
    "Ecs",
    "DeleteInstances",
    params=[common.REGION_ID, INSTANCE_IDS, common.DRY_RUN, common.CLIENT_TOKEN, *DELETE_PARAMS],
)
def delete_instances(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Delete instances of a region, every one or none."""
    # One core call for the whole batch (the first refusal in their order), not one each.
    where = scope(call, p["RegionId"])

    def delete(conn: Connection) -> None:
        core.delete_instances(
            conn,
            where,
            p["InstanceId"],
            now=call.clock.now(),
            after=call.runtime.settings.stop_seconds,
            force=bool(p.get("Force")),
            check=lambda vm: _releasable(vm, p),
        )

    with call.db.write() as conn:
        if p.get("DryRun"):
            with conn.begin_nested() as trial:
                delete(conn)
                trial.rollback()
            common.dry_run(p)
        delete(conn)
    return {}
