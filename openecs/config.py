"""Server settings: from command-line flags, with the environment as fallback."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from openecs.store.db import sqlite_url


def default_data_dir() -> Path:
    """The per-user data directory of the embedded store (OPENECS_DATA_DIR overrides it)."""
    env = os.environ.get("OPENECS_DATA_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir("openecs", appauthor=False))


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str | None = None
    # How long an instance takes to boot and to stop, in engine-clock seconds.
    boot_seconds: float = 3.0
    stop_seconds: float = 2.0
    # The engine clock runs this many times faster than real time.
    clock_speed: float = 1.0
    # How far off an Alibaba timestamp or a Huawei X-Sdk-Date may be.
    signature_window_seconds: int = 15 * 60
    # Rehearse the common calls at start-up, rolled back, so the first ones are fast
    # (openecs/warmup.py).
    warm_up: bool = True

    @property
    def store_url(self) -> str:
        return (
            self.database_url or os.environ.get("OPENECS_DATABASE_URL") or sqlite_url(self.data_dir)
        )
