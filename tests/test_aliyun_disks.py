"""ECS 2014-05-26 disks through the official Tea SDK, on both stores.

The flow Terraform's alicloud_ecs_disk and alicloud_ecs_disk_attachment follow
(create, wait Available, attach, wait In_use, detach, wait Available, resize,
delete, gone), DescribeDisks' filters and both pagings on a fleet, the
instance's own disks, and each refusal with the vendor's code and status
followed by a read showing that nothing changed.
"""

from __future__ import annotations

import json
import threading

import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.test_aliyun_instances import REGION, ZONE, _boot, _refused, _run, net

FIXTURES = (net,)  # the VPC, vSwitch and security group fixture the instance tests define

STEP = 1.5  # past the server's disk step (1 engine second)


def _create(net, **kw) -> str:  # noqa: ANN001
    values = dict(region_id=REGION, zone_id=ZONE, disk_category="cloud_essd", size=40)
    values.update(kw)
    return net["ecs"].create_disk(m.CreateDiskRequest(**values)).body.disk_id


def _disks(net, **kw) -> list:  # noqa: ANN001
    body = net["ecs"].describe_disks(m.DescribeDisksRequest(region_id=REGION, **kw)).body
    return body.disks.disk


def _disk(net, disk_id: str):  # noqa: ANN001, ANN202
    found = _disks(net, disk_ids=json.dumps([disk_id]))
    return found[0] if found else None


def _instance(server, net, **kw) -> str:  # noqa: ANN001
    (iid,) = _run(net, **kw).instance_id_sets.instance_id_set
    _boot(server)
    return iid


def _attach(net, disk_id: str, iid: str, **kw) -> None:  # noqa: ANN001
    net["ecs"].attach_disk(m.AttachDiskRequest(disk_id=disk_id, instance_id=iid, **kw))


def _detach(net, disk_id: str, iid: str, **kw) -> None:  # noqa: ANN001
    net["ecs"].detach_disk(m.DetachDiskRequest(disk_id=disk_id, instance_id=iid, **kw))


def _ready(server, net, **kw) -> str:  # noqa: ANN001
    """A new data disk, Available."""
    disk_id = _create(net, **kw)
    server.advance(STEP)
    return disk_id


# --------------------------------------------------------------------------- the lifecycle


def test_terraform_disk_flow_creates_attaches_detaches_resizes_and_deletes(server, net):
    ecs = net["ecs"]
    iid = _instance(server, net)
    disk_id = _create(net, client_token="tf-disk", disk_name="data1", description="the data")
    assert disk_id.startswith("d-bp") and len(disk_id) == 22
    assert _disk(net, disk_id).status == "Creating"
    server.advance(STEP)
    disk = _disk(net, disk_id)
    assert (disk.status, disk.type, disk.portable, disk.instance_id) == (
        "Available",
        "data",
        True,
        "",
    )
    _attach(net, disk_id, iid, delete_with_instance=False)
    assert _disk(net, disk_id).status == "Attaching"
    server.advance(STEP)
    disk = _disk(net, disk_id)
    assert (disk.status, disk.instance_id, disk.device) == ("In_use", iid, "/dev/xvdb")
    assert [(a.instance_id, a.device) for a in disk.attachments.attachment] == [(iid, "/dev/xvdb")]
    assert disk.attached_time.endswith("Z")
    _detach(net, disk_id, iid)
    assert _disk(net, disk_id).status == "Detaching"
    server.advance(STEP)
    disk = _disk(net, disk_id)
    assert (disk.status, disk.instance_id, disk.device) == ("Available", "", "")
    assert disk.attachments.attachment == [] and disk.detached_time.endswith("Z")
    ecs.resize_disk(m.ResizeDiskRequest(disk_id=disk_id, new_size=80))
    assert _disk(net, disk_id).size == 80
    ecs.delete_disk(m.DeleteDiskRequest(disk_id=disk_id))
    assert _disk(net, disk_id) is None


