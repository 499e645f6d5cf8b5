"""The durable task engine: tasks run when due by the engine clock, survive restarts, run once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from openecs.config import Settings
from openecs.core.clock import Clock
from openecs.engine import worker as worker_module
from openecs.engine.tasks import TaskContext, batch_handler, handler, schedule, schedule_many
from openecs.engine.worker import Worker
from openecs.runtime import Runtime
from openecs.store.db import Database
from openecs.store.tables import tasks

RAN: list[dict] = []
RAN_LOCK = threading.Lock()


@handler("test.record")
def _record(ctx: TaskContext, payload: dict) -> None:
    with RAN_LOCK:
        RAN.append(payload)


@handler("test.chain")
def _chain(ctx: TaskContext, payload: dict) -> None:
    with RAN_LOCK:
        RAN.append(payload)
    if payload["left"] > 0:
        ctx.schedule("test.chain", {"n": payload["n"] + 1, "left": payload["left"] - 1}, delay=10)


@handler("test.fail")
def _fail(ctx: TaskContext, payload: dict) -> None:
    raise RuntimeError("this task always fails")


BATCHES: list[list[dict]] = []


@handler("test.batchable")
def _batchable(ctx: TaskContext, payload: dict) -> None:
    if payload.get("fail"):
        raise RuntimeError("this task fails")
    with RAN_LOCK:
        RAN.append(payload)


@batch_handler("test.batchable")
def _batchable_together(ctx: TaskContext, payloads: list[dict]) -> None:
    if any(p.get("fail") for p in payloads):
        raise RuntimeError("a task of this batch fails")
    with RAN_LOCK:
        BATCHES.append(payloads)
        RAN.extend(payloads)


@pytest.fixture(autouse=True)
def _clear() -> Iterator[None]:
    RAN.clear()
    BATCHES.clear()
    yield
    RAN.clear()
    BATCHES.clear()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "postgres":
        # Its own database: the session's PostgreSQL server runs an engine worker whose clock
        # other tests stepped, and it would run this test's tasks early.
        return Settings(data_dir=tmp_path, database_url=request.getfixturevalue("fresh_postgres_url"))
    return Settings(data_dir=tmp_path)


@pytest.fixture
def runtime(store_settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(store_settings, start_engine=False)
    with rt.db.write() as conn:  # the PostgreSQL database is shared by the session's tests
        conn.execute(tasks.delete())
    yield rt
    rt.close()


def _schedule(rt: Runtime, kind: str, payload: dict, delay: float) -> None:
    with rt.db.write() as conn:
        schedule(conn, kind, payload, rt.clock.now() + delay)


def test_a_task_runs_once_its_due_time_is_reached(runtime: Runtime) -> None:
    _schedule(runtime, "test.record", {"n": 1}, delay=30)
    runtime.clock.advance(31)
    assert runtime.worker.run_due() == 1
    assert RAN == [{"n": 1}]


def test_a_task_does_not_run_before_it_is_due(runtime: Runtime) -> None:
    _schedule(runtime, "test.record", {"n": 1}, delay=30)
    runtime.clock.advance(29)
    assert runtime.worker.run_due() == 0
    assert RAN == []


def test_a_task_that_ran_leaves_the_queue(runtime: Runtime) -> None:
    _schedule(runtime, "test.record", {"n": 1}, delay=0)
    runtime.worker.run_due()
    with runtime.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(tasks)).scalar() == 0


def test_due_tasks_run_in_due_order(runtime: Runtime) -> None:
    for n, delay in [(3, 30), (1, 10), (2, 20)]:
        _schedule(runtime, "test.record", {"n": n}, delay=delay)
    runtime.clock.advance(40)
    runtime.worker.run_due()
    assert [p["n"] for p in RAN] == [1, 2, 3]


def test_a_handler_can_schedule_its_follow_up(runtime: Runtime) -> None:
    _schedule(runtime, "test.chain", {"n": 1, "left": 2}, delay=0)
    runtime.worker.run_due()
    assert [p["n"] for p in RAN] == [1]
    runtime.clock.advance(10)
    runtime.worker.run_due()
    runtime.clock.advance(10)
    runtime.worker.run_due()
    assert [p["n"] for p in RAN] == [1, 2, 3]


def test_a_failing_task_is_retried_then_marked_failed(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker_module, "MAX_ATTEMPTS", 3)
    _schedule(runtime, "test.fail", {}, delay=0)
    for _ in range(3):
        runtime.clock.advance(60)
        runtime.worker.run_due()
    with runtime.db.read() as conn:
        row = conn.execute(select(tasks)).one()
    assert (row.status, row.attempts) == ("failed", 3)
    assert "this task always fails" in row.last_error


def test_a_failing_task_does_not_undo_the_tasks_run_with_it(runtime: Runtime) -> None:
    with runtime.db.write() as conn:
        schedule_many(conn, [("test.record", {"n": 1}, 0), ("test.fail", {}, 0),
                             ("test.record", {"n": 2}, 0)])
    assert runtime.worker.run_due() == 3
    assert RAN == [{"n": 1}, {"n": 2}]
    with runtime.db.read() as conn:
        (row,) = conn.execute(select(tasks)).all()
    assert (row.kind, row.status, row.attempts) == ("test.fail", "pending", 1)


def test_consecutive_tasks_of_a_kind_with_a_batch_handler_run_together(runtime: Runtime) -> None:
    with runtime.db.write() as conn:
        schedule_many(conn, [("test.record", {"n": 0}, 0),
                             *(("test.batchable", {"n": n}, 0) for n in range(1, 5)),
                             ("test.record", {"n": 5}, 0), ("test.batchable", {"n": 6}, 0)])
    assert runtime.worker.run_due() == 7
    assert [p["n"] for p in RAN] == list(range(7))
    assert [[p["n"] for p in b] for b in BATCHES] == [[1, 2, 3, 4]]  # a run of one runs alone
    with runtime.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(tasks)).scalar() == 0


def test_a_failing_batch_runs_each_task_alone(runtime: Runtime) -> None:
    with runtime.db.write() as conn:
        schedule_many(conn, [("test.batchable", {"n": 1}, 0), ("test.batchable", {"fail": 1}, 0),
                             ("test.batchable", {"n": 2}, 0)])
    assert runtime.worker.run_due() == 3
    assert BATCHES == [] and RAN == [{"n": 1}, {"n": 2}]
    with runtime.db.read() as conn:
        (row,) = conn.execute(select(tasks)).all()
    assert (row.payload, row.status, row.attempts) == ('{"fail":1}', "pending", 1)


def test_a_task_scheduled_before_a_restart_runs_after_it(store_settings: Settings) -> None:
    first = Runtime(store_settings, start_engine=False)
    with first.db.write() as conn:
        conn.execute(tasks.delete())
    _schedule(first, "test.record", {"n": "survivor"}, delay=5)
    first.close()

    second = Runtime(store_settings, start_engine=False)
    try:
        second.clock.advance(6)
        second.worker.run_due()
    finally:
        second.close()
    assert RAN == [{"n": "survivor"}]


def test_the_clock_offset_survives_a_restart(store_settings: Settings) -> None:
    first = Runtime(store_settings, start_engine=False)
    first.clock.advance(3600)
    first.close()
    second = Runtime(store_settings, start_engine=False)
    try:
        assert second.clock.offset() > 3500
    finally:
        second.close()


def test_the_background_worker_runs_a_task_when_the_clock_is_stepped(runtime: Runtime) -> None:
    done = threading.Event()
    runtime.worker.start()
    try:
        _schedule(runtime, "test.record", {"n": 1}, delay=1000)
        runtime.clock.advance(1001)  # the clock wakes the worker: no poll wait, no sleep
        for _ in range(200):
            if RAN:
                done.set()
                break
            threading.Event().wait(0.01)
    finally:
        runtime.worker.stop()
    assert done.is_set()


@pytest.mark.postgres
def test_two_workers_on_postgres_never_run_the_same_task_twice(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    postgres_url = fresh_postgres_url
    rt = Runtime(Settings(data_dir=tmp_path, database_url=postgres_url), start_engine=False)
    with rt.db.write() as conn:
        conn.execute(tasks.delete())
    for n in range(200):
        _schedule(rt, "test.record", {"n": n}, delay=0)
    clock = Clock(offset=rt.clock.offset())
    workers = [Worker(Database(postgres_url), clock) for _ in range(2)]
    threads = [threading.Thread(target=w.run_due, kwargs={"limit": 10_000}) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for w in workers:
        w.db.dispose()
    rt.close()
    assert sorted(p["n"] for p in RAN) == list(range(200))


def test_the_clock_runs_faster_when_sped_up() -> None:
    clock = Clock(speed=1000)
    start = clock.now()
    threading.Event().wait(0.01)
    assert clock.now() - start >= 5


def test_the_clock_never_steps_backwards() -> None:
    with pytest.raises(ValueError):
        Clock().advance(-1)
