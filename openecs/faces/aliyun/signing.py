"""Verifying Alibaba Cloud request signatures: ACS3-HMAC-SHA256 and RPC HMAC-SHA1.

Recipes from docs/wire-protocols.md section 5 (measured against the official
SDKs). Both functions only compute; the protocol module decides what a
mismatch answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote

from openecs.faces.digests import hmac_sha256_hex, sha256_hex

EMPTY_SHA256 = sha256_hex(b"")


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def pct(value: str) -> str:
    """RFC 3986 percent-encoding of UTF-8; only A-Z a-z 0-9 - _ . ~ stay as they are."""
    if _UNRESERVED.fullmatch(value):  # most names and values: nothing to encode
        return value
    return quote(value, safe="-_.~")


def parse_acs3_authorization(header: str) -> dict[str, str] | None:
    """``ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`` as a dict, or None."""
    scheme, _, rest = header.partition(" ")
    if scheme != "ACS3-HMAC-SHA256" or not rest:
        return None
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            return None
        parts[key] = value
    if not {"Credential", "SignedHeaders", "Signature"} <= parts.keys():
        return None
    return parts


def acs3_string_to_sign(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: str,
    payload_hash: str,
) -> str:
    pairs = sorted(query)
    if _UNRESERVED.fullmatch("".join([k + v for k, v in pairs])):  # most queries: none to encode
        canonical_query = "&".join([f"{k}={v}" for k, v in pairs])
    else:  # the pairs that need it (a description with a space, say) are encoded
        canonical_query = "&".join(
            [f"{k}={v}" if _UNRESERVED.fullmatch(k + v) else f"{pct(k)}={pct(v)}" for k, v in pairs]
        )
    names = signed_headers.split(";")
    canonical_headers = "".join([f"{n}:{headers.get(n, '').strip()}\n" for n in names])
    canonical_request = "\n".join(
        [method, path, canonical_query, canonical_headers, signed_headers, payload_hash]
    )
    return "ACS3-HMAC-SHA256\n" + sha256_hex(canonical_request.encode())


def acs3_signature(secret: str, string_to_sign: str) -> str:
    return hmac_sha256_hex(secret.encode(), string_to_sign.encode())


def rpc_string_to_sign(method: str, params: Iterable[tuple[str, str]]) -> str:
    canonical = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(params) if k != "Signature")
    return f"{method}&{pct('/')}&{pct(canonical)}"


def rpc_signature(secret: str, string_to_sign: str) -> str:
    digest = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
