"""The services one server process shares across requests: store, clock, engine, caches.

Faces reach the core and the store through a :class:`Runtime`; nothing here
knows a vendor.
"""

from __future__ import annotations

import json
import threading
import time

from sqlalchemy import insert, select

from openecs.config import Settings
from openecs.core import accounts
from openecs.core import instances as _instances  # noqa: F401  (registers engine handlers)
from openecs.core import jobs as _jobs  # noqa: F401  (registers engine handlers)
from openecs.core import network as _network  # noqa: F401  (registers engine handlers)
from openecs.core.accounts import Account, BootstrapCredentials
from openecs.core.clock import Clock
from openecs.engine.worker import Worker
from openecs.nonces import NonceStore
from openecs.store import migrate
from openecs.store.db import Database
from openecs.store.tables import settings as settings_table

_ACCOUNT_TTL = 10.0  # seconds a verified access key stays cached


class Runtime:
    def __init__(self, settings: Settings, *, start_engine: bool = True) -> None:
        self.settings = settings
        self.db = Database(settings.store_url)
        migrate.upgrade(self.db)
        with self.db.write() as conn:
            self.bootstrap = accounts.ensure_bootstrap(
                conn, BootstrapCredentials.from_environment()
            )
            offset = load_clock_offset(conn)
        self.clock = Clock(speed=settings.clock_speed, offset=offset)
        self.worker = Worker(self.db, self.clock)
        self.nonces = NonceStore(self.db, settings.signature_window_seconds)
        self.worker.add_chore(lambda: self.nonces.flush(force=False))
        self._accounts: dict[str, tuple[float, Account]] = {}
        self._accounts_lock = threading.Lock()
        if start_engine:
            self.worker.start()

    @property
    def answers_inline(self) -> bool:
        """Whether the faces answer a request on the event loop itself rather than hop to
        the thread pool.

        On SQLite, yes: every statement is a local call of a few microseconds,
        writers queue on one lock anyway, and the GIL lets one thread run Python
        at a time, so a worker thread adds no parallelism, only the hop (about
        150 us a call, more than a ModifyInstanceAttribute costs). On PostgreSQL
        a request waits on the network (its nonce claim, its statements), so it
        runs in the pool and the loop keeps serving others meanwhile.
        """
        return self.db.is_sqlite

    def close(self) -> None:
        self.worker.stop()
        self.nonces.close()
        with self.db.write() as conn:
            save_clock_offset(conn, self.clock.offset())
        self.db.dispose()

    # -- accounts
    def account_by_access_key(self, access_key_id: str) -> Account | None:
        """The account of an access key; unknown keys are looked up afresh every time."""
        now = time.monotonic()
        hit = self._accounts.get(access_key_id)
        if hit is not None and now - hit[0] < _ACCOUNT_TTL:
            return hit[1]
        with self.db.read() as conn:
            account = accounts.find_by_access_key(conn, access_key_id)
        if account is not None:
            with self._accounts_lock:
                self._accounts[access_key_id] = (now, account)
        return account

    def account_is_cached(self, access_key_id: str) -> bool:
        """Whether the key's account is known without asking the store."""
        hit = self._accounts.get(access_key_id)
        return hit is not None and time.monotonic() - hit[0] < _ACCOUNT_TTL

    # -- signature nonces
    def claim_nonce(self, nonce: str) -> bool:
        """Record a signature nonce; False if it was already used within the window."""
        return self.nonces.claim(nonce)


def load_clock_offset(conn) -> float:  # noqa: ANN001
    row = conn.execute(
        select(settings_table.c.value).where(settings_table.c.key == "clock")
    ).first()
    if row is None:
        return 0.0
    return max(0.0, float(json.loads(row.value).get("offset", 0.0)))


def save_clock_offset(conn, offset: float) -> None:  # noqa: ANN001
    value = json.dumps({"offset": offset})
    if conn.execute(select(settings_table.c.key).where(settings_table.c.key == "clock")).first():
        conn.execute(
            settings_table.update().where(settings_table.c.key == "clock").values(value=value)
        )
    else:
        conn.execute(insert(settings_table).values(key="clock", value=value))
