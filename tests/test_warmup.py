"""The warm-up rehearsal: every call it makes is answered, and the store ends as it began."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from openecs import warmup
from openecs.config import Settings
from openecs.faces.aliyun.protocol import AliyunFace
from openecs.runtime import Runtime
from openecs.store import tables

SCRIPT = [
    "CreateVpc", "DescribeVpcs", "CreateVSwitch", "DescribeVSwitches", "CreateSecurityGroup",
    "CreateLaunchTemplate", "CreateLaunchTemplateVersion", "RunInstances", "DescribeInstances",
    "DescribeInstances", "DescribeInstanceStatus", "ModifyInstanceAttribute",
    "CreateNetworkInterface", "DescribeNetworkInterfaces", "DeleteNetworkInterface",
    "DeleteInstances",
]  # fmt: skip
COUNTED = [tables.accounts, tables.vpcs, tables.subnets, tables.ip_allocations, tables.instances,
           tables.network_interfaces, tables.tasks, tables.launch_templates]  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    url = request.getfixturevalue("fresh_postgres_url") if request.param == "postgres" else None
    rt = Runtime(Settings(data_dir=tmp_path, database_url=url), start_engine=False)
    yield rt
    rt.close()


def _counts(rt: Runtime) -> list[int]:
    with rt.db.read() as conn:
        return [conn.execute(select(func.count()).select_from(t)).scalar_one() for t in COUNTED]


def test_the_rehearsal_answers_every_call_of_its_script(runtime: Runtime) -> None:
    assert warmup.rehearse(runtime, AliyunFace(runtime)) == SCRIPT


def test_the_rehearsal_leaves_the_store_as_it_was(runtime: Runtime) -> None:
    before = _counts(runtime)
    warmup.rehearse(runtime, AliyunFace(runtime))
    assert _counts(runtime) == before
    with runtime.db.write() as conn:  # and the store takes writes again
        conn.execute(select(func.count()).select_from(tables.vpcs))


def test_a_rehearsal_that_fails_is_logged_and_rolled_back(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def failing(call, ready) -> None:  # noqa: ANN001
        call("CreateVpc", warmup.VPC, CidrBlock="10.0.0.0/8")
        raise RuntimeError("stop here")

    monkeypatch.setattr(warmup, "_script", failing)
    before = _counts(runtime)
    assert warmup.rehearse(runtime, AliyunFace(runtime)) == ["CreateVpc"]
    assert "warm-up rehearsal stopped" in caplog.text
    assert _counts(runtime) == before


def test_the_rehearsal_looks_an_account_up_through_the_reader_of_this_thread_s_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openecs.core import accounts

    rt = Runtime(Settings(data_dir=tmp_path), start_engine=False)  # SQLite: readers are held
    seen = []
    lookup = accounts.find_by_access_key
    monkeypatch.setattr(accounts, "find_by_access_key", lambda c, k: seen.append(c) or lookup(c, k))
    try:
        warmup.rehearse(rt, AliyunFace(rt))
        assert rt.db._readers.conn in seen
    finally:
        rt.close()
