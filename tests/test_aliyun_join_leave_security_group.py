"""ECS 2014-05-26 JoinSecurityGroup and LeaveSecurityGroup through the official SDKs, on both stores.

An instance (or an ENI) joins one more group and leaves one, within the
vendor's limits (at most five groups, at least one kept, one VPC, one group
type) and state rules (Running or Stopped); every refusal changes nothing.
"""

from __future__ import annotations

import json

import pytest
from alibabacloud_ecs20140526 import models as m
from aliyunsdkecs.request.v20140526.JoinSecurityGroupRequest import JoinSecurityGroupRequest

from tests import clients
from tests import test_aliyun_instances as base
from tests import test_aliyun_modify_instance as modify

REGION = base.REGION
net = base.net


def _join(net, group: str, **kw):  # noqa: ANN001, ANN202
    request = m.JoinSecurityGroupRequest(security_group_id=group, **kw)
    return net["ecs"].join_security_group(request).body


def _leave(net, group: str, **kw):  # noqa: ANN001, ANN202
    request = m.LeaveSecurityGroupRequest(security_group_id=group, **kw)
    return net["ecs"].leave_security_group(request).body


def _groups(net, iid: str) -> list[str]:  # noqa: ANN001
    return modify._vm(net, iid).security_group_ids.security_group_id


def _eni(net, iid: str) -> str:  # noqa: ANN001
    nics = modify._vm(net, iid).network_interfaces.network_interface
    return nics[0].network_interface_id


def test_an_instance_joins_and_leaves_a_group(server, net):
    iid = modify._running(server, net)
    extra = modify._group(net)
    assert _join(net, extra, instance_id=iid).request_id
    assert _groups(net, iid) == [net["sg"], extra]
    assert modify._attribute(net, iid).security_group_ids.security_group_id == [net["sg"], extra]
    _leave(net, net["sg"], instance_id=iid)
    assert _groups(net, iid) == [extra]


def test_a_stopped_instance_joins_a_group(server, net):
    iid = modify._stopped(server, net)
    extra = modify._group(net)
    _join(net, extra, instance_id=iid)
    assert _groups(net, iid) == [net["sg"], extra]


def test_the_legacy_sdk_joins_a_group(server, tenant, net):
    iid = modify._running(server, net)
    extra = modify._group(net)
    request = JoinSecurityGroupRequest()
    request.set_InstanceId(iid)
    request.set_SecurityGroupId(extra)
    body = json.loads(clients.legacy(tenant).do_action_with_exception(request))
    assert set(body) == {"RequestId"} and _groups(net, iid) == [net["sg"], extra]


def test_an_eni_joins_and_leaves_a_group_in_its_region(server, net):
    iid = modify._running(server, net)
    eni, extra = _eni(net, iid), modify._group(net)
    _join(net, extra, network_interface_id=eni, region_id=REGION)
    assert _groups(net, iid) == [net["sg"], extra]
    _leave(net, extra, network_interface_id=eni, region_id=REGION)
    assert _groups(net, iid) == [net["sg"]]


def test_joining_a_group_twice_is_refused(server, net):
    iid = modify._running(server, net)
    err = base._refused(lambda: _join(net, net["sg"], instance_id=iid))
    assert (err.code, err.status_code) == ("InvalidInstanceId.AlreadyExists", 403)


def test_a_sixth_group_is_refused(server, net):
    iid = modify._running(server, net)
    for _ in range(4):
        _join(net, modify._group(net), instance_id=iid)
    err = base._refused(lambda: _join(net, modify._group(net), instance_id=iid))
    assert (err.code, err.status_code) == ("InstanceSecurityGroupLimitExceeded", 400)
    assert len(_groups(net, iid)) == 5


def test_an_unknown_group_is_not_found(server, net):
    iid = modify._running(server, net)
    err = base._refused(lambda: _join(net, "sg-bp1none", instance_id=iid))
    assert (err.code, err.status_code) == ("InvalidSecurityGroupId.NotFound", 404)


def test_an_unknown_instance_is_not_found(net):
    err = base._refused(lambda: _join(net, net["sg"], instance_id="i-bp1none"))
    assert (err.code, err.status_code) == ("InvalidInstanceId.NotFound", 404)


def test_an_unknown_eni_is_not_found(net):
    err = base._refused(
        lambda: _join(net, net["sg"], network_interface_id="eni-bp1none", region_id=REGION)
    )
    assert (err.code, err.status_code) == ("InvalidEniId.NotFound", 404)


