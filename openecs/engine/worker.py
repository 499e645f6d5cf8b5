"""The worker every server process runs: it claims due tasks and runs their handlers.

Claims are safe with many processes on one PostgreSQL store: a task is taken
with ``FOR UPDATE SKIP LOCKED`` and run in the same transaction that marks it
done, so two workers never run the same task and a worker that dies mid-task
leaves it pending for the next one. On SQLite the single write lock gives the
same guarantee. Several due tasks share a transaction (each handler in a savepoint of
its own), for at most ``HOLD_SECONDS``. A task that ran is deleted with its effect; a
failing handler is retried with back-off, then marked ``failed`` with its error, never
retried forever.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, select, update

from openecs.core.clock import Clock
from openecs.engine.tasks import TaskContext, get_batch_handler, get_handler
from openecs.store.db import Database
from openecs.store.prepared import Prepared
from openecs.store.tables import tasks

log = logging.getLogger("openecs.engine")

# The idle pass, 20 times a second: prepared, so that it holds the GIL for microseconds, not
# the fraction of a millisecond a statement built each time takes from the requests.
_ANY_DUE = Prepared(
    select(tasks.c.id)
    .where(tasks.c.status == "pending")
    .where(tasks.c.due_at <= bindparam("now"))
    .limit(1)
)

MAX_ATTEMPTS = 5
BATCH = 64  # tasks claimed per transaction at most
HOLD_SECONDS = 0.02  # a transaction takes no further task once it ran this long


class Worker:
    def __init__(self, db: Database, clock: Clock, *, poll_interval: float = 0.05) -> None:
        self.db = db
        self.clock = clock
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._chores: list[Callable[[], None]] = []
        clock.on_change(self.wake)

    def add_chore(self, chore: Callable[[], None]) -> None:
        """Run ``chore`` on every pass of the engine thread (batched bookkeeping)."""
        self._chores.append(chore)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="openecs-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Look for due tasks now rather than at the next poll."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for chore in self._chores:
                    chore()
                ran = self.run_due()
            except Exception:  # a broken store must not kill the engine thread
                log.exception("engine pass failed")
                ran = 0
            if ran:
                continue
            self._wake.wait(self.poll_interval)
            self._wake.clear()

    def run_due(self, limit: int = BATCH) -> int:
        """Run up to ``limit`` due tasks, a few per transaction; returns how many ran."""
        if not self._anything_due():
            return 0  # the common idle pass: one indexed read, no write lock
        ran = 0
        while ran < limit and not self._stop.is_set():
            done = self._run_batch(min(limit - ran, BATCH))
            if not done:
                break
            ran += done
        return ran

    def drain(self, timeout: float = 30.0) -> None:
        """Run every task due now, and wait for those another worker is running to finish.

        A task another worker holds is invisible to this worker's claim (``SKIP
        LOCKED``) but still pending until that worker commits; tests and tools that
        step the clock call this to see the effects of everything that fell due.
        """
        deadline = time.monotonic() + timeout
        while True:
            self.run_due(limit=1_000_000)
            now = self.clock.now()
            with self.db.read() as conn:
                left = conn.execute(
                    select(func.count())
                    .select_from(tasks)
                    .where(tasks.c.status == "pending")
                    .where(tasks.c.due_at <= now)
                ).scalar_one()
            if not left:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{left} due task(s) still pending after {timeout} s")
            self._stop.wait(0.005)

    def _anything_due(self) -> bool:
        with self.db.read() as conn:
            return _ANY_DUE.first(conn, {"now": self.clock.now()}) is not None

    def _claim(self, conn: Connection, now: float, limit: int) -> list[Row[Any]]:
        """The first ``limit`` due tasks, in due order; on PostgreSQL held against other workers
        (``SKIP LOCKED``: each worker claims tasks no other one holds)."""
        query = (
            select(tasks)
            .where(tasks.c.status == "pending")
            .where(tasks.c.due_at <= now)
            .order_by(tasks.c.due_at, tasks.c.id)
            .limit(limit)
        )
        if not self.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        return list(conn.execute(query).all())

    def _run_batch(self, limit: int) -> int:
        """Run due tasks in one write transaction, each handler in its own savepoint.

        One transaction for several tasks saves a commit and a claim per task; the
        savepoint keeps a failing handler's effects out while the others' commit, and the
        failure is recorded on its task alone. A run of consecutive tasks of a kind with a
        batch handler is handed to it at once (:func:`.tasks.batch_handler`), in one
        savepoint; when it fails, each of them runs alone. The batch stops taking tasks
        once it held the transaction for ``HOLD_SECONDS`` (SQLite has one writer: API
        requests wait for it); the tasks claimed and not run stay pending for the next one.
        """
        now = self.clock.now()
        started = time.monotonic()
        ran = 0
        with self.db.write() as conn:
            rows = self._claim(conn, now, limit)
            finished: list[int] = []
            k, alone_until = 0, 0
            while k < len(rows):
                if ran and time.monotonic() - started > HOLD_SECONDS:
                    break
                if k >= alone_until:
                    run = _run_of_kind(rows, k)
                    if len(run) > 1 and self._run_together(conn, run, now):
                        finished += [r.id for r in run]
                        ran += len(run)
                        k += len(run)
                        continue
                    alone_until = k + len(run)
                ran += 1
                if self._run_task(conn, rows[k], now):
                    finished.append(rows[k].id)
                k += 1
            if finished:
                conn.execute(delete(tasks).where(tasks.c.id.in_(finished)))
        return ran

    def _run_together(self, conn: Connection, run: list[Row[Any]], now: float) -> bool:
        """Hand a run of tasks of one kind to its batch handler in one savepoint; False (and
        nothing kept) when it raised."""
        many = get_batch_handler(run[0].kind)
        assert many is not None
        try:
            with conn.begin_nested():
                many(TaskContext(conn, now), [json.loads(r.payload) for r in run])
        except Exception:
            log.info("batch of %d %s tasks failed; running each alone", len(run), run[0].kind)
            return False
        return True

    def _run_task(self, conn: Connection, row: Row[Any], now: float) -> bool:
        """Run one claimed task in a savepoint; False when it failed (then it is rescheduled
        with back-off, or marked ``failed`` after ``MAX_ATTEMPTS``)."""
        fn = get_handler(row.kind)
        try:
            if fn is None:
                raise LookupError(f"no handler for task kind {row.kind!r}")
            with conn.begin_nested():
                fn(TaskContext(conn, now), json.loads(row.payload))
        except Exception:
            attempts = row.attempts + 1
            failed = attempts >= MAX_ATTEMPTS or fn is None
            log.warning("task %s (%s) failed, attempt %d", row.id, row.kind, attempts)
            conn.execute(
                update(tasks)
                .where(tasks.c.id == row.id)
                .values(
                    attempts=attempts,
                    last_error=traceback.format_exc(limit=5),
                    status="failed" if failed else "pending",
                    due_at=row.due_at if failed else now + 2**attempts * 0.1,
                    finished_at=time.time() if failed else None,
                )
            )
            return False
        return True


def _run_of_kind(rows: list[Row[Any]], start: int) -> list[Row[Any]]:
    """The tasks from ``rows[start]`` on that a batch handler may take together: consecutive
    ones of its kind (just ``rows[start]`` when its kind has no batch handler)."""
    kind = rows[start].kind
    if get_batch_handler(kind) is None:
        return rows[start : start + 1]
    end = start + 1
    while end < len(rows) and rows[end].kind == kind:
        end += 1
    return rows[start:end]
