"""SHA-256 and HMAC-SHA256 of the short strings every signed request hashes.

Both vendors' signatures hash a canonical request of a few hundred bytes and
then HMAC it with the caller's secret; the Alibaba face also hashes each
nonce. For inputs this short, OpenSSL's set-up dominates: in OpenSSL 3 each
``hashlib.sha256`` or ``hmac.new`` call fetches the algorithm from its
provider and builds a context, so a signature check through it took 9-12 us
after the idle gap between two requests against 4.5-5 us here (2.4 against
3.6 us back to back; docs/performance.md). CPython's own SHA-256 (``_sha2``
from 3.12, ``_sha256`` before) has none of that set-up, and an HMAC is two
copies of hash states computed once per secret (RFC 2104), so the secret's
pads are not hashed again on every request. Where the interpreter has no
built-in SHA-256 (a build without it), hashlib's is used: same answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any

try:  # CPython 3.12 and later
    from _sha2 import sha256 as _builtin_sha256  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - CPython 3.11 (or another interpreter)
    try:
        from _sha256 import sha256 as _builtin_sha256  # type: ignore[import-not-found,no-redef]
    except ImportError:
        _builtin_sha256 = hashlib.sha256

_sha256: Callable[..., Any] = _builtin_sha256
_BLOCK = 64  # SHA-256's block size, in bytes
_INNER = bytes(b ^ 0x36 for b in range(256))
_OUTER = bytes(b ^ 0x5C for b in range(256))


def sha256_hex(data: bytes) -> str:
    """The SHA-256 digest of ``data``, as lower-case hex."""
    return _sha256(data).hexdigest()


@lru_cache(maxsize=1024)
def _pads(key: bytes) -> tuple[Any, Any]:
    """The inner and outer hash states of HMAC-SHA256 under ``key``, before any message."""
    if len(key) > _BLOCK:
        key = _sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return _sha256(key.translate(_INNER)), _sha256(key.translate(_OUTER))


def hmac_sha256_hex(key: bytes, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` under ``key`` (RFC 2104), as lower-case hex."""
    inner0, outer0 = _pads(key)
    inner = inner0.copy()
    inner.update(message)
    outer = outer0.copy()
    outer.update(inner.digest())
    return outer.hexdigest()