def test_a_group_of_another_vpc_is_refused(server, net):
    iid = modify._running(server, net)
    other = modify._other_vpc_group(server, net)
    err = base._refused(lambda: _join(net, other, instance_id=iid))
    assert (err.code, err.status_code) == ("InvalidInstanceId.Mismatch", 400)
    assert _groups(net, iid) == [net["sg"]]


def test_an_enterprise_group_does_not_join_basic_ones(server, net):
    iid = modify._running(server, net)
    enterprise = modify._group(net, security_group_type="enterprise")
    err = base._refused(lambda: _join(net, enterprise, instance_id=iid))
    assert (err.code, err.status_code) == ("InvalidOperation.MultiGroupType", 400)


def test_a_pending_instance_is_being_created(net):
    (iid,) = base._run(net).instance_id_sets.instance_id_set
    err = base._refused(lambda: _join(net, modify._group(net), instance_id=iid))
    assert (err.code, err.status_code) == ("Forbidden.InstanceIsBeingCreated", 403)


def test_a_stopping_instance_is_refused(server, net):
    iid = modify._running(server, net)
    net["ecs"].stop_instance(m.StopInstanceRequest(instance_id=iid))
    err = base._refused(lambda: _join(net, modify._group(net), instance_id=iid))
    assert (err.code, err.status_code) == ("IncorrectInstanceStatus", 403)


@pytest.mark.parametrize("operation", [_join, _leave])
def test_instance_and_eni_together_are_refused(server, net, operation):
    iid = modify._running(server, net)
    err = base._refused(
        lambda: operation(net, net["sg"], instance_id=iid, network_interface_id=_eni(net, iid))
    )
    assert (err.code, err.status_code) == ("InvalidParam.EniIdAndInstanceId.Conflict", 403)


def test_an_eni_without_its_region_is_refused(server, net):
    iid = modify._running(server, net)
    err = base._refused(lambda: _join(net, modify._group(net), network_interface_id=_eni(net, iid)))
    assert (err.code, err.status_code) == ("MissingParameter.RegionId", 400)


def test_an_unknown_region_is_not_found(server, net):
    iid = modify._running(server, net)
    eni = _eni(net, iid)
    err = base._refused(lambda: _join(net, net["sg"], network_interface_id=eni, region_id="xx-1"))
    assert (err.code, err.status_code) == ("InvalidRegionId.NotFound", 404)


def test_neither_instance_nor_eni_is_refused(net):
    err = base._refused(lambda: _join(net, net["sg"]))
    assert (err.code, err.status_code) == ("MissingParameter", 400)


def test_the_last_group_is_kept(server, net):
    iid = modify._running(server, net)
    err = base._refused(lambda: _leave(net, net["sg"], instance_id=iid))
    assert (err.code, err.status_code) == ("InstanceLastSecurityGroup", 403)
    assert _groups(net, iid) == [net["sg"]]


def test_an_enis_last_group_is_kept(server, net):
    iid = modify._running(server, net)
    err = base._refused(
        lambda: _leave(net, net["sg"], network_interface_id=_eni(net, iid), region_id=REGION)
    )
    assert (err.code, err.status_code) == ("InvalidOperation.AtLeastInOneGroup", 403)


def test_leaving_a_group_not_held_is_refused(server, net):
    iid = modify._running(server, net)
    other = modify._group(net)
    err = base._refused(lambda: _leave(net, other, instance_id=iid))
    assert (err.code, err.status_code) == ("InvalidSecurityGroupAssociation.NotFound", 400)


def test_a_pending_instance_does_not_leave_a_group(net):
    (iid,) = base._run(net).instance_id_sets.instance_id_set
    err = base._refused(lambda: _leave(net, net["sg"], instance_id=iid))
    assert (err.code, err.status_code) == ("Forbidden.InstanceIsBeingCreated", 403)


def test_four_concurrent_joins_all_land(server, tenant, net):
    iid = modify._running(server, net)
    groups = [modify._group(net) for _ in range(4)]

    def join(group: str):  # noqa: ANN202
        request = m.JoinSecurityGroupRequest(security_group_id=group, instance_id=iid)
        return lambda ecs: ecs.join_security_group(request)

    assert modify.at_once(tenant, [join(g) for g in groups]) == []
    assert sorted(_groups(net, iid)) == sorted([net["sg"], *groups])
