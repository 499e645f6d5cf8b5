"""Disks on their own: created empty, attached to an instance, detached, resized, deleted.

An instance's system disk and data disks are created with it and released
with it (:mod:`openecs.core.instances`); this module is everything else a
disk goes through. Its states, in engine-clock time::

    creating --> available --> attaching --> in_use --> detaching --> available ...
                     \\--> (deleted)

Every change reads the disk under a row lock (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite has one writer), so two requests cannot both take an
available disk or both hand out the last device of an instance; attaching
also locks the instance row, which serialises the device and count rules of
one instance. A timed step only moves a disk that is still in the state it
expects, so a step overtaken by another change does nothing.

Vendor rules (how many data disks an instance takes, which categories its
type attaches, the size limits) come from the face as arguments.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from openecs.core import instances as core_instances
from openecs.core import tags as core_tags
from openecs.core.errors import Conflict, Invalid, NotFound, QuotaExceeded
from openecs.core.network import Scope
from openecs.engine.tasks import TaskContext, handler, schedule
from openecs.store.tables import disks, instances

CREATING = "creating"
AVAILABLE = "available"
ATTACHING = "attaching"
IN_USE = "in_use"
DETACHING = "detaching"

SYSTEM = "system"
DATA = "data"

TRANSITION_TASK = "disk.transition"
TAGGED = "disk"  # the core's resource type in the tags table

# Device names a data disk may take on an instance (the system disk has /dev/xvda).
DEVICE_PATTERN = re.compile(r"/dev/xvd[b-z]")
_DEVICES = [f"/dev/xvd{c}" for c in "bcdefghijklmnopqrstuvwxyz"]
# The instance states a disk may be attached to or detached from.
_ATTACHABLE = (core_instances.RUNNING, core_instances.STOPPED)


@dataclass(frozen=True)
class Disk:
    id: str
    cloud: str
    account_id: int
    region: str
    zone_id: str
    instance_id: str | None
    type: str
    category: str
    size: int
    device: str | None
    delete_with_instance: bool
    status: str
    name: str
    description: str
    created_at: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def bootable(self) -> bool:
        return self.type == SYSTEM


def from_row(row: Any) -> Disk:
    """A disk from its ``disks`` row (also read by :mod:`openecs.core.volumes`)."""
    values = dict(row._mapping)
    values["delete_with_instance"] = bool(values["delete_with_instance"])
    values["extra"] = json.loads(values["extra"])
    return Disk(**values)


def scoped(scope: Scope) -> Any:
    """The ``disks`` rows of one cloud, account and region."""
    return scope.rows(disks)


def _locked(conn: Connection, query: Any) -> Any:
    return query.with_for_update() if conn.dialect.name != "sqlite" else query


# -- reading


def get_disk(conn: Connection, scope: Scope, disk_id: str, *, for_update: bool = False) -> Disk:
    query = scoped(scope).where(disks.c.id == disk_id)
    row = conn.execute(_locked(conn, query) if for_update else query).first()
    if row is None:
        raise NotFound("disk.not_found", f"The disk {disk_id} does not exist.", id=disk_id)
    return from_row(row)


def list_disks(
    conn: Connection,
    scope: Scope,
    *,
    ids: Sequence[str] | None = None,
    instance_id: str | None = None,
) -> list[Disk]:
    """The scope's disks, oldest first; an instance's own disks system disk first, by device."""
    query = scoped(scope)
    if ids is not None:
        query = query.where(disks.c.id.in_(list(ids)))
    if instance_id is not None:
        query = query.where(disks.c.instance_id == instance_id)
    query = query.order_by(disks.c.created_at, disks.c.id)
    return sorted((from_row(r) for r in conn.execute(query)), key=sort_key)


def sort_key(disk: Disk) -> str:
    """The disks' order as a string key (creation, then system disk first, device, id)."""
    rank = 0 if disk.type == SYSTEM else 1
    return f"{disk.created_at:020.6f}|{rank}|{disk.device or ''}|{disk.id}"


# -- creation and deletion


def create_disk(
    conn: Connection,
    scope: Scope,
    *,
    disk_id: str,
    zone_id: str,
    category: str,
    size: int,
    now: float,
    ready_after: float,
    name: str = "",
    description: str = "",
    extra: dict[str, Any] | None = None,
) -> Disk:
    """A new data disk, ``creating`` until the engine makes it ``available``."""
    conn.execute(
        insert(disks).values(
            id=disk_id,
            cloud=scope.cloud,
            account_id=scope.account_id,
            region=scope.region,
            zone_id=zone_id,
            instance_id=None,
            type=DATA,
            category=category,
            size=size,
            device=None,
            delete_with_instance=0,
            status=CREATING,
            name=name,
            description=description,
            created_at=now,
            extra=json.dumps(extra or {}),
        )
    )
    _after(conn, disk_id, CREATING, AVAILABLE, now + ready_after)
    return get_disk(conn, scope, disk_id)


