"""The instance reads Terraform's alicloud_instance makes after an apply, through the Tea SDK:
DescribeInstanceMaintenanceAttributes (and ModifyInstanceMaintenanceAttributes) and
DescribeInstanceAttachmentAttributes, on both stores.
"""

from __future__ import annotations

import json

import pytest
from alibabacloud_ecs20140526 import models as m

from tests.test_aliyun_instances import REGION, _refused, _run, net

FIXTURES = (net,)  # the VPC, vSwitch and security group fixture the instance tests define

Window = m.ModifyInstanceMaintenanceAttributesRequestMaintenanceWindow


def _attributes(net, **kw):  # noqa: ANN001, ANN202
    request = m.DescribeInstanceMaintenanceAttributesRequest(region_id=REGION, **kw)
    return net["ecs"].describe_instance_maintenance_attributes(request).body


def _modify(net, ids: list[str], **kw) -> None:  # noqa: ANN001
    request = m.ModifyInstanceMaintenanceAttributesRequest(region_id=REGION, instance_id=ids, **kw)
    net["ecs"].modify_instance_maintenance_attributes(request)


def _one(net, iid: str):  # noqa: ANN001, ANN202
    (attribute,) = _attributes(net, instance_id=[iid]).maintenance_attributes.maintenance_attribute
    return attribute


def _attachments(net, ids: list[str], **kw):  # noqa: ANN001, ANN202
    request = m.DescribeInstanceAttachmentAttributesRequest(
        region_id=REGION, instance_ids=json.dumps(ids), **kw
    )
    return net["ecs"].describe_instance_attachment_attributes(request).body


def test_a_new_instance_has_the_vendors_default_maintenance_attributes(net):
    (iid,) = _run(net).instance_id_sets.instance_id_set
    attribute = _one(net, iid)
    assert attribute.instance_id == iid and attribute.notify_on_maintenance is False
    action = attribute.action_on_maintenance
    assert (action.value, action.default_value) == ("AutoRecover", "AutoRecover")
    assert action.supported_values.supported_value == ["Stop", "AutoRecover"]
    assert attribute.maintenance_windows.maintenance_window == []


def test_modified_maintenance_attributes_are_kept_and_shown(net):
    (iid,) = _run(net).instance_id_sets.instance_id_set
    window = [Window(start_time="02:00:00", end_time="18:00:00")]
    _modify(
        net,
        [iid],
        action_on_maintenance="Stop",
        notify_on_maintenance=True,
        maintenance_window=window,
    )
    attribute = _one(net, iid)
    assert (attribute.action_on_maintenance.value, attribute.notify_on_maintenance) == (
        "Stop",
        True,
    )
    (kept,) = attribute.maintenance_windows.maintenance_window
    assert (kept.start_time, kept.end_time) == ("02:00:00", "18:00:00")


def test_a_modification_keeps_what_it_does_not_name(net):
    (iid,) = _run(net).instance_id_sets.instance_id_set
    _modify(net, [iid], action_on_maintenance="Stop")
    _modify(net, [iid], notify_on_maintenance=True)
    attribute = _one(net, iid)
    assert (attribute.action_on_maintenance.value, attribute.notify_on_maintenance) == (
        "Stop",
        True,
    )


def test_maintenance_attributes_of_every_instance_are_paged(net):
    ids = _run(net, amount=3).instance_id_sets.instance_id_set
    first = _attributes(net, page_size=2)
    second = _attributes(net, page_size=2, page_number=2)
    assert (first.total_count, first.page_number, first.page_size) == (3, 1, 2)
    shown = first.maintenance_attributes.maintenance_attribute
    shown += second.maintenance_attributes.maintenance_attribute
    assert sorted(a.instance_id for a in shown) == sorted(ids)


@pytest.mark.parametrize(
    "kw",
    [
        {"action_on_maintenance": "Reboot"},
        {"action_on_maintenance": "AutoRedeploy"},
        {"maintenance_window": [Window(start_time="02:30:00", end_time="18:00:00")]},
        {"maintenance_window": [Window(start_time="02:00:00")]},
        {"maintenance_window": [Window(start_time="02:00:00", end_time="02:00:00")]},
        {"maintenance_window": [Window(start_time="25:00:00", end_time="02:00:00")]},
        {
            "maintenance_window": [
                Window(start_time="01:00:00", end_time="02:00:00"),
                Window(start_time="03:00:00", end_time="04:00:00"),
            ]
        },
    ],
)
def test_a_bad_maintenance_attribute_is_refused_and_changes_nothing(net, kw):
    (iid,) = _run(net).instance_id_sets.instance_id_set
    err = _refused(lambda: _modify(net, [iid], notify_on_maintenance=True, **kw))
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert _one(net, iid).notify_on_maintenance is False


def test_an_unknown_instance_refuses_the_whole_modification(net):
    (iid,) = _run(net).instance_id_sets.instance_id_set
    err = _refused(lambda: _modify(net, [iid, "i-bp1nothere"], action_on_maintenance="Stop"))
    assert (err.code, err.status_code) == ("InvalidInstanceId.NotFound", 404)
    assert _one(net, iid).action_on_maintenance.value == "AutoRecover"


def test_a_modification_without_instances_is_refused(net):
    request = m.ModifyInstanceMaintenanceAttributesRequest(
        region_id=REGION, notify_on_maintenance=True
    )
    err = _refused(lambda: net["ecs"].modify_instance_maintenance_attributes(request))
    assert (err.code, err.status_code) == ("MissingParameter", 400)


def test_attachment_attributes_show_no_private_pool(net):
    ids = _run(net, amount=2).instance_id_sets.instance_id_set
    body = _attachments(net, [*ids, "i-bp1nothere"])
    rows = body.instances.instance
    assert sorted(r.instance_id for r in rows) == sorted(ids) and body.total_count == 2
    assert {(r.private_pool_options_id, r.private_pool_options_match_criteria) for r in rows} == {
        ("", "")
    }


def test_attachment_attributes_are_paged(net):
    ids = _run(net, amount=3).instance_id_sets.instance_id_set
    body = _attachments(net, ids, page_size=2, page_number=2)
    assert (body.total_count, body.page_number, len(body.instances.instance)) == (3, 2, 1)


@pytest.mark.parametrize(
    ("instance_ids", "code"),
    [("not json", "InvalidInstanceIds.Malformed"), (None, "MissingParameter")],
)
def test_a_bad_attachment_attributes_request_is_refused(net, instance_ids, code):
    request = m.DescribeInstanceAttachmentAttributesRequest(
        region_id=REGION, instance_ids=instance_ids
    )
    err = _refused(lambda: net["ecs"].describe_instance_attachment_attributes(request))
    assert (err.code, err.status_code) == (code, 400)
