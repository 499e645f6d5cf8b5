"""The core's lifetimes: terms in weeks and calendar months, an expiry that survives a restart."""

from __future__ import annotations

import calendar

from openecs.core import instances as inst
from openecs.core import lifetimes
from openecs.core.lifetimes import MONTH, WEEK, add_period
from openecs.runtime import Runtime
from tests import test_instances_core as core_tests

# The fixtures: a store of the test's own (SQLite and PostgreSQL), its runtime, a VPC and subnet.
settings, runtime, world = core_tests.settings, core_tests.runtime, core_tests.world


def _t(*parts: int) -> float:
    return float(calendar.timegm((*parts, 0, 0, 0)[:6]))


def test_a_week_is_seven_days() -> None:
    assert add_period(_t(2026, 1, 1, 12, 30, 5), 2, WEEK) == _t(2026, 1, 15, 12, 30, 5)


def test_a_month_keeps_the_day_and_time() -> None:
    assert add_period(_t(2026, 3, 10, 8, 0, 0), 1, MONTH) == _t(2026, 4, 10, 8, 0, 0)


def test_a_month_from_the_31st_ends_on_the_last_day_of_a_shorter_month() -> None:
    assert add_period(_t(2026, 1, 31, 0, 0, 0), 1, MONTH) == _t(2026, 2, 28, 0, 0, 0)
    assert add_period(_t(2028, 1, 31, 0, 0, 0), 1, MONTH) == _t(2028, 2, 29, 0, 0, 0)


def test_months_carry_into_the_next_years() -> None:
    assert add_period(_t(2026, 11, 5, 0, 0, 0), 60, MONTH) == _t(2031, 11, 5, 0, 0, 0)
    assert add_period(_t(2026, 12, 5, 0, 0, 0), 1, MONTH) == _t(2027, 1, 5, 0, 0, 0)


def test_a_fraction_of_a_second_is_kept() -> None:
    assert add_period(_t(2026, 1, 1, 0, 0, 0) + 0.25, 1, MONTH) == _t(2026, 2, 1, 0, 0, 0) + 0.25


def test_an_expiry_scheduled_by_one_server_stops_the_instance_in_the_next(
    settings,
    runtime,
    world,  # noqa: ANN001
) -> None:
    scope, subnet = world
    now = runtime.clock.now()
    spec = core_tests._spec(
        subnet,
        charge_type="PrePaid",
        expires_at=add_period(now, 1, WEEK),
        extra=lifetimes.extra_for(lifetimes.Subscription(1, WEEK), None),
    )
    with runtime.db.write() as conn:
        (vm,) = inst.create_instances(conn, scope, [spec], now=now, boot_seconds=core_tests.BOOT)
        lifetimes.schedule_expiry(conn, vm)
    runtime.close()
    after_restart = Runtime(settings, start_engine=False)
    try:
        after_restart.clock.advance(7 * 86400 + 1)
        after_restart.worker.run_due()
        with after_restart.db.read() as conn:
            expired = inst.get_instance(conn, scope, vm.id)
    finally:
        after_restart.close()
    assert (expired.status, expired.extra[inst.LOCK_REASON]) == (inst.STOPPED, inst.LOCKED_EXPIRED)
