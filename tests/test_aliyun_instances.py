"""ECS 2014-05-26 instances through the official Tea SDK, on both stores.

The flow Terraform's alicloud_instance follows (RunInstances with a
ClientToken, poll DescribeInstances until Running, stop, start, delete with
Force, poll until gone), a ClientToken retry, DryRun, each refusal with the
vendor's code and status, and that a refused request changes nothing.
"""

from __future__ import annotations

import base64

import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_vpc20160428 import models as vm

from tests import clients

REGION = "cn-hangzhou"
ZONE = "cn-hangzhou-h"
IMAGE = "aliyun_3_x64_20G_alibase_20240528.vhd"
TYPE = "ecs.g7.large"
BOOT = 3.0  # the server's boot_seconds


@pytest.fixture
def net(server, tenant):  # noqa: ANN001, ANN201
    """A VPC, a vSwitch in ZONE and a security group, all Available."""
    vpc = clients.tea_vpc(tenant)
    vpc_id = vpc.create_vpc(
        vm.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16")
    ).body.vpc_id
    server.advance(1.5)
    vsw_id = vpc.create_vswitch(
        vm.CreateVSwitchRequest(
            region_id=REGION, vpc_id=vpc_id, zone_id=ZONE, cidr_block="10.0.1.0/24"
        )
    ).body.v_switch_id
    server.advance(1.5)
    ecs = clients.tea_ecs(tenant)
    sg_id = ecs.create_security_group(
        m.CreateSecurityGroupRequest(region_id=REGION, vpc_id=vpc_id)
    ).body.security_group_id
    return {"ecs": ecs, "vpc": vpc, "vpc_id": vpc_id, "vsw": vsw_id, "sg": sg_id}


def _run(net, **kw):  # noqa: ANN001, ANN202
    values = dict(
        region_id=REGION,
        image_id=IMAGE,
        instance_type=TYPE,
        v_switch_id=net["vsw"],
        security_group_id=net["sg"],
    )
    values.update(kw)
    return net["ecs"].run_instances(m.RunInstancesRequest(**values)).body


def _instances(net, **kw) -> list:  # noqa: ANN001
    body = net["ecs"].describe_instances(m.DescribeInstancesRequest(region_id=REGION, **kw)).body
    return body.instances.instance


def _free(net) -> int:  # noqa: ANN001
    body = (
        net["vpc"]
        .describe_vswitches(vm.DescribeVSwitchesRequest(region_id=REGION, v_switch_id=net["vsw"]))
        .body
    )
    return body.v_switches.v_switch[0].available_ip_address_count


def _boot(server) -> None:  # noqa: ANN001
    """Let instances boot: one step of the engine clock past the boot time."""
    server.advance(BOOT + 1)


def _refused(call) -> ClientException:  # noqa: ANN001
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def test_terraform_flow_runs_boots_stops_starts_and_deletes(server, net):
    ecs = net["ecs"]
    (iid,) = _run(net, client_token="tf-1", instance_name="web").instance_id_sets.instance_id_set
    assert iid.startswith("i-bp") and [i.status for i in _instances(net)] == ["Pending"]
    _boot(server)
    (vm_,) = _instances(net, instance_ids=f'["{iid}"]')
    assert (vm_.status, vm_.instance_name, vm_.zone_id) == ("Running", "web", ZONE)
    assert vm_.vpc_attributes.v_switch_id == net["vsw"]
    assert vm_.security_group_ids.security_group_id == [net["sg"]]
    ecs.stop_instance(m.StopInstanceRequest(instance_id=iid))
    assert _instances(net)[0].status == "Stopping"
    server.advance(3)
    assert _instances(net)[0].status == "Stopped"
    ecs.start_instance(m.StartInstanceRequest(instance_id=iid))
    _boot(server)
    assert _instances(net)[0].status == "Running"
    ecs.delete_instance(m.DeleteInstanceRequest(instance_id=iid, force=True))
    server.advance(3)
    assert _instances(net) == []
    assert _free(net) == 252


