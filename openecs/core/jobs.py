"""Huawei asynchronous jobs: a job per batch request, a sub-job per server of the batch.

Huawei answers a server creation with a ``job_id`` and the client polls the
job until it settles. A job is written ``INIT`` in the same transaction as the
servers it watches, together with two durable engine tasks: one that moves it
to ``RUNNING`` at once, and one due when the servers' change ends (scheduled
after the servers' own steps, so at the same due time it runs after them)
that settles it. Each sub-job awaits the state its type names (running after
a creation, a start or a reboot; stopped after a stop; gone after a
deletion): ``SUCCESS`` when every server reached it, otherwise ``FAIL`` with
the reason of each sub-job that did not make it. Both tasks are rows of the
durable engine, so a restart loses no job. A refused request leaves neither a
job nor its tasks behind.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select, update

from openecs.core.errors import NotFound
from openecs.core.ids import huawei_id
from openecs.engine.tasks import TaskContext, handler, schedule
from openecs.store.tables import instances, jobs
from openecs.store.tables import network_interfaces as nic_rows

INIT = "INIT"
RUNNING = "RUNNING"
SUCCESS = "SUCCESS"
FAIL = "FAIL"

START_TASK = "job.start"
SETTLE_TASK = "job.settle"

# What each sub-job watches its server for, per parent job type.
_SUB_TYPES = {
    "createServer": "createSingleServer",
    "deleteServer": "deleteSingleServer",
    "batchStartServers": "startSingleServer",
    "batchStopServers": "stopSingleServer",
    "batchRebootServers": "rebootSingleServer",
}
GONE = "gone"
# Per sub-job type: the server state it awaits, and the states on the way there (a server
# still in one of those when the job settles has a step that is still being committed).
_AWAITS: dict[str, tuple[str, tuple[str, ...]]] = {
    "createSingleServer": ("running", ("pending", "starting")),
    "startSingleServer": ("running", ("starting",)),
    "rebootSingleServer": ("running", ("rebooting",)),
    "stopSingleServer": ("stopped", ("stopping",)),
    "deleteSingleServer": (GONE, ("deleting",)),
}
# The error a sub-job reports when its server did not reach the state the job waits for.
SUB_FAIL_CODE = "Ecs.0000"
# With several workers, the boot step due at the same time may still be committing when the
# settling runs: the settling then looks again (due at once), at most this many times.
MAX_SETTLE_RETRIES = 100


@dataclass(frozen=True)
class Job:
    id: str
    account_id: int
    region: str
    parent_id: str | None
    job_type: str
    status: str
    entities: dict[str, Any]
    error_code: str | None
    fail_reason: str | None
    begin_time: float
    end_time: float | None
    sub_jobs: list[Job] = field(default_factory=list)


def _job(row: Any) -> Job:
    values = dict(row._mapping)
    values["entities"] = json.loads(values["entities"])
    return Job(**values)


def create_job(
    conn: Connection,
    account_id: int,
    region: str,
    job_type: str,
    server_ids: Sequence[str],
    *,
    now: float,
    settle_at: float,
) -> Job:
    """A job watching ``server_ids``; it settles at ``settle_at`` (schedule it after their steps)."""
    sub_type = _SUB_TYPES.get(job_type, job_type)
    return _write_job(
        conn,
        account_id,
        region,
        job_type,
        {"server_ids": list(server_ids)},
        [(sub_type, {"server_id": server_id}) for server_id in server_ids],
        now=now,
        settle_task=SETTLE_TASK,
        settle_at=settle_at,
    )


def _write_job(
    conn: Connection,
    account_id: int,
    region: str,
    job_type: str,
    entities: dict[str, Any],
    subs: Sequence[tuple[str, dict[str, Any]]],
    *,
    now: float,
    settle_task: str,
    settle_at: float,
) -> Job:
    """A job and its sub-jobs, written INIT, with the tasks that start it now and settle it later."""
    job_id = huawei_id().replace("-", "")
    common = dict(account_id=account_id, region=region, status=INIT, begin_time=now)
    rows = [dict(id=job_id, parent_id=None, job_type=job_type, entities=json.dumps(entities))]
    for sub_type, sub_entities in subs:
        rows.append(
            dict(
                id=huawei_id().replace("-", ""),
                parent_id=job_id,
                job_type=sub_type,
                entities=json.dumps(sub_entities),
            )
        )
    conn.execute(insert(jobs), [{**common, **row} for row in rows])
    schedule(conn, START_TASK, {"id": job_id}, now)
    schedule(conn, settle_task, {"id": job_id}, settle_at)
    return get_job(conn, account_id, region, job_id)


def _close(conn: Connection, job_id: str, failed: Sequence[str], now: float) -> None:
    """Settle the parent job: SUCCESS when no sub-job failed, else FAIL with their reasons."""
    parent: dict[str, Any] = {"status": FAIL if failed else SUCCESS, "end_time": now}
    if failed:
        parent["error_code"] = SUB_FAIL_CODE
        parent["fail_reason"] = " ".join(failed)
    conn.execute(update(jobs).where(jobs.c.id == job_id).values(**parent))


def get_job(conn: Connection, account_id: int, region: str, job_id: str) -> Job:
    """A job with its sub-jobs (in creation order), or ``NotFound("job.not_found")``."""
    row = conn.execute(
        select(jobs)
        .where(jobs.c.id == job_id)
        .where(jobs.c.account_id == account_id)
        .where(jobs.c.region == region)
        .where(jobs.c.parent_id.is_(None))
    ).first()
    if row is None:
        raise NotFound("job.not_found", f"The job {job_id} does not exist.", id=job_id)
    job = _job(row)
    order = {sid: n for n, sid in enumerate(job.entities.get("server_ids", []))}
    subs = conn.execute(select(jobs).where(jobs.c.parent_id == job_id)).all()
    sub_jobs = sorted(
        (_job(r) for r in subs), key=lambda j: order.get(j.entities.get("server_id"), 0)
    )
    return Job(**{**job.__dict__, "sub_jobs": sub_jobs})


@handler(START_TASK)
def _start(ctx: TaskContext, payload: dict[str, Any]) -> None:
    """INIT -> RUNNING, for the job and its sub-jobs (a settled job stays settled)."""
    for where in (jobs.c.id == payload["id"], jobs.c.parent_id == payload["id"]):
        ctx.conn.execute(
            update(jobs).where(where).where(jobs.c.status == INIT).values(status=RUNNING)
        )


def _awaits(sub_type: str) -> tuple[str, tuple[str, ...]]:
    """The state a sub-job awaits and the states on the way (unknown types await running)."""
    return _AWAITS.get(sub_type, ("running", ()))


def _status_of(conn: Connection, server_id: str | None) -> str:
    status = conn.execute(select(instances.c.status).where(instances.c.id == server_id)).scalar()
    return status or GONE


def _still_on_the_way(conn: Connection, subs: Sequence[Any]) -> bool:
    """Whether a server of the job has not yet left the states on the way to the awaited one."""
    for sub in subs:
        _, on_the_way = _awaits(sub.job_type)
        if _status_of(conn, json.loads(sub.entities).get("server_id")) in on_the_way:
            return True
    return False


@handler(SETTLE_TASK)
def _settle(ctx: TaskContext, payload: dict[str, Any]) -> None:
    """Each sub-job succeeds when its server reached the awaited state; the job when all did."""
    conn = ctx.conn
    subs = conn.execute(select(jobs).where(jobs.c.parent_id == payload["id"])).all()
    if _still_on_the_way(conn, subs) and payload.get("retries", 0) < MAX_SETTLE_RETRIES:
        # Another worker is still committing a step due at the same time: look again.
        ctx.schedule(SETTLE_TASK, {**payload, "retries": payload.get("retries", 0) + 1})
        return
    failed: list[str] = []
    for sub in subs:
        server_id = json.loads(sub.entities).get("server_id")
        status = _status_of(conn, server_id)
        wanted, _ = _awaits(sub.job_type)
        ok = status == wanted
        values: dict[str, Any] = {"status": SUCCESS if ok else FAIL, "end_time": ctx.now}
        if not ok:
            values["error_code"] = SUB_FAIL_CODE
            values["fail_reason"] = f"The server {server_id} is {status}, not {wanted}."
            failed.append(values["fail_reason"])
        conn.execute(update(jobs).where(jobs.c.id == sub.id).values(**values))
    _close(conn, payload["id"], failed, ctx.now)


# -- NIC jobs (BatchAddServerNics, BatchDeleteServerNics): a sub-job per NIC of one server

NIC_SETTLE_TASK = "job.settle_nics"
ADD_NICS = "addNics"
DELETE_NICS = "deleteNics"
_NIC_SUB_TYPES = {ADD_NICS: "attachSingleNic", DELETE_NICS: "detachSingleNic"}
_NIC_ON_THE_WAY = ("attaching", "detaching")


def create_nic_job(
    conn: Connection,
    account_id: int,
    region: str,
    job_type: str,
    server_id: str,
    nic_ids: Sequence[str],
    *,
    now: float,
    settle_at: float,
) -> Job:
    """A job watching the NICs of one server; it settles at ``settle_at`` (after their steps)."""
    return _write_job(
        conn,
        account_id,
        region,
        job_type,
        {"server_id": server_id, "nic_ids": list(nic_ids)},
        [(_NIC_SUB_TYPES[job_type], {"server_id": server_id, "nic_id": n}) for n in nic_ids],
        now=now,
        settle_task=NIC_SETTLE_TASK,
        settle_at=settle_at,
    )


@handler(NIC_SETTLE_TASK)
def _settle_nics(ctx: TaskContext, payload: dict[str, Any]) -> None:
    """Each sub-job succeeds when its NIC is in use by the server (an addition) or is no longer
    on it (a deletion); the job when all did. A NIC still moving is looked at again."""
    conn = ctx.conn
    subs = conn.execute(select(jobs).where(jobs.c.parent_id == payload["id"])).all()
    states = {}
    for sub in subs:
        nic_id = json.loads(sub.entities)["nic_id"]
        row = conn.execute(
            select(nic_rows.c.status, nic_rows.c.device_id).where(nic_rows.c.id == nic_id)
        ).first()
        states[sub.id] = row
    moving = any(r is not None and r.status in _NIC_ON_THE_WAY for r in states.values())
    if moving and payload.get("retries", 0) < MAX_SETTLE_RETRIES:
        ctx.schedule(NIC_SETTLE_TASK, {**payload, "retries": payload.get("retries", 0) + 1})
        return
    failed: list[str] = []
    for sub in subs:
        entities = json.loads(sub.entities)
        row = states[sub.id]
        if sub.job_type == _NIC_SUB_TYPES[ADD_NICS]:
            ok = row is not None and row.status == "in_use"
            ok = ok and row.device_id == entities["server_id"]
        else:
            ok = row is None or row.device_id != entities["server_id"]
        values: dict[str, Any] = {"status": SUCCESS if ok else FAIL, "end_time": ctx.now}
        if not ok:
            values["error_code"] = SUB_FAIL_CODE
            values["fail_reason"] = f"The NIC {entities['nic_id']} did not settle."
            failed.append(values["fail_reason"])
        conn.execute(update(jobs).where(jobs.c.id == sub.id).values(**values))
    _close(conn, payload["id"], failed, ctx.now)
