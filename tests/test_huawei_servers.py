"""Huawei server creation, jobs and ShowServer through the official huaweicloudsdkecs client.

The Terraform flow first (create -> the job runs -> SUCCESS with the server
id in its sub-job -> the server is ACTIVE with its address), then batches,
dry runs, client tokens, and one test per refusal, each checking that the
refused request allocated nothing (the subnet's free address count).
"""

from __future__ import annotations

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import (
    CreatePostPaidServersRequest,
    CreatePostPaidServersRequestBody,
    CreateServersRequest,
    CreateServersRequestBody,
    PostPaidServer,
    PostPaidServerNic,
    PostPaidServerRootVolume,
    PrePaidServer,
    PrePaidServerDataVolume,
    PrePaidServerExtendParam,
    PrePaidServerNic,
    PrePaidServerPublicip,
    PrePaidServerRootVolume,
    PrePaidServerSecurityGroup,
    ShowJobRequest,
    ShowServerRequest,
)

from tests import clients
from tests.test_huawei_ports import active_subnet, available, refused

IMAGE = "f4eaf719-7226-5c3a-abb5-b5e16ca86b3b"  # Ubuntu 22.04, x86, min_disk 40
ARM_IMAGE = "cf9c9e31-72ed-51a2-969b-82b0d1c2796c"
FLAVOR = "s6.small.1"
BOOT = 3.0  # the test servers' boot_seconds


def boot(server) -> None:  # noqa: ANN001
    """Let the servers boot: one step of the engine clock past the boot time."""
    server.advance(BOOT + 1)


@pytest.fixture
def net(server, tenant):  # noqa: ANN001, ANN201
    vpc = clients.hw_vpc(tenant)
    subnet = active_subnet(server, vpc, "192.168.1.0/24")
    return vpc, subnet


def _server(subnet, **kw) -> PrePaidServer:  # noqa: ANN001
    values = dict(
        image_ref=IMAGE,
        flavor_ref=FLAVOR,
        name="web",
        vpcid=subnet.vpc_id,
        nics=[PrePaidServerNic(subnet_id=subnet.id)],
        root_volume=PrePaidServerRootVolume(volumetype="SSD"),
    )
    values.update(kw)
    return PrePaidServer(**values)


def _create(ecs, subnet, token: str | None = None, dry_run: bool | None = None, **kw):  # noqa: ANN001, ANN201
    body = CreateServersRequestBody(server=_server(subnet, **kw), dry_run=dry_run)
    return ecs.create_servers(CreateServersRequest(body=body, x_client_token=token))


def _job(ecs, job_id: str):  # noqa: ANN001, ANN201
    return ecs.show_job(ShowJobRequest(job_id=job_id))


def _show(ecs, server_id: str):  # noqa: ANN001, ANN201
    return ecs.show_server(ShowServerRequest(server_id=server_id)).server


def _refused_code(ecs, subnet, vpc, **kw) -> ClientRequestException:  # noqa: ANN001
    before = available(vpc, subnet.id)
    err = refused(lambda: _create(ecs, subnet, **kw))
    assert available(vpc, subnet.id) == before
    return err


# -- the flow


