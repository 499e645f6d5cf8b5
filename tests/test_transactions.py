"""Database.write and Database.read: all of a transaction or none of it, whichever way it ran.

On SQLite a held connection's transaction is begun and ended on the driver
(store/db.py, _DriverTransaction) and SQLAlchemy joins it only when a statement
runs through Connection.execute; both ways must commit and roll back alike.
"""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from openecs.store.db import Database
from openecs.store.prepared import Prepared
from openecs.store.tables import settings

_PUT = Prepared(insert(settings))


class Refused(Exception):
    pass


@pytest.fixture
def db(migrated_store: Database) -> Database:
    return migrated_store


def _keys(db: Database) -> set[str]:
    with db.read() as conn:
        return set(conn.execute(select(settings.c.key)).scalars())


def _put_prepared(conn, key: str) -> None:  # noqa: ANN001
    _PUT.rowcount(conn, {"key": key, "value": "v"})  # psycopg counts -1 for an insert: unread


def _put_core(conn, key: str) -> None:  # noqa: ANN001
    conn.execute(insert(settings).values(key=key, value="v"))


def test_a_write_of_prepared_statements_only_is_committed(db: Database) -> None:
    with db.write() as conn:
        _put_prepared(conn, "a")
    assert _keys(db) == {"a"}


def test_a_write_mixing_prepared_and_core_statements_is_committed_whole(db: Database) -> None:
    with db.write() as conn:
        _put_prepared(conn, "a")
        _put_core(conn, "b")
        _put_prepared(conn, "c")
    assert _keys(db) == {"a", "b", "c"}


@pytest.mark.parametrize("put", [_put_prepared, _put_core], ids=["prepared", "core"])
def test_a_refused_write_leaves_nothing(db: Database, put) -> None:  # noqa: ANN001
    with pytest.raises(Refused), db.write() as conn:
        _put_prepared(conn, "a")
        put(conn, "b")
        raise Refused
    assert _keys(db) == set()


def test_the_connection_serves_the_next_write_after_a_refused_one(db: Database) -> None:
    with pytest.raises(Refused), db.write() as conn:
        _put_core(conn, "a")
        raise Refused
    with db.write() as conn:
        _put_prepared(conn, "b")
    with db.write() as conn:
        _put_core(conn, "c")
    assert _keys(db) == {"b", "c"}


def test_a_savepoint_inside_a_write_undoes_only_its_part(db: Database) -> None:
    with db.write() as conn:
        _put_prepared(conn, "a")
        with pytest.raises(Refused), conn.begin_nested():
            _put_core(conn, "b")
            raise Refused
        _put_prepared(conn, "c")
    assert _keys(db) == {"a", "c"}


def test_a_read_inside_a_read_sees_the_same_rows(db: Database) -> None:
    with db.write() as conn:
        _put_prepared(conn, "a")
    with db.read() as outer:
        with db.read() as inner:
            assert set(inner.execute(select(settings.c.key)).scalars()) == {"a"}
        assert set(outer.execute(select(settings.c.key)).scalars()) == {"a"}


def test_a_read_does_not_see_a_write_that_is_still_open(db: Database) -> None:
    with db.write() as conn:
        _put_prepared(conn, "a")
        assert _keys(db) == set()
    assert _keys(db) == {"a"}


def test_a_postgresql_read_sends_no_begin_and_sees_what_is_committed_as_it_runs(
    db: Database,
) -> None:
    """READ COMMITTED reads take no transaction: the driver sends no BEGIN or COMMIT, and each
    statement reads what is committed when it runs (on SQLite a read is one snapshot)."""
    with db.read() as conn:
        before = set(conn.execute(select(settings.c.key)).scalars())
        with db.write() as writer:
            _put_prepared(writer, "late")
        after = set(conn.execute(select(settings.c.key)).scalars())
        autocommit = getattr(conn.connection.driver_connection, "autocommit", None)
    if db.is_sqlite:
        assert after == before  # the snapshot the read began with
    else:  # psycopg in autocommit: each statement its own, with no BEGIN sent before it
        assert (autocommit, after) == (True, before | {"late"})


def test_a_one_statement_write_commits_as_it_runs_without_a_transaction(db: Database) -> None:
    """write_one begins nothing: the statement is its own transaction, seen by the next read."""
    with db.write_one() as conn:
        driver = conn.connection.driver_connection
        _put_prepared(conn, "one")
        # SQLite: no BEGIN was sent, so the driver holds no transaction after the statement;
        # psycopg: the connection is in autocommit, and so holds none either.
        in_transaction = (
            driver.in_transaction if db.is_sqlite else not getattr(driver, "autocommit", False)
        )
    assert (in_transaction, _keys(db)) == (False, {"one"})


def test_a_refused_one_statement_write_leaves_nothing(db: Database) -> None:
    with pytest.raises(Refused), db.write_one() as conn:
        raise Refused
    with db.write_one() as conn:  # the writer is free again
        _put_prepared(conn, "after")
    assert _keys(db) == {"after"}
