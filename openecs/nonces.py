"""Where Alibaba signature nonces are remembered for their 15-minute window.

A nonce must be refused the second time it is used within the window, by
whichever server process sees it, and after a restart too.

- SQLite (one server process by design): the process's memory is the
  authority, so a claim costs a dictionary lookup; claimed nonces are appended
  to the ``signature_nonce_log`` table in batches by :meth:`flush` (the engine
  thread calls it), and the unexpired ones are loaded at start, so a restart
  does not reopen the window.
- PostgreSQL (many processes): the table is the authority; a claim is one
  autocommit ``INSERT .. ON CONFLICT`` that takes the row only if it is new
  or expired, on connections that do not wait for the WAL flush
  (``synchronous_commit=off``): a nonce lost in a database crash only
  reopens its own replay window, and every call saves a disk flush.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import create_engine, delete, select

from openecs.store.db import Database
from openecs.store.tables import signature_nonce_log, signature_nonces

_SWEEP_EVERY = 60.0
_FLUSH_EVERY = 0.5


class NonceStore:
    def __init__(self, db: Database, window: float) -> None:
        self.db = db
        self.window = window
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}
        self._unsaved: dict[str, float] = {}
        self._last_sweep = time.time()
        self._last_flush_sweep = 0.0
        self._last_flush = 0.0
        self._shared = None
        if not db.is_sqlite:
            self._shared = create_engine(
                db.url,
                isolation_level="AUTOCOMMIT",
                connect_args={"options": "-c synchronous_commit=off"},
                pool_size=8,
                max_overflow=8,
                pool_recycle=1800,
            )
        if db.is_sqlite:
            with db.read() as conn:
                now = time.time()
                rows = conn.execute(
                    select(signature_nonce_log.c.nonce, signature_nonce_log.c.expires_at).where(
                        signature_nonce_log.c.expires_at >= now
                    )
                )
                self._seen = {nonce: expires for nonce, expires in rows}

    def claim(self, nonce: str) -> bool:
        """Record ``nonce``; False if it was already used within the window."""
        now = time.time()
        if not self.db.is_sqlite:
            return self._claim_shared(nonce, now)
        with self._lock:
            expires = self._seen.get(nonce)
            if expires is not None and expires >= now:
                return False
            self._seen[nonce] = self._unsaved[nonce] = now + self.window
            if now - self._last_sweep > _SWEEP_EVERY:
                self._last_sweep = now
                self._seen = {n: e for n, e in self._seen.items() if e >= now}
        return True

    def _claim_shared(self, nonce: str, now: float) -> bool:
        assert self._shared is not None
        with self._shared.connect() as conn:
            claimed = conn.exec_driver_sql(
                "INSERT INTO signature_nonces (nonce, expires_at) VALUES (%s, %s) "
                "ON CONFLICT (nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at "
                "WHERE signature_nonces.expires_at < %s",
                (nonce, now + self.window, now),
            ).rowcount
        return claimed == 1

    def close(self) -> None:
        self.flush()
        if self._shared is not None:
            self._shared.dispose()

    def flush(self, *, force: bool = True) -> None:
        """Write the nonces claimed since the last flush, and forget expired rows.

        The engine thread calls it on every pass with ``force=False``: it then
        writes at most once per :data:`_FLUSH_EVERY` seconds, so the writes come
        in large batches.
        """
        now = time.time()
        if not force and now - self._last_flush < _FLUSH_EVERY:
            return
        self._last_flush = now
        with self._lock:
            batch, self._unsaved = self._unsaved, {}
        sweep = now - self._last_flush_sweep > _SWEEP_EVERY
        if not batch and not sweep:
            return
        with self.db.write() as conn:
            if batch:
                conn.exec_driver_sql(
                    "INSERT INTO signature_nonce_log (nonce, expires_at) VALUES (?, ?)",
                    list(batch.items()),
                )
            if sweep:
                self._last_flush_sweep = now
                table = signature_nonce_log if self.db.is_sqlite else signature_nonces
                conn.execute(delete(table).where(table.c.expires_at < now))
