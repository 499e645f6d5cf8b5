"""Huawei server lifecycle through huaweicloudsdkecs: list, update, start/stop/reboot, delete.

The Terraform huaweicloud_compute_instance flow first, end to end; then each
operation's behaviours one test at a time, each refusal with its code and a
read afterwards showing it changed nothing; then concurrent batches that must
lose no transition.
"""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import (
    BatchRebootServersRequest,
    BatchRebootServersRequestBody,
    BatchRebootSeversOption,
    BatchStartServersOption,
    BatchStartServersRequest,
    BatchStartServersRequestBody,
    BatchStopServersOption,
    BatchStopServersRequest,
    BatchStopServersRequestBody,
    DeleteServersRequest,
    DeleteServersRequestBody,
    ListServersDetailsRequest,
    PrePaidServerDataVolume,
    PrePaidServerExtendParam,
    PrePaidServerNic,
    PrePaidServerTag,
    ServerId,
    ShowJobRequest,
    ShowServerRequest,
    UpdateServerOption,
    UpdateServerRequest,
    UpdateServerRequestBody,
)
from huaweicloudsdkvpc.v2 import ListPortsRequest
from sqlalchemy import select

from openecs.config import Settings
from openecs.store.tables import disks
from tests import clients, signers
from tests.servers import InProcessServer, Tenant
from tests.test_huawei_ports import active_subnet, available, refused
from tests.test_huawei_servers import BOOT, FLAVOR, IMAGE
from tests.test_huawei_servers import _create as create_servers

STOP = 2.0  # the test servers' stop_seconds (also how long a deletion takes)
MISSING = "1d9c2d4b-0000-4000-8000-000000000000"


@pytest.fixture
def net(server, tenant):  # noqa: ANN001, ANN201
    vpc = clients.hw_vpc(tenant)
    return vpc, active_subnet(server, vpc, "192.168.1.0/24")


def create(ecs, subnet, **kw) -> list[str]:  # noqa: ANN001
    return create_servers(ecs, subnet, **kw).server_ids


def running(server, ecs, subnet, **kw) -> list[str]:  # noqa: ANN001
    ids = create(ecs, subnet, **kw)
    server.advance(BOOT + 1)
    return ids


def show(ecs, sid: str):  # noqa: ANN001, ANN201
    return ecs.show_server(ShowServerRequest(server_id=sid)).server


def job(ecs, job_id: str):  # noqa: ANN001, ANN201
    return ecs.show_job(ShowJobRequest(job_id=job_id))


def ids_of(*sids: str) -> list[ServerId]:
    return [ServerId(id=s) for s in sids]


def stop(ecs, *sids: str, kind: str | None = None):  # noqa: ANN001, ANN201
    option = BatchStopServersOption(servers=ids_of(*sids), type=kind)
    body = BatchStopServersRequestBody(os_stop=option)
    return ecs.batch_stop_servers(BatchStopServersRequest(body=body))


def stopped(server, ecs, *sids: str) -> None:  # noqa: ANN001
    """Stop the servers and step the clock until they are SHUTOFF."""
    stop(ecs, *sids)
    server.advance(STOP + 1)


def start(ecs, *sids: str):  # noqa: ANN001, ANN201
    body = BatchStartServersRequestBody(os_start=BatchStartServersOption(servers=ids_of(*sids)))
    return ecs.batch_start_servers(BatchStartServersRequest(body=body))


def reboot(ecs, *sids: str, kind: str = "SOFT"):  # noqa: ANN001, ANN201
    option = BatchRebootSeversOption(servers=ids_of(*sids), type=kind)
    body = BatchRebootServersRequestBody(reboot=option)
    return ecs.batch_reboot_servers(BatchRebootServersRequest(body=body))


def delete(ecs, *sids: str, delete_volume: bool | None = None):  # noqa: ANN001, ANN201
    body = DeleteServersRequestBody(servers=ids_of(*sids), delete_volume=delete_volume)
    return ecs.delete_servers(DeleteServersRequest(body=body))


def update(ecs, sid: str, **kw):  # noqa: ANN001, ANN201
    body = UpdateServerRequestBody(server=UpdateServerOption(**kw))
    return ecs.update_server(UpdateServerRequest(server_id=sid, body=body)).server


