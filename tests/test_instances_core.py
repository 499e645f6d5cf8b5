"""Instances in the core: created with their NIC and disks, moved by the engine, refused out of turn."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openecs.config import Settings
from openecs.core import disks as disks_core
from openecs.core import instances as inst
from openecs.core import interfaces, network
from openecs.core.accounts import create_account
from openecs.core.errors import Conflict, NotFound
from openecs.core.ids import aliyun_id
from openecs.runtime import Runtime

BOOT, STOP = 3.0, 2.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    url = request.getfixturevalue("fresh_postgres_url") if request.param == "postgres" else None
    return Settings(data_dir=tmp_path, database_url=url)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(settings, start_engine=False)
    yield rt
    rt.close()


@pytest.fixture
def world(runtime: Runtime) -> tuple[network.Scope, network.Subnet]:
    with runtime.db.write() as conn:
        account = create_account(conn, f"vm-{time.monotonic_ns()}")
        scope = network.Scope("aliyun", account.id, "cn-hangzhou")
        vpc = network.create_vpc(conn, scope, vpc_id=aliyun_id("vpc", "cn-hangzhou"), cidr_block="10.0.0.0/8",
                                 name="v", description="", now=runtime.clock.now(), ready_after=0)
        subnet = network.create_subnet(conn, scope, subnet_id=aliyun_id("vsw", "cn-hangzhou"), vpc_id=vpc.id,
                                       zone_id="cn-hangzhou-h", cidr_block="10.0.0.0/24", name="s",
                                       description="", now=runtime.clock.now(), ready_after=0)
    return scope, subnet


def _spec(subnet: network.Subnet, **kw) -> inst.InstanceSpec:
    iid = aliyun_id("i", "cn-hangzhou")
    values = dict(
        instance_id=iid,
        interface_id=aliyun_id("eni", "cn-hangzhou"),
        zone_id=subnet.zone_id,
        subnet_id=subnet.id,
        instance_type="ecs.g7.large",
        image_id="aliyun_3_x64_20G_alibase_20240528.vhd",
        name="vm",
        hostname="vm",
        disks=[
            (aliyun_id("d", "cn-hangzhou"), inst.DiskSpec("system", "cloud_essd", 40)),
            (aliyun_id("d", "cn-hangzhou"), inst.DiskSpec("data", "cloud_essd", 100, delete_with_instance=False)),
        ],
    )
    values.update(kw)
    return inst.InstanceSpec(**values)


def _create(rt: Runtime, scope, subnet, **kw) -> inst.Instance:
    with rt.db.write() as conn:
        return inst.create_instances(conn, scope, [_spec(subnet, **kw)], now=rt.clock.now(),
                                     boot_seconds=BOOT)[0]


def _status(rt: Runtime, scope, iid: str) -> str:
    with rt.db.read() as conn:
        return inst.get_instance(conn, scope, iid).status


def _step(rt: Runtime, seconds: float) -> None:
    rt.clock.advance(seconds)
    rt.worker.drain()


def test_a_new_instance_is_pending_with_its_nic_and_disks(runtime, world):
    scope, subnet = world
    vm = _create(runtime, scope, subnet)
    assert vm.status == inst.PENDING and vm.vpc_id == subnet.vpc_id
    with runtime.db.read() as conn:
        (nic,) = interfaces.list_interfaces(conn, scope, device_id=vm.id)
        assert nic.type == "primary" and nic.primary_ip == "10.0.0.1"
        assert [d["type"] for d in inst.disks_of(conn, [vm.id])[vm.id]] == ["system", "data"]


def test_an_instance_boots_through_starting_to_running_in_engine_time(runtime, world):
    scope, subnet = world
    vm = _create(runtime, scope, subnet)
    _step(runtime, BOOT * 0.5)
    assert _status(runtime, scope, vm.id) == inst.STARTING
    _step(runtime, BOOT)
    assert _status(runtime, scope, vm.id) == inst.RUNNING


def test_stop_then_start_follow_the_clock(runtime, world):
    scope, subnet = world
    vm = _create(runtime, scope, subnet)
    _step(runtime, BOOT + 1)
    with runtime.db.write() as conn:
        inst.stop(conn, scope, vm.id, now=runtime.clock.now(), stop_seconds=STOP)
    assert _status(runtime, scope, vm.id) == inst.STOPPING
    _step(runtime, STOP + 1)
    assert _status(runtime, scope, vm.id) == inst.STOPPED
    with runtime.db.write() as conn:
        inst.start(conn, scope, vm.id, now=runtime.clock.now(), boot_seconds=BOOT)
    _step(runtime, BOOT + 1)
    assert _status(runtime, scope, vm.id) == inst.RUNNING


def test_stopping_a_pending_instance_is_refused(runtime, world):
    scope, subnet = world
    vm = _create(runtime, scope, subnet)
    with pytest.raises(Conflict) as err, runtime.db.write() as conn:
        inst.stop(conn, scope, vm.id, now=runtime.clock.now(), stop_seconds=STOP)
    assert err.value.reason == "instance.incorrect_status"


def test_two_concurrent_stops_stop_once_and_refuse_the_other(runtime, world):
    scope, subnet = world
    vm = _create(runtime, scope, subnet)
    _step(runtime, BOOT + 1)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def stop() -> None:
        barrier.wait()
        try:
            with runtime.db.write() as conn:
                inst.stop(conn, scope, vm.id, now=runtime.clock.now(), stop_seconds=STOP)
            outcomes.append("stopped")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=stop) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["refused", "stopped"]


def test_a_protected_instance_cannot_be_deleted(runtime, world):
    scope, subnet = world
    vm = _create(runtime, scope, subnet, deletion_protection=True)
    with pytest.raises(Conflict) as err, runtime.db.write() as conn:
        inst.delete_instance(conn, scope, vm.id, now=runtime.clock.now(), after=1, force=True)
    assert err.value.reason == "instance.deletion_protected"


def test_a_running_instance_needs_force_to_be_deleted(runtime, world):
    scope, subnet = world
    vm = _create(runtime, scope, subnet)
    _step(runtime, BOOT + 1)
    with pytest.raises(Conflict), runtime.db.write() as conn:
        inst.delete_instance(conn, scope, vm.id, now=runtime.clock.now(), after=1)


def test_a_deleted_instance_frees_its_address_and_keeps_the_disks_it_should(runtime, world):
    scope, subnet = world
    vm = _create(runtime, scope, subnet)
    with runtime.db.write() as conn:
        inst.delete_instance(conn, scope, vm.id, now=runtime.clock.now(), after=1, force=True)
    assert _status(runtime, scope, vm.id) == inst.DELETING
    _step(runtime, 2)
    with runtime.db.read() as conn:
        with pytest.raises(NotFound):
            inst.get_instance(conn, scope, vm.id)
        assert network.available_addresses(conn, subnet) == 252
        assert interfaces.list_interfaces(conn, scope, device_id=vm.id) == []


def test_a_late_boot_step_does_not_resurrect_a_deleted_instance(runtime, world):
    scope, subnet = world
    vm = _create(runtime, scope, subnet)
    with runtime.db.write() as conn:
        inst.delete_instance(conn, scope, vm.id, now=runtime.clock.now(), after=10, force=True)
    _step(runtime, BOOT + 1)  # the boot steps fall due while it is deleting
    assert _status(runtime, scope, vm.id) == inst.DELETING


def test_an_instance_created_before_a_restart_is_running_after_it(settings, world):
    scope, subnet = world
    first = Runtime(settings, start_engine=False)
    vm = _create(first, scope, subnet)
    first.close()
    second = Runtime(settings, start_engine=False)
    try:
        _step(second, BOOT + 1)
        assert _status(second, scope, vm.id) == inst.RUNNING
    finally:
        second.close()


def test_a_batch_with_one_bad_instance_creates_none(runtime, world):
    scope, subnet = world
    good = _spec(subnet)
    bad = _spec(subnet, primary_ip="10.0.0.1")  # good takes .1 first
    with pytest.raises(Conflict), runtime.db.write() as conn:
        inst.create_instances(conn, scope, [good, bad], now=runtime.clock.now(), boot_seconds=BOOT)
    with runtime.db.read() as conn:
        assert inst.list_instances(conn, scope) == []
        assert network.available_addresses(conn, subnet) == 252


def test_a_boot_step_run_before_its_predecessor_waits_for_it(runtime, world):
    from openecs.engine.tasks import TaskContext, get_handler

    scope, subnet = world
    vm = _create(runtime, scope, subnet)
    step = get_handler(inst.TRANSITION_TASK)
    payload = {"id": vm.id, "expect": inst.STARTING, "to": inst.RUNNING, "before": inst.PENDING}
    with runtime.db.write() as conn:  # as if another worker took the later step first
        step(TaskContext(conn, runtime.clock.now()), payload)
    assert _status(runtime, scope, vm.id) == inst.PENDING
    _step(runtime, BOOT + 1)
    assert _status(runtime, scope, vm.id) == inst.RUNNING


def _create_many(rt: Runtime, scope, subnet, specs) -> list[inst.Instance]:
    with rt.db.write() as conn:
        return inst.create_instances(conn, scope, specs, now=rt.clock.now(), boot_seconds=BOOT)


def test_a_batch_gets_consecutive_addresses_and_an_instance_each(runtime, world):
    scope, subnet = world
    specs = [_spec(subnet, name=f"vm{n}") for n in range(5)]
    made = _create_many(runtime, scope, subnet, specs)
    assert [vm.id for vm in made] == [s.instance_id for s in specs]
    assert [vm.name for vm in made] == [f"vm{n}" for n in range(5)]
    with runtime.db.read() as conn:
        nics = {n.device_id: n for n in interfaces.list_interfaces(conn, scope)}
        disks = inst.disks_of(conn, [vm.id for vm in made])
    assert [nics[vm.id].primary_ip for vm in made] == [f"10.0.0.{n}" for n in range(1, 6)]
    assert len({nic.mac_address for nic in nics.values()}) == 5
    assert all([d["device"] for d in disks[vm.id]] == ["/dev/xvda", "/dev/xvdb"] for vm in made)
    _step(runtime, BOOT + 1)
    assert {_status(runtime, scope, vm.id) for vm in made} == {inst.RUNNING}


def test_a_batch_deletion_deletes_all_or_none(runtime, world):
    scope, subnet = world
    made = _create_many(runtime, scope, subnet, [_spec(subnet) for _ in range(3)])
    kept = _create(runtime, scope, subnet, deletion_protection=True)
    ids = [vm.id for vm in made]
    with pytest.raises(Conflict) as err, runtime.db.write() as conn:
        inst.delete_instances(conn, scope, [*ids, kept.id], now=runtime.clock.now(), after=1,
                              force=True)
    assert err.value.reason == "instance.deletion_protected"
    with pytest.raises(NotFound), runtime.db.write() as conn:
        inst.delete_instances(conn, scope, [*ids, "i-missing"], now=runtime.clock.now(), after=1,
                              force=True)
    assert {_status(runtime, scope, i) for i in ids} == {inst.PENDING}
    with runtime.db.write() as conn:
        gone = inst.delete_instances(conn, scope, [*ids, ids[0]], now=runtime.clock.now(), after=1,
                                     force=True)
    assert [(vm.id, vm.status, vm.version) for vm in gone] == [(i, inst.DELETING, 2) for i in ids]
    assert {_status(runtime, scope, i) for i in ids} == {inst.DELETING}
    _step(runtime, 2)
    with runtime.db.read() as conn:
        assert [vm.id for vm in inst.list_instances(conn, scope)] == [kept.id]
        assert network.available_addresses(conn, subnet) == 251
        left = [d for d in disks_core.list_disks(conn, scope) if d.instance_id is None]
    assert sorted(d.type for d in left) == ["data"] * 3  # the data disks outlive them


def test_a_batch_deletion_is_refused_when_an_instance_changed_meanwhile(runtime, world):
    scope, subnet = world
    first, second = _create_many(runtime, scope, subnet, [_spec(subnet), _spec(subnet)])

    with pytest.raises(Conflict) as err, runtime.db.write() as conn:
        def meddle(vm: inst.Instance) -> None:  # another writer changes the first one
            if vm.id == second.id:
                inst.update_instance(conn, scope, first.id, name="renamed")

        inst.delete_instances(conn, scope, [first.id, second.id], now=runtime.clock.now(),
                              after=1, force=True, check=meddle)
    assert err.value.reason == "instance.incorrect_status"
    assert err.value.details == {"id": first.id, "raced": True}


def test_release_tasks_due_together_release_what_each_would_alone(runtime, world):
    scope, subnet = world
    now = runtime.clock.now()
    a, b, c = _create_many(runtime, scope, subnet,
                           [_spec(subnet, auto_release_at=now + 10) for _ in range(3)])
    with runtime.db.write() as conn:  # b's auto-release moves later: its first task is stale
        inst.update_instance(conn, scope, b.id, auto_release_at=now + 100)
        inst.schedule_auto_release(conn, b.id, now + 100)
        inst.delete_instances(conn, scope, [c.id], now=now, after=10, force=True)
    _step(runtime, 20)
    with runtime.db.read() as conn:
        assert [vm.id for vm in inst.list_instances(conn, scope)] == [b.id]
        assert network.available_addresses(conn, subnet) == 251
    _step(runtime, 100)
    with runtime.db.read() as conn:
        assert inst.list_instances(conn, scope) == []


def test_concurrent_batches_never_share_an_address_or_a_mac(runtime, world):
    scope, subnet = world
    barrier = threading.Barrier(4)
    made: list[inst.Instance] = []
    lock = threading.Lock()

    def launch() -> None:
        barrier.wait()
        batch = _create_many(runtime, scope, subnet, [_spec(subnet) for _ in range(20)])
        with lock:
            made.extend(batch)

    threads = [threading.Thread(target=launch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(made) == 80
    with runtime.db.read() as conn:
        nics = interfaces.list_interfaces(conn, scope)
        assert network.available_addresses(conn, subnet) == 252 - 80
    assert len(nics) == 80 and len({n.primary_ip for n in nics}) == 80
    assert len({n.mac_address for n in nics}) == 80


def test_boot_steps_taken_together_do_what_each_would_alone(runtime, world):
    from openecs.engine.tasks import TaskContext, get_batch_handler

    scope, subnet = world
    a, b, c = _create_many(runtime, scope, subnet, [_spec(subnet) for _ in range(3)])
    steps = get_batch_handler(inst.TRANSITION_TASK)

    def step(vm: inst.Instance, expect: str, to: str) -> dict:
        payload = {"id": vm.id, "expect": expect, "to": to}
        return {**payload, "before": inst.PENDING} if to == inst.RUNNING else payload

    with runtime.db.write() as conn:  # as if another worker had taken b's first step
        steps(TaskContext(conn, runtime.clock.now()), [
            step(a, inst.PENDING, inst.STARTING), step(a, inst.STARTING, inst.RUNNING),
            step(b, inst.STARTING, inst.RUNNING), step(c, inst.STARTING, inst.STOPPED),
        ])
    assert _status(runtime, scope, a.id) == inst.RUNNING  # its two steps, in their order
    assert _status(runtime, scope, b.id) == inst.PENDING  # queued again for after its first
    assert _status(runtime, scope, c.id) == inst.PENDING  # a step that does not apply: dropped
    with runtime.db.read() as conn:
        assert inst.get_instance(conn, scope, a.id).started_at is not None
    _step(runtime, BOOT + 1)
    assert {_status(runtime, scope, vm.id) for vm in (a, b, c)} == {inst.RUNNING}


def test_an_instance_row_holds_exactly_the_fields_of_an_instance():
    """Instances are built from their rows' values as they are (instances._built)."""
    from dataclasses import fields

    from openecs.store.tables import instances as table

    assert set(table.c.keys()) == {f.name for f in fields(inst.Instance)}


