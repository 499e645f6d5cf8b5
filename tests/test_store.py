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


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migration_0008_fills_cursors_and_group_counts_from_the_rows_already_there(
    store: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A store that had subnets, addresses and memberships before 0008 gets each cursor at
    the subnet's lowest free address and each group's count of its interfaces."""
    import time

    from alembic import command
    from sqlalchemy import text

    from openecs.config import Settings
    from openecs.core import interfaces, ipam, network
    from openecs.core import security_groups as sg
    from openecs.core.accounts import create_account
    from openecs.runtime import Runtime

    url = request.getfixturevalue("fresh_postgres_url") if store == "postgres" else None
    rt = Runtime(Settings(data_dir=tmp_path, database_url=url), start_engine=False)
    with rt.db.write() as conn:
        scope = network.Scope("aliyun", create_account(conn, "m8").id, "cn-hangzhou")
        vpc = network.create_vpc(conn, scope, vpc_id="vpc-m8", cidr_block="10.0.0.0/8",
                                 name="v", description="", now=time.time(), ready_after=0)
        subnet = network.create_subnet(conn, scope, subnet_id="vsw-m8", vpc_id=vpc.id,
                                       zone_id="cn-hangzhou-h", cidr_block="10.0.0.0/24", name="s",
                                       description="", now=time.time(), ready_after=0)
        group = sg.create_group(conn, scope, group_id="sg-m8", name="g", description="",
                                now=time.time(), vpc_id=vpc.id)
        for n in range(3):
            interfaces.create_interface(conn, scope, interface_id=f"eni-m8-{n}", subnet_id=subnet.id,
                                        now=time.time(), group_ids=[group.id])
        ipam.release(conn, subnet.id, "10.0.0.2")
    cfg = migrate.alembic_config(rt.db)
    with rt.db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
        command.upgrade(cfg, "head")
        conn.commit()
        cursor = conn.execute(text("SELECT next_free FROM ip_cursors WHERE subnet_id = 'vsw-m8'"))
        count = conn.execute(text("SELECT interface_count FROM security_groups WHERE id = 'sg-m8'"))
        assert (ipam.to_text(cursor.scalar_one()), count.scalar_one()) == ("10.0.0.2", 3)
    rt.close()


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migration_0009_counts_each_subnet_s_addresses_and_the_triggers_keep_the_count(
    store: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A store that had addresses before 0009 gets each subnet's count of them; claims and
    releases after it move the count, as a count of the rows would."""
    import time

    from alembic import command
    from sqlalchemy import func, select

    from openecs.config import Settings
    from openecs.core import interfaces, ipam, network
    from openecs.core.accounts import create_account
    from openecs.runtime import Runtime
    from openecs.store.tables import ip_allocations

    url = request.getfixturevalue("fresh_postgres_url") if store == "postgres" else None
    rt = Runtime(Settings(data_dir=tmp_path, database_url=url), start_engine=False)
    with rt.db.write() as conn:
        scope = network.Scope("aliyun", create_account(conn, "m9").id, "cn-hangzhou")
        vpc = network.create_vpc(conn, scope, vpc_id="vpc-m9", cidr_block="10.0.0.0/8",
                                 name="v", description="", now=time.time(), ready_after=0)
        subnet = network.create_subnet(conn, scope, subnet_id="vsw-m9", vpc_id=vpc.id,
                                       zone_id="cn-hangzhou-h", cidr_block="10.0.0.0/24", name="s",
                                       description="", now=time.time(), ready_after=0)
        for n in range(3):
            interfaces.create_interface(conn, scope, interface_id=f"eni-m9-{n}", subnet_id=subnet.id,
                                        now=time.time(), secondary_count=n)
    cfg = migrate.alembic_config(rt.db)
    with rt.db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
        command.upgrade(cfg, "head")
        conn.commit()

    def counted() -> tuple[int, int]:
        with rt.db.read() as conn:
            rows = conn.execute(
                select(func.count()).where(ip_allocations.c.subnet_id == subnet.id)
            ).scalar_one()
            return ipam.used_count(conn, subnet.id), rows

    kept, rows = counted()
    assert kept == rows == 4 + 6  # the four reserved addresses, and 1 + 2 + 3 interface addresses
    with rt.db.write() as conn:
        interfaces.delete_interface(conn, scope, "eni-m9-2")
        interfaces.create_interface(conn, scope, interface_id="eni-m9-3", subnet_id=subnet.id,
                                    now=time.time(), secondary_count=1)
    assert counted() == (4 + 3 + 2,) * 2
    rt.close()
