"""Launch templates in the core: numbered versions, the default, the limits, under contention."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from openecs.config import Settings
from openecs.core import network
from openecs.core import templates as lt
from openecs.core.accounts import create_account
from openecs.core.errors import Conflict, DomainError, NotFound, QuotaExceeded
from openecs.runtime import Runtime

THREADS = 8
LIMIT = 30


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    url = request.getfixturevalue("fresh_postgres_url") if request.param == "postgres" else None
    return Settings(data_dir=tmp_path, database_url=url)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(settings, start_engine=False)
    yield rt
    rt.close()


@pytest.fixture
def scope(runtime: Runtime) -> network.Scope:
    with runtime.db.write() as conn:
        account = create_account(conn, f"lt-{time.monotonic_ns()}")
    return network.Scope("aliyun", account.id, "cn-hangzhou")


def _create(runtime: Runtime, scope: network.Scope, name: str = "web", **kw) -> lt.Template:
    with runtime.db.write() as conn:
        return lt.create(
            conn,
            scope,
            template_id=f"lt-{uuid.uuid4().hex[:12]}",
            version_id=uuid.uuid4().hex,
            name=name,
            data={"ImageId": "img-1"},
            now=1.0,
            **kw,
        )


def _add(runtime: Runtime, scope: network.Scope, template_id: str, **data) -> lt.Version:
    with runtime.db.write() as conn:
        return lt.add_version(
            conn,
            scope,
            template_id,
            version_id=uuid.uuid4().hex,
            data=data,
            now=2.0,
            max_versions=LIMIT,
        )


def _numbers(runtime: Runtime, template_id: str) -> list[int]:
    with runtime.db.read() as conn:
        return [v.number for v in lt.versions_of(conn, [template_id])]


def test_a_new_template_has_version_one_as_its_default(runtime, scope):
    t = _create(runtime, scope)
    assert (t.default_version, t.latest_version) == (1, 1)
    with runtime.db.read() as conn:
        (v,) = lt.versions_of(conn, [t.id])
    assert (v.number, v.data) == (1, {"ImageId": "img-1"})


def test_versions_are_numbered_in_order_and_keep_their_data(runtime, scope):
    t = _create(runtime, scope)
    assert _add(runtime, scope, t.id, ImageId="img-2").number == 2
    assert _add(runtime, scope, t.id, ImageId="img-3").number == 3
    with runtime.db.read() as conn:
        assert lt.get_version(conn, t, 2).data == {"ImageId": "img-2"}
        assert lt.get(conn, scope, template_id=t.id).latest_version == 3


def test_a_name_is_unique_in_its_scope(runtime, scope):
    _create(runtime, scope)
    with pytest.raises(Conflict) as info:
        _create(runtime, scope)
    assert info.value.reason == "launch_template.duplicate"
    other = network.Scope("aliyun", scope.account_id, "cn-beijing")
    assert _create(runtime, other).name == "web"


def test_a_template_is_found_by_id_or_by_name_and_only_in_its_scope(runtime, scope):
    t = _create(runtime, scope)
    with runtime.db.read() as conn:
        assert lt.get(conn, scope, name="web").id == t.id
        with pytest.raises(NotFound):
            lt.get(conn, network.Scope("huawei", scope.account_id, "cn-hangzhou"), name="web")


def test_the_version_limit_is_refused_and_numbers_are_never_reused(runtime, scope):
    t = _create(runtime, scope)
    for _ in range(LIMIT - 1):
        _add(runtime, scope, t.id)
    with pytest.raises(QuotaExceeded) as info:
        _add(runtime, scope, t.id)
    assert info.value.reason == "launch_template.version_limit"
    assert len(_numbers(runtime, t.id)) == LIMIT
    with runtime.db.write() as conn:
        lt.delete_versions(conn, scope, t.id, [2], now=3.0)
    assert _add(runtime, scope, t.id).number == LIMIT + 1


def test_the_default_version_cannot_be_deleted(runtime, scope):
    t = _create(runtime, scope)
    _add(runtime, scope, t.id)
    with pytest.raises(Conflict) as info, runtime.db.write() as conn:
        lt.delete_versions(conn, scope, t.id, [1, 2], now=3.0)
    assert info.value.reason == "launch_template.default_version"
    assert _numbers(runtime, t.id) == [1, 2]


def test_deleting_a_missing_version_deletes_none(runtime, scope):
    t = _create(runtime, scope)
    _add(runtime, scope, t.id)
    with pytest.raises(NotFound), runtime.db.write() as conn:
        lt.delete_versions(conn, scope, t.id, [2, 7], now=3.0)
    assert _numbers(runtime, t.id) == [1, 2]


def test_the_default_moves_to_an_existing_version_only(runtime, scope):
    t = _create(runtime, scope)
    _add(runtime, scope, t.id)
    with runtime.db.write() as conn:
        lt.set_default(conn, scope, t.id, 2, now=3.0)
    with pytest.raises(NotFound), runtime.db.write() as conn:
        lt.set_default(conn, scope, t.id, 9, now=3.0)
    with runtime.db.read() as conn:
        assert lt.get(conn, scope, template_id=t.id).default_version == 2


def test_deleting_a_template_deletes_its_versions(runtime, scope):
    t = _create(runtime, scope)
    _add(runtime, scope, t.id)
    with runtime.db.write() as conn:
        assert lt.delete_(conn, scope, t.id) == [1, 2]
    assert _numbers(runtime, t.id) == []
    with pytest.raises(NotFound), runtime.db.read() as conn:
        lt.get(conn, scope, template_id=t.id)


def test_the_template_limit_of_a_scope_is_refused(runtime, scope):
    _create(runtime, scope, "a", limit=2)
    _create(runtime, scope, "b", limit=2)
    with pytest.raises(QuotaExceeded):
        _create(runtime, scope, "c", limit=2)


def test_concurrent_writers_get_distinct_numbers_and_never_pass_the_limit(runtime, scope):
    t = _create(runtime, scope)
    got: list[int] = []
    refused: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def writer() -> None:
        start.wait()
        for _ in range(5):
            try:
                number = _add(runtime, scope, t.id).number
            except DomainError as err:
                with lock:
                    refused.append(err.reason)
                continue
            with lock:
                got.append(number)

    threads = [threading.Thread(target=writer) for _ in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(got) == len(set(got)) == LIMIT - 1
    assert sorted(got) == list(range(2, LIMIT + 1))
    assert refused == ["launch_template.version_limit"] * (THREADS * 5 - (LIMIT - 1))
    assert _numbers(runtime, t.id) == list(range(1, LIMIT + 1))


def test_concurrent_creates_never_pass_the_template_limit(runtime, scope):
    made: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def creator(i: int) -> None:
        start.wait()
        for j in range(3):
            try:
                t = _create(runtime, scope, f"t{i}-{j}", limit=10)
            except QuotaExceeded:
                continue
            with lock:
                made.append(t.id)

    threads = [threading.Thread(target=creator, args=(i,)) for i in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    with runtime.db.read() as conn:
        assert len(made) == lt.count(conn, scope) == 10
