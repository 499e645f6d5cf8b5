"""A server's disks as ECS shows them: ListServerBlockDevices, ShowServerBlockDevice and
ListServerVolumeAttachments.

Each attached volume is a ``volumeAttachment``: ``id`` and ``volumeId`` (the
volume), ``serverId``, ``device`` (``/dev/vda`` is the system disk),
``bootIndex`` (0 for the system disk, -1 for data disks, as GET server's
``os-extended-volumes:volumes_attached``), ``size`` in GiB, ``bus``
(``scsi`` for a disk created with ``hw:passthrough``, else ``virtio``) and
``pciAddress``, the disk's slot on the guest's PCI bus in attachment order.
``attachableQuantity`` counts what more the server can take: 60 disks at
most, of which 24 virtio-blk (the vendor's limits for KVM servers).

An unknown server is 404 ``Ecs.0114``; a volume the server does not have
attached is 404 ``Ecs.0111`` (the vendor's "not in the attachment list").
"""

from __future__ import annotations

from typing import Any

from openecs.core import instances as inst
from openecs.core import volumes as core
from openecs.faces.call import Call
from openecs.faces.huawei import errors as E
from openecs.faces.huawei.operations import ECS, HuaweiArgs, operation
from openecs.faces.huawei.vpc.vpcs import scope_of
from openecs.faces.params import ErrorSpec

PATH = "/v1/{project_id}/cloudservers/{server_id}"
MAX_DISKS = 60
MAX_BLK = 24
SCSI, VIRTIO = "scsi", "virtio"
NOT_ATTACHED = ErrorSpec(
    "Ecs.0111", "Disk {volume} is not in the attachment list for ECS {server}.", 404
)


def bus(volume: core.Volume) -> str:
    return SCSI if volume.extra.get("passthrough") else VIRTIO


def _attached(call: Call, server_id: str) -> list[core.Volume]:
    with call.db.read() as conn:
        server = inst.get_instance(conn, scope_of(call), server_id)
        return core.attached_to(conn, scope_of(call), server.id)


def _block_device(volume: core.Volume, slot: int) -> dict[str, Any]:
    return {
        "id": volume.id,
        "volumeId": volume.id,
        "serverId": volume.instance_id,
        "device": volume.device,
        "bootIndex": 0 if volume.bootable else -1,
        "size": volume.size,
        "bus": bus(volume),
        "pciAddress": f"0000:02:{slot + 1:02x}.0",
    }


@operation(ECS, "ListServerBlockDevices", "GET", PATH + "/block_device")
def list_server_block_devices(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query a server's attached disks and how many more it can take."""
    volumes = _attached(call, req.path["server_id"])
    blk = sum(1 for v in volumes if bus(v) == VIRTIO)
    free = max(0, MAX_DISKS - len(volumes))
    return {
        "attachableQuantity": {
            "free_scsi": free,
            "free_blk": max(0, min(free, MAX_BLK - blk)),
            "free_disk": free,
        },
        "volumeAttachments": [_block_device(v, n) for n, v in enumerate(volumes)],
    }


@operation(ECS, "ShowServerBlockDevice", "GET", PATH + "/block_device/{volume_id}")
def show_server_block_device(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query one disk attached to a server."""
    volume_id = req.path["volume_id"]
    for n, volume in enumerate(_attached(call, req.path["server_id"])):
        if volume.id == volume_id:
            return {"volumeAttachment": _block_device(volume, n)}
    raise E.vendor(NOT_ATTACHED, volume=volume_id, server=req.path["server_id"])


@operation(ECS, "ListServerVolumeAttachments", "GET", PATH + "/os-volume_attachments")
def list_server_volume_attachments(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query a server's disk attachments (the Nova-style summary)."""
    return {
        "volumeAttachments": [
            {"id": v.id, "volumeId": v.id, "serverId": v.instance_id, "device": v.device}
            for v in _attached(call, req.path["server_id"])
        ]
    }