def test_a_new_disk_shows_the_vendors_fields(server, net):
    disk_id = _ready(
        server, net, disk_name="logs", tag=[m.CreateDiskRequestTag(key="k", value="v")]
    )
    disk = _disk(net, disk_id)
    assert (disk.disk_name, disk.category, disk.size, disk.zone_id) == (
        "logs",
        "cloud_essd",
        40,
        ZONE,
    )
    assert (disk.performance_level, disk.disk_charge_type, disk.encrypted) == (
        "PL1",
        "PostPaid",
        False,
    )
    assert (disk.delete_with_instance, disk.delete_auto_snapshot) == (False, True)
    assert (disk.region_id, disk.multi_attach, disk.expired_time) == (
        REGION,
        "Disabled",
        "2999-09-08T16:00Z",
    )
    assert [(t.tag_key, t.tag_value) for t in disk.tags.tag] == [("k", "v")]
    assert disk.creation_time.endswith("Z") and disk.serial_number == disk_id[2:]


def test_a_client_token_retry_returns_the_same_disk_and_creates_nothing(net):
    first = _create(net, client_token="ct-1")
    again = _create(net, client_token="ct-1")
    assert first == again and len(_disks(net)) == 1


def test_an_instances_disks_are_shown_with_their_instance(server, net):
    data = [
        m.RunInstancesRequestDataDisk(category="cloud_essd", size=50, delete_with_instance=False)
    ]
    iid = _instance(server, net, data_disk=data)
    system, disk = _disks(net, instance_id=iid)
    assert (system.type, system.device, system.portable, system.delete_with_instance) == (
        "system",
        "/dev/xvda",
        False,
        True,
    )
    assert system.image_id.startswith("aliyun_3") and system.status == "In_use"
    assert (disk.type, disk.size, disk.device, disk.delete_with_instance) == (
        "data",
        50,
        "/dev/xvdb",
        False,
    )
    assert [d.disk_id for d in _disks(net, instance_id=iid, disk_type="system")] == [system.disk_id]


def test_a_disk_kept_by_a_deleted_instance_becomes_available(server, net):
    keep = _ready(server, net)
    drop = _ready(server, net)
    iid = _instance(server, net)
    _attach(net, keep, iid, delete_with_instance=False)
    _attach(net, drop, iid, delete_with_instance=True)
    server.advance(STEP)
    net["ecs"].delete_instance(m.DeleteInstanceRequest(instance_id=iid, force=True))
    server.advance(3)
    assert _disk(net, drop) is None
    assert (_disk(net, keep).status, _disk(net, keep).instance_id) == ("Available", "")
    assert _disks(net, instance_id=iid) == []


def test_modify_disk_attribute_changes_each_attribute(server, net):
    disk_id = _ready(server, net)
    request = m.ModifyDiskAttributeRequest(
        disk_id=disk_id,
        disk_name="renamed",
        description="new words",
        delete_with_instance=True,
        delete_auto_snapshot=False,
        enable_auto_snapshot=False,
    )
    net["ecs"].modify_disk_attribute(request)
    disk = _disk(net, disk_id)
    assert (disk.disk_name, disk.description, disk.delete_with_instance) == (
        "renamed",
        "new words",
        True,
    )
    assert (disk.delete_auto_snapshot, disk.enable_auto_snapshot) == (False, False)


def test_modify_disk_attribute_changes_every_disk_named(server, net):
    ids = [_create(net), _create(net)]
    server.advance(STEP)
    net["ecs"].modify_disk_attribute(m.ModifyDiskAttributeRequest(disk_ids=ids, disk_name="both"))
    assert [d.disk_name for d in _disks(net)] == ["both", "both"]


def test_a_disk_resizes_online_while_its_instance_runs(server, net):
    iid = _instance(server, net)
    disk_id = _ready(server, net)
    _attach(net, disk_id, iid)
    server.advance(STEP)
    net["ecs"].resize_disk(m.ResizeDiskRequest(disk_id=disk_id, new_size=100, type="online"))
    assert _disk(net, disk_id).size == 100


