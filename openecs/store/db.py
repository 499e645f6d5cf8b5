"""Engines and transactions for the two supported stores: SQLite and PostgreSQL.

SQLite is the embedded default: one file in the data directory, WAL mode so
readers never wait on the writer, and ``BEGIN IMMEDIATE`` for every write
transaction so two writers queue on the file lock instead of failing on a
lock upgrade. PostgreSQL is the scale-out store: many stateless server
processes share it, and row locks and unique constraints keep them honest.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url


def sqlite_url(data_dir: Path) -> str:
    """The URL of the embedded store inside ``data_dir``."""
    return f"sqlite:///{Path(data_dir) / 'openecs.db'}"


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Database:
    """One store: an engine plus the rules for opening transactions on it."""

    def __init__(self, url: str, *, pool_size: int = 16) -> None:
        self.url = normalize_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        self.engine: Engine = self._create_engine(pool_size)
        # SQLite allows one writer; queue this process's writers here rather
        # than on the file lock, which other processes (the CLI) still honour.
        self._write_lock = threading.Lock() if self.is_sqlite else None
        # On SQLite a pool checkout and return cost more than a short transaction
        # (about 30 us against 12): the writer keeps one connection, and each
        # reading thread its own (see _held).
        self._writer: Connection | None = None
        self._readers = threading.local()
        self._held: list[tuple[threading.Thread, Connection]] = []
        self._held_lock = threading.Lock()
        self._rehearsing = threading.local()  # .conn: this thread's rehearsal (rehearsal())

    def _create_engine(self, pool_size: int) -> Engine:
        if self.is_sqlite:
            path = make_url(self.url).database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                self.url,
                connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None},
                pool_size=pool_size,
                max_overflow=-1,  # threads hold connections (_hold): never wait for one
            )

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA busy_timeout=30000")
                # 32 MiB of pages per connection (SQLite's default is 2 MiB): a fleet of
                # 100 000 instances is about 150 MB on disk, and a page or an instance
                # read by id should not go to the OS for the index pages every time.
                cur.execute("PRAGMA cache_size=-32768")
                cur.close()

            @event.listens_for(engine, "begin")
            def _sqlite_begin(conn: Connection) -> None:
                driver = conn.connection.dbapi_connection
                if driver.in_transaction:
                    return  # begun on the driver already (_DriverTransaction)
                # On the driver's connection: SQLAlchemy's statement machinery costs
                # more than the BEGIN itself, and nothing here needs it.
                driver.execute(f"BEGIN {conn.info.get('begin_mode', 'DEFERRED')}")

            return engine
        # No pre-ping: it costs a round trip per checkout; a connection the server
        # dropped is invalidated on first use and the pool recycles old ones.
        return create_engine(
            self.url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800
        )

    def write(self) -> AbstractContextManager[Connection]:
        """A read-write transaction, committed on success, rolled back on error."""
        if self._write_lock is not None and getattr(self._rehearsing, "conn", None) is None:
            # SQLite's one writer, queued on the lock: every write request comes here.
            return _DriverTransaction(self, None, "BEGIN IMMEDIATE", self._write_lock)
        return self._other_write()

    def write_one(self) -> AbstractContextManager[Connection]:
        """A write of exactly one statement, which commits as it runs (autocommit).

        The statement is its own transaction, atomic as any: what a BEGIN and a
        COMMIT around it would add is two more calls into the driver on SQLite
        (about a third of a one-row update's cost there) and two round trips on
        PostgreSQL. Two statements inside would commit apart: a change of more
        than one statement takes :meth:`write`.
        """
        if getattr(self._rehearsing, "conn", None) is not None:
            return self._other_write()
        if self._write_lock is not None:
            return _DriverTransaction(self, None, None, self._write_lock)
        return self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def _other_write(self) -> Iterator[Connection]:
        rehearsal = getattr(self._rehearsing, "conn", None)
        if rehearsal is not None:
            with rehearsal.begin_nested():
                yield rehearsal
            return
        with self.engine.begin() as conn:
            yield conn

    def read(self) -> AbstractContextManager[Connection]:
        """Reads: on SQLite one transaction, a consistent snapshot; on PostgreSQL statements
        each reading what is committed when it runs (READ COMMITTED, without a transaction's
        two round trips)."""
        if self.is_sqlite and getattr(self._rehearsing, "conn", None) is None:
            held = getattr(self._readers, "conn", None)
            if held is None:
                held = self._readers.conn = self._hold()
            if not _driver_in_transaction(held):  # (else a read inside a read)
                return _DriverTransaction(self, held, "BEGIN DEFERRED")
        return self._other_read()

    @contextmanager
    def _other_read(self) -> Iterator[Connection]:
        """A rehearsal's, PostgreSQL's, or a read inside a read (a connection of its own)."""
        rehearsal = getattr(self._rehearsing, "conn", None)
        if rehearsal is not None:
            yield rehearsal
            return
        if not self.is_sqlite:
            # Autocommit: in PostgreSQL's READ COMMITTED (its default, and ours) each statement
            # of a transaction reads what is committed when it runs, so wrapping reads in one
            # bought no consistency, only its BEGIN and COMMIT: two round trips a request.
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                yield conn
            return
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def rehearsal(self) -> Iterator[Connection]:
        """One transaction that is rolled back at the end, whatever happens inside.

        Every ``write()`` and ``read()`` of this thread meanwhile runs inside it (a write
        in a savepoint, so a refused one is undone alone); other threads see none of it,
        and on SQLite their writes wait until it ends. What it leaves behind is only
        what was compiled and cached (see openecs/warmup.py): on SQLite it runs on the
        held writer connection, and opens this thread's reader, so both have read the
        schema before the first request (a new connection's first statement parses it).
        """
        if self._write_lock is None:
            with self.engine.connect() as conn:
                yield from self._rolled_back(conn)
            return
        with self.read() as reader:
            reader.exec_driver_sql("SELECT count(*) FROM sqlite_master")
        with self._write_lock:
            yield from self._rolled_back(self._held_writer())

    def _rolled_back(self, conn: Connection) -> Iterator[Connection]:
        transaction = conn.begin()
        self._rehearsing.conn = conn
        try:
            yield conn
        finally:
            self._rehearsing.conn = None
            transaction.rollback()

    def _held_writer(self) -> Connection:
        """The writer's connection (SQLite; the caller holds the write lock)."""
        if self._writer is None:
            self._writer = self._hold()
            self._writer.info["begin_mode"] = "IMMEDIATE"
        return self._writer

    def _hold(self) -> Connection:
        """A connection kept out of the pool while its thread lives (SQLite only).

        Server threads come and go (the thread pool retires idle ones): the
        connections of threads that ended go back to the pool here.
        """
        conn = self.engine.connect()
        with self._held_lock:
            ended = [(t, c) for t, c in self._held if not t.is_alive() and c is not self._writer]
            self._held = [h for h in self._held if h not in ended]
            self._held.append((threading.current_thread(), conn))
        for _, old in ended:
            old.close()
        return conn

    def _forget(self, conn: Connection) -> None:
        if conn is self._writer:
            self._writer = None
        if getattr(self._readers, "conn", None) is conn:
            self._readers.conn = None
        with self._held_lock:
            self._held = [h for h in self._held if h[1] is not conn]
        conn.close()

    def dispose(self) -> None:
        with self._held_lock:
            held, self._held = self._held, []
        for _, conn in held:
            conn.close()
        self._writer = None
        self._readers = threading.local()
        self.engine.dispose()


class _DriverTransaction:
    """One transaction on a held SQLite connection, begun and ended on the driver.

    SQLAlchemy's own transaction (its object, its begin and commit events and
    bookkeeping) costs about 15 us, more than SQLite's BEGIN and COMMIT, and
    most requests run only prepared statements (store/prepared.py), which never
    need it. A statement run through ``Connection.execute`` inside makes
    SQLAlchemy begin its own on the first one (the begin listener sees the
    driver already in a transaction and sends nothing), and the transaction
    then ends through SQLAlchemy. A connection an error left unusable is
    dropped. A class rather than a generator: entered on every request.
    """

    __slots__ = ("db", "conn", "begin", "lock", "driver")

    def __init__(
        self,
        db: Database,
        conn: Connection | None,
        begin: str | None,
        lock: threading.Lock | None = None,
    ) -> None:
        """``conn`` None: the writer's, taken once ``lock`` (the write lock) is held;
        ``begin`` None: no transaction is begun (a statement then commits as it runs)."""
        self.db, self.conn, self.begin, self.lock = db, conn, begin, lock
        self.driver: Any = None

    def __enter__(self) -> Connection:
        if self.lock is not None:
            self.lock.acquire()
        try:
            conn = self.conn = self.conn or self.db._held_writer()
            try:
                self.driver = conn.connection.dbapi_connection
                if self.begin is not None:
                    self.driver.execute(self.begin)
            except BaseException:
                self.db._forget(conn)
                raise
        except BaseException:
            if self.lock is not None:
                self.lock.release()
            raise
        return conn

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        conn, driver, commit = self.conn, self.driver, kind is None
        assert conn is not None
        try:
            try:
                if conn.in_transaction():  # SQLAlchemy joined: it ends the transaction
                    conn.commit() if commit else conn.rollback()
                elif driver.in_transaction:
                    driver.commit() if commit else driver.rollback()
            except BaseException:
                self.db._forget(conn)  # closing it rolls back what is left
                raise
            if conn.invalidated or driver.in_transaction:
                self.db._forget(conn)
        finally:
            if self.lock is not None:
                self.lock.release()


def _driver_in_transaction(conn: Connection) -> bool:
    """Whether SQLite itself is inside a transaction on ``conn`` (whoever began it)."""
    return bool(conn.connection.dbapi_connection.in_transaction)
