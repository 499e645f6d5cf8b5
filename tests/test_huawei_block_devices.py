"""A server's disks through huaweicloudsdkecs: ListServerBlockDevices, ShowServerBlockDevice and
ListServerVolumeAttachments.

A server created with a system disk and two data disks (one SCSI) lists
them in the vendor's volumeAttachment shape, agreeing with GET server's
``os-extended-volumes:volumes_attached``; unknown servers and volumes that
are not the server's are 404; another project sees nothing.
"""

from __future__ import annotations

import pytest
from huaweicloudsdkecs.v2 import (
    ListServerBlockDevicesRequest,
    ListServerVolumeAttachmentsRequest,
    PrePaidServerDataVolume,
    ShowServerBlockDeviceRequest,
)

from tests import clients
from tests.test_huawei_ports import refused
from tests.test_huawei_server_metadata import UNKNOWN
from tests.test_huawei_servers import _create, _show, net  # noqa: F401


def _list(ecs, sid: str):  # noqa: ANN001, ANN202
    return ecs.list_server_block_devices(ListServerBlockDevicesRequest(server_id=sid))


def _one(ecs, sid: str, volume_id: str):  # noqa: ANN001, ANN202
    request = ShowServerBlockDeviceRequest(server_id=sid, volume_id=volume_id)
    return ecs.show_server_block_device(request).volume_attachment


@pytest.fixture
def vm(tenant, net):  # noqa: ANN001, ANN201, F811
    """A server with a 40 GiB system disk, a 20 GiB virtio and a 30 GiB SCSI data disk."""
    ecs = clients.hw_ecs(tenant)
    data = [
        PrePaidServerDataVolume(volumetype="SAS", size=20),
        PrePaidServerDataVolume(volumetype="SSD", size=30, hwpassthrough=True),
    ]
    return ecs, _create(ecs, net[1], data_volumes=data).server_ids[0]


def test_list_shows_every_disk_in_order(vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    answer = _list(ecs, sid)
    disks = answer.volume_attachments
    assert [(d.device, d.boot_index, d.size, d.bus) for d in disks] == [
        ("/dev/vda", 0, 40, "virtio"),
        ("/dev/vdb", -1, 20, "virtio"),
        ("/dev/vdc", -1, 30, "scsi"),
    ]
    assert all(d.server_id == sid and d.id == d.volume_id for d in disks)
    assert len({d.pci_address for d in disks}) == 3
    quantity = answer.attachable_quantity
    assert (quantity.free_disk, quantity.free_scsi, quantity.free_blk) == (57, 57, 22)


def test_the_disks_are_those_get_server_shows(vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    attached = _show(ecs, sid).os_extended_volumesvolumes_attached
    listed = _list(ecs, sid).volume_attachments
    assert [(a.id, a.device) for a in attached] == [(d.volume_id, d.device) for d in listed]


def test_show_answers_one_disk(vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    data = _list(ecs, sid).volume_attachments[1]
    shown = _one(ecs, sid, data.volume_id)
    assert (shown.volume_id, shown.device, shown.size, shown.boot_index) == (
        data.volume_id, "/dev/vdb", 20, -1,
    )  # fmt: skip


def test_volume_attachments_list_the_same_disks(vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    request = ListServerVolumeAttachmentsRequest(server_id=sid)
    attachments = ecs.list_server_volume_attachments(request).volume_attachments
    listed = _list(ecs, sid).volume_attachments
    assert [(a.id, a.volume_id, a.server_id, a.device) for a in attachments] == [
        (d.id, d.volume_id, sid, d.device) for d in listed
    ]


def test_device_names_continue_past_z() -> None:
    from openecs.faces.huawei.ecs.cloudservers_create import device_name

    assert [device_name(n) for n in (0, 1, 25, 26, 27, 59)] == [
        "/dev/vda", "/dev/vdb", "/dev/vdz", "/dev/vdaa", "/dev/vdab", "/dev/vdbh",
    ]  # fmt: skip


def test_a_volume_the_server_lacks_is_404(tenant, net, vm) -> None:  # noqa: ANN001, F811
    ecs, sid = vm
    other = _create(ecs, net[1]).server_ids[0]
    foreign = _list(ecs, other).volume_attachments[0].volume_id
    for volume_id in (UNKNOWN, foreign):
        err = refused(lambda: _one(ecs, sid, volume_id))  # noqa: B023
        assert (err.status_code, err.error_code) == (404, "Ecs.0111")


def test_an_unknown_server_is_404(server, tenant) -> None:  # noqa: ANN001
    ecs = clients.hw_ecs(tenant)
    for attempt in (
        lambda: _list(ecs, UNKNOWN),
        lambda: _one(ecs, UNKNOWN, UNKNOWN),
        lambda: ecs.list_server_volume_attachments(
            ListServerVolumeAttachmentsRequest(server_id=UNKNOWN)
        ),
    ):
        err = refused(attempt)
        assert (err.status_code, err.error_code) == (404, "Ecs.0114")


def test_another_project_sees_nothing(server, vm) -> None:  # noqa: ANN001
    ecs, sid = vm
    volume_id = _list(ecs, sid).volume_attachments[0].volume_id
    other = clients.hw_ecs(server.new_tenant())
    assert refused(lambda: _list(other, sid)).status_code == 404
    assert refused(lambda: _one(other, sid, volume_id)).status_code == 404
