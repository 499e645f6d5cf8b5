"""The core's subscription arithmetic: terms in weeks and calendar months."""

from __future__ import annotations

import calendar

from openecs.core.lifetimes import MONTH, WEEK, add_period


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
