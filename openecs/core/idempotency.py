"""Client tokens: the same token with the same parameters gets the first answer again.

Alibaba's ClientToken and Huawei's X-Client-Token make a create safe to
retry: the SDKs (and the network) may send a request twice. The first
request with a token claims it inside its own transaction, so its record and
its effect commit or roll back together; a concurrent twin waits on the
claim (PostgreSQL's unique index, SQLite's single writer) and then reads the
committed answer. The same token with other parameters is refused
(``idempotency.mismatch``), as both vendors do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from openecs.core.errors import Conflict
from openecs.store.tables import idempotency_records

_PENDING = ""


def fingerprint(params: Mapping[str, Any]) -> str:
    """A digest of a request's parameters (the caller leaves out the token itself)."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _recall(
    conn: Connection, account_id: int, scope: str, token: str, fp: str
) -> dict[str, Any] | None:
    row = conn.execute(
        select(idempotency_records.c.fingerprint, idempotency_records.c.response)
        .where(idempotency_records.c.account_id == account_id)
        .where(idempotency_records.c.scope == scope)
        .where(idempotency_records.c.token == token)
    ).first()
    if row is None:
        return None
    if row.fingerprint != fp:
        raise Conflict(
            "idempotency.mismatch",
            f"The client token {token} was already used with other parameters.",
            token=token,
        )
    return json.loads(row.response) if row.response != _PENDING else None


def once(
    conn: Connection,
    account_id: int,
    scope: str,
    token: str | None,
    fp: str,
    produce: Callable[[], dict[str, Any]],
    *,
    now: float,
) -> dict[str, Any]:
    """``produce()``'s answer, or the answer already given to this token in this scope."""
    if not token:
        return produce()
    prior = _recall(conn, account_id, scope, token, fp)
    if prior is not None:
        return prior
    try:
        with conn.begin_nested():
            conn.execute(
                insert(idempotency_records), dict(
                    account_id=account_id,
                    scope=scope,
                    token=token,
                    fingerprint=fp,
                    response=_PENDING,
                    created_at=now,
                )
            )
    except IntegrityError:
        # A concurrent twin committed first: its answer is ours.
        prior = _recall(conn, account_id, scope, token, fp)
        if prior is not None:
            return prior
        raise
    result = produce()
    conn.execute(
        update(idempotency_records)
        .where(idempotency_records.c.account_id == account_id)
        .where(idempotency_records.c.scope == scope)
        .where(idempotency_records.c.token == token)
        .values(response=json.dumps(result, separators=(",", ":")))
    )
    return result
