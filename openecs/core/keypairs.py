"""SSH key pairs, for both clouds: generated here or imported from an OpenSSH public key.

A key pair is scoped like a network resource (cloud, account, region) and named
uniquely in its scope. Only the public key and its fingerprint are stored: a
generated private key is returned once, to the creator, and never kept.

Imported keys are checked here, once for both faces: an OpenSSH public key line
(``<type> <base64 blob> [comment]``) of RSA, Ed25519 or ECDSA whose blob names
the same type and decodes to a valid key; anything else is ``Invalid``
(``key_pair.public_key_invalid``). Fingerprints are computed as RFC 4716 says
and both vendors document it: the MD5 digest of the key blob, colon-separated
lowercase hex (the Alibaba API reference cites RFC 4716; Nova's
``generate_fingerprint`` digests the same blob). Vendor rules (name patterns,
quotas) belong to the faces; the core keeps the limit it is given.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from openecs.core.errors import Conflict, Invalid, NotFound, QuotaExceeded
from openecs.core.network import Scope
from openecs.store.tables import key_pairs

# The OpenSSH key types accepted for import.
KEY_TYPES = (
    "ssh-rsa",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
)
RSA_BITS = 2048  # generated keys
MAX_PUBLIC_KEY_LENGTH = 16384  # characters of an imported key line: far above any RSA 16384 key


@dataclass(frozen=True)
class KeyPair:
    id: str
    cloud: str
    account_id: int
    region: str
    name: str
    public_key: str
    fingerprint: str
    created_at: float
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CreatedKeyPair:
    """A generated key pair, with the private key its creator sees once."""

    key_pair: KeyPair
    private_key: str  # PEM, "RSA PRIVATE KEY" (PKCS#1), as both vendors hand it out


def _key_pair(row: Any) -> KeyPair:
    return KeyPair(
        id=row.id,
        cloud=row.cloud,
        account_id=row.account_id,
        region=row.region,
        name=row.name,
        public_key=row.public_key,
        fingerprint=row.fingerprint,
        created_at=row.created_at,
        extra=json.loads(row.extra),
    )


def _scoped(scope: Scope) -> Any:
    return scope.rows(key_pairs)


# -- keys and fingerprints


def _malformed(why: str) -> Invalid:
    return Invalid("key_pair.public_key_invalid", f"The public key is not valid: {why}.")


def public_key_blob(public_key: str) -> bytes:
    """The key blob of an OpenSSH public key line, checked to be a valid key of an accepted type."""
    if len(public_key) > MAX_PUBLIC_KEY_LENGTH:
        raise _malformed("it is too long")
    parts = public_key.strip().split(None, 2)
    if len(parts) < 2:
        raise _malformed("expected '<type> <base64 key> [comment]'")
    key_type, encoded = parts[0], parts[1]
    if key_type not in KEY_TYPES:
        raise _malformed(f"the key type {key_type[:64]!r} is not supported")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _malformed("the key is not base64") from None
    if len(blob) < 4 or blob[4 : 4 + int.from_bytes(blob[:4], "big")] != key_type.encode():
        raise _malformed("the key data does not match its type")
    try:
        serialization.load_ssh_public_key(f"{key_type} {encoded}".encode())
    except (ValueError, UnsupportedAlgorithm):
        raise _malformed("the key data is not a valid key") from None
    return blob


def fingerprint(public_key: str) -> str:
    """RFC 4716 fingerprint: MD5 of the key blob, colon-separated lowercase hex."""
    digest = hashlib.md5(public_key_blob(public_key), usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def normalized(public_key: str) -> str:
    """The key line as stored: surrounding whitespace removed, single spaces between fields."""
    return " ".join(part.strip() for part in public_key.split(None, 2))


def generate(comment: str = "") -> tuple[str, str]:
    """A new RSA key: (private key PEM, OpenSSH public key line with ``comment``)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    return private, f"{public} {comment}" if comment else public


# -- key pairs


def _insert(
    conn: Connection,
    scope: Scope,
    *,
    key_id: str,
    name: str,
    public_key: str,
    now: float,
    extra: dict[str, Any] | None,
    limit: int | None,
) -> KeyPair:
    if limit is not None and count(conn, scope) >= limit:
        raise QuotaExceeded(
            "key_pair.quota_exceeded", f"A region can hold at most {limit} key pairs.", limit=limit
        )
    if conn.execute(_scoped(scope).where(key_pairs.c.name == name)).first() is not None:
        raise _duplicate(name)
    try:
        with conn.begin_nested():
            conn.execute(
                insert(key_pairs).values(
                    id=key_id,
                    cloud=scope.cloud,
                    account_id=scope.account_id,
                    region=scope.region,
                    name=name,
                    public_key=public_key,
                    fingerprint=fingerprint(public_key),
                    created_at=now,
                    extra=json.dumps(extra or {}),
                )
            )
    except IntegrityError:  # a concurrent request took the name
        raise _duplicate(name) from None
    return get(conn, scope, name)


def _duplicate(name: str) -> Conflict:
    return Conflict("key_pair.duplicate", f"The key pair {name} already exists.", name=name)


def create(
    conn: Connection,
    scope: Scope,
    *,
    key_id: str,
    name: str,
    now: float,
    comment: str = "",
    extra: dict[str, Any] | None = None,
    limit: int | None = None,
) -> CreatedKeyPair:
    """Generate a key pair named ``name``; the private key is in the answer only."""
    private, public = generate(comment)
    pair = _insert(
        conn,
        scope,
        key_id=key_id,
        name=name,
        public_key=public,
        now=now,
        extra=extra,
        limit=limit,
    )
    return CreatedKeyPair(pair, private)


def import_(
    conn: Connection,
    scope: Scope,
    *,
    key_id: str,
    name: str,
    public_key: str,
    now: float,
    extra: dict[str, Any] | None = None,
    limit: int | None = None,
) -> KeyPair:
    """Store a key pair from an OpenSSH public key (refused when malformed)."""
    public_key_blob(public_key)
    return _insert(
        conn,
        scope,
        key_id=key_id,
        name=name,
        public_key=normalized(public_key),
        now=now,
        extra=extra,
        limit=limit,
    )


def get(conn: Connection, scope: Scope, name: str) -> KeyPair:
    row = conn.execute(_scoped(scope).where(key_pairs.c.name == name)).first()
    if row is None:
        raise NotFound("key_pair.not_found", f"The key pair {name} does not exist.", name=name)
    return _key_pair(row)


def list_(conn: Connection, scope: Scope, *, names: Sequence[str] | None = None) -> list[KeyPair]:
    """The scope's key pairs (only ``names`` when given), oldest first."""
    query = _scoped(scope)
    if names is not None:
        query = query.where(key_pairs.c.name.in_(list(names)))
    query = query.order_by(key_pairs.c.created_at, key_pairs.c.id)
    return [_key_pair(r) for r in conn.execute(query)]


def count(conn: Connection, scope: Scope) -> int:
    return conn.execute(
        select(func.count())
        .select_from(key_pairs)
        .where(key_pairs.c.cloud == scope.cloud)
        .where(key_pairs.c.account_id == scope.account_id)
        .where(key_pairs.c.region == scope.region)
    ).scalar_one()


def delete_(conn: Connection, scope: Scope, names: Sequence[str]) -> list[KeyPair]:
    """Delete the named key pairs that exist; answer those deleted."""
    gone = list_(conn, scope, names=names)
    if gone:
        conn.execute(delete(key_pairs).where(key_pairs.c.id.in_([k.id for k in gone])))
    return gone
