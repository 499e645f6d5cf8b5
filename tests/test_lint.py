"""The code base is ruff-clean (lint runs with the tests, so CI enforces it)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing() -> None:
    dirs = [d for d in ("openecs", "tests", "bench", "tools") if (ROOT / d).is_dir()]
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *dirs],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