def test_two_attaches_of_one_disk_at_once_attach_it_once(server, net):
    a, b = _instance(server, net), _instance(server, net)
    disk_id = _ready(server, net)
    codes: list[str] = []

    def attach(iid: str) -> None:
        try:
            _attach(net, disk_id, iid)
            codes.append("ok")
        except ClientException as err:
            codes.append(err.code)

    threads = [threading.Thread(target=attach, args=(i,)) for i in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == ["IncorrectDiskStatus", "ok"]
    server.advance(STEP)
    assert _disk(net, disk_id).instance_id in (a, b)


# --------------------------------------------------------------------------- DescribeDisks


@pytest.fixture
def fleet(server, net):  # noqa: ANN001, ANN201
    """Two running instances with a data disk each, and two disks of their own (one tagged)."""
    data = [m.RunInstancesRequestDataDisk(category="cloud_ssd", size=30, disk_name="fleet")]
    ids = _run(net, amount=2, data_disk=data).instance_id_sets.instance_id_set
    _boot(server)
    loose = _create(
        net, disk_category="cloud_efficiency", tag=[m.CreateDiskRequestTag(key="team", value="a")]
    )
    other = _create(net, disk_name="other")
    server.advance(STEP)
    return {"instances": ids, "loose": loose, "other": other}


def _ids(net, **kw) -> set[str]:  # noqa: ANN001
    return {d.disk_id for d in _disks(net, page_size=100, **kw)}


def test_describe_disks_filters_by_instance_type_category_and_status(net, fleet):
    a, _ = fleet["instances"]
    assert len(_ids(net)) == 6
    assert len(_ids(net, instance_id=a)) == 2
    assert len(_ids(net, disk_type="system")) == 2
    assert len(_ids(net, disk_type="data")) == 4
    assert _ids(net, category="cloud_efficiency") == {fleet["loose"]}
    assert _ids(net, status="Available") == {fleet["loose"], fleet["other"]}
    assert len(_ids(net, status="In_use")) == 4
    assert _ids(net, category="local_ssd_pro") == set()


def test_describe_disks_filters_by_name_tag_release_and_portability(net, fleet):
    assert len(_ids(net, disk_name="fleet")) == 2
    assert _ids(net, tag=[m.DescribeDisksRequestTag(key="team", value="a")]) == {fleet["loose"]}
    assert len(_ids(net, delete_with_instance=True)) == 4
    assert _ids(net, delete_with_instance=False) == {fleet["loose"], fleet["other"]}
    assert len(_ids(net, portable=False)) == 2
    assert len(_ids(net, zone_id=ZONE)) == 6 and _ids(net, zone_id="cn-hangzhou-i") == set()


def test_describe_disks_answers_the_attributes_no_disk_has(net, fleet):
    assert _ids(net, encrypted=True) == set() and len(_ids(net, encrypted=False)) == 6
    assert _ids(net, disk_charge_type="PrePaid") == set()
    assert len(_ids(net, disk_charge_type="PostPaid")) == 6
    assert _ids(net, enable_shared=True) == set() and _ids(net, multi_attach="Enabled") == set()


def test_describe_disks_by_ids_and_by_an_empty_list(net, fleet):
    assert _ids(net, disk_ids=json.dumps([fleet["loose"], "d-bp1nothere"])) == {fleet["loose"]}
    assert _ids(net, disk_ids="[]") == set()


def test_describe_disks_filters_by_creation_time(net, fleet):
    start = [m.DescribeDisksRequestFilter(key="CreationStartTime", value="2000-01-01T00:00Z")]
    assert len(_ids(net, filter=start)) == 6
    end = [m.DescribeDisksRequestFilter(key="CreationEndTime", value="2000-01-01T00:00Z")]
    assert _ids(net, filter=end) == set()


def test_describe_disks_pages_by_page_number(net, fleet):
    first = net["ecs"].describe_disks(m.DescribeDisksRequest(region_id=REGION, page_size=4)).body
    second = (
        net["ecs"]
        .describe_disks(m.DescribeDisksRequest(region_id=REGION, page_size=4, page_number=2))
        .body
    )
    assert (first.total_count, first.page_size, len(first.disks.disk)) == (6, 4, 4)
    assert len(second.disks.disk) == 2
    seen = {d.disk_id for d in first.disks.disk + second.disks.disk}
    assert len(seen) == 6


def test_describe_disks_pages_by_next_token_ten_at_least(server, net):
    data = [m.RunInstancesRequestDataDisk(category="cloud_ssd", size=30)]
    _run(net, amount=6, data_disk=data)  # 12 disks
    ecs = net["ecs"]
    first = ecs.describe_disks(m.DescribeDisksRequest(region_id=REGION, max_results=3)).body
    assert len(first.disks.disk) == 10 and first.next_token
    second = ecs.describe_disks(
        m.DescribeDisksRequest(region_id=REGION, max_results=10, next_token=first.next_token)
    ).body
    assert len(second.disks.disk) == 2 and second.next_token == ""
    assert {d.disk_id for d in first.disks.disk} & {d.disk_id for d in second.disks.disk} == set()


def test_another_account_sees_none_of_the_disks(server, net, fleet):
    from tests import clients

    stranger = clients.tea_ecs(server.new_tenant())
    body = stranger.describe_disks(m.DescribeDisksRequest(region_id=REGION)).body
    assert body.disks.disk == [] and body.total_count == 0


@pytest.mark.parametrize(
    ("kw", "code", "status"),
    [
        ({"disk_type": "boot"}, "InvalidDiskType.ValueNotSupported", 400),
        ({"category": "floppy"}, "InvalidCategory.ValueNotSupported", 400),
        ({"status": "Broken"}, "InvalidStatus.ValueNotSupported", 400),
        ({"disk_ids": "not json"}, "InvalidParameter.DiskIds", 400),
        ({"disk_ids": json.dumps([f"d-{n}" for n in range(101)])}, "InvalidDiskIds.Malformed", 403),
        ({"disk_charge_type": "Free"}, "InvalidDiskChargeType.NotFound", 404),
        ({"multi_attach": "Sometimes"}, "InvalidParameter.MultiAttach", 403),
        (
            {"filter": [m.DescribeDisksRequestFilter(key="Colour", value="2020-01-01T00:00Z")]},
            "InvalidFilterKey.NotFound",
            404,
        ),
        (
            {"filter": [m.DescribeDisksRequestFilter(key="CreationStartTime", value="yesterday")]},
            "InvalidFilterValue",
            404,
        ),
        ({"snapshot_id": "s-bp1none"}, "UnsupportedParameter", 400),
        ({"lock_reason": "security"}, "UnsupportedParameter", 400),
        ({"dry_run": True}, "DryRunOperation", 400),
    ],
)
def test_a_bad_describe_disks_request_answers_the_vendors_code(net, kw, code, status):
    err = _refused(lambda: _disks(net, **kw))
    assert (err.code, err.status_code) == (code, status)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("kw", "code", "status"),
    [
        ({"zone_id": None}, "MissingParameter", 400),
        ({"size": None}, "MissingParameter", 400),
        ({"zone_id": "cn-hangzhou-z"}, "InvalidZoneId.NotFound", 404),
        ({"disk_category": "floppy"}, "InvalidDiskCategory.ValueNotSupported", 400),
        ({"disk_category": "cloud"}, "InvalidDiskCategory.NotSupported", 400),
        ({"disk_category": "cloud_essd_entry"}, "InvalidDiskCategory.NotSupported", 400),
        ({"disk_category": "cloud_ssd", "size": 10}, "InvalidSize.ValueNotSupported", 400),
        ({"size": 40000}, "InvalidSize.ValueNotSupported", 400),
        ({"performance_level": "PL3"}, "OperationDenied.PerformanceLevelNotMatch", 403),
        ({"performance_level": "PL9"}, "InvalidPerformanceLevel.Malformed", 400),
        ({"disk_name": "1disk"}, "InvalidDiskName.Malformed", 400),
        ({"description": "http://x"}, "InvalidDescription.Malformed", 400),
        ({"snapshot_id": "s-bp1none"}, "UnsupportedParameter", 400),
        ({"encrypted": True}, "UnsupportedParameter", 400),
        ({"multi_attach": "Enabled"}, "UnsupportedParameter", 400),
        ({"instance_id": "i-bp1prepaid"}, "UnsupportedParameter", 400),
    ],
)
def test_a_bad_create_disk_request_answers_the_vendors_code_and_creates_nothing(
    net, kw, code, status
):
    err = _refused(lambda: _create(net, **kw))
    assert (err.code, err.status_code) == (code, status)
    assert _disks(net) == []


