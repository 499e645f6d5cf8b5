"""Huawei server metadata: UpdateServerMetadata and DeleteServerMetadata through huaweicloudsdkecs,
and Nova's metadata API (hand-signed: the SDK has no client for it).

The flow first (update adds and overwrites, GET server shows it, delete
removes a key), then one test per refusal, each reading the metadata back
to show that the refused request changed nothing, then tenancy and
concurrent updates that must all land.
"""

from __future__ import annotations

import threading

import pytest
from huaweicloudsdkecs.v2 import (
    DeleteServerMetadataRequest,
    UpdateServerMetadataRequest,
    UpdateServerMetadataRequestBody,
)

from tests import clients
from tests.test_huawei_ports import refused
from tests.test_huawei_servers import IMAGE, _create, _show, boot, net  # noqa: F401

UNKNOWN = "1d9c2d4b-0000-4000-8000-000000000000"


def _update(ecs, server_id: str, metadata: dict):  # noqa: ANN001, ANN201
    body = UpdateServerMetadataRequestBody(metadata=metadata)
    return ecs.update_server_metadata(UpdateServerMetadataRequest(server_id=server_id, body=body))


def _delete(ecs, server_id: str, key: str):  # noqa: ANN001, ANN201
    return ecs.delete_server_metadata(DeleteServerMetadataRequest(key=key, server_id=server_id))


def _metadata(ecs, server_id: str) -> dict:  # noqa: ANN001
    return _show(ecs, server_id).metadata


@pytest.fixture
def vm(server, tenant, net):  # noqa: ANN001, ANN201, F811
    """A booted server created with one user metadata pair."""
    ecs = clients.hw_ecs(tenant)
    sid = _create(ecs, net[1], metadata={"owner": "alice"}).server_ids[0]
    boot(server)
    return ecs, sid


# -- the flow


