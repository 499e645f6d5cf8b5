"""Huawei EVS ShowVolume and ListVolumes (``/v2/{project_id}/cloudvolumes``), hand-signed as
huaweicloudsdkcore signs (huaweicloudsdkevs is not installed), over real HTTP.

The volumes are the disks created with the project's servers. First the
volume shape, then every ListVolumes filter, the sort orders and paging
(marker, offset, limit, the next link), then one test per refusal with its
EVS code, and tenancy.
"""

from __future__ import annotations

import json

import pytest
from huaweicloudsdkecs.v2 import PrePaidServerDataVolume

from tests import clients
from tests.test_huawei_server_metadata import UNKNOWN
from tests.test_huawei_servers import IMAGE, _create, boot, net  # noqa: F401


def _get(tenant, path: str, query: list[tuple[str, str]] | None = None):  # noqa: ANN001, ANN202
    return clients.hw_signed(tenant, "GET", f"/v2/{tenant.project_id()}/cloudvolumes{path}", query)


def _show(tenant, volume_id: str) -> dict:  # noqa: ANN001
    status, body, _ = _get(tenant, f"/{volume_id}")
    assert status == 200, body
    return body["volume"]


def _list(tenant, **query: str) -> dict:  # noqa: ANN001
    status, body, _ = _get(tenant, "/detail", list(query.items()))
    assert status == 200, body
    return body


def _ids(tenant, **query: str) -> list[str]:  # noqa: ANN001
    return [v["id"] for v in _list(tenant, **query)["volumes"]]


@pytest.fixture
def fleet(server, tenant, net):  # noqa: ANN001, ANN201, F811
    """Two booted servers: web (system SSD + a shared 20 GiB SAS disk) and db (system SAS)."""
    ecs = clients.hw_ecs(tenant)
    data = [PrePaidServerDataVolume(volumetype="SAS", size=20, multiattach=True)]
    web = _create(ecs, net[1], name="web", data_volumes=data).server_ids[0]
    server.advance(1)  # db's disks are created later
    db = _create(ecs, net[1], name="db").server_ids[0]
    boot(server)
    volumes = {v["name"]: v for v in _list(tenant)["volumes"]}
    return web, db, volumes


# -- the volume shape


def test_a_system_volume_in_the_evs_shape(tenant, fleet) -> None:  # noqa: ANN001
    web, _, volumes = fleet
    volume = _show(tenant, volumes["web-volume-0000"]["id"])
    assert (volume["status"], volume["bootable"], volume["volume_type"], volume["size"]) == (
        "in-use", "true", "SSD", 40,
    )  # fmt: skip
    (attachment,) = volume["attachments"]
    assert (attachment["server_id"], attachment["device"]) == (web, "/dev/vda")
    assert attachment["volume_id"] == volume["id"]
    assert volume["volume_image_metadata"]["image_id"] == IMAGE
    assert volume["availability_zone"].startswith("cn-north-4")
    assert volume["os-vol-tenant-attr:tenant_id"] == tenant.project_id()
    assert (volume["multiattach"], volume["shareable"], volume["encrypted"]) == (
        False,
        "false",
        False,
    )
    assert volume["service_type"] == "EVS" and volume["metadata"]["attached_mode"] == "rw"
    assert {link["rel"] for link in volume["links"]} == {"self", "bookmark"}
    assert volume["created_at"][:4].isdigit()


def test_a_shared_data_volume(tenant, fleet) -> None:  # noqa: ANN001
    _, _, volumes = fleet
    volume = _show(tenant, volumes["web-volume-0001"]["id"])
    assert (volume["bootable"], volume["multiattach"], volume["shareable"]) == (
        "false",
        True,
        "true",
    )
    assert volume["attachments"][0]["device"] == "/dev/vdb"
    assert "volume_image_metadata" not in volume


def test_a_volume_its_server_left_behind_is_available(server, tenant, fleet) -> None:  # noqa: ANN001
    from sqlalchemy import update

    from openecs.core import instances as inst
    from openecs.core.network import Scope
    from openecs.store.tables import disks

    web, _, volumes = fleet
    kept = volumes["web-volume-0001"]["id"]
    with server.runtime.db.write() as conn:  # what DeleteServers(delete_volume=false) leaves
        conn.execute(update(disks).where(disks.c.id == kept).values(delete_with_instance=0))
        scope = Scope("huawei", tenant.account.id, "cn-north-4")
        inst.delete_instance(conn, scope, web, now=server.runtime.clock.now(), after=1, force=True)
    server.advance(2)
    volume = _show(tenant, kept)
    assert (volume["status"], volume["attachments"]) == ("available", [])
    assert _ids(tenant, status="available") == [kept]
    assert _get(tenant, "/" + volumes["web-volume-0000"]["id"])[0] == 404


# -- ListVolumes