def test_a_client_token_with_other_parameters_is_refused(net):
    _create(net, client_token="ct-2")
    err = _refused(lambda: _create(net, client_token="ct-2", size=50))
    assert (err.code, err.status_code) == ("IdempotentParameterMismatch", 400)
    assert [d.size for d in _disks(net)] == [40]


def test_attaching_a_disk_still_being_created_is_refused(server, net):
    iid = _instance(server, net)
    disk_id = _create(net)
    err = _refused(lambda: _attach(net, disk_id, iid))
    assert (err.code, err.status_code) == ("IncorrectDiskStatus.Initializing", 403)
    server.advance(STEP)
    assert (_disk(net, disk_id).status, _disk(net, disk_id).instance_id) == ("Available", "")


def test_attaching_a_disk_in_use_is_refused(server, net):
    a, b = _instance(server, net), _instance(server, net)
    disk_id = _ready(server, net)
    _attach(net, disk_id, a)
    server.advance(STEP)
    err = _refused(lambda: _attach(net, disk_id, b))
    assert (err.code, err.status_code) == ("IncorrectDiskStatus", 403)
    assert _disk(net, disk_id).instance_id == a


def test_attaching_to_a_pending_instance_is_refused(server, net):
    disk_id = _ready(server, net)
    (iid,) = _run(net).instance_id_sets.instance_id_set
    err = _refused(lambda: _attach(net, disk_id, iid))
    assert (err.code, err.status_code) == ("IncorrectInstanceStatus", 400)
    assert _disk(net, disk_id).status == "Available"