def test_create_answers_a_job_that_succeeds_when_the_server_boots(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    answer = _create(ecs, subnet)
    assert len(answer.job_id) == 32 and len(answer.server_ids) == 1
    assert answer.order_id is None
    job = _job(ecs, answer.job_id)
    assert job.status in ("INIT", "RUNNING") and job.job_type == "createServer"
    assert _show(ecs, answer.server_ids[0]).status == "BUILD"
    boot(server)
    job = _job(ecs, answer.job_id)
    assert job.status == "SUCCESS" and job.end_time.endswith("Z")
    assert job.entities.sub_jobs[0].entities.server_id == answer.server_ids[0]
    assert job.entities.sub_jobs[0].status == "SUCCESS"


def test_a_created_server_is_active_with_its_address(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    sid = _create(ecs, subnet).server_ids[0]
    boot(server)
    detail = _show(ecs, sid)
    assert detail.status == "ACTIVE" and detail.os_ext_st_svm_state == "active"
    assert detail.flavor.id == FLAVOR and detail.image.id == IMAGE
    (address,) = detail.addresses[subnet.vpc_id]
    assert address.addr.startswith("192.168.1.") and address.os_ext_ip_stype == "fixed"
    assert address.os_ext_ips_ma_cmac_addr.startswith("fa:16:3e")
    assert [g.name for g in detail.security_groups] == ["default"]
    assert detail.os_ext_a_zavailability_zone.startswith("cn-north-4")
    assert detail.created.endswith("Z")


def test_a_given_address_is_the_servers(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    nic = PrePaidServerNic(subnet_id=subnet.id, ip_address="192.168.1.77")
    sid = _create(ecs, subnet, nics=[nic]).server_ids[0]
    assert _show(ecs, sid).addresses[subnet.vpc_id][0].addr == "192.168.1.77"


def test_a_batch_numbers_its_names(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    answer = _create(ecs, subnet, count=3)
    names = [_show(ecs, sid).name for sid in answer.server_ids]
    assert names == ["web-0001", "web-0002", "web-0003"]
    boot(server)
    assert len(_job(ecs, answer.job_id).entities.sub_jobs) == 3


def test_a_batch_starts_from_the_number_given(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    answer = _create(ecs, subnet, count=2, name="db-0007")
    assert [_show(ecs, s).name for s in answer.server_ids] == ["db-0007", "db-0008"]


def test_dry_run_creates_nothing(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    before = available(vpc, subnet.id)
    answer = _create(ecs, subnet, dry_run=True)
    assert answer.job_id is None
    assert available(vpc, subnet.id) == before


def test_a_client_token_retry_answers_the_same_job(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    first = _create(ecs, subnet, token="tok-1")
    after_first = available(vpc, subnet.id)
    again = _create(ecs, subnet, token="tok-1")
    assert (again.job_id, again.server_ids) == (first.job_id, first.server_ids)
    assert available(vpc, subnet.id) == after_first


def test_prepaid_answers_an_order(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    ext = PrePaidServerExtendParam(
        charging_mode="prePaid", period_type="month", period_num=1, is_auto_pay="true"
    )
    answer = _create(ecs, subnet, extendparam=ext)
    assert answer.order_id.startswith("CS")
    assert _show(ecs, answer.server_ids[0]).metadata["charging_mode"] == "1"


def test_v1_creates_pay_per_use_servers(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    body = CreatePostPaidServersRequestBody(
        server=PostPaidServer(
            image_ref=IMAGE,
            flavor_ref=FLAVOR,
            name="pp",
            vpcid=subnet.vpc_id,
            nics=[PostPaidServerNic(subnet_id=subnet.id)],
            root_volume=PostPaidServerRootVolume(volumetype="SAS", size=50),
        )
    )
    answer = ecs.create_post_paid_servers(CreatePostPaidServersRequest(body=body))
    boot(server)
    assert _job(ecs, answer.job_id).status == "SUCCESS"


def test_show_server_unknown_is_404(server, tenant) -> None:  # noqa: ANN001
    err = refused(lambda: _show(clients.hw_ecs(tenant), "1d9c2d4b-0000-4000-8000-000000000000"))
    assert (err.status_code, err.error_code) == (404, "Ecs.0114")


def test_show_job_unknown_is_404(server, tenant) -> None:  # noqa: ANN001
    err = refused(lambda: _job(clients.hw_ecs(tenant), "ff808082739334d80173943ec9b42130"))
    assert err.status_code == 404


# -- refusals: each allocates nothing


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"flavor_ref": "s9.nope.1"}, "Ecs.0005"),
        ({"image_ref": "00000000-0000-0000-0000-000000000000"}, "Ecs.0005"),
        ({"image_ref": ARM_IMAGE}, "Ecs.0007"),
        ({"name": "bad name!"}, "Ecs.0005"),
        ({"name": "x" * 60, "count": 2}, "Ecs.0005"),
        ({"count": 501}, "Ecs.0005"),
        ({"admin_pass": "short1A"}, "Ecs.0011"),
        ({"admin_pass": "alllowercase1"}, "Ecs.0011"),
        ({"admin_pass": "Myroot!Pass1"}, "Ecs.0011"),
        ({"user_data": "not base64!"}, "Ecs.0005"),
        ({"key_name": "no-such-key"}, "Ecs.0005"),
        ({"availability_zone": "cn-north-4z"}, "Ecs.0005"),
        ({"availability_zone": "cn-north-4g"}, "Ecs.0005"),  # s6.small.1 sold out there
        ({"root_volume": PrePaidServerRootVolume(volumetype="SSD", size=20)}, "Ecs.0005"),
        ({"root_volume": PrePaidServerRootVolume(volumetype="HDD")}, "Ecs.0005"),
        ({"data_volumes": [PrePaidServerDataVolume(volumetype="SSD", size=5)]}, "Ecs.0005"),
        ({"metadata": {f"k{i}": "v" for i in range(11)}}, "Ecs.0005"),
        ({"metadata": {"bad/key": "v"}}, "Ecs.0005"),
        ({"security_groups": [PrePaidServerSecurityGroup(id="nope")]}, "Ecs.0005"),
        ({"publicip": PrePaidServerPublicip(id="x")}, "Ecs.0005"),
        ({"vpcid": "00000000-0000-0000-0000-000000000000"}, "Ecs.0005"),
    ],
)
def test_refusals(server, tenant, net, kw, code) -> None:  # noqa: ANN001
    vpc, subnet = net
    err = _refused_code(clients.hw_ecs(tenant), subnet, vpc, **kw)
    assert (err.status_code, err.error_code) == (400, code)


def test_an_address_outside_the_subnet_is_refused(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    nic = PrePaidServerNic(subnet_id=subnet.id, ip_address="10.0.0.5")
    err = _refused_code(clients.hw_ecs(tenant), subnet, vpc, nics=[nic])
    assert (err.status_code, err.error_code) == (400, "Ecs.0005")
    assert "is not in this subnet" in err.error_msg


def test_an_address_in_use_is_refused(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    ecs = clients.hw_ecs(tenant)
    nic = PrePaidServerNic(subnet_id=subnet.id, ip_address="192.168.1.50")
    _create(ecs, subnet, nics=[nic])
    err = _refused_code(ecs, subnet, vpc, nics=[nic])
    assert (err.status_code, err.error_code) == (400, "Ecs.0010")


def test_a_subnet_of_another_vpc_is_refused(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    other = active_subnet(server, vpc, "192.168.2.0/24")
    err = _refused_code(clients.hw_ecs(tenant), subnet, vpc, vpcid=other.vpc_id)
    assert (err.status_code, err.error_code) == (400, "Ecs.0005")


def test_a_refused_batch_creates_no_server(server, tenant, net) -> None:  # noqa: ANN001
    vpc, subnet = net
    small = active_subnet(server, vpc, "192.168.3.0/28")  # 11 usable addresses
    ecs = clients.hw_ecs(tenant)
    err = _refused_code(ecs, small, vpc, count=12, vpcid=small.vpc_id)
    assert (err.status_code, err.error_code) == (400, "Ecs.0012")


def test_a_batch_of_500_servers_is_one_job_that_succeeds_when_they_boot(server, tenant) -> None:  # noqa: ANN001
    vpc = clients.hw_vpc(tenant)
    subnet = active_subnet(server, vpc, "192.168.4.0/22")
    ecs = clients.hw_ecs(tenant)
    before = available(vpc, subnet.id)
    answer = _create(ecs, subnet, count=500)
    assert len(set(answer.server_ids)) == 500
    assert available(vpc, subnet.id) == before - 500
    boot(server)
    job = _job(ecs, answer.job_id)
    assert job.status == "SUCCESS"
    subs = job.entities.sub_jobs
    assert [s.entities.server_id for s in subs] == answer.server_ids
    assert {s.status for s in subs} == {"SUCCESS"}
    assert _show(ecs, answer.server_ids[-1]).name == "web-0500"
