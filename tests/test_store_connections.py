"""The embedded store's held connections: a writer and one reader per thread (db.py).

On SQLite a pool checkout costs more than a short transaction, so the store
keeps connections out of the pool; these tests pin what that must not break.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from openecs.store import migrate
from openecs.store.db import Database, sqlite_url
from openecs.store.tables import settings


@pytest.fixture
def db(tmp_path: Path) -> Database:
    store = Database(sqlite_url(tmp_path))
    migrate.upgrade(store)
    yield store
    store.dispose()


def _value(db: Database, key: str) -> str | None:
    with db.read() as conn:
        return conn.execute(select(settings.c.value).where(settings.c.key == key)).scalar()


def test_a_held_reader_sees_what_was_committed_after_its_last_read(db: Database) -> None:
    assert _value(db, "k") is None
    with db.write() as conn:
        conn.execute(insert(settings).values(key="k", value="v"))
    assert _value(db, "k") == "v"


def test_a_failed_write_changes_nothing_and_the_writer_goes_on(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as conn:
        conn.execute(insert(settings).values(key="k", value="v"))
        raise RuntimeError("refused")
    assert _value(db, "k") is None
    with db.write() as conn:
        conn.execute(insert(settings).values(key="k", value="w"))
    assert _value(db, "k") == "w"


def test_a_read_inside_a_read_gets_its_own_connection(db: Database) -> None:
    with db.read() as outer:
        assert _value(db, "k") is None
        assert outer.connection.driver_connection.in_transaction  # the outer read's, still open


def test_the_connections_of_threads_that_ended_go_back(db: Database) -> None:
    for _ in range(40):
        worker = threading.Thread(target=_value, args=(db, "k"))
        worker.start()
        worker.join()
    _value(db, "k")
    assert len(db._held) <= 3  # the last ended thread's, this thread's, and none piling up