def test_an_instance_shows_its_address_type_and_image(server, net):
    (iid,) = _run(net).instance_id_sets.instance_id_set
    (vm_,) = _instances(net)
    assert vm_.vpc_attributes.private_ip_address.ip_address[0].startswith("10.0.1.")
    assert (vm_.cpu, vm_.memory, vm_.ostype) == (2, 8192, "linux")
    assert vm_.network_interfaces.network_interface[0].network_interface_id.startswith("eni-")
    assert vm_.instance_charge_type == "PostPaid" and vm_.instance_id == iid


def test_a_client_token_retry_returns_the_same_ids_and_creates_nothing(net):
    first = _run(net, client_token="t-2", amount=2).instance_id_sets.instance_id_set
    again = _run(net, client_token="t-2", amount=2).instance_id_sets.instance_id_set
    assert first == again and len(first) == 2
    assert len(_instances(net)) == 2 and _free(net) == 250


def test_a_client_token_with_other_parameters_is_refused(net):
    _run(net, client_token="t-3")
    err = _refused(lambda: _run(net, client_token="t-3", instance_name="other"))
    assert (err.code, err.status_code) == ("IdempotentParameterMismatch", 400)


def test_dry_run_answers_dry_run_operation_and_creates_nothing(net):
    err = _refused(lambda: _run(net, dry_run=True, amount=3))
    assert (err.code, err.status_code) == ("DryRunOperation", 400)
    assert _instances(net) == [] and _free(net) == 252


def test_dry_run_of_a_bad_request_answers_its_error(net):
    err = _refused(lambda: _run(net, dry_run=True, image_id="nope"))
    assert err.code == "InvalidImageId.NotFound"


@pytest.mark.parametrize(
    ("kw", "code", "status"),
    [
        ({"image_id": "no_such_image.vhd"}, "InvalidImageId.NotFound", 404),
        ({"instance_type": "ecs.nope.large"}, "InvalidInstanceType.ValueNotSupported", 400),
        ({"v_switch_id": "vsw-bp1nothere"}, "InvalidVSwitchId.NotFound", 404),
        ({"v_switch_id": None}, "MissingParameter", 400),
        ({"zone_id": "cn-hangzhou-i"}, "InvalidParameter.Mismatch", 400),
        ({"security_group_id": "sg-bp1nothere"}, "InvalidSecurityGroupId.NotFound", 404),
        ({"password": "short1A"}, "InvalidPassword.Malformed", 400),
        ({"password": "alllowercase1"}, "InvalidPassword.Malformed", 400),
        ({"user_data": "not base64!"}, "InvalidUserData.Base64FormatInvalid", 400),
        (
            {"user_data": base64.b64encode(b"x" * 40000).decode()},
            "InvalidUserData.SizeExceeded",
            400,
        ),
        ({"instance_name": "1starts-with-digit"}, "InvalidInstanceName.Malformed", 400),
        ({"instance_name": "web[1,4"}, "InvalidInstanceName.CustomMalformed", 400),
        ({"host_name": "-bad-"}, "InvalidHostName.Malformed", 400),
        ({"amount": 101}, "InvalidParam.Amount", 400),
        ({"amount": 2, "min_amount": 3}, "InvalidParam.MinAmount", 400),
        ({"instance_charge_type": "Monthly"}, "InvalidInstanceChargeType.NotFound", 404),
        ({"instance_charge_type": "PrePaid"}, "MissingParamter", 400),
        ({"key_pair_name": "absent"}, "InvalidKeyPairName.NotFound", 404),
        ({"spot_strategy": "SpotWithPriceLimit"}, "InvalidSpotPriceLimit", 400),
        (
            {"system_disk": m.RunInstancesRequestSystemDisk(category="cloud")},
            "InvalidSystemDiskCategory.ValueNotSupported",
            400,
        ),
        (
            {"system_disk": m.RunInstancesRequestSystemDisk(size="10")},
            "InvalidSystemDiskSize.ValueNotSupported",
            400,
        ),
        (
            {"data_disk": [m.RunInstancesRequestDataDisk(category="cloud_essd", size=5)]},
            "InvalidDataDiskSize.ValueNotSupported",
            400,
        ),
        (
            {"data_disk": [m.RunInstancesRequestDataDisk(category="cloud_nope", size=50)]},
            "InvalidDataDiskCategory.ValueNotSupported",
            400,
        ),
        ({"instance_type": "ecs.g8y.large"}, "InvalidResourceType.NotSupported", 403),
    ],
)
def test_a_bad_run_request_answers_the_vendors_code_and_changes_nothing(net, kw, code, status):
    err = _refused(lambda: _run(net, **kw))
    assert (err.code, err.status_code) == (code, status)
    assert _instances(net) == [] and _free(net) == 252


