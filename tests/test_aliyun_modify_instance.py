"""ECS 2014-05-26 ModifyInstanceAttribute (seed 002) through the official SDKs, on both stores.

Each attribute is modified and read back the way a client reads it
(DescribeInstances, DescribeInstanceAttribute, DescribeUserData); each code of
the seed that can apply is answered with its status, and a refused request
changes nothing, also when only its last attribute is wrong. Eight clients
changing eight attributes of one instance at once lose none of them.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from alibabacloud_ecs20140526 import models as m
from aliyunsdkecs.request.v20140526.ModifyInstanceAttributeRequest import (
    ModifyInstanceAttributeRequest,
)
from sqlalchemy import event

from openecs.core import instances as core
from openecs.core import interfaces
from openecs.core.network import Scope
from openecs.core.passwords import password_matches
from tests import clients
from tests import test_aliyun_instances as base

REGION = base.REGION
WINDOWS = "win2022_21H2_x64_dtc_en-us_40G_alibase_20240515.vhd"
net = base.net  # the VPC, vSwitch and security group every test starts from


def _modify(net, iid: str, **kw):  # noqa: ANN001, ANN202
    request = m.ModifyInstanceAttributeRequest(instance_id=iid, **kw)
    return net["ecs"].modify_instance_attribute(request).body


def _vm(net, iid: str):  # noqa: ANN001, ANN202
    (found,) = base._instances(net, instance_ids=json.dumps([iid]))
    return found


def _attribute(net, iid: str):  # noqa: ANN001, ANN202
    request = m.DescribeInstanceAttributeRequest(instance_id=iid)
    return net["ecs"].describe_instance_attribute(request).body


def _running(server, net, **kw) -> str:  # noqa: ANN001
    (iid,) = base._run(net, **kw).instance_id_sets.instance_id_set
    base._boot(server)
    return iid


def _stopped(server, net, **kw) -> str:  # noqa: ANN001
    iid = _running(server, net, **kw)
    net["ecs"].stop_instance(m.StopInstanceRequest(instance_id=iid))
    server.advance(3)
    return iid


def _group(net, **kw) -> str:  # noqa: ANN001
    request = m.CreateSecurityGroupRequest(region_id=REGION, vpc_id=net["vpc_id"], **kw)
    return net["ecs"].create_security_group(request).body.security_group_id


def _core(server, tenant, iid: str) -> core.Instance:  # noqa: ANN001
    with server.runtime.db.read() as conn:
        return core.get_instance(conn, Scope("aliyun", tenant.account.id, REGION), iid)


def _refused(call):  # noqa: ANN001, ANN202
    return base._refused(call)


# --------------------------------------------------------------------------- each attribute


def test_an_empty_request_succeeds_and_changes_nothing(server, tenant, net):
    iid = _running(server, net)
    before = _core(server, tenant, iid)
    assert _modify(net, iid).request_id
    after = _core(server, tenant, iid)
    assert after.version == before.version and after == before


def test_name_description_and_host_name_are_read_back(server, net):
    iid = _running(server, net)
    _modify(net, iid, instance_name="web-2", description="the new web", host_name="web2.lan")
    body = _attribute(net, iid)
    assert (body.instance_name, body.description, body.host_name) == (
        "web-2",
        "the new web",
        "web2.lan",
    )
    assert _vm(net, iid).host_name == "web2.lan"


def test_a_new_password_is_kept_only_as_a_salted_hash(server, tenant, net):
    iid = _running(server, net)
    _modify(net, iid, password="New-pass-123")
    stored = _core(server, tenant, iid).password_hash
    assert stored and "New-pass-123" not in stored
    assert password_matches("New-pass-123", stored)
    assert "New-pass-123" not in str(_attribute(net, iid).to_map())


def test_a_linux_password_may_start_with_a_slash(server, tenant, net):
    iid = _running(server, net)
    _modify(net, iid, password="/New-pass-123")
    assert password_matches("/New-pass-123", _core(server, tenant, iid).password_hash)


def test_new_user_data_is_answered_by_describe_user_data(server, net):
    iid = _running(server, net, user_data=base64.b64encode(b"echo old").decode())
    data = base64.b64encode(b"#!/bin/sh\necho new\n").decode()
    _modify(net, iid, user_data=data)
    request = m.DescribeUserDataRequest(region_id=REGION, instance_id=iid)
    assert net["ecs"].describe_user_data(request).body.user_data == data


def test_security_group_ids_replace_the_instances_groups(server, net):
    iid = _running(server, net)
    a, b = _group(net), _group(net)
    _modify(net, iid, security_group_ids=[a, b])
    assert _vm(net, iid).security_group_ids.security_group_id == [a, b]
    assert _attribute(net, iid).security_group_ids.security_group_id == [a, b]
    filtered = base._instances(net, security_group_id=net["sg"])
    assert filtered == []


def test_deletion_protection_is_shown_and_stops_delete_instance(server, net):
    iid = _stopped(server, net)
    _modify(net, iid, deletion_protection=True)
    assert _vm(net, iid).deletion_protection is True
    err = _refused(
        lambda: net["ecs"].delete_instance(m.DeleteInstanceRequest(instance_id=iid, force=True))
    )
    assert (err.code, err.status_code) == ("InvalidOperation.DeletionProtection", 403)
    _modify(net, iid, deletion_protection=False)
    net["ecs"].delete_instance(m.DeleteInstanceRequest(instance_id=iid))
    server.advance(3)
    assert base._instances(net) == []


def test_jumbo_frames_are_shown_by_describe_instance_attribute(server, net):
    iid = _running(server, net)
    assert _attribute(net, iid).enable_jumbo_frame is False
    _modify(net, iid, enable_jumbo_frame=True)
    body = _attribute(net, iid)
    assert body.enable_jumbo_frame is True and body.network_options.enable_jumbo_frame is True
    _modify(net, iid, enable_jumbo_frame=False)
    assert _attribute(net, iid).enable_jumbo_frame is False


def test_cpu_options_of_a_stopped_instance_are_shown_with_its_vcpus(server, net):
    iid = _stopped(server, net)
    before = _vm(net, iid)
    assert (before.cpu, before.cpu_options.core_count, before.cpu_options.threads_per_core) == (
        2,
        1,
        2,
    )
    options = m.ModifyInstanceAttributeRequestCpuOptions(
        core=1, threads_per_core=1, topology_type="ContinuousCoreToHTMapping"
    )
    _modify(net, iid, cpu_options=options)
    after = _vm(net, iid)
    assert (after.cpu, after.cpu_options.threads_per_core, after.cpu_options.topology_type) == (
        1,
        1,
        "ContinuousCoreToHTMapping",
    )


def test_the_primary_interface_queue_number_is_kept_and_reset(server, tenant, net):
    iid = _stopped(server, net)

    def queues() -> int:
        where = Scope("aliyun", tenant.account.id, REGION)
        with server.runtime.db.read() as conn:
            (nic,) = interfaces.list_interfaces(conn, where, device_id=iid)
        return nic.extra["QueueNumber"]

    _modify(net, iid, network_interface_queue_number=1)
    assert queues() == 1
    _modify(net, iid, network_interface_queue_number=-1)
    assert queues() == 2  # ecs.g7.large's default


def test_private_dns_name_options_are_shown_by_describe_instances(server, net):
    iid = _running(server, net)
    assert _vm(net, iid).private_dns_name_options.hostname_type == "Custom"
    options = m.ModifyInstanceAttributeRequestPrivateDnsNameOptions(
        hostname_type="IpBased", enable_ip_dns_arecord=True, enable_ip_dns_ptr_record=True
    )
    _modify(net, iid, private_dns_name_options=options)
    shown = _vm(net, iid).private_dns_name_options
    assert (shown.hostname_type, shown.enable_ip_dns_arecord, shown.enable_ip_dns_ptr_record) == (
        "IpBased",
        True,
        True,
    )
    assert shown.enable_instance_id_dns_arecord is False


def test_a_burstable_instance_changes_its_performance_mode(server, net):
    iid = _running(server, net, instance_type="ecs.t6-c1m1.large")
    assert _vm(net, iid).credit_specification == "Standard"
    _modify(net, iid, credit_specification="Unlimited")
    assert _vm(net, iid).credit_specification == "Unlimited"
    assert _attribute(net, iid).credit_specification == "Unlimited"


def test_a_windows_instance_takes_a_short_dotless_host_name(server, net):
    iid = _running(server, net, image_id=WINDOWS, password="Win-pass-123")
    _modify(net, iid, host_name="WIN-SRV-01")
    assert _attribute(net, iid).host_name == "WIN-SRV-01"


@pytest.mark.parametrize("name", ["web.lan", "a-very-long-name-01", "12345", "a--b"])
def test_a_windows_host_name_follows_the_windows_rules(server, net, name):
    iid = _running(server, net, image_id=WINDOWS, password="Win-pass-123")
    err = _refused(lambda: _modify(net, iid, host_name=name))
    assert (err.code, err.status_code) == ("InvalidHostName.Malformed", 400)


def test_a_windows_password_cannot_start_with_a_slash(server, tenant, net):
    iid = _running(server, net, image_id=WINDOWS, password="Win-pass-123")
    err = _refused(lambda: _modify(net, iid, password="/Win-pass-456"))
    assert (err.code, err.status_code) == ("InvalidPassword.Malformed", 400)
    assert password_matches("Win-pass-123", _core(server, tenant, iid).password_hash)


def test_the_legacy_sdk_modifies_an_instance(server, tenant, net):
    iid = _running(server, net)
    request = ModifyInstanceAttributeRequest()
    request.set_InstanceId(iid)
    request.set_InstanceName("legacy-name")
    request.set_Description("set by the legacy SDK")
    body = json.loads(clients.legacy(tenant).do_action_with_exception(request))
    assert set(body) == {"RequestId"}
    assert (_vm(net, iid).instance_name, _vm(net, iid).description) == (
        "legacy-name",
        "set by the legacy SDK",
    )


@pytest.mark.parametrize(
    ("setter", "value"), [("set_InstanceName", "found-anyway"), ("set_HostName", "found-anyway")]
)
def test_an_instance_is_modified_from_a_client_of_another_region(server, tenant, net, setter, value):
    """The vendor finds the instance whichever RegionId the request carries (a rename takes the
    one-statement path, a host name the full one: both)."""
    iid = _running(server, net)
    request = ModifyInstanceAttributeRequest()
    request.set_InstanceId(iid)
    getattr(request, setter)(value)
    json.loads(clients.legacy(tenant, "cn-beijing").do_action_with_exception(request))
    shown = _vm(net, iid)
    assert value in (shown.instance_name, shown.host_name)


# --------------------------------------------------------------------------- refusals

BIG = base64.b64encode(b"x" * (32 * 1024 + 1)).decode()


@pytest.mark.parametrize(
    ("kw", "code", "status"),
    [
        ({"instance_name": "1digit-first"}, "InvalidInstanceName.Malformed", 400),
        ({"instance_name": "http://x"}, "InvalidInstanceName.Malformed", 400),
        ({"description": "https://example.com"}, "InvalidDescription.Malformed", 400),
        ({"description": "x"}, "InvalidDescription.Malformed", 400),
        ({"host_name": "-bad"}, "InvalidHostName.Malformed", 400),
        ({"host_name": "a..b"}, "InvalidHostName.Malformed", 400),
        ({"host_name": "a--b"}, "InvalidHostName.Malformed", 400),
        ({"host_name": "x" * 65}, "InvalidHostName.Malformed", 400),
        ({"password": "short1A"}, "InvalidPassword.Malformed", 400),
        ({"password": "alllowercase1"}, "InvalidPassword.Malformed", 400),
        ({"user_data": "not base64!"}, "InvalidUserData.Base64FormatInvalid", 403),
        ({"user_data": BIG}, "InvalidUserData.SizeExceeded", 400),
        ({"security_group_ids": ["sg-bp1none"]}, "InvalidSecurityGroupId.NotFound", 404),
        ({"credit_specification": "Turbo"}, "InvalidParameter.CreditSpecification", 400),
        ({"credit_specification": "Unlimited"}, "InstanceType.ValueNotSupported", 400),
        ({"recyclable": True}, "InvalidParameter.RecycleBin", 400),
        (
            {"enable_network_encryption": True},
            "InvalidOperation.UserNotSupportNetworkEncryption",
            403,
        ),
        (
            {
                "remote_connection_options": m.ModifyInstanceAttributeRequestRemoteConnectionOptions(
                    password="x", type="vnc"
                )
            },
            "InvalidUser.Unauthorized",
            403,
        ),
        (
            {
                "cpu_options": m.ModifyInstanceAttributeRequestCpuOptions(
                    nested_virtualization="enabled"
                )
            },
            "InvalidUser.Unauthorized",
            403,
        ),
        (
            {"cpu_options": m.ModifyInstanceAttributeRequestCpuOptions(topology_type="Ring")},
            "InvalidParameter.CpuOptionsTopologyType",
            400,
        ),
        (
            {
                "private_dns_name_options": m.ModifyInstanceAttributeRequestPrivateDnsNameOptions(
                    hostname_type="Fancy"
                )
            },
            "InvalidParameter",
            400,
        ),
        ({"network_interface_queue_number": 0}, "InvalidParameter.InvalidEniQueueNumber", 403),
    ],
)
def test_a_bad_value_answers_the_seeds_code_and_changes_nothing(server, net, kw, code, status):
    iid = _running(server, net)
    before = _vm(net, iid).to_map()
    err = _refused(lambda: _modify(net, iid, **kw))
    assert (err.code, err.status_code) == (code, status)
    assert _vm(net, iid).to_map() == before


def test_a_request_wrong_only_in_its_last_attribute_changes_nothing(server, tenant, net):
    iid = _running(server, net)
    before = _core(server, tenant, iid)
    a = _group(net)
    err = _refused(
        lambda: _modify(
            net,
            iid,
            instance_name="renamed",
            description="changed",
            security_group_ids=[a],
            deletion_protection=True,
            enable_jumbo_frame=True,
            credit_specification="Unlimited",  # ecs.g7.large is not burstable
        )
    )
    assert err.code == "InstanceType.ValueNotSupported"
    after = _core(server, tenant, iid)
    assert after == before
    assert _vm(net, iid).security_group_ids.security_group_id == [net["sg"]]


def test_repeated_group_ids_are_refused(server, net):
    iid = _running(server, net)
    err = _refused(lambda: _modify(net, iid, security_group_ids=[net["sg"], net["sg"]]))
    assert (err.code, err.status_code) == ("InvalidParameter.SecurityGroupIdRepeated", 404)


def test_more_than_five_groups_are_refused(server, net):
    iid = _running(server, net)
    groups = [net["sg"], *(_group(net) for _ in range(5))]
    err = _refused(lambda: _modify(net, iid, security_group_ids=groups))
    assert (err.code, err.status_code) == ("JoinedGroupLimitExceed", 400)
    assert _vm(net, iid).security_group_ids.security_group_id == [net["sg"]]


def _other_vpc_group(server, net) -> str:  # noqa: ANN001
    from alibabacloud_vpc20160428 import models as vm

    other = (
        net["vpc"]
        .create_vpc(vm.CreateVpcRequest(region_id=REGION, cidr_block="10.9.0.0/16"))
        .body.vpc_id
    )
    server.advance(1.5)
    request = m.CreateSecurityGroupRequest(region_id=REGION, vpc_id=other)
    return net["ecs"].create_security_group(request).body.security_group_id


def test_groups_of_two_vpcs_are_refused(server, net):
    iid = _running(server, net)
    err = _refused(
        lambda: _modify(net, iid, security_group_ids=[net["sg"], _other_vpc_group(server, net)])
    )
    assert (err.code, err.status_code) == ("InvalidSecurityGroupVpc.NotBelongToOneVpc", 404)


def test_a_group_of_another_vpc_than_the_instances_is_refused(server, net):
    iid = _running(server, net)
    err = _refused(lambda: _modify(net, iid, security_group_ids=[_other_vpc_group(server, net)]))
    assert (err.code, err.status_code) == ("InvalidInstanceId.Mismatch", 400)
    assert _vm(net, iid).security_group_ids.security_group_id == [net["sg"]]


def test_basic_and_enterprise_groups_are_not_mixed(server, net):
    iid = _running(server, net)
    enterprise = _group(net, security_group_type="enterprise")
    err = _refused(lambda: _modify(net, iid, security_group_ids=[net["sg"], enterprise]))
    assert (err.code, err.status_code) == ("EnterpriseGroupLimited.MutliGroupType", 403)
    _modify(net, iid, security_group_ids=[enterprise])  # a switch of type is allowed
    assert _vm(net, iid).security_group_ids.security_group_id == [enterprise]


def test_jumbo_frames_need_a_type_that_supports_them(server, net):
    iid = _running(server, net, instance_type="ecs.g6.large")
    err = _refused(lambda: _modify(net, iid, enable_jumbo_frame=True))
    assert (err.code, err.status_code) == ("InvalidParam.NotSupportJumboFrame", 400)
    assert _attribute(net, iid).enable_jumbo_frame is False


@pytest.mark.parametrize(
    ("options", "code", "status"),
    [
        ({"core": 2}, "InvalidParameter.CpuOptionsCore", 403),
        ({"threads_per_core": 3}, "InvalidParameter.CpuOptionsThreadsPerCore", 403),
        (
            {"topology_type": "DiscreteCoreToHTMapping"},
            "InvalidInstanceType.NotSupportCpuOptionsTopologyType",
            400,
        ),
    ],
)
def test_cpu_options_outside_the_types_limits_are_refused(server, net, options, code, status):
    iid = _stopped(server, net)
    request = m.ModifyInstanceAttributeRequestCpuOptions(**options)
    err = _refused(lambda: _modify(net, iid, cpu_options=request))
    assert (err.code, err.status_code) == (code, status)
    assert _vm(net, iid).cpu_options.threads_per_core == 2


def test_a_type_without_adjustable_hyper_threading_keeps_its_threads(server, net):
    iid = _stopped(server, net, instance_type="ecs.g6.large")
    request = m.ModifyInstanceAttributeRequestCpuOptions(threads_per_core=1)
    err = _refused(lambda: _modify(net, iid, cpu_options=request))
    assert (err.code, err.status_code) == (
        "InvalidInstanceType.CpuOptionsThreadsPerCoreUnsupported",
        403,
    )


def test_a_queue_number_beyond_the_types_limit_is_refused(server, net):
    iid = _stopped(server, net)
    err = _refused(lambda: _modify(net, iid, network_interface_queue_number=3))
    assert (err.code, err.status_code) == ("InvalidOperation.MaxEniQueueNumberExceeded", 403)


# --------------------------------------------------------------------------- charge types


@pytest.mark.parametrize(
    "billing",
    [
        {"instance_charge_type": "PrePaid", "period": 1, "period_unit": "Month"},
        {"spot_strategy": "SpotAsPriceGo"},
        {"spot_strategy": "SpotWithPriceLimit", "spot_price_limit": 0.5},
    ],
)
def test_deletion_protection_is_for_pay_as_you_go_instances_only(server, net, billing):
    iid = _running(server, net, **billing)
    err = _refused(lambda: _modify(net, iid, deletion_protection=True))
    assert (err.code, err.status_code) == ("InvalidChargeType.ValueNotSupported", 403)
    assert _vm(net, iid).deletion_protection is False


# --------------------------------------------------------------------------- states


def test_the_password_is_refused_while_starting(server, net):
    iid = _running(server, net)
    net["ecs"].reboot_instance(m.RebootInstanceRequest(instance_id=iid))
    err = _refused(lambda: _modify(net, iid, password="New-pass-123"))
    assert (err.code, err.status_code) == ("IncorrectInstanceStatus", 403)


def test_the_host_name_is_refused_while_pending(net):
    (iid,) = base._run(net).instance_id_sets.instance_id_set
    err = _refused(lambda: _modify(net, iid, host_name="early"))
    assert (err.code, err.status_code) == ("IncorrectInstanceStatus", 403)
    _modify(net, iid, instance_name="named-while-pending")  # the name has no state rule
    assert _vm(net, iid).instance_name == "named-while-pending"


def test_jumbo_frames_are_refused_while_pending(net):
    (iid,) = base._run(net).instance_id_sets.instance_id_set
    err = _refused(lambda: _modify(net, iid, enable_jumbo_frame=True))
    assert (err.code, err.status_code) == ("InvalidOperation.InstanceStatusNotSupport", 400)


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        (
            {"cpu_options": m.ModifyInstanceAttributeRequestCpuOptions(threads_per_core=1)},
            "InvalidStatus.StoppedRequired",
        ),
        (
            {
                "cpu_options": m.ModifyInstanceAttributeRequestCpuOptions(
                    topology_type="ContinuousCoreToHTMapping"
                )
            },
            "InvalidOperation.InstanceStatusUnsupported",
        ),
        ({"network_interface_queue_number": 1}, "InvalidStatus.StoppedRequired"),
    ],
)
def test_cpu_and_queue_changes_need_a_stopped_instance(server, net, kw, code):
    iid = _running(server, net)
    err = _refused(lambda: _modify(net, iid, **kw))
    assert (err.code, err.status_code) == (code, 400)
    assert _vm(net, iid).cpu == 2


def test_an_instance_being_deleted_is_not_modified(server, net):
    iid = _running(server, net)
    net["ecs"].delete_instance(m.DeleteInstanceRequest(instance_id=iid, force=True))
    err = _refused(lambda: _modify(net, iid, instance_name="late"))
    assert (err.code, err.status_code) == ("IncorrectInstanceStatus", 403)


def test_a_deleted_instance_is_not_found(server, net):
    iid = _running(server, net)
    net["ecs"].delete_instance(m.DeleteInstanceRequest(instance_id=iid, force=True))
    server.advance(3)
    err = _refused(lambda: _modify(net, iid, instance_name="gone"))
    assert (err.code, err.status_code) == ("InvalidInstanceId.NotFound", 404)


@contextmanager
def _writes(server) -> Iterator[list[tuple[str, bool]]]:  # noqa: ANN001
    """What the store's writer runs meanwhile for requests: each statement's first word, and
    whether it ran outside any transaction the client began (SQLite traces BEGIN and COMMIT as
    statements). The engine thread's own passes, which run when they fall due, are left out."""
    db = server.runtime.db
    seen: list[tuple[str, bool]] = []

    def for_a_request() -> bool:
        return threading.current_thread().name != "openecs-engine"

    if db.is_sqlite:
        with db._write_lock:
            driver = db._held_writer().connection.driver_connection
        driver.set_trace_callback(
            lambda sql: seen.append((sql.split()[0], True)) if for_a_request() else None
        )
        try:
            yield seen
        finally:
            driver.set_trace_callback(None)
        return

    def record(conn, cursor, statement, *_) -> None:  # noqa: ANN001
        if for_a_request():
            seen.append((statement.split()[0], conn.connection.driver_connection.autocommit))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_a_rename_is_one_statement_that_commits_as_it_runs(server, net):
    """No read, no BEGIN and no COMMIT: the cost of the commonest change is one UPDATE."""
    iid = _running(server, net)
    with _writes(server) as seen:
        _modify(net, iid, instance_name="renamed", description="in one statement")
    assert seen == [("UPDATE", True)]
    shown = _vm(net, iid)
    assert (shown.instance_name, shown.description) == ("renamed", "in one statement")