def delete_disk(conn: Connection, scope: Scope, disk_id: str) -> None:
    """Delete an available disk and its tags."""
    disk = get_disk(conn, scope, disk_id, for_update=True)
    _require(disk, (AVAILABLE,))
    conn.execute(delete(disks).where(disks.c.id == disk.id))
    core_tags.remove_tags(conn, disk.id)


# -- attaching and detaching


def attach(
    conn: Connection,
    scope: Scope,
    disk_id: str,
    instance_id: str,
    *,
    now: float,
    after: float,
    delete_with_instance: bool,
    max_data_disks: int,
    categories: Sequence[str],
    device: str | None = None,
) -> Disk:
    """Begin attaching an available data disk to a running or stopped instance of its zone.

    ``categories`` are the disk categories the instance's type attaches as data disks.
    """
    vm = _lock_instance(conn, scope, instance_id)
    disk = get_disk(conn, scope, disk_id, for_update=True)
    if disk.type != DATA:
        raise Conflict("disk.not_portable", f"The disk {disk.id} is not portable.", id=disk.id)
    _require(disk, (AVAILABLE,))
    if vm.status not in _ATTACHABLE:
        raise Conflict(
            "disk.instance_status",
            f"The instance {vm.id} is {vm.status}; a disk attaches to a running or stopped one.",
            id=vm.id,
            status=vm.status,
        )
    if disk.zone_id != vm.zone_id:
        raise Conflict(
            "disk.zone_mismatch",
            f"The disk {disk.id} is in {disk.zone_id}, the instance in {vm.zone_id}.",
            id=disk.id,
        )
    if disk.category not in categories:
        raise Conflict(
            "disk.category_unsupported",
            f"The instance type {vm.instance_type} does not attach {disk.category} disks.",
            category=disk.category,
        )
    held = list_disks(conn, scope, instance_id=vm.id)
    if sum(1 for d in held if d.type == DATA) >= max_data_disks:
        raise QuotaExceeded(
            "disk.instance_limit",
            f"The instance {vm.id} has {max_data_disks} data disks already.",
            limit=max_data_disks,
        )
    taken = {d.device for d in held}
    if device is not None:
        if not DEVICE_PATTERN.fullmatch(device):
            raise Invalid("disk.device_malformed", f"{device} is not a device name.", device=device)
        if device in taken:
            raise Conflict("disk.device_in_use", f"{device} is taken.", device=device)
    else:
        device = next(d for d in _DEVICES if d not in taken)
    conn.execute(
        update(disks)
        .where(disks.c.id == disk.id)
        .values(
            instance_id=vm.id,
            device=device,
            status=ATTACHING,
            delete_with_instance=int(delete_with_instance),
            extra=json.dumps({**disk.extra, "AttachedAt": now}),
        )
    )
    _after(conn, disk.id, ATTACHING, IN_USE, now + after, instance_id=vm.id)
    return get_disk(conn, scope, disk.id)


def detach(
    conn: Connection,
    scope: Scope,
    disk_id: str,
    instance_id: str,
    *,
    now: float,
    after: float,
    delete_with_instance: bool | None = None,
) -> Disk:
    """Begin detaching a data disk in use by a running or stopped instance."""
    vm = _lock_instance(conn, scope, instance_id)
    disk = get_disk(conn, scope, disk_id, for_update=True)
    if disk.instance_id != vm.id:
        if disk.instance_id is None:
            raise Conflict(
                "disk.already_detached", f"The disk {disk.id} is not attached.", id=disk.id
            )
        raise Conflict(
            "disk.other_instance",
            f"The disk {disk.id} is not attached to {vm.id}.",
            id=disk.id,
        )
    if disk.type != DATA:
        raise Conflict("disk.system", f"The disk {disk.id} is a system disk.", id=disk.id)
    if disk.status == DETACHING:
        raise Conflict("disk.detaching", f"The disk {disk.id} is detaching.", id=disk.id)
    _require(disk, (IN_USE,))
    _require_instance(vm, _ATTACHABLE)
    values: dict[str, Any] = {"status": DETACHING}
    if delete_with_instance is not None:
        values["delete_with_instance"] = int(delete_with_instance)
    conn.execute(update(disks).where(disks.c.id == disk.id).values(**values))
    _after(conn, disk.id, DETACHING, AVAILABLE, now + after, instance_id=vm.id)
    return get_disk(conn, scope, disk.id)


def _require_instance(vm: core_instances.Instance, allowed: Sequence[str]) -> None:
    """The instance's own state rule (``instance.incorrect_status``)."""
    if vm.status not in allowed:
        raise Conflict(
            "instance.incorrect_status",
            f"The instance {vm.id} is {vm.status}; this needs {' or '.join(allowed)}.",
            id=vm.id,
            status=vm.status,
        )