def test_attaching_to_an_instance_of_another_zone_is_refused(server, net):
    iid = _instance(server, net)
    disk_id = _ready(server, net, zone_id="cn-hangzhou-i")
    err = _refused(lambda: _attach(net, disk_id, iid))
    assert (err.code, err.status_code) == ("ResourcesNotInSameZone", 403)
    assert _disk(net, disk_id).status == "Available"


def test_a_seventeenth_data_disk_is_refused(server, net):
    data = [m.RunInstancesRequestDataDisk(category="cloud_essd", size=20) for _ in range(16)]
    iid = _instance(server, net, data_disk=data)
    disk_id = _ready(server, net)
    err = _refused(lambda: _attach(net, disk_id, iid))
    assert (err.code, err.status_code) == ("InstanceDiskLimitExceeded", 403)
    assert _disk(net, disk_id).status == "Available"


@pytest.mark.parametrize(
    ("kw", "code", "status"),
    [
        ({"device": "/dev/sda"}, "InvalidDevice.Malformed", 400),
        ({"device": "/dev/xvda"}, "InvalidDevice.Malformed", 400),
        ({"force": True}, "InvalidParameterForce.DiskCategoryNotSupported", 400),
        ({"bootable": True}, "UnsupportedParameter", 400),
        ({"password": "Secret-pass1"}, "UnsupportedParameter", 400),
        ({"instance_id": "i-bp1nothere"}, "InvalidInstanceId.NotFound", 404),
        ({"disk_id": "d-bp1nothere"}, "InvalidDiskId.NotFound", 404),
    ],
)
def test_a_bad_attach_request_answers_the_vendors_code_and_attaches_nothing(
    server, net, kw, code, status
):
    iid = _instance(server, net)
    disk_id = _ready(server, net)
    values = {"disk_id": disk_id, "instance_id": iid, **kw}
    err = _refused(lambda: net["ecs"].attach_disk(m.AttachDiskRequest(**values)))
    assert (err.code, err.status_code) == (code, status)
    assert (_disk(net, disk_id).status, _disk(net, disk_id).instance_id) == ("Available", "")


def test_a_device_in_use_is_refused(server, net):
    iid = _instance(server, net)
    first, second = _ready(server, net), _ready(server, net)
    _attach(net, first, iid, device="/dev/xvdc")
    err = _refused(lambda: _attach(net, second, iid, device="/dev/xvdc"))
    assert (err.code, err.status_code) == ("InvalidDevice.InUse", 403)
    assert _disk(net, second).status == "Available"