def test_a_security_group_of_another_vpc_is_refused(server, net):
    other = (
        net["vpc"]
        .create_vpc(vm.CreateVpcRequest(region_id=REGION, cidr_block="10.1.0.0/16"))
        .body.vpc_id
    )
    server.advance(1.5)
    sg = (
        net["ecs"]
        .create_security_group(m.CreateSecurityGroupRequest(region_id=REGION, vpc_id=other))
        .body.security_group_id
    )
    err = _refused(lambda: _run(net, security_group_id=sg))
    assert (err.code, err.status_code) == ("InvalidParameter.Mismatch", 400)
    assert _free(net) == 252


def test_an_exhausted_vswitch_refuses_the_whole_batch(server, net):
    small = (
        net["vpc"]
        .create_vswitch(
            vm.CreateVSwitchRequest(
                region_id=REGION, vpc_id=net["vpc_id"], zone_id=ZONE, cidr_block="10.0.2.0/29"
            )
        )
        .body.v_switch_id
    )
    server.advance(1.5)
    err = _refused(lambda: _run(net, v_switch_id=small, amount=5))  # a /29 has 4 addresses
    assert (err.code, err.status_code) == ("InvalidVSwitchId.IpNotEnough", 403)
    assert _instances(net) == []


def test_a_running_instance_is_not_deleted_without_force(server, net):
    (iid,) = _run(net).instance_id_sets.instance_id_set
    _boot(server)
    err = _refused(lambda: net["ecs"].delete_instance(m.DeleteInstanceRequest(instance_id=iid)))
    assert (err.code, err.status_code) == ("IncorrectInstanceStatus", 403)
    assert _instances(net)[0].status == "Running"


def test_a_protected_instance_is_not_deleted(server, net):
    (iid,) = _run(net, deletion_protection=True).instance_id_sets.instance_id_set
    err = _refused(
        lambda: net["ecs"].delete_instance(m.DeleteInstanceRequest(instance_id=iid, force=True))
    )
    assert (err.code, err.status_code) == ("InvalidOperation.DeletionProtection", 403)


def test_stopping_a_pending_instance_is_refused(net):
    (iid,) = _run(net).instance_id_sets.instance_id_set
    err = _refused(lambda: net["ecs"].stop_instance(m.StopInstanceRequest(instance_id=iid)))
    assert (err.code, err.status_code) == ("IncorrectInstanceStatus", 403)


def test_an_unknown_instance_is_not_found(net):
    err = _refused(
        lambda: net["ecs"].start_instance(m.StartInstanceRequest(instance_id="i-bp1none"))
    )
    assert (err.code, err.status_code) == ("InvalidInstanceId.NotFound", 404)


def test_a_rebooting_instance_shows_starting_then_running(server, net):
    (iid,) = _run(net).instance_id_sets.instance_id_set
    _boot(server)
    net["ecs"].reboot_instance(m.RebootInstanceRequest(instance_id=iid))
    assert _instances(net)[0].status == "Starting"
    _boot(server)
    assert _instances(net)[0].status == "Running"


def test_stop_instances_all_together_stops_none_when_one_cannot_stop(server, net):
    (a,) = _run(net).instance_id_sets.instance_id_set
    _boot(server)
    (b,) = _run(net).instance_id_sets.instance_id_set  # still Pending
    err = _refused(
        lambda: net["ecs"].stop_instances(
            m.StopInstancesRequest(region_id=REGION, instance_id=[a, b])
        )
    )
    assert (err.code, err.status_code) == ("IncorrectInstanceStatus", 403)
    assert sorted(i.status for i in _instances(net)) == ["Pending", "Running"]


