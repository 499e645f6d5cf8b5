"""ECS 2014-05-26 CreateInstance through the official Tea SDK, on both stores.

One instance, Pending then Stopped (started by StartInstance), answered as
{InstanceId} (with the order of a subscription); RunInstances' rules where the
two coincide, each refusal creating nothing.
"""

from __future__ import annotations

import pytest
from alibabacloud_ecs20140526 import models as m

from openecs.core import instances as core
from tests import test_aliyun_instances as base
from tests import test_aliyun_prepaid_spot as lifetimes

net = base.net  # the fixture: a VPC, a vSwitch in ZONE, a security group
_free, _instances, _refused = base._free, base._instances, base._refused


def _create(net, **kw):  # noqa: ANN001, ANN202
    values = dict(
        region_id=base.REGION,
        image_id=base.IMAGE,
        instance_type=base.TYPE,
        v_switch_id=net["vsw"],
        security_group_id=net["sg"],
    )
    values.update(kw)
    return net["ecs"].create_instance(m.CreateInstanceRequest(**values)).body


def test_a_created_instance_is_stopped_once_created_and_starts_on_request(server, net):
    body = _create(net, instance_name="one", host_name="one-host")
    assert body.instance_id.startswith("i-bp") and body.order_id is None
    assert _instances(net)[0].status == "Pending"
    base._boot(server)
    (vm_,) = _instances(net)
    assert (vm_.status, vm_.instance_name, vm_.host_name) == ("Stopped", "one", "one-host")
    net["ecs"].start_instance(m.StartInstanceRequest(instance_id=body.instance_id))
    base._boot(server)
    assert _instances(net)[0].status == "Running"


def test_a_created_subscription_answers_its_order(server, net):
    body = _create(net, instance_charge_type="PrePaid", period=1, period_unit="Week")
    assert body.order_id and body.trade_price == 0.0
    assert _instances(net)[0].instance_charge_type == "PrePaid"


def test_create_instance_takes_an_integer_system_disk_size_and_tags(server, net):
    iid = _create(
        net,
        system_disk=m.CreateInstanceRequestSystemDisk(size=60, category="cloud_essd"),
        tag=[m.CreateInstanceRequestTag(key="env", value="dev")],
    ).instance_id
    (vm_,) = _instances(net)
    assert [(t.tag_key, t.tag_value) for t in vm_.tags.tag] == [("env", "dev")]
    with server.runtime.db.read() as conn:  # no disk operation yet: read the store
        (system,) = core.disks_of(conn, [iid])[iid]
    assert (system["type"], system["category"], system["size"]) == ("system", "cloud_essd", 60)


def test_a_client_token_retry_answers_the_same_instance(net):
    first = _create(net, client_token="c-1").instance_id
    assert _create(net, client_token="c-1").instance_id == first
    assert len(_instances(net)) == 1


def test_a_dry_run_creates_nothing(net):
    err = _refused(lambda: _create(net, dry_run=True))
    assert (err.code, err.status_code) == ("DryRunOperation", 400)
    assert _instances(net) == [] and _free(net) == 252


def test_an_auto_release_time_is_set_afterwards(server, net):
    iid = _create(net).instance_id
    lifetimes._modify(net, iid, lifetimes._at(server, 3600))
    server.advance(3660)
    assert _instances(net) == []


@pytest.mark.parametrize(
    ("kw", "code", "status"),
    [
        ({"instance_type": None}, "MissingParameter", 400),
        ({"v_switch_id": None}, "MissingParameter", 400),
        ({"image_id": "nope"}, "InvalidImageId.NotFound", 404),
        ({"instance_name": "1bad"}, "InvalidInstanceName.Malformed", 400),
        ({"password": "weak"}, "InvalidPassword.Malformed", 400),
        ({"instance_charge_type": "PrePaid"}, "MissingParamter", 400),
        (
            {
                "instance_charge_type": "PrePaid",
                "period": 1,
                "auto_renew": True,
                "auto_renew_period": 24,
            },
            "InvalidAutoRenewPeriod.ValueNotSupported",
            400,
        ),
        ({"spot_strategy": "SpotWithPriceLimit"}, "InvalidSpotPriceLimit", 400),
        ({"inner_ip_address": "10.0.0.9"}, "UnsupportedParameter", 400),
        (
            {"system_disk": m.CreateInstanceRequestSystemDisk(size=5)},
            "InvalidSystemDiskSize.ValueNotSupported",
            400,
        ),
    ],
)
def test_a_bad_create_request_answers_the_vendors_code_and_creates_nothing(net, kw, code, status):
    err = _refused(lambda: _create(net, **kw))
    assert (err.code, err.status_code) == (code, status)
    assert _instances(net) == [] and _free(net) == 252