# -- attributes and size


def update_disk(conn: Connection, scope: Scope, disk_id: str, **changes: Any) -> Disk:
    """Change a disk's name, description, delete_with_instance or extra (merged key by key)."""
    disk = get_disk(conn, scope, disk_id, for_update=True)
    values = {k: v for k, v in changes.items() if k in ("name", "description")}
    if "delete_with_instance" in changes:
        values["delete_with_instance"] = int(changes["delete_with_instance"])
    if "extra" in changes:
        values["extra"] = json.dumps({**disk.extra, **changes["extra"]})
    if values:
        conn.execute(update(disks).where(disks.c.id == disk.id).values(**values))
    return get_disk(conn, scope, disk.id)


def resize(
    conn: Connection,
    scope: Scope,
    disk_id: str,
    new_size: int,
    *,
    max_size: int,
    online: bool,
) -> Disk:
    """Grow a disk to ``new_size`` GiB (never shrink).

    Offline: the disk is available, or in use by a running or stopped instance
    (the instance sees the new size after a restart). Online: the disk is in use
    by a running instance.
    """
    disk = get_disk(conn, scope, disk_id, for_update=True)
    if new_size <= disk.size:
        raise Invalid(
            "disk.size_too_small",
            f"The disk {disk.id} has {disk.size} GiB; the new size must be larger.",
            size=disk.size,
        )
    if new_size > max_size:
        raise Invalid("disk.size_too_large", f"At most {max_size} GiB.", limit=max_size)
    allowed = (IN_USE,) if online else (AVAILABLE, IN_USE)
    if disk.status not in allowed:
        raise Conflict("disk.resize_status", f"The disk {disk.id} is {disk.status}.", id=disk.id)
    if disk.status == IN_USE:
        vm = _lock_instance(conn, scope, disk.instance_id or "")
        if vm.status not in ((core_instances.RUNNING,) if online else _ATTACHABLE):
            raise Conflict("disk.resize_status", f"The instance {vm.id} is {vm.status}.", id=vm.id)
    conn.execute(update(disks).where(disks.c.id == disk.id).values(size=new_size))
    return get_disk(conn, scope, disk.id)


# -- helpers and the timed steps


def _require(disk: Disk, allowed: Sequence[str]) -> None:
    if disk.status == CREATING and CREATING not in allowed:
        raise Conflict(
            "disk.initializing", f"The disk {disk.id} is still being created.", id=disk.id
        )
    if disk.status not in allowed:
        raise Conflict(
            "disk.incorrect_status",
            f"The disk {disk.id} is {disk.status}; this needs {' or '.join(allowed)}.",
            id=disk.id,
            status=disk.status,
        )


def _lock_instance(conn: Connection, scope: Scope, instance_id: str) -> core_instances.Instance:
    """The instance, its row locked until the transaction ends (NotFound if it is not there)."""
    query = (
        select(instances.c.id)
        .where(instances.c.cloud == scope.cloud)
        .where(instances.c.account_id == scope.account_id)
        .where(instances.c.region == scope.region)
        .where(instances.c.id == instance_id)
    )
    conn.execute(_locked(conn, query)).first()
    return core_instances.get_instance(conn, scope, instance_id)


def _after(
    conn: Connection,
    disk_id: str,
    expect: str,
    to: str,
    due_at: float,
    *,
    instance_id: str | None = None,
) -> None:
    """Schedule the step ``expect -> to``; an attach or detach step names its instance."""
    payload = {"id": disk_id, "expect": expect, "to": to, "instance": instance_id}
    schedule(conn, TRANSITION_TASK, payload, due_at)


@handler(TRANSITION_TASK)
def _transition(ctx: TaskContext, payload: dict[str, Any]) -> None:
    """A timed step, only if the disk is still where the step expects it (and, attaching or
    detaching, still with the instance it names: a step of an attach the instance's release
    cut short does not finish a later attach to another instance).

    A detach that completes frees the disk of its instance and device and
    records when it was detached.
    """
    row = ctx.conn.execute(
        _locked(ctx.conn, select(disks).where(disks.c.id == payload["id"]))
    ).first()
    if row is None or row.status != payload["expect"]:
        return
    if payload.get("instance") is not None and row.instance_id != payload["instance"]:
        return
    values: dict[str, Any] = {"status": payload["to"]}
    if payload["expect"] == DETACHING:
        extra = {**json.loads(row.extra), "DetachedAt": ctx.now}
        values.update(instance_id=None, device=None, extra=json.dumps(extra))
    ctx.conn.execute(
        update(disks)
        .where(disks.c.id == payload["id"])
        .where(disks.c.status == payload["expect"])
        .values(**values)
    )
