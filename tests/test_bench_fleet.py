"""bench/fleet.py runs its OpenECS side end to end and reports every phase.

The benchmark is run as its users run it (a child process that starts its own
server), with a fleet of 100 and one client, OpenECS only: CI does not install
moto. Every phase must come out measured, or, when this server lacks one of
its actions, reported as not implemented; none may fail or be skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from openecs.faces.aliyun import operations

ROOT = Path(__file__).resolve().parent.parent
N = 100

# The Alibaba actions each phase calls (F deletes interfaces only if E made some).
ACTIONS = {
    "setup": {"CreateVpc", "CreateVSwitch", "CreateSecurityGroup"},
    "A": {"CreateLaunchTemplate", "CreateLaunchTemplateVersion"},
    "B": {"RunInstances"},
    "C": {"DescribeInstances"},
    "D": {"ModifyInstanceAttribute"},
    "E": {"CreateNetworkInterface"},
    "F": {"DeleteInstances"},
}
# The work each phase does on a fleet of N: resources made, instances listed, ...
ITEMS = {"setup": 1, "A": 30, "B": N, "C": 5 * N, "D": N, "E": N}


def _implemented() -> set[str]:
    return {action for _, action in operations.load_all()}


@pytest.fixture(scope="module")
def fleet(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], list]:
    """One run of the benchmark, read by every test: its output and its --json phases."""
    out = tmp_path_factory.mktemp("fleet") / "fleet.json"
    done = subprocess.run(
        [
            sys.executable,
            "bench/fleet.py",
            "--n",
            str(N),
            "--clients",
            "1",
            "--only",
            "openecs",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    phases = json.loads(out.read_text())["runs"][0]["phases"] if out.exists() else []
    return done, phases


def test_fleet_exits_0(fleet) -> None:
    done, _ = fleet
    assert done.returncode == 0, done.stdout + done.stderr


def test_fleet_reports_every_phase_measured_or_not_implemented(fleet) -> None:
    _, phases = fleet
    implemented = _implemented()
    by_phase = {p["phase"]: p for p in phases}
    items = {**ITEMS, "F": N + (N if by_phase.get("E", {}).get("status") == "ok" else 0)}
    assert list(by_phase) == list(ACTIONS)
    assert {p["server"] for p in phases} == {"OpenECS"}
    for key, needed in ACTIONS.items():
        if key == "F" and by_phase["E"]["status"] == "ok":
            needed = needed | {"DeleteNetworkInterface"}
        phase = by_phase[key]
        missing = needed - implemented
        if missing:
            assert phase["status"] == "not implemented", phase
            assert phase["detail"] in missing, phase
        else:
            assert phase["status"] == "ok", phase
            assert phase["calls"] > 0 and phase["calls_per_s"] > 0, phase
            assert 0 < phase["p50_ms"] <= phase["p99_ms"], phase
            assert phase["items"] == items[key], phase
        assert phase["rss_mb"] > 0, phase


def test_fleet_prints_a_row_per_phase(fleet) -> None:
    done, _ = fleet
    rows = [
        line.split()[0] for line in done.stdout.splitlines() if line.split()[1:2] == ["OpenECS"]
    ]
    assert rows == list(ACTIONS)