def test_a_rename_with_another_attribute_checks_the_instance_first(server, net):
    iid = _running(server, net)
    with _writes(server) as seen:
        _modify(net, iid, instance_name="renamed", host_name="renamed-host")
    words = [word for word, _ in seen]
    assert "SELECT" in words[: words.index("UPDATE")]
    shown = _vm(net, iid)
    assert (shown.instance_name, shown.host_name) == ("renamed", "renamed-host")


# --------------------------------------------------------------------------- concurrency


def at_once(tenant, calls: list) -> list[BaseException]:  # noqa: ANN001
    """Run each ``call(ecs)`` in its own thread with its own client, all released together."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(calls))

    def run(call) -> None:  # noqa: ANN001
        ecs = clients.tea_ecs(tenant)
        start.wait()
        try:
            call(ecs)
        except BaseException as err:  # noqa: BLE001 - reported by the caller
            errors.append(err)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_eight_clients_changing_eight_attributes_at_once_lose_none(server, tenant, net):
    iid = _running(server, net)
    group = _group(net)
    data = base64.b64encode(b"echo concurrent").decode()
    dns = m.ModifyInstanceAttributeRequestPrivateDnsNameOptions(enable_ip_dns_arecord=True)
    changes = [
        {"instance_name": "concurrent"},
        {"description": "changed at once"},
        {"host_name": "at-once"},
        {"user_data": data},
        {"deletion_protection": True},
        {"enable_jumbo_frame": True},
        {"private_dns_name_options": dns},
        {"security_group_ids": [net["sg"], group]},
    ]

    def change(kw: dict):  # noqa: ANN202
        request = m.ModifyInstanceAttributeRequest(instance_id=iid, **kw)
        return lambda ecs: ecs.modify_instance_attribute(request)

    assert at_once(tenant, [change(kw) for kw in changes]) == []
    shown, attribute = _vm(net, iid), _attribute(net, iid)
    assert (shown.instance_name, shown.description, shown.host_name) == (
        "concurrent",
        "changed at once",
        "at-once",
    )
    assert shown.deletion_protection is True and attribute.enable_jumbo_frame is True
    assert shown.private_dns_name_options.enable_ip_dns_arecord is True
    assert shown.security_group_ids.security_group_id == [net["sg"], group]
    request = m.DescribeUserDataRequest(region_id=REGION, instance_id=iid)
    assert net["ecs"].describe_user_data(request).body.user_data == data
