"""Instances (Alibaba) and servers (Huawei): their records and their lifecycle in time.

An instance is created ``pending`` with its primary network interface (an
address from its subnet, its security groups), its system disk and its data
disks, in one transaction. From then on it moves through the core's states
driven by the durable task engine, in engine-clock time::

    pending --> starting --> running --> stopping --> stopped --> starting ...
                                 \\--> rebooting --> running
    any settled state --> deleting --> (gone)

Every change of state is a compare-and-swap on (status, version): an
operation that finds the instance in another state than it expects is
refused (``instance.incorrect_status``), and a timed transition whose
instance moved on meanwhile does nothing. The faces spell the states their
vendor's way (Pending/Starting/Running/Stopping/Stopped; BUILD/ACTIVE/
SHUTOFF/REBOOT and the OS-EXT-STS pair).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, insert, select, tuple_, update

from openecs.core import interfaces, network
from openecs.core import tags as core_tags
from openecs.core.errors import Conflict, NotFound, QuotaExceeded
from openecs.core.frozen import built
from openecs.core.network import Scope
from openecs.engine.tasks import TaskContext, batch_handler, handler, schedule, schedule_many
from openecs.store.prepared import Prepared
from openecs.store.tables import disks, instances
from openecs.store.tables import tags as tag_rows

PENDING = "pending"
STARTING = "starting"
RUNNING = "running"
STOPPING = "stopping"
STOPPED = "stopped"
REBOOTING = "rebooting"
DELETING = "deleting"

TAGGED = "instance"  # the core's resource type of an instance's (a server's) tags
TRANSITION_TASK = "instance.transition"
RELEASE_TASK = "instance.release"

# Why an instance is locked (``extra``): an expired subscription, a spot instance being reclaimed.
LOCK_REASON = "lock_reason"
LOCKED_EXPIRED = "financial"
LOCKED_RECYCLING = "recycling"

# The states a forced deletion takes an instance from (without force: only stopped).
_DELETABLE = (STOPPED, RUNNING, PENDING, STARTING, STOPPING, REBOOTING)
# The share of the boot time spent pending before the instance shows as starting.
_PENDING_SHARE = 0.3
# How often a step may find its predecessor still uncommitted before it gives up.
_MAX_STEP_RETRIES = 1000


@dataclass(frozen=True)
class DiskSpec:
    type: str  # system | data
    category: str
    size: int
    delete_with_instance: bool = True
    name: str = ""
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # The guest's device name in the vendor's spelling; None: the core's /dev/xvdX by position.
    device: str | None = None


@dataclass(frozen=True)
class InstanceSpec:
    """Everything a face decided about one new instance."""

    instance_id: str
    interface_id: str
    zone_id: str
    subnet_id: str
    instance_type: str
    image_id: str
    name: str
    hostname: str
    disks: Sequence[tuple[str, DiskSpec]]  # (disk id, spec); the system disk first
    description: str = ""
    group_ids: Sequence[str] = ()
    primary_ip: str | None = None
    key_pair_name: str | None = None
    password_hash: str | None = None
    user_data: str | None = None
    charge_type: str = "PostPaid"
    deletion_protection: bool = False
    expires_at: float | None = None
    auto_release_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    ipv6: interfaces.Ipv6Request | None = None  # IPv6 addresses of the primary interface


@dataclass(frozen=True)
class Instance:
    id: str
    cloud: str
    account_id: int
    region: str
    zone_id: str
    name: str
    hostname: str
    description: str
    instance_type: str
    image_id: str
    status: str
    vpc_id: str
    subnet_id: str
    key_pair_name: str | None
    password_hash: str | None
    user_data: str | None
    charge_type: str
    deletion_protection: bool
    created_at: float
    started_at: float | None
    expires_at: float | None
    auto_release_at: float | None
    version: int
    extra: dict[str, Any] = field(default_factory=dict)


def _instance(row: Any) -> Instance:
    values = dict(row._mapping)
    values["deletion_protection"] = bool(values["deletion_protection"])
    values["extra"] = orjson.loads(values["extra"])  # a few times faster than json.loads
    return _built(values)


def _built(values: dict[str, Any]) -> Instance:
    """An Instance from every one of its fields (a row of ``instances`` holds exactly them)."""
    return built(Instance, values)


def _with(instance: Instance, **changes: Any) -> Instance:
    """``dataclasses.replace`` without the frozen ``__init__`` (see :func:`_built`)."""
    return _built({**instance.__dict__, **changes})


def _scoped(scope: Scope) -> Any:
    return scope.rows(instances)


# -- creation


def create_instances(
    conn: Connection,
    scope: Scope,
    specs: Sequence[InstanceSpec],
    *,
    now: float,
    boot_seconds: float,
    boot: bool = True,
    tags: Sequence[core_tags.Tag] = (),
    tag_limit: int | None = None,
) -> list[Instance]:
    """Create every instance of a batch, or none: one transaction, one refusal rolls back all.

    ``boot=False`` leaves each instance Stopped once created (Alibaba's CreateInstance)
    instead of starting it. ``tags`` are set on every new instance (at most ``tag_limit``
    keys). A batch costs a fixed number of statements, whatever its size: every check
    first (each subnet read once), then one executemany per table.
    """
    if not specs:
        return []
    subnets = _subnets_for(conn, scope, specs)
    interfaces.create_interfaces(
        conn,
        scope,
        [
            interfaces.NewInterface(
                interface_id=spec.interface_id,
                subnet_id=spec.subnet_id,
                group_ids=spec.group_ids,
                device_id=spec.instance_id,
                primary_ip=spec.primary_ip,
                ipv6=spec.ipv6,
            )
            for spec in specs
        ],
        now=now,
        status=interfaces.IN_USE,
        type="primary",
        extra={"delete_on_release": True},
    )
    conn.execute(
        insert(instances),
        [_instance_row(scope, spec, subnets[spec.subnet_id], now) for spec in specs],
    )
    disk_rows = [
        _disk_row(scope, spec, n, disk_id, disk, now)
        for spec in specs
        for n, (disk_id, disk) in enumerate(spec.disks)
    ]
    if disk_rows:
        conn.execute(insert(disks), disk_rows)
    schedule_many(
        conn, [task for spec in specs for task in _first_steps(spec, now, boot_seconds, boot)]
    )
    ids = [spec.instance_id for spec in specs]
    if tags:
        _tag_new(conn, scope, ids, tags, tag_limit)
    made = {vm.id: vm for vm in list_instances(conn, scope, ids=ids)}
    return [made[i] for i in ids]


def _subnets_for(
    conn: Connection, scope: Scope, specs: Sequence[InstanceSpec]
) -> dict[str, network.Subnet]:
    """Each spec's subnet (read once per subnet), refused when it is in another zone."""
    subnets: dict[str, network.Subnet] = {}
    for spec in specs:
        subnet = subnets.get(spec.subnet_id)
        if subnet is None:
            subnet = subnets[spec.subnet_id] = network.get_subnet(conn, scope, spec.subnet_id)
        if subnet.zone_id and subnet.zone_id != spec.zone_id:  # "" is a regional subnet
            raise Conflict(
                "instance.zone_mismatch",
                f"The subnet {subnet.id} is in {subnet.zone_id}, not {spec.zone_id}.",
                subnet=subnet.id,
                zone=spec.zone_id,
            )
    return subnets


def _instance_row(
    scope: Scope, spec: InstanceSpec, subnet: network.Subnet, now: float
) -> dict[str, Any]:
    return {
        "id": spec.instance_id,
        "cloud": scope.cloud,
        "account_id": scope.account_id,
        "region": scope.region,
        "zone_id": spec.zone_id,
        "name": spec.name,
        "hostname": spec.hostname,
        "description": spec.description,
        "instance_type": spec.instance_type,
        "image_id": spec.image_id,
        "status": PENDING,
        "vpc_id": subnet.vpc_id,
        "subnet_id": subnet.id,
        "key_pair_name": spec.key_pair_name,
        "password_hash": spec.password_hash,
        "user_data": spec.user_data,
        "charge_type": spec.charge_type,
        "deletion_protection": int(spec.deletion_protection),
        "created_at": now,
        "started_at": None,
        "expires_at": spec.expires_at,
        "auto_release_at": spec.auto_release_at,
        "version": 1,
        "extra": json.dumps(spec.extra),
    }


def _disk_row(
    scope: Scope, spec: InstanceSpec, position: int, disk_id: str, disk: DiskSpec, now: float
) -> dict[str, Any]:
    """The row of an instance's disk: its device is the spec's, or /dev/xvdX by position."""
    return {
        "id": disk_id,
        "cloud": scope.cloud,
        "account_id": scope.account_id,
        "region": scope.region,
        "zone_id": spec.zone_id,
        "instance_id": spec.instance_id,
        "type": disk.type,
        "category": disk.category,
        "size": disk.size,
        "device": disk.device or f"/dev/xvd{chr(ord('a') + position)}",
        "delete_with_instance": int(disk.delete_with_instance),
        "status": "in_use",
        "name": disk.name,
        "description": disk.description,
        "created_at": now,
        "extra": json.dumps(disk.extra),
    }


def _first_steps(
    spec: InstanceSpec, now: float, boot_seconds: float, boot: bool
) -> list[tuple[str, dict[str, Any], float]]:
    """A new instance's timed steps (its boot, or its way to Stopped), then its auto-release."""
    pending_ends = now + boot_seconds * _PENDING_SHARE
    iid = spec.instance_id
    if boot:
        steps = [
            _step(iid, PENDING, STARTING, pending_ends),
            _step(iid, STARTING, RUNNING, now + boot_seconds, before=PENDING),
        ]
    else:
        steps = [_step(iid, PENDING, STOPPED, pending_ends)]
    if spec.auto_release_at is not None:
        steps.append(_auto_release(iid, spec.auto_release_at))
    return steps


def _tag_new(
    conn: Connection,
    scope: Scope,
    instance_ids: Sequence[str],
    pairs: Sequence[core_tags.Tag],
    limit: int | None,
) -> None:
    """The same tags on each new instance, as :func:`core_tags.set_tags` sets them on an
    untagged resource (a key given twice keeps its first place and its last value)."""
    wanted = dict(pairs)
    if limit is not None and len(wanted) > limit:
        raise QuotaExceeded(
            "tags.too_many",
            f"A resource can have at most {limit} tags.",
            limit=limit,
            id=instance_ids[0],
        )
    conn.execute(
        insert(tag_rows),
        [
            {
                "resource_id": iid,
                "key": key,
                "value": value,
                "resource_type": TAGGED,
                "account_id": scope.account_id,
                "position": position,
            }
            for iid in instance_ids
            for position, (key, value) in enumerate(wanted.items(), start=1)
        ],
    )


# -- reading


def get_instance(conn: Connection, scope: Scope, instance_id: str) -> Instance:
    row = scope.row_by_id(instances).first(conn, {"id": instance_id})
    if row is None:
        raise _not_found(instance_id)
    return _instance(row)


# One of an account's instances, in whichever region: an id names one in all of them.
_OWNED_BY = (
    instances.c.id == bindparam("b_id"),
    instances.c.cloud == bindparam("b_cloud"),
    instances.c.account_id == bindparam("b_account"),
)
_OWNED = select(instances).where(*_OWNED_BY)
_GET_OWNED = {False: Prepared(_OWNED), True: Prepared(_OWNED.with_for_update())}


def get_owned(
    conn: Connection, cloud: str, account_id: int, instance_id: str, *, for_update: bool = False
) -> Instance:
    """One of the account's instances in whichever region: an id names one in all of them.
    ``for_update`` holds its row to the transaction's end, as :func:`lock_instance` does."""
    params = {"b_id": instance_id, "b_cloud": cloud, "b_account": account_id}
    row = _GET_OWNED[for_update].first(conn, params)
    if row is None:
        raise _not_found(instance_id)
    return _instance(row)


def _not_found(instance_id: str) -> NotFound:
    return NotFound(
        "instance.not_found", f"The instance {instance_id} does not exist.", id=instance_id
    )


def lock_instance(conn: Connection, scope: Scope, instance_id: str) -> Instance:
    """Read an instance and hold its row until the transaction ends.

    For changes kept outside the instance's row (its tags): two writers of one
    instance take turns, the second reading what the first committed.
    (SQLite has one writer at a time anyway and ignores the lock.)
    """
    row = scope.row_by_id(instances, for_update=True).first(conn, {"id": instance_id})
    if row is None:
        return get_instance(conn, scope, instance_id)  # raises instance.not_found
    return _instance(row)


def find(conn: Connection, instance_id: str) -> Instance | None:
    """An instance by id in any account and region: the engine's and the admin endpoints' view."""
    row = conn.execute(select(instances).where(instances.c.id == instance_id)).first()
    return None if row is None else _instance(row)


def list_instances(
    conn: Connection, scope: Scope, *, ids: Sequence[str] | None = None
) -> list[Instance]:
    query = _scoped(scope)
    if ids is not None:
        query = query.where(instances.c.id.in_(list(ids)))
    query = query.order_by(instances.c.created_at, instances.c.id)
    return [_instance(r) for r in conn.execute(query)]


def disks_of(conn: Connection, instance_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Each instance's disks, the system disk first."""
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in instance_ids}
    if instance_ids:
        rows = conn.execute(
            select(disks)
            .where(disks.c.instance_id.in_(list(instance_ids)))
            .order_by(disks.c.device)
        )
        for row in rows:
            values = dict(row._mapping)
            values["extra"] = json.loads(values["extra"])
            out[row.instance_id].append(values)
    return out


# -- changes of state


# The SET clause comes from the parameters' column names (built once, compiled per column set).
_CAS = Prepared(
    update(instances)
    .where(instances.c.id == bindparam("b_id"))
    .where(instances.c.version == bindparam("b_version"))
)


def _cas(conn: Connection, instance: Instance, **values: Any) -> None:
    """Write ``values`` if nobody changed the instance since it was read (its version)."""
    params = {**values, "version": instance.version + 1}
    params.update(b_id=instance.id, b_version=instance.version)
    done = _CAS.rowcount(conn, params)
    if done != 1:
        raise Conflict(
            "instance.incorrect_status",
            f"The instance {instance.id} changed while the request ran.",
            id=instance.id,
            raced=True,
        )


def change(conn: Connection, instance: Instance, **values: Any) -> Instance:
    """Compare-and-swap any columns of ``instance`` (``extra`` is merged): a timed lifetime event.

    Refused with ``instance.incorrect_status`` when the instance changed since it was read.
    """
    if "extra" in values:
        values["extra"] = json.dumps({**instance.extra, **values["extra"]})
    _cas(conn, instance, **values)
    found = find(conn, instance.id)
    assert found is not None
    return found


def _swap(conn: Connection, instance: Instance, to: str) -> Instance:
    """Move ``instance`` to state ``to`` (compare-and-swap)."""
    _cas(conn, instance, status=to)
    return instance.__class__(
        **{**instance.__dict__, "status": to, "version": instance.version + 1}
    )


def _require(instance: Instance, allowed: Sequence[str]) -> None:
    if instance.status not in allowed:
        raise Conflict(
            "instance.incorrect_status",
            f"The instance {instance.id} is {instance.status}; this needs {' or '.join(allowed)}.",
            id=instance.id,
            status=instance.status,
            expected=tuple(allowed),
        )


def _step(
    instance_id: str, expect: str, to: str, due_at: float, *, before: str | None = None
) -> tuple[str, dict[str, Any], float]:
    """The task of the step ``expect -> to``; ``before`` is the state that precedes ``expect``."""
    payload = {"id": instance_id, "expect": expect, "to": to}
    if before is not None:
        payload["before"] = before
    return TRANSITION_TASK, payload, due_at


def _after(
    conn: Connection,
    instance_id: str,
    expect: str,
    to: str,
    due_at: float,
    *,
    before: str | None = None,
) -> None:
    """Schedule the step ``expect -> to``; ``before`` is the state that precedes ``expect``."""
    schedule(conn, *_step(instance_id, expect, to, due_at, before=before))


def start(
    conn: Connection, scope: Scope, instance_id: str, *, now: float, boot_seconds: float
) -> Instance:
    instance = get_instance(conn, scope, instance_id)
    if instance.extra.get(LOCK_REASON) == LOCKED_EXPIRED:
        raise Conflict(
            "instance.expired", f"The subscription of {instance.id} has expired.", id=instance.id
        )
    _require(instance, (STOPPED,))
    instance = _swap(conn, instance, STARTING)
    _after(conn, instance.id, STARTING, RUNNING, now + boot_seconds)
    return instance


def stop(
    conn: Connection, scope: Scope, instance_id: str, *, now: float, stop_seconds: float
) -> Instance:
    instance = get_instance(conn, scope, instance_id)
    _require(instance, (RUNNING,))
    instance = _swap(conn, instance, STOPPING)
    _after(conn, instance.id, STOPPING, STOPPED, now + stop_seconds)
    return instance


def reboot(
    conn: Connection, scope: Scope, instance_id: str, *, now: float, boot_seconds: float
) -> Instance:
    instance = get_instance(conn, scope, instance_id)
    _require(instance, (RUNNING,))
    instance = _swap(conn, instance, REBOOTING)
    _after(conn, instance.id, REBOOTING, RUNNING, now + boot_seconds)
    return instance


def update_instance(
    conn: Connection,
    scope: Scope,
    instance_id: str,
    *,
    current: Instance | None = None,
    **changes: Any,
) -> Instance:
    """Change attributes (not the state), with the same compare-and-swap as a state change.

    ``current`` is the instance as the caller already read it in this
    transaction (saves a read; the compare-and-swap still refuses a stale one).
    """
    instance = current if current is not None else get_instance(conn, scope, instance_id)
    allowed = {
        "name",
        "hostname",
        "description",
        "password_hash",
        "user_data",
        "deletion_protection",
        "key_pair_name",
        "instance_type",
        "auto_release_at",
    }
    values = {k: v for k, v in changes.items() if k in allowed}
    if "deletion_protection" in values:
        values["deletion_protection"] = int(values["deletion_protection"])
    extra = instance.extra
    if changes.get("extra"):  # an empty change leaves the column as it is
        extra = {**instance.extra, **changes["extra"]}
        values["extra"] = json.dumps(extra)
    _cas(conn, instance, **values)
    shown = {**values, "extra": extra, "version": instance.version + 1}
    protected = shown.get("deletion_protection", instance.deletion_protection)
    shown["deletion_protection"] = bool(protected)
    return _with(instance, **shown)


# The columns no state rule guards: they may change in any state but Deleting.
PLAIN_COLUMNS = frozenset({"name", "description", "user_data"})

_SET_PLAIN = Prepared(
    update(instances)
    .where(*_OWNED_BY)
    .where(instances.c.status != DELETING)
    .values(version=instances.c.version + 1)
)


def set_plain(
    conn: Connection, cloud: str, account_id: int, instance_id: str, values: dict[str, Any]
) -> bool:
    """Write :data:`PLAIN_COLUMNS` of one of the account's instances, in whichever region,
    unless it is being deleted, in one statement without reading it first; False if no
    row matched.

    The commonest change (a rename) needs no read: the one rule these columns
    have is in the statement, and the version still moves, so a writer that read
    the instance before sees the change as a compare-and-swap conflict. An id
    names one instance in every region, so none needs to be tried in turn. A
    caller that needs to know why nothing matched (no such instance, or one
    being deleted) reads the instance and answers that.
    """
    assert values and values.keys() <= PLAIN_COLUMNS, values
    params = {**values, "b_id": instance_id, "b_cloud": cloud, "b_account": account_id}
    return _SET_PLAIN.rowcount(conn, params) == 1


def modify_extra(
    conn: Connection,
    scope: Scope,
    instance_id: str,
    key: str,
    change: Callable[[Any], Any],
    *,
    attempts: int = 20,
) -> Instance:
    """Replace ``extra[key]`` by ``change(current value or None)``, never losing an update.

    The write is a compare-and-swap on the version the change was computed from;
    when another writer got in between, the instance is read again and the change
    applied to what that writer left (``change`` may raise to refuse the request).
    """
    for _ in range(attempts):
        instance = get_instance(conn, scope, instance_id)
        extra = json.dumps({**instance.extra, key: change(instance.extra.get(key))})
        try:
            _cas(conn, instance, extra=extra)
        except Conflict:
            continue
        return get_instance(conn, scope, instance_id)
    raise Conflict(
        "instance.incorrect_status",
        f"The instance {instance_id} kept changing while the request ran.",
        id=instance_id,
    )


def delete_instance(
    conn: Connection,
    scope: Scope,
    instance_id: str,
    *,
    now: float,
    after: float,
    force: bool = False,
) -> Instance:
    """Begin deleting: refused while protected, or running without ``force``.

    The instance shows as ``deleting`` until the engine releases it (its
    interfaces that delete on release, its disks that delete with it) and
    removes it, ``after`` seconds later.
    """
    instance = get_instance(conn, scope, instance_id)
    _deletable(instance, _DELETABLE if force else (STOPPED,))
    instance = _swap(conn, instance, DELETING)
    schedule(conn, RELEASE_TASK, {"id": instance.id}, now + after)
    return instance


def delete_instances(
    conn: Connection,
    scope: Scope,
    instance_ids: Sequence[str],
    *,
    now: float,
    after: float,
    force: bool = False,
    check: Callable[[Instance], None] | None = None,
) -> list[Instance]:
    """Begin deleting every instance of ``instance_ids`` or none, as :func:`delete_instance`
    would one after the other (the first refusal in their order is the one raised).

    ``check`` is the face's own rule, applied to each instance before the core's. The
    instances' tags are removed at once. A fixed number of statements for any number of
    instances: one read, one compare-and-swap of all, one insert of the release tasks.
    """
    ids = list(dict.fromkeys(instance_ids))
    found = {vm.id: vm for vm in list_instances(conn, scope, ids=ids)}
    settled = _DELETABLE if force else (STOPPED,)
    for iid in ids:
        vm = found.get(iid)
        if vm is None:
            get_instance(conn, scope, iid)  # raises instance.not_found
            continue
        if check is not None:
            check(vm)
        _deletable(vm, settled)
    _cas_all(conn, [found[i] for i in ids], status=DELETING)
    schedule_many(conn, [(RELEASE_TASK, {"id": iid}, now + after) for iid in ids])
    conn.execute(delete(tag_rows).where(tag_rows.c.resource_id.in_(ids)))
    return [_with(found[i], status=DELETING, version=found[i].version + 1) for i in ids]


def _deletable(instance: Instance, settled: Sequence[str]) -> None:
    """Refuse to delete a protected instance, or one in none of the ``settled`` states."""
    if instance.deletion_protection:
        raise Conflict(
            "instance.deletion_protected",
            f"The instance {instance.id} has deletion protection.",
            id=instance.id,
        )
    _require(instance, settled)


def _cas_all(conn: Connection, read: Sequence[Instance], **values: Any) -> None:
    """:func:`_cas` of many instances in one statement: all of them, or refused."""
    if not read:
        return
    done = conn.execute(
        update(instances)
        .where(
            tuple_(instances.c.id, instances.c.version).in_([(vm.id, vm.version) for vm in read])
        )
        .values(version=instances.c.version + 1, **values)
    ).rowcount
    if done != len(read):
        now = dict(
            conn.execute(
                select(instances.c.id, instances.c.version).where(
                    instances.c.id.in_([vm.id for vm in read])
                )
            ).all()
        )
        raced = next((vm.id for vm in read if now.get(vm.id) != vm.version + 1), read[0].id)
        raise Conflict(
            "instance.incorrect_status",
            f"The instance {raced} changed while the request ran.",
            id=raced,
            raced=True,
        )


def release(conn: Connection, instance_id: str) -> None:
    """Release an instance now (a lifetime ended): its interfaces, its disks, the instance."""
    _release(conn, instance_id)


def schedule_auto_release(conn: Connection, instance_id: str, at: float) -> None:
    """Release the instance at ``at``, unless its auto-release time was changed meanwhile."""
    schedule(conn, *_auto_release(instance_id, at))


def _auto_release(instance_id: str, at: float) -> tuple[str, dict[str, Any], float]:
    return RELEASE_TASK, {"id": instance_id, "at": at}, at


def keep_data_disks(conn: Connection, scope: Scope, instance_id: str) -> None:
    """Let the instance's data disks outlive its release: detached and available, not deleted.

    The system disk is always deleted with the instance.
    """
    get_instance(conn, scope, instance_id)
    conn.execute(
        update(disks)
        .where(disks.c.instance_id == instance_id)
        .where(disks.c.type == "data")
        .values(delete_with_instance=0)
    )


def _release(conn: Connection, instance_id: str) -> None:
    _release_many(conn, [instance_id])


def _release_many(conn: Connection, instance_ids: Sequence[str]) -> None:
    """Remove instances with what goes with them, in a fixed number of statements: their
    interfaces (:func:`interfaces.release_devices`), the disks that delete with them (and
    those disks' tags; the others are left available), their tags, their rows."""
    ids = list(
        conn.execute(select(instances.c.id).where(instances.c.id.in_(list(instance_ids)))).scalars()
    )
    if not ids:
        return
    interfaces.release_devices(conn, ids)
    released = list(
        conn.execute(
            select(disks.c.id)
            .where(disks.c.instance_id.in_(ids))
            .where(disks.c.delete_with_instance == 1)
        ).scalars()
    )
    if released:  # a disk released with its instance keeps no tags
        conn.execute(delete(tag_rows).where(tag_rows.c.resource_id.in_(released)))
        conn.execute(delete(disks).where(disks.c.id.in_(released)))
    conn.execute(
        update(disks)
        .where(disks.c.instance_id.in_(ids))
        .values(instance_id=None, status="available", device=None)
    )
    conn.execute(delete(tag_rows).where(tag_rows.c.resource_id.in_(ids)))
    conn.execute(delete(instances).where(instances.c.id.in_(ids)))


# The statements of a timed step, built once: the engine runs one per step of every instance.
_STEP = (
    update(instances)
    .where(instances.c.id == bindparam("step_id"))
    .where(instances.c.status == bindparam("step_expect"))
    .values(version=instances.c.version + 1, status=bindparam("step_to"))
)
_STEP_STARTED = _STEP.values(started_at=bindparam("step_now"))
_STATUS = select(instances.c.status).where(instances.c.id == bindparam("step_id"))


@handler(TRANSITION_TASK)
def _transition(ctx: TaskContext, payload: dict[str, Any]) -> None:
    """A timed step: only if the instance is still where the step expects it.

    Two workers may claim two steps of one instance at once (the second step
    fell due while the first was still being committed elsewhere). A step
    that finds the instance one state short of where it expects it is queued
    again, due at once, instead of being lost.
    """
    values = {"step_id": payload["id"], "step_expect": payload["expect"], "step_to": payload["to"]}
    if payload["to"] == RUNNING:
        done = ctx.conn.execute(_STEP_STARTED, {**values, "step_now": ctx.now}).rowcount
    else:
        done = ctx.conn.execute(_STEP, values).rowcount
    if not done and payload.get("before") is not None:
        status = ctx.conn.execute(_STATUS, {"step_id": payload["id"]}).scalar()
        retries = payload.get("retries", 0)
        # ``expect`` too: the predecessor may have committed between our update and this read.
        if status in (payload["before"], payload["expect"]) and retries < _MAX_STEP_RETRIES:
            # Due again at once: the worker runs it after the predecessor (due earlier).
            ctx.schedule(TRANSITION_TASK, {**payload, "retries": retries + 1})


@batch_handler(TRANSITION_TASK)
def _transitions(ctx: TaskContext, payloads: list[dict[str, Any]]) -> None:
    """Many timed steps at once (a batch's boot falls due together): the effect of
    :func:`_transition` on each in turn, one statement per run of the same change.

    The steps are taken in their order, a run being consecutive steps of the same change
    (``expect -> to``) of distinct instances, so no step of a run can see another's effect.
    """
    k = 0
    while k < len(payloads):
        first = payloads[k]
        end, ids = k + 1, {first["id"]}
        while end < len(payloads):
            step = payloads[end]
            same = (step["expect"], step["to"]) == (first["expect"], first["to"])
            if not same or step["id"] in ids:
                break
            ids.add(step["id"])
            end += 1
        _steps(ctx, payloads[k:end])
        k = end


def _steps(ctx: TaskContext, run: list[dict[str, Any]]) -> None:
    """One change (``expect -> to``) of many distinct instances; each step that found its
    instance one state short is queued again, as :func:`_transition` queues it."""
    expect, to = run[0]["expect"], run[0]["to"]
    values: dict[str, Any] = {"status": to, "version": instances.c.version + 1}
    if to == RUNNING:
        values["started_at"] = ctx.now
    done = set(
        ctx.conn.execute(
            update(instances)
            .where(instances.c.id.in_([p["id"] for p in run]))
            .where(instances.c.status == expect)
            .values(**values)
            .returning(instances.c.id)
        ).scalars()
    )
    missed = [p for p in run if p["id"] not in done and p.get("before") is not None]
    if not missed:
        return
    status = dict(
        ctx.conn.execute(
            select(instances.c.id, instances.c.status).where(
                instances.c.id.in_([p["id"] for p in missed])
            )
        ).all()
    )
    schedule_many(
        ctx.conn,
        [
            (TRANSITION_TASK, {**p, "retries": p.get("retries", 0) + 1}, ctx.now)
            for p in missed
            if status.get(p["id"]) in (p["before"], p["expect"])
            and p.get("retries", 0) < _MAX_STEP_RETRIES
        ],
    )


@handler(RELEASE_TASK)
def _release_task(ctx: TaskContext, payload: dict[str, Any]) -> None:
    """The end of a deletion, or an auto-release time reached (then the instance is released).

    An auto-release task carries the time it was scheduled for (``at``): when the instance's
    auto-release time was changed or cleared since, the task is stale and does nothing.
    """
    if "at" in payload:
        current = ctx.conn.execute(
            select(instances.c.auto_release_at).where(instances.c.id == payload["id"])
        ).scalar()
        if current is None or current != payload["at"]:
            return
    _release(ctx.conn, payload["id"])


@batch_handler(RELEASE_TASK)
def _release_tasks(ctx: TaskContext, payloads: list[dict[str, Any]]) -> None:
    """Many release tasks at once (a DeleteInstances batch falls due together): the effect
    of :func:`_release_task` on each in turn, in a fixed number of statements."""
    timed = [p["id"] for p in payloads if "at" in p]
    current: dict[str, float | None] = {}
    if timed:
        current = dict(
            ctx.conn.execute(
                select(instances.c.id, instances.c.auto_release_at).where(instances.c.id.in_(timed))
            ).all()
        )
    due = [p["id"] for p in payloads if "at" not in p or current.get(p["id"]) == p["at"]]
    _release_many(ctx.conn, due)
