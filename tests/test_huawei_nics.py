"""Huawei NICs of a server: BatchAddServerNics and BatchDeleteServerNics through huaweicloudsdkecs.

Both answer a job that settles once every NIC reached its state; the NICs
are ports of GET /v1/{project_id}/ports (huaweicloudsdkvpc) while they exist.
Each refusal is Ecs.0005 (400) and allocates nothing: the subnet's free count
and the server's ports stay as they were.
"""

from __future__ import annotations

from huaweicloudsdkecs.v2 import (
    BatchAddServerNicOption,
    BatchAddServerNicsRequest,
    BatchAddServerNicsRequestBody,
    BatchDeleteServerNicOption,
    BatchDeleteServerNicsRequest,
    BatchDeleteServerNicsRequestBody,
    ServerNicSecurityGroup,
)
from huaweicloudsdkvpc.v2 import ListPortsRequest

from tests import clients
from tests.test_huawei_ports import available, create_port, new_group, refused
from tests.test_huawei_servers import _create, _job, boot
from tests.test_huawei_servers import net as net  # noqa: F401 - the fixture

SETTLE = 1.5  # past the engine's attach/detach time
LIMIT = 2  # s6.small.1: quota:vif_max_num


def _ready(server, tenant, subnet):  # noqa: ANN001, ANN202
    ecs = clients.hw_ecs(tenant)
    sid = _create(ecs, subnet).server_ids[0]
    boot(server)
    return ecs, sid


def add(ecs, sid: str, *nics: BatchAddServerNicOption) -> str:  # noqa: ANN001
    body = BatchAddServerNicsRequestBody(nics=list(nics))
    return ecs.batch_add_server_nics(BatchAddServerNicsRequest(server_id=sid, body=body)).job_id


def delete(ecs, sid: str, *ids: str) -> str:  # noqa: ANN001
    body = BatchDeleteServerNicsRequestBody(nics=[BatchDeleteServerNicOption(id=i) for i in ids])
    return ecs.batch_delete_server_nics(
        BatchDeleteServerNicsRequest(server_id=sid, body=body)
    ).job_id


def ports_of(vpc, sid: str) -> list:  # noqa: ANN001
    return vpc.list_ports(ListPortsRequest(device_id=sid)).ports


def code(err) -> tuple[int, str]:  # noqa: ANN001
    return (err.status_code, err.error_code)


def test_adding_a_nic_is_a_job_and_the_nic_is_a_port_of_the_server(server, tenant, net):
    vpc, subnet = net
    ecs, sid = _ready(server, tenant, subnet)
    before = available(vpc, subnet.id)
    job_id = add(ecs, sid, BatchAddServerNicOption(subnet_id=subnet.id, ip_address="192.168.1.50"))
    job = _job(ecs, job_id)
    assert job.job_type == "addNics" and job.status in ("INIT", "RUNNING")
    server.advance(SETTLE)
    job = _job(ecs, job_id)
    assert job.status == "SUCCESS"
    (sub,) = job.entities.sub_jobs
    assert sub.status == "SUCCESS" and sub.entities.server_id == sid
    ports = {p.id: p for p in ports_of(vpc, sid)}
    nic = ports[sub.entities.nic_id]
    assert nic.status == "ACTIVE" and nic.fixed_ips[0].ip_address == "192.168.1.50"
    assert nic.mac_address.startswith("fa:16:3e") and len(ports) == 2
    assert available(vpc, subnet.id) == before - 1


def test_deleting_an_added_nic_is_a_job_and_frees_its_address(server, tenant, net):
    vpc, subnet = net
    ecs, sid = _ready(server, tenant, subnet)
    before = available(vpc, subnet.id)
    add(ecs, sid, BatchAddServerNicOption(subnet_id=subnet.id))
    server.advance(SETTLE)
    (nic,) = [p for p in ports_of(vpc, sid) if p.device_owner.startswith("compute:")]
    job_id = delete(ecs, sid, nic.id)
    assert _job(ecs, job_id).job_type == "deleteNics"
    server.advance(SETTLE)
    job = _job(ecs, job_id)
    assert job.status == "SUCCESS" and job.entities.sub_jobs[0].entities.nic_id == nic.id
    assert [p.id for p in ports_of(vpc, sid)] != [] and nic.id not in [
        p.id for p in ports_of(vpc, sid)
    ]
    assert available(vpc, subnet.id) == before


