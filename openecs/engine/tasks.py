"""Scheduling durable tasks, and the registry of what each kind of task does.

A task is a row in ``tasks``: a kind, a JSON payload and a due time in the
engine clock's (virtual) seconds. It is written in the same transaction as
the state change that needs it, so a committed change always has its
follow-up on disk, and a refused request leaves none behind. A handler runs
in the worker's transaction (in a savepoint of its own, beside the other due
tasks of the batch) together with marking the task done: the effect and the
bookkeeping commit or roll back as one. A kind may also have a batch handler
that runs a run of its due tasks at once (:func:`batch_handler`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, insert

from openecs.store.prepared import Prepared
from openecs.store.tables import tasks

TaskHandler = Callable[["TaskContext", dict[str, Any]], None]
BatchHandler = Callable[["TaskContext", list[dict[str, Any]]], None]

_HANDLERS: dict[str, TaskHandler] = {}
_BATCH_HANDLERS: dict[str, BatchHandler] = {}


class TaskContext:
    """What a handler gets besides its payload: the transaction, the clock's now, a scheduler."""

    def __init__(self, conn: Connection, now: float) -> None:
        self.conn = conn
        self.now = now

    def schedule(self, kind: str, payload: dict[str, Any], delay: float = 0.0) -> int:
        """Schedule a follow-up task ``delay`` virtual seconds after this one ran."""
        return schedule(self.conn, kind, payload, self.now + delay)


def handler(kind: str) -> Callable[[TaskHandler], TaskHandler]:
    """Register the function that runs tasks of ``kind``."""

    def register(fn: TaskHandler) -> TaskHandler:
        if kind in _HANDLERS and _HANDLERS[kind] is not fn:
            raise ValueError(f"task kind {kind!r} registered twice")
        _HANDLERS[kind] = fn
        return fn

    return register


def get_handler(kind: str) -> TaskHandler | None:
    return _HANDLERS.get(kind)


def batch_handler(kind: str) -> Callable[[BatchHandler], BatchHandler]:
    """Register a function that runs many due tasks of ``kind`` at once, with the effect of
    running the kind's own handler on each payload in turn.

    The worker hands it a run of consecutive claimed tasks of that kind; when it raises,
    nothing it did is kept and each task of the run is run alone by the kind's handler,
    so a failing task is retried and recorded on its own. It must therefore only change
    the store (it may run again on the same tasks).
    """

    def register(fn: BatchHandler) -> BatchHandler:
        if kind in _BATCH_HANDLERS and _BATCH_HANDLERS[kind] is not fn:
            raise ValueError(f"batch handler of task kind {kind!r} registered twice")
        _BATCH_HANDLERS[kind] = fn
        return fn

    return register


def get_batch_handler(kind: str) -> BatchHandler | None:
    return _BATCH_HANDLERS.get(kind)


def schedule(conn: Connection, kind: str, payload: dict[str, Any], due_at: float) -> int:
    """Add a task due at virtual time ``due_at`` inside the caller's transaction."""
    row = {
        "kind": kind,
        "payload": json.dumps(payload, separators=(",", ":")),
        "due_at": due_at,
        "status": "pending",
        "attempts": 0,
        "created_at": time.time(),
    }
    return _INSERT_TASK.inserted_id(conn, row)


_INSERT_TASK = Prepared(insert(tasks))


def schedule_many(conn: Connection, entries: Iterable[tuple[str, dict[str, Any], float]]) -> None:
    """Add many tasks, each ``(kind, payload, due_at)``, in one executemany insert.

    The tasks' ids follow the order of ``entries``, as if each was scheduled in turn, so
    two tasks due at the same time still run in the order they were given.
    """
    created = time.time()
    rows = [
        {
            "kind": kind,
            "payload": json.dumps(payload, separators=(",", ":")),
            "due_at": due_at,
            "status": "pending",
            "attempts": 0,
            "created_at": created,
        }
        for kind, payload, due_at in entries
    ]
    if rows:
        conn.execute(insert(tasks), rows)
