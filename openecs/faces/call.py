"""What a handler knows about the request it serves, on either face."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openecs.core.accounts import Account
from openecs.runtime import Runtime


@dataclass
class Call:
    runtime: Runtime
    account: Account
    request_id: str
    region_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def db(self):  # noqa: ANN201 - the store's Database
        return self.runtime.db

    @property
    def clock(self):  # noqa: ANN201 - the engine Clock
        return self.runtime.clock