def listed(ecs, **kw):  # noqa: ANN001, ANN201
    return ecs.list_servers_details(ListServersDetailsRequest(**kw))


def post(tenant, path: str, body: dict) -> httpx.Response:  # noqa: ANN001
    """A hand-signed POST, for bodies the SDK's models cannot express."""
    raw = json.dumps(body).encode()
    headers = signers.huawei_headers(
        tenant.ak,
        tenant.sk,
        host=tenant.endpoint,
        method="POST",
        path=path,
        body=raw,
        extra={"content-type": "application/json"},
    )
    return httpx.post(f"{tenant.url}{path}", content=raw, headers=headers)


def code(err: ClientRequestException) -> tuple[int, str]:
    return err.status_code, err.error_code


# -- the Terraform flow


def test_terraform_compute_instance_flow(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    created = create_servers(ecs, subnet, name="tf-web")
    assert created.status_code == 200
    server.advance(BOOT + 1)
    done = job(ecs, created.job_id)
    assert done.status == "SUCCESS"
    sid = done.entities.sub_jobs[0].entities.server_id
    assert show(ecs, sid).status == "ACTIVE"

    found = listed(ecs, name="tf-web", status="ACTIVE", flavor=FLAVOR)
    assert found.count == 1 and found.servers[0].id == sid

    assert update(ecs, sid, name="tf-web-2").name == "tf-web-2"
    assert show(ecs, sid).name == "tf-web-2"

    stopping = stop(ecs, sid)
    assert stopping.status_code == 200 and len(stopping.job_id) == 32
    shown = show(ecs, sid)
    assert (shown.status, shown.os_ext_st_stask_state) == ("ACTIVE", "powering-off")
    server.advance(STOP + 1)
    assert show(ecs, sid).status == "SHUTOFF"
    assert job(ecs, stopping.job_id).status == "SUCCESS"

    starting = start(ecs, sid)
    server.advance(BOOT + 1)
    assert show(ecs, sid).status == "ACTIVE"
    assert job(ecs, starting.job_id).status == "SUCCESS"

    rebooting = reboot(ecs, sid)
    assert show(ecs, sid).status == "REBOOT"
    server.advance(BOOT + 1)
    assert show(ecs, sid).status == "ACTIVE"
    assert job(ecs, rebooting.job_id).status == "SUCCESS"

    deleting = delete(ecs, sid)
    assert deleting.status_code == 200
    assert show(ecs, sid).os_ext_st_stask_state == "deleting"
    assert job(ecs, deleting.job_id).status in ("INIT", "RUNNING")
    server.advance(STOP + 1)
    err = refused(lambda: show(ecs, sid))
    assert code(err) == (404, "Ecs.0114")
    gone = job(ecs, deleting.job_id)
    assert (gone.status, gone.job_type) == ("SUCCESS", "deleteServer")
    assert gone.entities.sub_jobs[0].job_type == "deleteSingleServer"
    assert gone.entities.sub_jobs[0].entities.server_id == sid


# -- ListServersDetails


def test_list_counts_every_match_and_pages_by_page_number(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    ids = create(ecs, subnet, count=5)
    order = [s.id for s in listed(ecs, limit=5).servers]
    assert sorted(order) == sorted(ids)
    first = listed(ecs, limit=2)
    assert first.count == 5 and [s.id for s in first.servers] == order[:2]
    assert [s.id for s in listed(ecs, limit=2, offset=0).servers] == order[:2]
    assert [s.id for s in listed(ecs, limit=2, offset=2).servers] == order[2:4]
    assert [s.id for s in listed(ecs, limit=2, offset=3).servers] == order[4:]
    assert listed(ecs, limit=2, offset=4).servers == []


def test_list_shows_the_newest_servers_first(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    (old,) = create(ecs, subnet)
    server.advance(1)
    (new,) = create(ecs, subnet)
    assert [s.id for s in listed(ecs).servers] == [new, old]


def test_list_pages_by_marker(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    create(ecs, subnet, count=3)
    ids = [s.id for s in listed(ecs).servers]
    page = listed(ecs, limit=2, marker=ids[1])
    assert [s.id for s in page.servers] == ids[2:] and page.count == 3


def test_list_default_page_is_25(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    create(ecs, subnet, count=26)
    page = listed(ecs)
    assert (page.count, len(page.servers)) == (26, 25)


def test_list_servers_have_the_show_server_shape(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    (sid,) = running(server, ecs, subnet)
    (item,) = listed(ecs).servers
    assert item.to_dict() == show(ecs, sid).to_dict()


def test_list_name_is_fuzzy_and_a_period_is_any_character(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    create(ecs, subnet, name="alpha-web")
    create(ecs, subnet, name="beta-db")
    assert [s.name for s in listed(ecs, name="web").servers] == ["alpha-web"]
    assert [s.name for s in listed(ecs, name="b.ta").servers] == ["beta-db"]
    assert listed(ecs, name="b.tz").count == 0


def test_list_status_active_also_finds_rebooting_servers(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    a, b, c = running(server, ecs, subnet, count=3)
    stopped(server, ecs, b)
    reboot(ecs, a)  # rebooting for BOOT seconds
    assert {s.id for s in listed(ecs, status="ACTIVE").servers} == {a, c}
    assert [s.id for s in listed(ecs, status="REBOOT").servers] == [a]
    assert [s.id for s in listed(ecs, status="SHUTOFF").servers] == [b]


def test_list_by_flavor_and_addresses(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    (sid,) = create(
        ecs, subnet, nics=[PrePaidServerNic(subnet_id=subnet.id, ip_address="192.168.1.77")]
    )
    create(ecs, subnet, nics=[PrePaidServerNic(subnet_id=subnet.id, ip_address="192.168.1.7")])
    assert [s.id for s in listed(ecs, ip_eq="192.168.1.77").servers] == [sid]
    assert listed(ecs, ip="192.168.1.7").count == 2
    assert listed(ecs, flavor="s6.medium.2").count == 0


def test_list_by_tags_and_not_tags(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    tagged = [PrePaidServerTag(key="env", value="prod"), PrePaidServerTag(key="team", value="a")]
    (prod,) = create(ecs, subnet, server_tags=tagged)
    (other,) = create(ecs, subnet, server_tags=[PrePaidServerTag(key="env", value="dev")])
    assert [s.id for s in listed(ecs, tags="env=prod").servers] == [prod]
    assert [s.id for s in listed(ecs, tags="env=prod,team").servers] == [prod]
    assert {s.id for s in listed(ecs, tags="env").servers} == {prod, other}
    assert [s.id for s in listed(ecs, not_tags="env=prod").servers] == [other]


def test_list_by_reservation_id(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    batch = create(ecs, subnet, count=2)
    create(ecs, subnet)
    reservation = show(ecs, batch[0]).os_ext_srv_att_rreservation_id
    assert reservation.startswith("r-")
    assert {s.id for s in listed(ecs, reservation_id=reservation).servers} == set(batch)


def test_list_by_enterprise_project(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    project = "f8e0ecc8-3825-4ee8-9596-fb4258ffdcbb"
    (mine,) = create(
        ecs, subnet, extendparam=PrePaidServerExtendParam(enterprise_project_id=project)
    )
    (default,) = create(ecs, subnet)
    assert [s.id for s in listed(ecs, enterprise_project_id=project).servers] == [mine]
    assert [s.id for s in listed(ecs, enterprise_project_id="0").servers] == [default]
    assert listed(ecs, enterprise_project_id="all_granted_eps").count == 2


def test_list_by_server_id_overrides_other_filters(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    a, b = create(ecs, subnet, count=2)
    page = listed(ecs, server_id=f"{a},{MISSING}", name="no-such-name")
    assert [s.id for s in page.servers] == [a, MISSING]
    assert page.servers[0].name == "web-0001"
    assert page.servers[1].name is None and page.servers[1].fault["code"] == 404


def test_list_sees_only_the_callers_servers(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    create(clients.hw_ecs(tenant), subnet)
    other = server.new_tenant()
    assert listed(clients.hw_ecs(other)).count == 0


@pytest.mark.parametrize(
    "kw",
    [{"limit": 1001}, {"limit": 0}, {"offset": -1}, {"status": "RUNNING"}, {"marker": MISSING}],
)
def test_list_refusals(server, tenant, kw) -> None:  # noqa: ANN001
    err = refused(lambda: listed(clients.hw_ecs(tenant), **kw))
    assert code(err) == (400, "Ecs.0005")


# -- UpdateServer


def test_update_changes_name_description_hostname_and_user_data(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    (sid,) = create(ecs, subnet)
    answer = update(
        ecs,
        sid,
        name="web.new_1",
        description="the new one",
        hostname="web-1.lan",
        user_data="aGk=",
    )
    assert (answer.id, answer.name, answer.description) == (sid, "web.new_1", "the new one")
    assert answer.image == IMAGE and answer.flavor.id == FLAVOR
    shown = show(ecs, sid)
    assert (shown.name, shown.description) == ("web.new_1", "the new one")
    assert shown.os_ext_srv_att_rhostname == "web-1.lan"
    assert shown.os_ext_srv_att_ruser_data == "aGk="


def test_update_with_only_a_description_keeps_the_name(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    (sid,) = create(ecs, subnet)
    update(ecs, sid, description="")
    assert show(ecs, sid).name == "web"


@pytest.mark.parametrize(
    "kw",
    [
        {"name": ""},
        {"name": "x" * 129},
        {"name": "bad name"},
        {"description": "a <b>"},
        {"description": "d" * 86},
        {"hostname": "-web"},
        {"hostname": "web..lan"},
        {"hostname": "web--1"},
        {"hostname": "web.-lan"},
        {"hostname": "h" * 65},
        {"user_data": "not base64!"},
    ],
)
def test_update_refusals_change_nothing(server, tenant, net, kw) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    (sid,) = create(ecs, subnet)
    before = show(ecs, sid).to_dict()
    err = refused(lambda: update(ecs, sid, **{"name": "changed", **kw}))
    assert code(err) == (400, "Ecs.0005")
    assert show(ecs, sid).to_dict() == before


def test_update_of_an_unknown_server_is_404(server, tenant) -> None:  # noqa: ANN001
    err = refused(lambda: update(clients.hw_ecs(tenant), MISSING, name="x"))
    assert code(err) == (404, "Ecs.0114")


# -- start, stop, reboot


def test_hard_stop_and_hard_reboot(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    (sid,) = running(server, ecs, subnet)
    reboot(ecs, sid, kind="HARD")
    server.advance(BOOT + 1)
    stop(ecs, sid, kind="HARD")
    server.advance(STOP + 1)
    assert show(ecs, sid).os_ext_st_svm_state == "stopped"


def test_a_batch_job_has_a_sub_job_per_server(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    ids = running(server, ecs, subnet, count=3)
    answer = stop(ecs, *ids, ids[0])  # a repeated id counts once
    pending = job(ecs, answer.job_id)
    assert pending.job_type == "batchStopServers" and pending.entities.sub_jobs_total == 3
    server.advance(STOP + 1)
    done = job(ecs, answer.job_id)
    assert done.status == "SUCCESS" and done.end_time.endswith("Z")
    subs = done.entities.sub_jobs
    assert [s.entities.server_id for s in subs] == ids
    assert {(s.job_type, s.status) for s in subs} == {("stopSingleServer", "SUCCESS")}


def test_start_and_reboot_jobs_name_their_types(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    a, b = running(server, ecs, subnet, count=2)
    stopped(server, ecs, a)
    started, rebooted = start(ecs, a), reboot(ecs, b)
    server.advance(BOOT + 1)
    for answer, kind in ((started, "startSingleServer"), (rebooted, "rebootSingleServer")):
        done = job(ecs, answer.job_id)
        assert done.status == "SUCCESS" and done.entities.sub_jobs[0].job_type == kind
    assert job(ecs, started.job_id).job_type == "batchStartServers"
    assert job(ecs, rebooted.job_id).job_type == "batchRebootServers"


def test_a_job_fails_when_its_server_does_not_reach_the_state(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    (sid,) = running(server, ecs, subnet)
    stopping = stop(ecs, sid)
    delete(ecs, sid)  # a deletion takes a server that is still stopping
    server.advance(STOP + 1)
    failed = job(ecs, stopping.job_id)
    assert (failed.status, failed.error_code) == ("FAIL", "Ecs.0000")
    assert "not stopped" in failed.entities.sub_jobs[0].fail_reason


def test_stopping_a_stopped_server_is_refused_and_changes_nothing(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    a, b = running(server, ecs, subnet, count=2)
    stopped(server, ecs, a)
    err = refused(lambda: stop(ecs, b, a))
    assert code(err) == (400, "Ecs.0100")
    assert show(ecs, b).os_ext_st_stask_state is None  # b was not touched either
    assert show(ecs, b).status == "ACTIVE"


@pytest.mark.parametrize("action", ["start", "reboot_building", "stop_building"])
def test_an_action_in_the_wrong_state_is_ecs_0100(server, tenant, net, action) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    (sid,) = create(ecs, subnet)
    if action == "start":
        server.advance(BOOT + 1)
        call = lambda: start(ecs, sid)  # noqa: E731 - a running server cannot start
    elif action == "reboot_building":
        call = lambda: reboot(ecs, sid)  # noqa: E731
    else:
        call = lambda: stop(ecs, sid)  # noqa: E731
    before = show(ecs, sid).status
    assert code(refused(call)) == (400, "Ecs.0100")
    assert show(ecs, sid).status == before


def test_an_unknown_server_in_a_batch_is_404_and_changes_nothing(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    (sid,) = running(server, ecs, subnet)
    err = refused(lambda: stop(ecs, sid, MISSING))
    assert code(err) == (404, "Ecs.0114")
    assert show(ecs, sid).os_ext_st_stask_state is None


def test_another_tenants_server_is_unknown(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    (sid,) = running(server, clients.hw_ecs(tenant), subnet)
    other = clients.hw_ecs(server.new_tenant())
    assert code(refused(lambda: stop(other, sid))) == (404, "Ecs.0114")
    assert code(refused(lambda: delete(other, sid))) == (404, "Ecs.0114")
    assert show(clients.hw_ecs(tenant), sid).status == "ACTIVE"


def test_an_empty_batch_is_refused(server, tenant) -> None:  # noqa: ANN001
    ecs = clients.hw_ecs(tenant)
    assert code(refused(lambda: stop(ecs))) == (400, "Ecs.0005")
    assert code(refused(lambda: delete(ecs))) == (400, "Ecs.0005")


def test_more_than_1000_servers_is_ecs_0118(server, tenant) -> None:  # noqa: ANN001
    ecs = clients.hw_ecs(tenant)
    many = [f"00000000-0000-4000-8000-{n:012d}" for n in range(1001)]
    assert code(refused(lambda: start(ecs, *many))) == (400, "Ecs.0118")
    assert code(refused(lambda: delete(ecs, *many))) == (400, "Ecs.0118")


def test_reboot_needs_its_type(server, tenant) -> None:  # noqa: ANN001
    path = f"/v1/{tenant.project_id()}/cloudservers/action"
    response = post(tenant, path, {"reboot": {"servers": [{"id": MISSING}]}})
    assert (response.status_code, response.json()["error"]["code"]) == (400, "Ecs.0005")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"os-start": {"servers": [{"id": MISSING}]}, "os-stop": {"servers": [{"id": MISSING}]}},
        {"os-stop": {"servers": [{"id": MISSING}], "type": "GENTLE"}},
    ],
)
def test_an_action_body_names_exactly_one_valid_action(server, tenant, body) -> None:  # noqa: ANN001
    response = post(tenant, f"/v1/{tenant.project_id()}/cloudservers/action", body)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "Ecs.0005")


# -- DeleteServers


def _ports(vpc, sid: str) -> list:  # noqa: ANN001
    return vpc.list_ports(ListPortsRequest(device_id=sid)).ports


def test_delete_releases_the_port_and_the_address(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    before = available(vpc, subnet.id)
    (sid,) = running(server, ecs, subnet)
    assert len(_ports(vpc, sid)) == 1
    delete(ecs, sid)
    server.advance(STOP + 1)
    assert _ports(vpc, sid) == [] and available(vpc, subnet.id) == before


def _disks(server, ids: list[str]) -> dict[str, str | None]:  # noqa: ANN001
    with server.runtime.db.read() as conn:
        rows = conn.execute(select(disks.c.id, disks.c.status).where(disks.c.id.in_(ids)))
        return {r.id: r.status for r in rows}


@pytest.mark.parametrize("delete_volume", [None, False, True])
def test_data_disks_are_deleted_only_with_delete_volume(server, tenant, net, delete_volume) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    data = [PrePaidServerDataVolume(volumetype="SSD", size=10)]
    (sid,) = running(server, ecs, subnet, data_volumes=data)
    attached = show(ecs, sid).os_extended_volumesvolumes_attached
    system = [v.id for v in attached if v.boot_index == "0"]
    data_ids = [v.id for v in attached if v.boot_index != "0"]
    delete(ecs, sid, delete_volume=delete_volume)
    server.advance(STOP + 1)
    left = _disks(server, system + data_ids)
    if delete_volume:
        assert left == {}
    else:
        assert left == {data_ids[0]: "available"}


def test_deleting_a_server_twice_is_refused(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    (sid,) = running(server, ecs, subnet)
    first = delete(ecs, sid)
    assert code(refused(lambda: delete(ecs, sid))) == (400, "Ecs.0100")
    server.advance(STOP + 1)
    assert job(ecs, first.job_id).status == "SUCCESS"
    assert code(refused(lambda: delete(ecs, sid))) == (404, "Ecs.0114")


def test_a_building_server_can_be_deleted(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    (sid,) = create(ecs, subnet)
    answer = delete(ecs, sid)
    server.advance(BOOT + STOP + 1)
    assert job(ecs, answer.job_id).status == "SUCCESS"
    assert code(refused(lambda: show(ecs, sid))) == (404, "Ecs.0114")


# -- concurrency


def _in_threads(calls: list) -> list:  # noqa: ANN001
    results: list = [None] * len(calls)

    def run(n: int) -> None:
        try:
            results[n] = calls[n]()
        except ClientRequestException as err:
            results[n] = err

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_twenty_servers_stopped_from_four_threads_lose_no_transition(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ids = running(server, clients.hw_ecs(tenant), subnet, count=20)
    quarters = [ids[n::4] for n in range(4)]
    answers = _in_threads([lambda q=q: stop(clients.hw_ecs(tenant), *q) for q in quarters])
    assert all(not isinstance(a, Exception) for a in answers), answers
    server.advance(STOP + 1)
    ecs = clients.hw_ecs(tenant)
    assert {s.status for s in listed(ecs, limit=100).servers} == {"SHUTOFF"}
    assert [job(ecs, a.job_id).status for a in answers] == ["SUCCESS"] * 4


def test_the_same_batch_from_four_threads_is_done_once(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ids = running(server, clients.hw_ecs(tenant), subnet, count=20)
    answers = _in_threads([lambda: stop(clients.hw_ecs(tenant), *ids) for _ in range(4)])
    done = [a for a in answers if not isinstance(a, Exception)]
    assert len(done) == 1
    assert {code(a) for a in answers if isinstance(a, Exception)} == {(400, "Ecs.0100")}
    server.advance(STOP + 1)
    ecs = clients.hw_ecs(tenant)
    assert listed(ecs, status="SHUTOFF", limit=100).count == 20
    assert job(ecs, done[0].job_id).status == "SUCCESS"


# -- durability


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_settings(request: pytest.FixtureRequest, tmp_path):  # noqa: ANN001, ANN201
    """A store of the test's own, for servers that are stopped and started again on it."""
    if request.param == "postgres":
        url = request.getfixturevalue("fresh_postgres_url")
        return lambda: Settings(data_dir=tmp_path, database_url=url)
    return lambda: Settings(data_dir=tmp_path)


def test_a_job_survives_a_restart_of_the_server(store_settings) -> None:  # noqa: ANN001
    first = InProcessServer(store_settings()).start()
    try:
        tenant = first.new_tenant()
        subnet = active_subnet(first, clients.hw_vpc(tenant), "192.168.1.0/24")
        (sid,) = running(first, clients.hw_ecs(tenant), subnet)
        answer = stop(clients.hw_ecs(tenant), sid)
    finally:
        first.stop()
    second = InProcessServer(store_settings()).start()
    try:
        again = Tenant(tenant.account, second.endpoint)
        ecs = clients.hw_ecs(again)
        second.advance(STOP + 1)
        assert job(ecs, answer.job_id).status == "SUCCESS"
        assert show(ecs, sid).status == "SHUTOFF"
    finally:
        second.stop()
