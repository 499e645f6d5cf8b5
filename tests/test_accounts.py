"""Accounts: the bootstrap account from the environment, and `openecs accounts` beside a running server."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alibabacloud_ecs20140526 import models as ecs_models

from openecs.core.accounts import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_HUAWEI_PROJECT_ID,
)
from tests import clients
from tests.servers import ChildServer, Tenant


def openecs_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openecs", *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_args(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    if request.param == "postgres":
        return ["--database-url", request.getfixturevalue("postgres_url")]
    return ["--data-dir", str(tmp_path)]


@pytest.fixture
def child(store_args: list[str]) -> Iterator[ChildServer]:
    kw = (
        {"database_url": store_args[1]}
        if store_args[0] == "--database-url"
        else {"data_dir": Path(store_args[1])}
    )
    server = ChildServer(**kw).start()
    yield server
    server.stop()


def _regions(tenant: Tenant) -> list[str]:
    body = clients.tea_ecs(tenant).describe_regions(ecs_models.DescribeRegionsRequest()).body
    return [r.region_id for r in body.regions.region]


def test_accounts_create_prints_keys_and_a_project_per_huawei_region(store_args: list[str]) -> None:
    out = openecs_cli("accounts", "create", "alice", "--json", *store_args)
    assert out.returncode == 0, out.stderr
    account = json.loads(out.stdout)
    assert set(account) == {"name", "access_key_id", "access_key_secret", "huawei_project_ids"}
    assert account["name"] == "alice"
    assert "cn-north-4" in account["huawei_project_ids"]
    assert all(len(p) == 32 for p in account["huawei_project_ids"].values())


def test_a_new_account_is_served_at_once_by_a_running_server(
    child: ChildServer, store_args: list[str]
) -> None:
    from openecs.core.accounts import Account

    out = openecs_cli("accounts", "create", "bob", "--json", *store_args)
    data = json.loads(out.stdout)
    tenant = Tenant(Account(0, data["name"], data["access_key_id"], data["access_key_secret"],
                            data["huawei_project_ids"]), child.endpoint)
    assert "cn-hangzhou" in _regions(tenant)


def test_accounts_list_shows_the_bootstrap_and_created_accounts(store_args: list[str]) -> None:
    openecs_cli("accounts", "create", "carol", "--json", *store_args)
    out = openecs_cli("accounts", "list", "--json", *store_args)
    names = [a["name"] for a in json.loads(out.stdout)]
    assert "default" in names and "carol" in names


def test_creating_an_account_twice_fails_with_a_message(store_args: list[str]) -> None:
    openecs_cli("accounts", "create", "dave", *store_args)
    out = openecs_cli("accounts", "create", "dave", *store_args)
    assert out.returncode != 0
    assert "already exists" in out.stderr


def test_the_bootstrap_account_has_documented_default_keys(tmp_path: Path) -> None:
    from openecs.core.accounts import Account

    server = ChildServer(data_dir=tmp_path).start()
    try:
        tenant = Tenant(
            Account(0, "default", DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET,
                    {"cn-north-4": DEFAULT_HUAWEI_PROJECT_ID}),
            server.endpoint,
        )
        assert "cn-hangzhou" in _regions(tenant)
    finally:
        server.stop()


def test_the_bootstrap_account_takes_its_keys_from_the_environment(tmp_path: Path) -> None:
    from openecs.core.accounts import Account

    env = {
        "OPENECS_ACCESS_KEY_ID": "LTAIenvironmentKey01",
        "OPENECS_ACCESS_KEY_SECRET": "environment-secret",
        "OPENECS_HUAWEI_PROJECT_ID": "fedcba9876543210fedcba9876543210",
    }
    server = ChildServer(data_dir=tmp_path, env=env).start()
    try:
        tenant = Tenant(
            Account(0, "default", env["OPENECS_ACCESS_KEY_ID"], env["OPENECS_ACCESS_KEY_SECRET"],
                    {"cn-north-4": env["OPENECS_HUAWEI_PROJECT_ID"]}),
            server.endpoint,
        )
        assert "cn-hangzhou" in _regions(tenant)
        out = openecs_cli("accounts", "list", "--json", "--data-dir", str(tmp_path))
    finally:
        server.stop()
    default = next(a for a in json.loads(out.stdout) if a["name"] == "default")
    assert default["huawei_project_ids"]["cn-north-4"] == env["OPENECS_HUAWEI_PROJECT_ID"]
