"""Disks in the core: timed steps that only move a disk still where they expect it."""

from __future__ import annotations

from openecs.core import disks
from openecs.core import instances as inst
from openecs.core.ids import aliyun_id
from tests.test_instances_core import BOOT, _create, _step, runtime, settings, world

FIXTURES = (runtime, settings, world)  # the store and VPC fixtures the instance core tests define
CATEGORIES = ("cloud_essd",)


def _disk(rt, scope) -> str:  # noqa: ANN001
    with rt.db.write() as conn:
        disk = disks.create_disk(
            conn,
            scope,
            disk_id=aliyun_id("d", "cn-hangzhou"),
            zone_id="cn-hangzhou-h",
            category="cloud_essd",
            size=40,
            now=rt.clock.now(),
            ready_after=1,
        )
    _step(rt, 1)
    return disk.id


def _attach(rt, scope, disk_id: str, iid: str, after: float) -> None:  # noqa: ANN001
    with rt.db.write() as conn:
        disks.attach(
            conn,
            scope,
            disk_id,
            iid,
            now=rt.clock.now(),
            after=after,
            delete_with_instance=False,
            max_data_disks=16,
            categories=CATEGORIES,
        )


def _get(rt, scope, disk_id: str) -> disks.Disk:  # noqa: ANN001
    with rt.db.read() as conn:
        return disks.get_disk(conn, scope, disk_id)


def test_an_attach_cut_short_by_a_release_does_not_finish_a_later_attach(runtime, world):
    scope, subnet = world
    first, second = _create(runtime, scope, subnet), _create(runtime, scope, subnet)
    _step(runtime, BOOT + 1)
    disk_id = _disk(runtime, scope)
    _attach(runtime, scope, disk_id, first.id, after=2)
    with runtime.db.write() as conn:
        inst.delete_instance(conn, scope, first.id, now=runtime.clock.now(), after=0.5, force=True)
    _step(runtime, 1)  # the first instance is released; its attach step is still due
    assert (_get(runtime, scope, disk_id).status, _get(runtime, scope, disk_id).instance_id) == (
        disks.AVAILABLE,
        None,
    )
    _attach(runtime, scope, disk_id, second.id, after=5)
    _step(runtime, 1.5)  # the first attach's step falls due: it must not finish this one
    assert _get(runtime, scope, disk_id).status == disks.ATTACHING
    _step(runtime, 5)
    disk = _get(runtime, scope, disk_id)
    assert (disk.status, disk.instance_id, disk.device) == (disks.IN_USE, second.id, "/dev/xvdc")