def test_stop_instances_success_first_answers_a_code_per_instance(server, net):
    (a,) = _run(net).instance_id_sets.instance_id_set
    _boot(server)
    (b,) = _run(net).instance_id_sets.instance_id_set
    body = (
        net["ecs"]
        .stop_instances(
            m.StopInstancesRequest(
                region_id=REGION, instance_id=[a, b], batch_optimization="SuccessFirst"
            )
        )
        .body
    )
    codes = {r.instance_id: r.code for r in body.instance_responses.instance_response}
    assert codes == {a: "200", b: "IncorrectInstanceStatus"}


def test_user_data_is_answered_as_given_and_the_password_never(net):
    data = base64.b64encode(b"#!/bin/sh\necho hi\n").decode()
    (iid,) = _run(net, user_data=data, password="Secret-pass1").instance_id_sets.instance_id_set
    body = (
        net["ecs"]
        .describe_user_data(m.DescribeUserDataRequest(region_id=REGION, instance_id=iid))
        .body
    )
    assert body.user_data == data
    raw = net["ecs"].describe_instances(m.DescribeInstancesRequest(region_id=REGION)).body.to_map()
    assert "Secret-pass1" not in str(raw)


def test_describe_instances_filters_by_status_name_and_tag(server, net):
    _run(net, instance_name="aa", tag=[m.RunInstancesRequestTag(key="env", value="prod")])
    _boot(server)
    _run(net, instance_name="bb")
    assert [i.instance_name for i in _instances(net, status="Running")] == ["aa"]
    assert [i.instance_name for i in _instances(net, instance_name="bb")] == ["bb"]
    tag = [m.DescribeInstancesRequestTag(key="env", value="prod")]
    assert [i.instance_name for i in _instances(net, tag=tag)] == ["aa"]


def test_describe_instances_pages_by_next_token(net):
    _run(net, amount=3)
    ecs = net["ecs"]
    first = ecs.describe_instances(m.DescribeInstancesRequest(region_id=REGION, max_results=2)).body
    second = ecs.describe_instances(
        m.DescribeInstancesRequest(region_id=REGION, max_results=2, next_token=first.next_token)
    ).body
    assert len(first.instances.instance) == 2 and len(second.instances.instance) == 1
    assert second.next_token == ""


def test_describe_instance_status_lists_each_status(net):
    (iid,) = _run(net).instance_id_sets.instance_id_set
    body = (
        net["ecs"].describe_instance_status(m.DescribeInstanceStatusRequest(region_id=REGION)).body
    )
    assert [(s.instance_id, s.status) for s in body.instance_statuses.instance_status] == [
        (iid, "Pending")
    ]


def _statuses(net, **kw) -> tuple[list[str], int]:  # noqa: ANN001
    request = m.DescribeInstanceStatusRequest(region_id=REGION, **kw)
    body = net["ecs"].describe_instance_status(request).body
    return [s.instance_id for s in body.instance_statuses.instance_status], body.total_count


def test_describe_instance_status_pages_in_the_listing_s_order(net):
    _run(net, amount=3)
    ids = [i.instance_id for i in _instances(net)]
    assert _statuses(net, page_size=2) == (ids[:2], 3)
    assert _statuses(net, page_size=2, page_number=2) == (ids[2:], 3)


def test_describe_instance_status_filters_by_zone(net):
    _run(net, amount=2)
    ids = [i.instance_id for i in _instances(net)]
    assert _statuses(net, zone_id=ZONE) == (ids, 2)
    assert _statuses(net, zone_id="cn-hangzhou-i") == ([], 0)


def test_describe_instance_status_by_ids_leaves_out_unknown_ones(net):
    _run(net, amount=3)
    ids = [i.instance_id for i in _instances(net)]
    assert _statuses(net, instance_id=[ids[2], "i-unknown", ids[0]]) == ([ids[0], ids[2]], 2)


def test_describe_instance_attribute_finds_the_instance(net):
    (iid,) = _run(net, description="the web server").instance_id_sets.instance_id_set
    body = (
        net["ecs"]
        .describe_instance_attribute(m.DescribeInstanceAttributeRequest(instance_id=iid))
        .body
    )
    assert (body.instance_id, body.description) == (iid, "the web server")


