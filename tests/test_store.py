"""The store: migrations create exactly the schema the code describes, on both stores."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from openecs.store import migrate
from openecs.store.db import Database, sqlite_url
from openecs.store.tables import metadata


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "postgres":
        db = Database(request.getfixturevalue("postgres_url"))
    else:
        db = Database(sqlite_url(tmp_path))
    migrate.upgrade(db)
    return db


def test_the_migrations_build_the_schema_the_tables_module_describes(migrated: Database) -> None:
    with migrated.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrading_twice_changes_nothing(migrated: Database) -> None:
    migrate.upgrade(migrated)
    with migrated.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
