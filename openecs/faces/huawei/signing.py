"""Verifying Huawei Cloud SDK-HMAC-SHA256 request signatures.

Recipe from docs/wire-protocols.md section 5C (measured against
huaweicloudsdkcore). No nonce: a retried request is byte-identical, so only
the X-Sdk-Date window bounds a replay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote

from openecs.faces.digests import hmac_sha256_hex, sha256_hex

ALGORITHM = "SDK-HMAC-SHA256"


def pct(value: str) -> str:
    return quote(value, safe="-_.~")


def parse_authorization(header: str) -> dict[str, str] | None:
    """``SDK-HMAC-SHA256 Access=.., SignedHeaders=.., Signature=..`` as a dict, or None."""
    scheme, _, rest = header.partition(" ")
    if scheme != ALGORITHM or not rest:
        return None
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            return None
        parts[key] = value
    if not {"Access", "SignedHeaders", "Signature"} <= parts.keys():
        return None
    return parts


def canonical_uri(raw_path: str) -> str:
    segments = [pct(unquote(s)) for s in raw_path.split("/")]
    uri = "/".join(segments)
    return uri if uri.endswith("/") else uri + "/"


def string_to_sign(
    method: str,
    raw_path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: str,
    payload_hash: str,
    sdk_date: str,
) -> str:
    canonical_query = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(query))
    names = signed_headers.split(";")
    canonical_headers = "".join(f"{n}:{headers.get(n, '').strip()}\n" for n in names)
    canonical_request = "\n".join(
        [method, canonical_uri(raw_path), canonical_query, canonical_headers, signed_headers, payload_hash]
    )
    digest = sha256_hex(canonical_request.encode())
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def signature(secret: str, to_sign: str) -> str:
    return hmac_sha256_hex(secret.encode(), to_sign.encode())


def payload_hash(body: bytes, headers: Mapping[str, str]) -> str:
    return headers.get("x-sdk-content-sha256") or sha256_hex(body)
