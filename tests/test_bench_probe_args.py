"""bench/fleet_probe.py's command line: the documented commands pass, impossible rounds do not."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import fleet_probe  # noqa: E402


def test_moto_may_take_fewer_samples_than_openecs_s_rounds() -> None:
    """The docs' command: 20 moto calls, 30 rounds (only OpenECS's calls alternate)."""
    args = fleet_probe.parse_args(
        ["--samples", "300", "--moto-samples", "20", "--only", "openecs"]
    )
    assert (args.samples, args.moto_samples, args.rounds) == (300, 20, 30)


def test_more_rounds_than_openecs_samples_is_refused() -> None:
    with pytest.raises(SystemExit) as exited:
        fleet_probe.parse_args(["--samples", "10", "--rounds", "30", "--only", "openecs"])
    assert exited.value.code == 2


def test_moto_samples_default_to_openecs_s() -> None:
    assert fleet_probe.parse_args(["--samples", "40", "--only", "openecs"]).moto_samples == 40
