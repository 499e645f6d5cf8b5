"""The signatures' digests answer exactly what hashlib and hmac answer, for any key and message."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from openecs.faces.digests import hmac_sha256_hex, sha256_hex


@given(st.binary(max_size=600))
def test_sha256_hex_is_hashlibs(data: bytes) -> None:
    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()


# Keys around SHA-256's 64-byte block: shorter ones are padded, longer ones hashed first.
@given(st.binary(max_size=200), st.binary(max_size=600))
def test_hmac_sha256_hex_is_hmacs_for_any_key(key: bytes, message: bytes) -> None:
    assert hmac_sha256_hex(key, message) == hmac.new(key, message, hashlib.sha256).hexdigest()


def test_hmac_sha256_hex_at_the_block_size_edges() -> None:
    for size in (0, 63, 64, 65, 128):
        key = bytes(i % 256 for i in range(size))
        expected = hmac.new(key, b"ACS3-HMAC-SHA256\nabc", hashlib.sha256).hexdigest()
        assert hmac_sha256_hex(key, b"ACS3-HMAC-SHA256\nabc") == expected


def test_one_key_signs_many_messages_independently() -> None:
    """The key's cached hash states are copied, never updated: each message is signed alone."""
    first = hmac_sha256_hex(b"secret", b"one")
    hmac_sha256_hex(b"secret", b"two")
    assert hmac_sha256_hex(b"secret", b"one") == first
