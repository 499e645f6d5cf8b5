"""Huawei server tags through huaweicloudsdkecs: BatchCreateServerTags, BatchDeleteServerTags,
ShowServerTags and ListServerTags, and the tags given at creation.

The flow first (tags given at creation show in ShowServerTags and GET
server; batch create adds, overwrites and is idempotent; batch delete
removes), then the project's tags, then one test per refusal with a read
showing that nothing changed, tenancy, and the tags going with the server.
"""

from __future__ import annotations

import threading

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import (
    BatchAddServerTag,
    BatchCreateServerTagsRequest,
    BatchCreateServerTagsRequestBody,
    BatchDeleteServerTagsRequest,
    BatchDeleteServerTagsRequestBody,
    ListServerTagsRequest,
    PrePaidServerTag,
    ServerTag,
    ShowServerTagsRequest,
)

from tests import clients
from tests.test_huawei_ports import available, refused
from tests.test_huawei_server_metadata import UNKNOWN
from tests.test_huawei_servers import _create, _show, net  # noqa: F401


def _add(ecs, sid: str, pairs: list[tuple[str, str]], action: str = "create"):  # noqa: ANN001, ANN202
    tags = [BatchAddServerTag(key=k, value=v) for k, v in pairs]
    body = BatchCreateServerTagsRequestBody(action=action, tags=tags)
    return ecs.batch_create_server_tags(BatchCreateServerTagsRequest(server_id=sid, body=body))


def _remove(ecs, sid: str, tags: list[ServerTag], action: str = "delete"):  # noqa: ANN001, ANN202
    body = BatchDeleteServerTagsRequestBody(action=action, tags=tags)
    return ecs.batch_delete_server_tags(BatchDeleteServerTagsRequest(server_id=sid, body=body))


def _tags(ecs, sid: str) -> list[tuple[str, str]]:  # noqa: ANN001
    return [
        (t.key, t.value) for t in ecs.show_server_tags(ShowServerTagsRequest(server_id=sid)).tags
    ]


@pytest.fixture
def vm(tenant, net):  # noqa: ANN001, ANN201, F811
    """A server created with one tag of each creation form."""
    ecs = clients.hw_ecs(tenant)
    sid = _create(
        ecs, net[1], tags=["env.prod"], server_tags=[PrePaidServerTag(key="team", value="web")]
    ).server_ids[0]
    return ecs, sid


# -- the flow