def test_list_answers_every_volume_newest_first_with_the_count(tenant, fleet) -> None:  # noqa: ANN001
    _, _, volumes = fleet
    body = _list(tenant)
    assert body["count"] == 3 and "volumes_links" not in body
    assert [v["name"] for v in body["volumes"]][0] == "db-volume-0000"
    assert body["volumes"] == [_show(tenant, v["id"]) for v in body["volumes"]]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"name": "web-volume-0001"}, ["web-volume-0001"]),
        ({"status": "in-use"}, ["db-volume-0000", "web-volume-0000", "web-volume-0001"]),
        ({"status": "available"}, []),
        ({"multiattach": "true"}, ["web-volume-0001"]),
        ({"multiattach": "false"}, ["db-volume-0000", "web-volume-0000"]),
        ({"service_type": "EVS"}, ["db-volume-0000", "web-volume-0000", "web-volume-0001"]),
        ({"service_type": "DSS"}, []),
        ({"dedicated_storage_id": "x"}, []),
        ({"metadata": json.dumps({"attached_mode": "rw"})}, ["db-volume-0000", "web-volume-0000", "web-volume-0001"]),
        ({"metadata": json.dumps({"attached_mode": "ro"})}, []),
        ({"enterprise_project_id": "0"}, ["db-volume-0000", "web-volume-0000", "web-volume-0001"]),
        ({"enterprise_project_id": "all_granted_eps"}, ["db-volume-0000", "web-volume-0000", "web-volume-0001"]),
        ({"enterprise_project_id": "some-other"}, []),
        ({"availability_zone": "cn-north-4x"}, []),
    ],
)  # fmt: skip
def test_list_filters(tenant, fleet, query, names) -> None:  # noqa: ANN001
    body = _list(tenant, **query)
    assert sorted(v["name"] for v in body["volumes"]) == names
    assert body["count"] == len(names)


def test_list_by_server_id_and_availability_zone(tenant, fleet) -> None:  # noqa: ANN001
    web, db, volumes = fleet
    assert _ids(tenant, server_id=db) == [volumes["db-volume-0000"]["id"]]
    zone = volumes["db-volume-0000"]["availability_zone"]
    assert len(_ids(tenant, availability_zone=zone)) == 3


def test_list_by_id_and_ids(tenant, fleet) -> None:  # noqa: ANN001
    _, _, volumes = fleet
    a, b = volumes["web-volume-0000"]["id"], volumes["db-volume-0000"]["id"]
    assert _ids(tenant, id=a) == [a]
    assert sorted(_ids(tenant, ids=f"['{a}','{b}','{UNKNOWN}']")) == sorted([a, b])
    assert _ids(tenant, id=a, ids=f'["{b}"]') == [b]  # ids wins over id


def test_list_sorts_by_key_and_direction(tenant, fleet) -> None:  # noqa: ANN001
    body = _list(tenant, sort_key="size", sort_dir="asc")
    assert [v["size"] for v in body["volumes"]] == [20, 40, 40]
    oldest = _list(tenant, sort_dir="asc")["volumes"]
    assert oldest[-1]["name"] == "db-volume-0000"


def test_list_pages_with_marker_offset_and_a_next_link(tenant, fleet) -> None:  # noqa: ANN001
    every = _ids(tenant)
    first = _list(tenant, limit="2")
    assert [v["id"] for v in first["volumes"]] == every[:2] and first["count"] == 3
    (link,) = first["volumes_links"]
    assert link["rel"] == "next" and f"marker={every[1]}" in link["href"]
    assert _ids(tenant, limit="2", marker=every[1]) == every[2:]
    assert _ids(tenant, offset="1", limit="1") == every[1:2]
    assert _ids(tenant, marker=every[-1]) == []


# -- refusals


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "1001"},
        {"limit": "ten"},
        {"offset": "-1"},
        {"sort_key": "name"},
        {"sort_dir": "up"},
        {"multiattach": "maybe"},
        {"service_type": "OBS"},
        {"metadata": "not json"},
        {"metadata": "[1]"},
        {"ids": "id1,id2"},
        {"ids": "[" + ",".join(f"'{n}'" for n in range(61)) + "]"},
        {"volume_type_id": "5cf6e0e2-7ab8-4c5a-9b14-63a1f2b7c001"},
        {"marker": UNKNOWN},
    ],
)
def test_list_refusals(tenant, fleet, query) -> None:  # noqa: ANN001
    status, body, headers = _get(tenant, "/detail", list(query.items()))
    assert (status, body["error"]["code"]) == (400, "EVS.5400")
    assert body["error"]["message"] and headers["x-request-id"]


def test_an_unknown_volume_is_404(tenant, fleet) -> None:  # noqa: ANN001
    status, body, _ = _get(tenant, f"/{UNKNOWN}")
    assert (status, body["error"]["code"]) == (404, "EVS.5404")


# -- tenancy


def test_another_project_sees_no_volume(server, tenant, fleet) -> None:  # noqa: ANN001
    _, _, volumes = fleet
    other = server.new_tenant()
    assert _list(other) == {"count": 0, "volumes": []}
    status, body, _ = _get(other, f"/{volumes['web-volume-0000']['id']}")
    assert (status, body["error"]["code"]) == (404, "EVS.5404")
