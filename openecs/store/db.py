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
from contextlib import contextmanager
from pathlib import Path

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

    def _create_engine(self, pool_size: int) -> Engine:
        if self.is_sqlite:
            path = make_url(self.url).database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                self.url,
                connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None},
                pool_size=pool_size,
                max_overflow=pool_size,
            )

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA busy_timeout=30000")
                cur.close()

            @event.listens_for(engine, "begin")
            def _sqlite_begin(conn: Connection) -> None:
                mode = conn.info.get("begin_mode", "DEFERRED")
                conn.exec_driver_sql(f"BEGIN {mode}")

            return engine
        # No pre-ping: it costs a round trip per checkout; a connection the server
        # dropped is invalidated on first use and the pool recycles old ones.
        return create_engine(
            self.url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800
        )

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write transaction, committed on success, rolled back on error."""
        if self._write_lock is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._write_lock, self.engine.connect() as conn:
            conn.info["begin_mode"] = "IMMEDIATE"
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.info["begin_mode"] = "DEFERRED"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot on both stores)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()
