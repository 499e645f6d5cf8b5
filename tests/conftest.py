"""Fixtures: a live server per store (SQLite and PostgreSQL), a fresh tenant per test.

``server`` is parametrized over both stores, so every end-to-end test runs on
both. PostgreSQL tests are never silently skipped in CI: without a reachable
server they fail there (CI=true) and are skipped only on a developer machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from openecs.config import Settings
from openecs.store import migrate
from openecs.store.db import Database, sqlite_url
from tests.servers import (
    InProcessServer,
    Tenant,
    create_postgres_database,
    drop_postgres_database,
    postgres_available,
)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_postgres() -> None:
    if postgres_available():
        return
    if IN_CI:
        pytest.fail("PostgreSQL is not reachable; CI must run the PostgreSQL tests")
    pytest.skip("PostgreSQL is not reachable (set OPENECS_TEST_POSTGRES)")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    require_postgres()
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """A database of the test's own, for tests whose engine clock must not meet a server's."""
    require_postgres()
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def migrated_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, empty store with the whole schema, on each backend (disposed after)."""
    if request.param == "postgres":
        store = Database(request.getfixturevalue("fresh_postgres_url"))
    else:
        store = Database(sqlite_url(tmp_path))
    migrate.upgrade(store)
    yield store
    store.dispose()


def _start(settings: Settings) -> InProcessServer:
    return InProcessServer(settings).start()


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    server = _start(Settings(data_dir=Path(tmp_path_factory.mktemp("sqlite-store"))))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    server = _start(Settings(data_dir=Path(tmp_path_factory.mktemp("pg-unused")), database_url=postgres_url))
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest) -> InProcessServer:
    """A running server on each store, shared by the tests of a session."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture
def tenant(server: InProcessServer) -> Tenant:
    """A fresh account of its own for each test, so tests never see each other's resources."""
    return server.new_tenant()