def test_detaching_the_system_disk_is_refused(server, net):
    iid = _instance(server, net)
    (system,) = _disks(net, instance_id=iid)
    err = _refused(lambda: _detach(net, system.disk_id, iid))
    assert (err.code, err.status_code) == ("DiskTypeViolation", 403)
    assert _disk(net, system.disk_id).status == "In_use"


def test_detaching_a_disk_not_attached_is_refused(server, net):
    iid = _instance(server, net)
    disk_id = _ready(server, net)
    err = _refused(lambda: _detach(net, disk_id, iid))
    assert (err.code, err.status_code) == ("InvalidDisk.AlreadyDetached", 404)


def test_detaching_from_another_instance_is_refused(server, net):
    a, b = _instance(server, net), _instance(server, net)
    disk_id = _ready(server, net)
    _attach(net, disk_id, a)
    server.advance(STEP)
    err = _refused(lambda: _detach(net, disk_id, b))
    assert (err.code, err.status_code) == ("DependencyViolation", 403)
    assert _disk(net, disk_id).instance_id == a


def test_detaching_twice_is_refused(server, net):
    iid = _instance(server, net)
    disk_id = _ready(server, net)
    _attach(net, disk_id, iid)
    server.advance(STEP)
    _detach(net, disk_id, iid)
    err = _refused(lambda: _detach(net, disk_id, iid))
    assert (err.code, err.status_code) == ("InvalidOperation.DiskDetachingFromThisEcs", 403)
    assert _disk(net, disk_id).status == "Detaching"


def test_detaching_from_a_stopping_instance_is_refused(server, net):
    iid = _instance(server, net)
    disk_id = _ready(server, net)
    _attach(net, disk_id, iid)
    server.advance(STEP)
    net["ecs"].stop_instance(m.StopInstanceRequest(instance_id=iid))
    err = _refused(lambda: _detach(net, disk_id, iid))
    assert (err.code, err.status_code) == ("IncorrectInstanceStatus", 403)
    assert _disk(net, disk_id).status == "In_use"


def test_deleting_a_disk_in_use_is_refused(server, net):
    iid = _instance(server, net)
    disk_id = _ready(server, net)
    _attach(net, disk_id, iid)
    server.advance(STEP)
    err = _refused(lambda: net["ecs"].delete_disk(m.DeleteDiskRequest(disk_id=disk_id)))
    assert (err.code, err.status_code) == ("IncorrectDiskStatus", 403)
    assert _disk(net, disk_id).status == "In_use"


def test_deleting_a_disk_still_being_created_is_refused(net):
    disk_id = _create(net)
    err = _refused(lambda: net["ecs"].delete_disk(m.DeleteDiskRequest(disk_id=disk_id)))
    assert (err.code, err.status_code) == ("IncorrectDiskStatus.Initializing", 403)
    assert _disk(net, disk_id).status == "Creating"


def test_deleting_an_unknown_disk_is_not_found(net):
    err = _refused(lambda: net["ecs"].delete_disk(m.DeleteDiskRequest(disk_id="d-bp1nothere")))
    assert (err.code, err.status_code) == ("InvalidDiskId.NotFound", 404)


@pytest.mark.parametrize(
    ("kw", "code", "status"),
    [
        ({"new_size": 40}, "InvalidDiskSize.TooSmall", 403),
        ({"new_size": 20}, "InvalidDiskSize.TooSmall", 403),
        ({"new_size": 40000}, "InvalidDiskSize.TooLarge", 403),
        ({"new_size": 80, "type": "online"}, "OperationDenied", 403),
        ({"new_size": 80, "type": "sideways"}, "InvalidParam.Type", 400),
        ({"disk_id": "d-bp1nothere"}, "InvalidDiskId.NotFound", 404),
    ],
)
def test_a_bad_resize_answers_the_vendors_code_and_keeps_the_size(server, net, kw, code, status):
    disk_id = _ready(server, net)
    values = {"disk_id": disk_id, "new_size": 80, **kw}
    err = _refused(lambda: net["ecs"].resize_disk(m.ResizeDiskRequest(**values)))
    assert (err.code, err.status_code) == (code, status)
    assert _disk(net, disk_id).size == 40


