"""Statements compiled by SQLAlchemy once per dialect, run on the driver's cursor.

A SQLAlchemy Core execution costs 30-40 us of Python on top of SQLite's own
few microseconds (cache-key generation, execution context, result set-up):
for a ModifyInstanceAttribute, more than everything else the request does.
The few statements on the hottest paths (an instance read by id, its
compare-and-swap) are declared with SQLAlchemy as any other, compiled once
for the connection's dialect and handed to the DBAPI cursor directly.

Only SQLite, and only a statement SQLAlchemy would run unchanged, takes this
path: one without bind or result processors for its types (but Float's,
which SQLite's REAL affinity makes redundant) and without column defaults
computed in Python. Anything else runs through ``Connection.execute`` as usual.

An expanding (``IN``) parameter is rendered as SQLAlchemy renders it for
SQLite, one ``?`` per value, so its statement is compiled once per length
of list: DescribeInstances reads a page's rows, tags and interfaces by such
lists, six statements a call. An empty list, which SQLAlchemy renders as a
set that matches nothing, keeps the usual path.

``insert_new`` is the claim of a unique row (an address, a MAC) built on the
same footing: ``INSERT ... ON CONFLICT DO NOTHING``, compiled once per
dialect, with no savepoint around it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Float, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement

# SQLAlchemy's bind processor for Float on SQLite: float(value). A REAL column's affinity
# stores an integer as REAL all the same, and every value the code binds there is a number
# or None, so a statement that only has it runs unchanged on the cursor.
_SQLITE_TO_FLOAT = Float().bind_processor(sqlite.dialect())


class Record(dict):
    """A row read by a prepared statement: a dict, read by column as a SQLAlchemy Row is."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _mapping(self) -> dict[str, Any]:
        return self


@dataclass(frozen=True)
class _Plan:
    sql: str
    order: tuple[str, ...] | None  # bind names in order (qmark drivers); None: by name
    columns: tuple[str, ...]
    fixed: dict[str, Any]  # the values the statement carries itself (its scope's, say)
    lists: frozenset[str] = frozenset()  # the expanding binds: each gives one value per item


