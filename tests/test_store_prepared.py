"""Prepared statements (store/prepared.py): the same answers as Connection.execute, on both stores."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, insert, select, update

from openecs.store.db import Database
from openecs.store.prepared import Prepared, insert_rows
from openecs.store.tables import settings, tasks

BY_KEY = select(settings).where(settings.c.key == bindparam("k"))
SET_VALUE = update(settings).where(settings.c.key == bindparam("b_key"))


@pytest.fixture
def db(migrated_store: Database) -> Database:
    with migrated_store.write() as conn:
        conn.execute(insert(settings), [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    return migrated_store


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


LISTED = (
    select(settings.c.key)
    .where(settings.c.key.in_(bindparam("keys", expanding=True)))
    .order_by(settings.c.key)
)


def test_an_in_list_answers_the_rows_execute_answers(db: Database) -> None:
    prepared = Prepared(LISTED)
    with db.read() as conn:
        for keys in (["b"], ["a", "b"], ["a", "missing", "b"]):
            expected = [dict(r._mapping) for r in conn.execute(LISTED, {"keys": keys})]
            assert prepared.all(conn, {"keys": keys}) == expected


def test_an_in_list_is_compiled_once_per_length(db: Database) -> None:
    prepared = Prepared(LISTED)
    with db.read() as conn:
        prepared.all(conn, {"keys": ["a"]})
        prepared.all(conn, {"keys": ["b"]})
        prepared.all(conn, {"keys": ["a", "b"]})
    plans = list(prepared._plans.values())
    if db.is_sqlite:
        assert sorted(plan.sql.count("?") for plan in plans) == [1, 2]
    else:  # PostgreSQL keeps SQLAlchemy's path
        assert plans == [None]


def test_an_empty_in_list_matches_nothing(db: Database) -> None:
    with db.read() as conn:
        assert Prepared(LISTED).all(conn, {"keys": []}) == []


def test_a_list_the_statement_carries_goes_beside_the_caller_s(db: Database) -> None:
    both = (
        select(settings.c.key)
        .where(settings.c.key.in_(["a", "b"]))
        .where(settings.c.value.in_(bindparam("values", expanding=True)))
    )
    with db.read() as conn:
        assert Prepared(both).all(conn, {"values": ["2", "3"]}) == [{"key": "b"}]


def test_all_answers_every_row_in_order(db: Database) -> None:
    ordered = select(settings).where(settings.c.key >= bindparam("from")).order_by(settings.c.key)
    with db.read() as conn:
        assert Prepared(ordered).all(conn, {"from": "a"}) == [
            {"key": "a", "value": "1"},
            {"key": "b", "value": "2"},
        ]
        assert Prepared(ordered).all(conn, {"from": "z"}) == []


def test_insert_rows_inserts_one_row_or_many(db: Database) -> None:
    with db.write() as conn:
        insert_rows(conn, settings, {"key": "c", "value": "3"})
        insert_rows(conn, settings, [{"key": "d", "value": "4"}, {"key": "e", "value": "5"}])
    with db.read() as conn:
        keys = conn.execute(select(settings.c.key).order_by(settings.c.key)).scalars().all()
    assert keys == ["a", "b", "c", "d", "e"]


def test_inserted_id_answers_the_new_row_s_key(db: Database) -> None:
    row = {"kind": "k", "payload": "{}", "due_at": 1.0, "status": "pending", "attempts": 0,
           "created_at": 0.0}
    prepared = Prepared(insert(tasks))
    with db.write() as conn:
        first, second = prepared.inserted_id(conn, row), prepared.inserted_id(conn, row)
        ids = conn.execute(select(tasks.c.id).order_by(tasks.c.id)).scalars().all()
    assert [first, second] == ids and second > first


def test_a_column_default_computed_in_python_is_not_left_to_the_bare_cursor(db: Database) -> None:
    row = {"kind": "k", "payload": "{}", "due_at": 1.0, "status": "pending", "created_at": 0.0}
    prepared = Prepared(insert(tasks))  # tasks.attempts has default=0, filled by SQLAlchemy
    with db.write() as conn:
        prepared.inserted_id(conn, row)
        assert conn.execute(select(tasks.c.attempts)).scalar_one() == 0
    assert list(prepared._plans.values()) == [None]