def test_creation_tags_show_in_show_server_tags_and_get_server(vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    assert _tags(ecs, sid) == [("env", "prod"), ("team", "web")]
    assert _show(ecs, sid).tags == ["env=prod", "team=web"]


def test_batch_create_adds_and_overwrites(vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    response = _add(ecs, sid, [("env", "test"), ("app", ""), ("区域", "华北")])
    assert response.status_code == 204
    assert _tags(ecs, sid) == [("env", "test"), ("team", "web"), ("app", ""), ("区域", "华北")]
    assert "env=test" in _show(ecs, sid).tags


def test_batch_create_is_idempotent(vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    _add(ecs, sid, [("env", "prod")])
    _add(ecs, sid, [("env", "prod")])
    assert _tags(ecs, sid) == [("env", "prod"), ("team", "web")]


def test_batch_delete_removes_by_key_or_by_matching_value(vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    response = _remove(ecs, sid, [ServerTag(key="env"), ServerTag(key="team", value="other")])
    assert response.status_code == 204
    assert _tags(ecs, sid) == [("team", "web")]
    _remove(ecs, sid, [ServerTag(key="team", value="web"), ServerTag(key="absent")])
    assert _tags(ecs, sid) == []
    assert _show(ecs, sid).tags == []


def test_list_server_tags_answers_every_value_of_each_key(tenant, net, vm) -> None:  # noqa: ANN001, F811
    ecs, _ = vm
    _create(ecs, net[1], tags=["env.test"])
    _create(ecs, net[1])
    tags = ecs.list_server_tags(ListServerTagsRequest()).tags
    assert [(t.key, sorted(t.values)) for t in tags] == [
        ("env", ["prod", "test"]),
        ("team", ["web"]),
    ]


# -- refusals: each changes nothing


@pytest.mark.parametrize(
    ("pairs", "action"),
    [
        ([("bad key", "v")], "create"),
        ([("k" * 37, "v")], "create"),
        ([("k", "v" * 44)], "create"),
        ([("k", "bad/value")], "create"),
        ([("k", "a"), ("k", "b")], "create"),
        ([("", "v")], "create"),
        ([("k", "v")], "update"),
        ([("k", "v")], "Create"),
        ([], "create"),
        ([(f"k{i}", "v") for i in range(11)], "create"),
        ([(f"k{i}", "v") for i in range(9)], "create"),  # 2 already there: 11 in all
    ],
)
def test_batch_create_refusals(vm, pairs, action) -> None:  # noqa: ANN001
    ecs, sid = vm
    before = _tags(ecs, sid)
    err = refused(lambda: _add(ecs, sid, pairs, action))
    assert (err.status_code, err.error_code) == (400, "Ecs.0005")
    assert _tags(ecs, sid) == before


def test_batch_delete_refusals(vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    for tags, action in [
        ([ServerTag(key="env")], "remove"),
        ([], "delete"),
        ([ServerTag()], "delete"),
    ]:
        err = refused(lambda: _remove(ecs, sid, tags, action))  # noqa: B023
        assert (err.status_code, err.error_code) == (400, "Ecs.0005")
    assert _tags(ecs, sid) == [("env", "prod"), ("team", "web")]


def test_creating_a_server_with_more_than_ten_tags_allocates_nothing(tenant, net) -> None:  # noqa: ANN001, F811
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    before = available(vpc, subnet.id)
    server_tags = [PrePaidServerTag(key=f"s{i}", value="v") for i in range(6)]
    err = refused(
        lambda: _create(ecs, subnet, tags=[f"t{i}.v" for i in range(5)], server_tags=server_tags)
    )
    assert (err.status_code, err.error_code) == (400, "Ecs.0005")
    assert available(vpc, subnet.id) == before
    assert ecs.list_server_tags(ListServerTagsRequest()).tags == []


def test_an_unknown_server_is_404(server, tenant) -> None:  # noqa: ANN001
    ecs = clients.hw_ecs(tenant)
    for attempt in (
        lambda: _add(ecs, UNKNOWN, [("k", "v")]),
        lambda: _remove(ecs, UNKNOWN, [ServerTag(key="k")]),
        lambda: _tags(ecs, UNKNOWN),
    ):
        err = refused(attempt)
        assert (err.status_code, err.error_code) == (404, "Ecs.0114")


def test_concurrent_creates_keep_the_limit_and_lose_nothing(tenant, vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    outcomes: list[object] = []

    def one(n: int) -> None:
        try:
            _add(clients.hw_ecs(tenant), sid, [(f"k{n}", str(n))])
            outcomes.append("ok")
        except ClientRequestException as err:
            outcomes.append((err.status_code, err.error_code))

    threads = [threading.Thread(target=one, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, outcomes)) == sorted(["ok"] * 8 + [str((400, "Ecs.0005"))] * 2)
    added = [(k, v) for k, v in _tags(ecs, sid) if k.startswith("k")]
    assert len(added) == 8 and all(v == k[1:] for k, v in added)


def test_a_dry_run_with_more_than_ten_tags_is_refused_too(tenant, net) -> None:  # noqa: ANN001, F811
    ecs = clients.hw_ecs(tenant)
    tags = [f"t{i}.v" for i in range(6)]
    server_tags = [PrePaidServerTag(key=f"s{i}", value="v") for i in range(5)]
    err = refused(lambda: _create(ecs, net[1], dry_run=True, tags=tags, server_tags=server_tags))
    assert (err.status_code, err.error_code) == (400, "Ecs.0005")


def test_a_key_given_in_both_forms_counts_once(tenant, net) -> None:  # noqa: ANN001, F811
    ecs = clients.hw_ecs(tenant)
    tags = [f"k{i}.a" for i in range(10)]
    server_tags = [PrePaidServerTag(key=f"k{i}", value="b") for i in range(10)]
    sid = _create(ecs, net[1], tags=tags, server_tags=server_tags).server_ids[0]
    assert _tags(ecs, sid) == [(f"k{i}", "b") for i in range(10)]


# -- tenancy and lifetime


def test_another_project_sees_and_changes_nothing(server, vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    other = clients.hw_ecs(server.new_tenant())
    assert refused(lambda: _add(other, sid, [("env", "evil")])).status_code == 404
    assert refused(lambda: _remove(other, sid, [ServerTag(key="env")])).status_code == 404
    assert refused(lambda: _tags(other, sid)).status_code == 404
    assert other.list_server_tags(ListServerTagsRequest()).tags == []
    assert _tags(ecs, sid) == [("env", "prod"), ("team", "web")]


def test_a_released_server_takes_its_tags_along(server, tenant, vm) -> None:  # noqa: ANN001
    from sqlalchemy import select

    from openecs.core import instances as inst
    from openecs.core.network import Scope
    from openecs.store.tables import tags

    ecs, sid = vm
    with server.runtime.db.write() as conn:
        scope = Scope("huawei", tenant.account.id, "cn-north-4")
        inst.delete_instance(conn, scope, sid, now=server.runtime.clock.now(), after=1, force=True)
    server.advance(2)
    assert ecs.list_server_tags(ListServerTagsRequest()).tags == []
    with server.runtime.db.read() as conn:
        assert conn.execute(select(tags).where(tags.c.resource_id == sid)).first() is None
