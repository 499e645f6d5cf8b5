"""bench/huawei_batch.py runs end to end: a batch through the SDK, its job timed to SUCCESS.

Run as its users run it (a child process that starts its own server on the
real clock), with a batch of 5 rather than 500 to keep the suite fast; the
500 of issue 7 is measured by the script itself (docs/performance.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_huawei_batch_reports_the_job_succeeding_after_the_boot(tmp_path: Path) -> None:
    out = tmp_path / "batch.json"
    done = subprocess.run(
        [sys.executable, "bench/huawei_batch.py", "--count", "5", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(out.read_text())
    assert figures["status"] == "SUCCESS" and figures["sub_jobs_success"] == 5
    # The servers boot in 3 engine seconds on the real clock: the job cannot end sooner.
    assert 3.0 <= figures["job_end_s"] <= figures["target_s"]
    assert [s for _, s in figures["statuses"]][-1] == "SUCCESS"
