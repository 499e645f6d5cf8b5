"""docs/coverage.md is exactly what tools/gen_coverage.py writes from today's declarations.

The coverage document is generated, never edited: a declaration that changed
without the document being regenerated fails here, so the two cannot drift.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_coverage", ROOT / "tools" / "gen_coverage.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_coverage_doc_is_current() -> None:
    gen = _generator()
    current = gen.OUT.read_text("utf-8") if gen.OUT.exists() else ""
    assert current == gen.render(), "docs/coverage.md is stale: run `python tools/gen_coverage.py`"