def test_resizing_a_disk_still_being_created_is_refused(net):
    disk_id = _create(net)
    err = _refused(
        lambda: net["ecs"].resize_disk(m.ResizeDiskRequest(disk_id=disk_id, new_size=80))
    )
    assert (err.code, err.status_code) == ("OperationDenied", 403)
    assert _disk(net, disk_id).size == 40


@pytest.mark.parametrize(
    ("kw", "code", "status"),
    [
        ({"disk_name": "1bad"}, "InvalidDiskName.Malformed", 400),
        ({"description": "https://x"}, "InvalidDescription.Malformed", 400),
        ({"disk_ids": ["d-bp1other"]}, "InvalidParameter.Conflict", 400),
        ({"disk_id": None}, "MissingParameter", 400),
        ({"bursting_enabled": True}, "UnsupportedParameter", 400),
    ],
)
def test_a_bad_modify_disk_attribute_answers_the_vendors_code(server, net, kw, code, status):
    disk_id = _ready(server, net, disk_name="before")
    values = {"disk_id": disk_id, "disk_name": "after", **kw}
    err = _refused(lambda: net["ecs"].modify_disk_attribute(m.ModifyDiskAttributeRequest(**values)))
    assert (err.code, err.status_code) == (code, status)
    assert _disk(net, disk_id).disk_name == "before"


def test_modify_disk_attribute_with_an_unknown_disk_changes_none(server, net):
    disk_id = _ready(server, net, disk_name="before")
    request = m.ModifyDiskAttributeRequest(disk_ids=[disk_id, "d-bp1nothere"], disk_name="after")
    err = _refused(lambda: net["ecs"].modify_disk_attribute(request))
    assert (err.code, err.status_code) == ("InvalidDiskId.NotFound", 404)
    assert _disk(net, disk_id).disk_name == "before"


def test_a_disk_of_another_region_is_not_found_from_an_instance(server, net):
    iid = _instance(server, net)
    other = (
        net["ecs"]
        .create_disk(
            m.CreateDiskRequest(
                region_id="cn-beijing", zone_id="cn-beijing-h", disk_category="cloud_essd", size=40
            )
        )
        .body.disk_id
    )
    server.advance(STEP)
    err = _refused(lambda: _attach(net, other, iid))
    assert (err.code, err.status_code) == ("InvalidDiskId.NotFound", 404)


def test_the_legacy_sdk_reads_disks_with_its_flat_filter_names(server, net, tenant):
    from aliyunsdkecs.request.v20140526.DescribeDisksRequest import DescribeDisksRequest

    from tests import clients

    disk_id = _ready(server, net)
    request = DescribeDisksRequest()
    request.set_DiskIds(json.dumps([disk_id]))
    request.set_Filter1Key("CreationStartTime")
    request.set_Filter1Value("2000-01-01T00:00Z")
    body = json.loads(clients.legacy(tenant).do_action_with_exception(request))
    assert [(d["DiskId"], d["Status"]) for d in body["Disks"]["Disk"]] == [(disk_id, "Available")]


def test_a_resize_retried_with_its_client_token_answers_again_and_grows_once(server, net):
    disk_id = _ready(server, net)
    request = m.ResizeDiskRequest(disk_id=disk_id, new_size=60, client_token="grow-1")
    net["ecs"].resize_disk(request)
    net["ecs"].resize_disk(request)  # a second resize to 60 would be TooSmall
    assert _disk(net, disk_id).size == 60


def test_a_disk_still_being_created_takes_new_attributes_as_terraform_sets_them(server, net):
    disk_id = _create(net)
    request = m.ModifyDiskAttributeRequest(disk_id=disk_id, delete_with_instance=True)
    net["ecs"].modify_disk_attribute(request)
    server.advance(STEP)
    disk = _disk(net, disk_id)
    assert (disk.status, disk.delete_with_instance) == ("Available", True)


def test_describe_disks_filters_by_resource_group(server, net):
    grouped = _ready(server, net, resource_group_id="rg-acfmdisks")
    _ready(server, net)
    assert _ids(net, resource_group_id="rg-acfmdisks") == {grouped}
    assert _disk(net, grouped).resource_group_id == "rg-acfmdisks"