class Prepared:
    """One statement and its compiled forms, by dialect and by the columns an UPDATE sets."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._plans: dict[tuple[Any, ...], _Plan | None] = {}
        # The names of the statement's expanding binds given by the caller: their lengths
        # are part of a plan's key. None until the statement is first compiled.
        self._lists: tuple[str, ...] | None = None

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Record | None:
        """The first row (by column name, as a key or an attribute), or None."""
        plan = self._plan(conn, params)
        if plan is None:
            row = conn.execute(self.statement, dict(params)).first()
            return None if row is None else Record(row._mapping)
        cursor = self._run(conn, plan, params)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else Record(zip(plan.columns, row, strict=True))

    def rowcount(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run a write; answer how many rows it matched."""
        plan = self._plan(conn, params)
        if plan is None:
            return conn.execute(self.statement, dict(params)).rowcount
        cursor = self._run(conn, plan, params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Record]:
        """Every row, as :meth:`first` reads one."""
        plan = self._plan(conn, params)
        if plan is None:
            return [Record(r._mapping) for r in conn.execute(self.statement, dict(params))]
        cursor = self._run(conn, plan, params)
        try:
            return [Record(zip(plan.columns, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def tuples(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row as a tuple of its columns, in the statement's order."""
        plan = self._plan(conn, params)
        if plan is None:
            return [tuple(r) for r in conn.execute(self.statement, dict(params))]
        cursor = self._run(conn, plan, params)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    def inserted_id(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run an INSERT of one row; answer its integer primary key."""
        plan = self._plan(conn, params)
        if plan is None:
            return conn.execute(self.statement, dict(params)).inserted_primary_key[0]
        cursor = self._run(conn, plan, params)
        try:
            return cursor.lastrowid
        finally:
            cursor.close()

    def many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run a write once per row (``executemany``); every row has the same keys."""
        if not rows:
            return
        plan = self._plan(conn, rows[0])
        if plan is None or plan.lists:  # a list's length is the first row's
            conn.execute(self.statement, [dict(r) for r in rows])
            return
        if plan.order is None:
            args: list[Any] = [{**plan.fixed, **r} for r in rows]
        else:
            args = [[v[k] for k in plan.order] for v in ({**plan.fixed, **r} for r in rows)]
        conn.connection.dbapi_connection.executemany(plan.sql, args)

    @staticmethod
    def _run(conn: Connection, plan: _Plan, params: Mapping[str, Any]) -> Any:  # noqa: ANN401
        values = {**plan.fixed, **params}
        if plan.lists:
            args: Any = []
            for k in plan.order or ():
                if k in plan.lists:
                    args.extend(values[k])
                else:
                    args.append(values[k])
        else:
            args = [values[k] for k in plan.order] if plan.order is not None else values
        # pysqlite's own connection: SQLAlchemy's driver_connection is the same object,
        # reached through three properties and a dialect call.
        return conn.connection.dbapi_connection.execute(plan.sql, args)  # a cursor

    def _plan(self, conn: Connection, params: Mapping[str, Any]) -> _Plan | None:
        key: tuple[Any, ...] = (conn.dialect.name, frozenset(params))
        if self._lists:
            key += tuple(len(params[name]) for name in self._lists if name in params)
        try:
            return self._plans[key]
        except KeyError:
            pass
        if conn.dialect.name != "sqlite":
            # Over the network a round trip dwarfs SQLAlchemy's cost, and psycopg's
            # result types are known only per row: PostgreSQL keeps the usual path.
            self._plans[key] = None
            return None
        compiled = self.statement.compile(dialect=conn.dialect, column_keys=sorted(params))
        named = {compiled.bind_names[b]: b for b in compiled.binds.values()}
        lists = frozenset(name for name, bind in named.items() if bind.expanding)
        if self._lists is None:
            self._lists = tuple(sorted(name for name in lists if named[name].required))
            if self._lists:  # the key above did not count the lists' lengths
                return self._plan(conn, params)
        fixed = {
            name: bind.value
            for name, bind in named.items()
            if not bind.required and name not in params
        }
        values = {**fixed, **params}
        plain = (
            all(p is _SQLITE_TO_FLOAT for p in compiled._bind_processors.values())
            # Column defaults computed in Python at execution: a bare cursor would not.
            and not getattr(compiled, "insert_prefetch", None)
            and not getattr(compiled, "update_prefetch", None)
            and not compiled.literal_execute_params
            and (not lists or compiled.positional)
            and all(values.get(name) for name in lists)  # an empty list: SQLAlchemy's own form
            and not any(
                c.type._cached_result_processor(conn.dialect, None)
                for c in getattr(compiled.statement, "selected_columns", ())
            )
        )
        plan = None
        if plain:
            sql = str(compiled)
            for name in lists:
                sql = sql.replace(f"__[POSTCOMPILE_{name}]", ", ".join("?" * len(values[name])))
            order = tuple(compiled.positiontup) if compiled.positional else None
            columns = tuple(name for name, *_ in (compiled._result_columns or ()))
            plan = _Plan(sql, order, columns, fixed, lists)
        self._plans[key] = plan
        return plan


class Bound:
    """A prepared statement with some of its parameters given once (a scope's, say).

    One statement compiled for all the values those parameters take, where a
    statement per value would be compiled again for each.
    """

    __slots__ = ("prepared", "given")

    def __init__(self, prepared: Prepared, given: Mapping[str, Any]) -> None:
        self.prepared = prepared
        self.given = dict(given)

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Record | None:
        return self.prepared.first(conn, {**self.given, **params})

    def rowcount(self, conn: Connection, params: Mapping[str, Any]) -> int:
        return self.prepared.rowcount(conn, {**self.given, **params})

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Record]:
        return self.prepared.all(conn, {**self.given, **params})


_INSERTS: dict[str, Prepared] = {}


def insert_rows(
    conn: Connection,
    table: Any,  # noqa: ANN401
    rows: Mapping[str, Any] | Sequence[Mapping[str, Any]],
) -> None:
    """Insert one row (a mapping) or many (a list of mappings with the same keys) into
    ``table``: a prepared INSERT, compiled once per table and set of columns."""
    prepared = _INSERTS.get(table.name)
    if prepared is None:
        prepared = _INSERTS[table.name] = Prepared(insert(table))
    if isinstance(rows, Mapping):
        prepared.rowcount(conn, rows)
    else:
        prepared.many(conn, rows)


_INSERT_NEW: dict[tuple[str, ...], Any] = {}


def insert_new(conn: Connection, table: Any, values: dict[str, Any], *conflict: str) -> bool:
    """Insert one row unless its key (or the unique ``conflict`` columns) is taken; whether
    it went in. A refused row inserts nothing and needs no savepoint: the caller's
    transaction is as it was. (The statement is built once per dialect and table. SQLite's
    driver counts the rows ON CONFLICT DO NOTHING inserted; PostgreSQL's answers -1, so
    there the statement returns the row's key instead.)
    """
    on_sqlite = conn.dialect.name == "sqlite"
    key = (conn.dialect.name, table.name, *conflict)
    statement = _INSERT_NEW.get(key)
    if statement is None:
        dialect = sqlite if on_sqlite else postgresql
        statement = dialect.insert(table).on_conflict_do_nothing(
            index_elements=list(conflict) or None
        )
        if on_sqlite:
            statement = Prepared(statement)
        else:
            statement = statement.returning(*table.primary_key.columns)
        _INSERT_NEW[key] = statement
    if on_sqlite:
        return statement.rowcount(conn, values) == 1
    return conn.execute(statement, values).first() is not None