def test_a_dry_run_stop_answers_dry_run_operation_and_stops_nothing(server, net):
    (iid,) = _run(net).instance_id_sets.instance_id_set
    _boot(server)
    request = m.StopInstanceRequest(instance_id=iid, dry_run=True)
    err = _refused(lambda: net["ecs"].stop_instance(request))
    assert (err.code, err.status_code) == ("DryRunOperation", 400)
    assert _instances(net)[0].status == "Running"


def test_delete_instances_deletes_every_named_instance(server, net):
    ids = _run(net, amount=2).instance_id_sets.instance_id_set
    net["ecs"].delete_instances(
        m.DeleteInstancesRequest(region_id=REGION, instance_id=ids, force=True)
    )
    server.advance(3)
    assert _instances(net) == [] and _free(net) == 252


def _stop_all(server, net, ids) -> None:  # noqa: ANN001
    net["ecs"].stop_instances(m.StopInstancesRequest(region_id=REGION, instance_id=ids))
    server.advance(BOOT)


def _delete_all(net, ids, **kw):  # noqa: ANN001, ANN202
    request = m.DeleteInstancesRequest(region_id=REGION, instance_id=ids, **kw)
    return net["ecs"].delete_instances(request)


def test_delete_instances_refuses_every_one_when_one_is_running(server, net):
    ids = _run(net, amount=3).instance_id_sets.instance_id_set
    _boot(server)
    _stop_all(server, net, ids[:2])
    err = _refused(lambda: _delete_all(net, ids))
    assert (err.code, err.status_code) == ("IncorrectInstanceStatus", 403)
    server.advance(3)
    assert sorted(i.status for i in _instances(net)) == ["Running", "Stopped", "Stopped"]
    _delete_all(net, ids[:2])
    server.advance(3)
    assert [i.instance_id for i in _instances(net)] == [ids[2]]


def test_delete_instances_refuses_every_one_when_one_is_unknown_or_protected(server, net):
    ids = _run(net, amount=2).instance_id_sets.instance_id_set
    (kept,) = _run(net, deletion_protection=True).instance_id_sets.instance_id_set
    _boot(server)
    unknown = _refused(lambda: _delete_all(net, [*ids, "i-bp1missing000000000"], force=True))
    protected = _refused(lambda: _delete_all(net, [*ids, kept], force=True))
    assert (unknown.code, unknown.status_code) == ("InvalidInstanceId.NotFound", 404)
    assert (protected.code, protected.status_code) == ("InvalidOperation.DeletionProtection", 403)
    server.advance(3)
    assert [i.status for i in _instances(net)] == ["Running"] * 3


def test_delete_instances_answers_the_first_refusal_in_the_order_given(server, net):
    (protected,) = _run(net, deletion_protection=True).instance_id_sets.instance_id_set
    (running,) = _run(net).instance_id_sets.instance_id_set
    _boot(server)
    first = _refused(lambda: _delete_all(net, [protected, running]))
    second = _refused(lambda: _delete_all(net, [running, protected]))
    assert first.code == "InvalidOperation.DeletionProtection"
    assert second.code == "IncorrectInstanceStatus"


def test_a_dry_run_delete_instances_deletes_nothing(server, net):
    ids = _run(net, amount=2).instance_id_sets.instance_id_set
    _boot(server)
    err = _refused(lambda: _delete_all(net, ids, force=True, dry_run=True))
    assert (err.code, err.status_code) == ("DryRunOperation", 400)
    server.advance(3)
    assert [i.status for i in _instances(net)] == ["Running"] * 2


def test_delete_instances_shows_them_deleting_untagged_then_frees_their_addresses(server, net):
    tag = m.RunInstancesRequestTag(key="team", value="a")
    ids = _run(net, amount=3, tag=[tag]).instance_id_sets.instance_id_set
    _boot(server)
    _delete_all(net, ids, force=True)
    assert [i.status for i in _instances(net)] == ["Stopping"] * 3
    assert all(not (i.tags and i.tags.tag) for i in _instances(net))
    assert _free(net) == 249
    server.advance(3)
    assert _instances(net) == [] and _free(net) == 252
