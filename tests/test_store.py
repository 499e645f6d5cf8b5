"""The store: migrations create exactly the schema the code describes, on both stores."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, func, select, text

from openecs.config import Settings
from openecs.core import interfaces, ipam, network
from openecs.core import security_groups as sg
from openecs.core.accounts import create_account
from openecs.runtime import Runtime
from openecs.store import migrate
from openecs.store.db import Database
from openecs.store.tables import ip_allocations, metadata


@pytest.fixture
def migrated(migrated_store: Database) -> Database:
    return migrated_store


def test_the_migrations_build_the_schema_the_tables_module_describes(migrated: Database) -> None:
    with migrated.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrading_twice_changes_nothing(migrated: Database) -> None:
    migrate.upgrade(migrated)
    with migrated.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _runtime(store: str, request: pytest.FixtureRequest, tmp_path: Path) -> Runtime:
    url = request.getfixturevalue("fresh_postgres_url") if store == "postgres" else None
    return Runtime(Settings(data_dir=tmp_path, database_url=url), start_engine=False)


def _subnet(conn: Connection, name: str) -> tuple[network.Scope, network.Subnet]:
    """An account with a VPC and a /24 vSwitch in it, named after ``name``."""
    scope = network.Scope("aliyun", create_account(conn, name).id, "cn-hangzhou")
    vpc = network.create_vpc(conn, scope, vpc_id=f"vpc-{name}", cidr_block="10.0.0.0/8",
                             name="v", description="", now=time.time(), ready_after=0)
    subnet = network.create_subnet(conn, scope, subnet_id=f"vsw-{name}", vpc_id=vpc.id,
                                   zone_id="cn-hangzhou-h", cidr_block="10.0.0.0/24", name="s",
                                   description="", now=time.time(), ready_after=0)
    return scope, subnet


def _migrate_again_from(rt: Runtime, revision: str) -> None:
    """Down to ``revision``, and up again: the later migrations run on the rows there."""
    cfg = migrate.alembic_config(rt.db)
    with rt.db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        command.upgrade(cfg, "head")
        conn.commit()


@pytest.mark.parametrize("store", STORES)
def test_migration_0008_fills_cursors_and_group_counts_from_the_rows_already_there(
    store: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A store that had subnets, addresses and memberships before 0008 gets each cursor at
    the subnet's lowest free address and each group's count of its interfaces."""
    rt = _runtime(store, request, tmp_path)
    with rt.db.write() as conn:
        scope, subnet = _subnet(conn, "m8")
        group = sg.create_group(conn, scope, group_id="sg-m8", name="g", description="",
                                now=time.time(), vpc_id=subnet.vpc_id)
        for n in range(3):
            interfaces.create_interface(conn, scope, interface_id=f"eni-m8-{n}", subnet_id=subnet.id,
                                        now=time.time(), group_ids=[group.id])
        ipam.release(conn, subnet.id, "10.0.0.2")
    _migrate_again_from(rt, "0007")
    with rt.db.read() as conn:
        cursor = conn.execute(text("SELECT next_free FROM ip_cursors WHERE subnet_id = 'vsw-m8'"))
        count = conn.execute(text("SELECT interface_count FROM security_groups WHERE id = 'sg-m8'"))
        assert (ipam.to_text(cursor.scalar_one()), count.scalar_one()) == ("10.0.0.2", 3)
    rt.close()


@pytest.mark.parametrize("store", STORES)
def test_migration_0009_counts_each_subnet_s_addresses_and_the_triggers_keep_the_count(
    store: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A store that had addresses before 0009 gets each subnet's count of them; claims and
    releases after it move the count, as a count of the rows would."""
    rt = _runtime(store, request, tmp_path)
    with rt.db.write() as conn:
        scope, subnet = _subnet(conn, "m9")
        for n in range(3):
            interfaces.create_interface(conn, scope, interface_id=f"eni-m9-{n}", subnet_id=subnet.id,
                                        now=time.time(), secondary_count=n)
    _migrate_again_from(rt, "0008")

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