def test_an_instance_read_back_equals_one_built_by_its_constructor(runtime, world):
    scope, subnet = world
    vm = _create(runtime, scope, subnet)
    with runtime.db.write() as conn:
        changed = inst.update_instance(conn, scope, vm.id, name="renamed", extra={"k": 1})
        read = inst.get_instance(conn, scope, vm.id)
    assert read == inst.Instance(**read.__dict__) == changed
    assert (read.name, read.extra["k"], read.version) == ("renamed", 1, vm.version + 1)
    assert isinstance(read.deletion_protection, bool)


def _version_and_name(rt: Runtime, scope, iid: str) -> tuple[int, str]:
    with rt.db.read() as conn:
        vm = inst.get_instance(conn, scope, iid)
    return vm.version, vm.name


def test_a_plain_write_renames_in_one_statement_and_moves_the_version(runtime, world):
    scope, subnet = world
    vm = _create(runtime, scope, subnet)
    with runtime.db.write_one() as conn:
        assert inst.set_plain(conn, "aliyun", scope.account_id, vm.id, {"name": "renamed"})
    assert _version_and_name(runtime, scope, vm.id) == (vm.version + 1, "renamed")


def test_a_plain_write_after_a_read_makes_the_readers_compare_and_swap_refused(runtime, world):
    scope, subnet = world
    vm = _create(runtime, scope, subnet)
    with runtime.db.write_one() as conn:
        inst.set_plain(conn, "aliyun", scope.account_id, vm.id, {"description": "first"})
    with pytest.raises(Conflict), runtime.db.write() as conn:
        inst.update_instance(conn, scope, vm.id, current=vm, name="stale")
    assert _version_and_name(runtime, scope, vm.id) == (vm.version + 1, "vm")


def test_a_plain_write_matches_no_instance_being_deleted_or_of_another_account(runtime, world):
    scope, subnet = world
    vm = _create(runtime, scope, subnet)
    with runtime.db.write_one() as conn:
        assert not inst.set_plain(conn, "aliyun", scope.account_id + 1, vm.id, {"name": "theirs"})
        assert not inst.set_plain(conn, "huawei", scope.account_id, vm.id, {"name": "theirs"})
    with runtime.db.write() as conn:
        inst.change(conn, vm, status=inst.DELETING)
    with runtime.db.write_one() as conn:
        assert not inst.set_plain(conn, "aliyun", scope.account_id, vm.id, {"name": "late"})
    assert _version_and_name(runtime, scope, vm.id) == (vm.version + 1, "vm")
