"""Prepared statements (store/prepared.py): the same answers as Connection.execute, on both stores."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import bindparam, insert, select, update

from openecs.store import migrate
from openecs.store.db import Database, sqlite_url
from openecs.store.prepared import Prepared
from openecs.store.tables import settings

BY_KEY = select(settings).where(settings.c.key == bindparam("k"))
SET_VALUE = update(settings).where(settings.c.key == bindparam("b_key"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "postgres":
        store = Database(request.getfixturevalue("fresh_postgres_url"))
    else:
        store = Database(sqlite_url(tmp_path))
    migrate.upgrade(store)
    with store.write() as conn:
        conn.execute(insert(settings), [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    yield store
    store.dispose()


def test_first_answers_the_row_execute_answers(db: Database) -> None:
    with db.read() as conn:
        expected = dict(conn.execute(BY_KEY, {"k": "a"}).first()._mapping)
        assert Prepared(BY_KEY).first(conn, {"k": "a"}) == expected


def test_first_of_nothing_is_none(db: Database) -> None:
    with db.read() as conn:
        assert Prepared(BY_KEY).first(conn, {"k": "missing"}) is None


def test_a_statement_carrying_its_own_values_is_run_with_them(db: Database) -> None:
    fixed = select(settings).where(settings.c.key == "b")
    with db.read() as conn:
        assert Prepared(fixed).first(conn, {}) == {"key": "b", "value": "2"}


def test_an_update_sets_the_columns_its_parameters_name(db: Database) -> None:
    prepared = Prepared(SET_VALUE)
    with db.write() as conn:
        assert prepared.rowcount(conn, {"value": "9", "b_key": "a"}) == 1
        assert prepared.rowcount(conn, {"value": "9", "b_key": "missing"}) == 0
    with db.read() as conn:
        assert conn.execute(BY_KEY, {"k": "a"}).first().value == "9"


def test_a_statement_with_an_in_list_runs_through_sqlalchemy(db: Database) -> None:
    listed = select(settings.c.key).where(settings.c.key.in_(bindparam("keys", expanding=True)))
    prepared = Prepared(listed)
    with db.read() as conn:
        assert prepared.first(conn, {"keys": ["b"]}) == {"key": "b"}
    assert list(prepared._plans.values()) == [None]