def test_an_existing_port_is_attached_and_left_down_when_deleted(server, tenant, net):
    vpc, subnet = net
    ecs, sid = _ready(server, tenant, subnet)
    port = create_port(vpc, subnet.id)
    add(ecs, sid, BatchAddServerNicOption(port_id=port.id))
    server.advance(SETTLE)
    assert port.id in [p.id for p in ports_of(vpc, sid)]
    delete(ecs, sid, port.id)
    server.advance(SETTLE)
    from huaweicloudsdkvpc.v2 import ShowPortRequest

    shown = vpc.show_port(ShowPortRequest(port_id=port.id)).port
    assert (shown.status, shown.device_id) == ("DOWN", "")


def test_a_nic_joins_the_groups_asked_for(server, tenant, net):
    vpc, subnet = net
    ecs, sid = _ready(server, tenant, subnet)
    group = new_group(vpc, "nic-group")
    add(
        ecs,
        sid,
        BatchAddServerNicOption(
            subnet_id=subnet.id, security_groups=[ServerNicSecurityGroup(id=group)]
        ),
    )
    server.advance(SETTLE)
    (nic,) = [p for p in ports_of(vpc, sid) if p.device_owner.startswith("compute:")]
    assert nic.security_groups == [group]


def test_a_server_keeps_at_most_its_flavor_nics_and_a_refusal_allocates_nothing(
    server, tenant, net
):
    vpc, subnet = net
    ecs, sid = _ready(server, tenant, subnet)
    before = available(vpc, subnet.id)
    two = [BatchAddServerNicOption(subnet_id=subnet.id) for _ in range(LIMIT)]
    err = refused(lambda: add(ecs, sid, *two))
    assert code(err) == (400, "Ecs.0005")
    assert available(vpc, subnet.id) == before and len(ports_of(vpc, sid)) == 1


def test_the_primary_nic_cannot_be_deleted(server, tenant, net):
    vpc, subnet = net
    ecs, sid = _ready(server, tenant, subnet)
    (primary,) = ports_of(vpc, sid)
    assert code(refused(lambda: delete(ecs, sid, primary.id))) == (400, "Ecs.0005")
    assert [p.status for p in ports_of(vpc, sid)] == ["ACTIVE"]


def test_refusals_answer_ecs_0005_and_change_nothing(server, tenant, net):
    vpc, subnet = net
    ecs, sid = _ready(server, tenant, subnet)
    busy = create_port(vpc, subnet.id)
    add(ecs, sid, BatchAddServerNicOption(port_id=busy.id))
    before = available(vpc, subnet.id)
    cases = [
        BatchAddServerNicOption(),  # neither subnet_id nor port_id
        BatchAddServerNicOption(subnet_id="00000000-0000-0000-0000-000000000000"),
        BatchAddServerNicOption(subnet_id=subnet.id, ip_address="10.9.9.9"),
        BatchAddServerNicOption(subnet_id=subnet.id, ipv6_enable=True),
        BatchAddServerNicOption(port_id=busy.id),  # not DOWN
    ]
    for nic in cases:
        err = refused(lambda nic=nic: add(ecs, sid, nic))
        assert err.status_code == 400 and err.error_code.startswith("Ecs."), err.error_msg
    assert code(refused(lambda: delete(ecs, sid, "00000000-0000-0000-0000-00000000000a"))) == (
        400,
        "Ecs.0005",
    )
    assert available(vpc, subnet.id) == before and len(ports_of(vpc, sid)) == 2


def test_nics_change_only_on_a_settled_server(server, tenant, net):
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    sid = _create(ecs, subnet).server_ids[0]  # still BUILD
    before = available(vpc, subnet.id)
    err = refused(lambda: add(ecs, sid, BatchAddServerNicOption(subnet_id=subnet.id)))
    assert code(err) == (400, "Ecs.0005")
    assert available(vpc, subnet.id) == before
    unknown = "00000000-0000-0000-0000-00000000000b"
    err = refused(lambda: add(ecs, unknown, BatchAddServerNicOption(subnet_id=subnet.id)))
    assert code(err) == (404, "Ecs.0114")