def test_update_adds_pairs_and_answers_the_whole_metadata(vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    answer = _update(ecs, sid, {"env": "prod", "team:web": "a.b"}).metadata
    assert answer["env"] == "prod" and answer["team:web"] == "a.b"
    assert answer["owner"] == "alice" and answer["metering.image_id"] == IMAGE


def test_the_update_shows_in_get_server(vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    _update(ecs, sid, {"owner": "bob", "env": "prod"})
    metadata = _metadata(ecs, sid)
    assert (metadata["owner"], metadata["env"]) == ("bob", "prod")
    assert metadata["charging_mode"] == "0"


def test_an_empty_update_changes_nothing(vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    before = _metadata(ecs, sid)
    assert _update(ecs, sid, {}).metadata == before
    assert _metadata(ecs, sid) == before


def test_delete_removes_one_key(vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    _update(ecs, sid, {"env": "prod"})
    _delete(ecs, sid, "owner")
    metadata = _metadata(ecs, sid)
    assert "owner" not in metadata and metadata["env"] == "prod"


def test_a_stopped_server_takes_metadata(server, vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    stop(server, sid)
    assert _show(ecs, sid).status == "SHUTOFF"
    assert _update(ecs, sid, {"env": "off"}).metadata["env"] == "off"


def stop(server, sid: str) -> None:  # noqa: ANN001
    """Stop a server through the core (the Huawei stop action is another module's)."""
    from sqlalchemy import select

    from openecs.core import instances as inst
    from openecs.core.network import Scope
    from openecs.store.tables import instances

    with server.runtime.db.write() as conn:
        row = conn.execute(select(instances).where(instances.c.id == sid)).first()
        scope = Scope(row.cloud, row.account_id, row.region)
        inst.stop(conn, scope, sid, now=server.runtime.clock.now(), stop_seconds=1)
    server.advance(2)


# -- refusals: each changes nothing


@pytest.mark.parametrize(
    "metadata",
    [
        {"bad/key": "v"},
        {"with space": "v"},
        {"k" * 256: "v"},
        {"k": "v" * 256},
        {"k": 5},
        {"vpc_id": "other"},
        {"charging_mode": "1"},
        {"metering.anything": "x"},
        {f"k{i}": "v" for i in range(128)},  # with "owner": 129 items
    ],
)
def test_update_refusals(vm, metadata) -> None:  # noqa: ANN001
    ecs, sid = vm
    before = _metadata(ecs, sid)
    err = refused(lambda: _update(ecs, sid, metadata))
    assert (err.status_code, err.error_code) == (400, "Ecs.0005")
    assert _metadata(ecs, sid) == before


def test_a_building_server_is_refused(server, tenant, net) -> None:  # noqa: ANN001, F811
    ecs = clients.hw_ecs(tenant)
    sid = _create(ecs, net[1]).server_ids[0]
    err = refused(lambda: _update(ecs, sid, {"env": "prod"}))
    assert (err.status_code, err.error_code) == (400, "Ecs.0100")
    boot(server)
    assert "env" not in _metadata(ecs, sid)


def test_deleting_a_key_the_server_lacks_is_404(vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    before = _metadata(ecs, sid)
    err = refused(lambda: _delete(ecs, sid, "nope"))
    assert (err.status_code, err.error_code) == (404, "Ecs.0005")
    assert _metadata(ecs, sid) == before


@pytest.mark.parametrize("key", ["vpc_id", "metering.image_id", "os_type"])
def test_deleting_a_system_key_is_refused(vm, key) -> None:  # noqa: ANN001
    ecs, sid = vm
    before = _metadata(ecs, sid)
    err = refused(lambda: _delete(ecs, sid, key))
    assert (err.status_code, err.error_code) == (400, "Ecs.0005")
    assert _metadata(ecs, sid) == before


def test_an_unknown_server_is_404(server, tenant) -> None:  # noqa: ANN001
    ecs = clients.hw_ecs(tenant)
    for attempt in (lambda: _update(ecs, UNKNOWN, {"a": "b"}), lambda: _delete(ecs, UNKNOWN, "a")):
        err = refused(attempt)
        assert (err.status_code, err.error_code) == (404, "Ecs.0114")


# -- Nova's reads


def _nova(tenant, sid: str, key: str | None = None):  # noqa: ANN001, ANN202
    path = f"/v2.1/{tenant.project_id()}/servers/{sid}/metadata" + (f"/{key}" if key else "")
    return clients.hw_signed(tenant, "GET", path)


def test_nova_shows_the_metadata(tenant, vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    _update(ecs, sid, {"env": "prod"})
    status, body, headers = _nova(tenant, sid)
    assert status == 200 and headers["x-request-id"]
    assert body["metadata"] == _metadata(ecs, sid)
    status, body, _ = _nova(tenant, sid, "env")
    assert (status, body) == (200, {"meta": {"env": "prod"}})


def test_nova_answers_item_not_found(tenant, vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    status, body, _ = _nova(tenant, sid, "nope")
    assert status == 404 and body["itemNotFound"]["code"] == 404
    status, body, _ = _nova(tenant, UNKNOWN)
    assert status == 404 and "itemNotFound" in body


def _nova_write(tenant, method: str, sid: str, key: str | None, body: object):  # noqa: ANN001, ANN202
    path = f"/v2.1/{tenant.project_id()}/servers/{sid}/metadata" + (f"/{key}" if key else "")
    return clients.hw_signed(tenant, method, path, body=body)


def test_nova_writes_show_in_get_server(tenant, vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    status, body, _ = _nova_write(tenant, "POST", sid, None, {"metadata": {"env": "prod"}})
    assert status == 200 and body["metadata"]["env"] == "prod" and body["metadata"]["owner"]
    status, body, _ = _nova_write(tenant, "PUT", sid, "tier", {"meta": {"tier": "web"}})
    assert (status, body) == (200, {"meta": {"tier": "web"}})
    status, body, _ = _nova_write(tenant, "DELETE", sid, "owner", None)
    assert (status, body) == (204, None)
    metadata = _metadata(ecs, sid)
    assert (metadata["env"], metadata["tier"]) == ("prod", "web") and "owner" not in metadata


@pytest.mark.parametrize(
    ("method", "key", "body", "status", "fault"),
    [
        ("PUT", "tier", {"meta": {"other": "web"}}, 400, "badRequest"),
        ("PUT", "tier", {"meta": {"tier": "a", "b": "c"}}, 400, "badRequest"),
        ("PUT", "vpc_id", {"meta": {"vpc_id": "x"}}, 400, "badRequest"),
        ("POST", None, {"metadata": {"bad/key": "v"}}, 400, "badRequest"),
        ("POST", None, {"metadata": {"k": "v" * 256}}, 400, "badRequest"),
        ("POST", None, {}, 400, "badRequest"),
        ("DELETE", "nope", None, 404, "itemNotFound"),
        ("DELETE", "metering.image_id", None, 400, "badRequest"),
    ],
)
def test_nova_write_refusals(tenant, vm, method, key, body, status, fault) -> None:  # noqa: ANN001
    ecs, sid = vm
    before = _metadata(ecs, sid)
    answer, payload, _ = _nova_write(tenant, method, sid, key, body)
    assert (answer, payload[fault]["code"]) == (status, status)
    assert _metadata(ecs, sid) == before


def test_nova_refuses_a_building_server_and_an_unknown_one(server, tenant, net) -> None:  # noqa: ANN001, F811
    ecs = clients.hw_ecs(tenant)
    sid = _create(ecs, net[1]).server_ids[0]
    status, body, _ = _nova_write(tenant, "POST", sid, None, {"metadata": {"env": "prod"}})
    assert (status, body["conflictingRequest"]["code"]) == (409, 409)
    status, body, _ = _nova_write(tenant, "DELETE", UNKNOWN, "env", None)
    assert (status, body["itemNotFound"]["code"]) == (404, 404)
    boot(server)
    assert "env" not in _metadata(ecs, sid)


# -- tenancy and concurrency


def test_another_project_sees_and_changes_nothing(server, vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    other = server.new_tenant()
    err = refused(lambda: _update(clients.hw_ecs(other), sid, {"owner": "mallory"}))
    assert (err.status_code, err.error_code) == (404, "Ecs.0114")
    err = refused(lambda: _delete(clients.hw_ecs(other), sid, "owner"))
    assert err.status_code == 404
    assert _nova(other, sid)[0] == 404
    assert _nova_write(other, "POST", sid, None, {"metadata": {"owner": "mallory"}})[0] == 404
    assert _metadata(ecs, sid)["owner"] == "alice"


def test_concurrent_updates_all_land(tenant, vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    errors: list[Exception] = []

    def one(n: int) -> None:
        try:
            _update(clients.hw_ecs(tenant), sid, {f"k{n}": str(n)})
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    metadata = _metadata(ecs, sid)
    assert all(metadata[f"k{n}"] == str(n) for n in range(8))
