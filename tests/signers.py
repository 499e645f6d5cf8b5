"""Signing hand-built requests, written apart from the server's verifiers.

The tests use these to put requests on the wire that no SDK would send
(GET, form bodies, stale dates, tampered parameters, replays), so they must
not share code with ``openecs.faces.*.signing``: a bug copied into both would
pass unnoticed. Each recipe follows docs/wire-protocols.md section 5 and the
SDKs' own signers (aliyunsdkcore's rpc_signature_composer, Tea's ACS3,
huaweicloudsdkcore's Signer).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote

ECS_VERSION = "2014-05-26"
VPC_VERSION = "2016-04-28"


def pct(value: str) -> str:
    """RFC 3986 percent-encoding of UTF-8, the way both vendors' SDKs do it."""
    return quote(value, safe="~")


def encode_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    """A query string or form body with every key and value percent-encoded."""
    return "&".join(f"{pct(k)}={pct(v)}" for k, v in pairs)


def aliyun_time(offset_seconds: float = 0.0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset_seconds))


def huawei_time(offset_seconds: float = 0.0) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() + offset_seconds))


# --------------------------------------------------------------------------- Alibaba RPC


def rpc_signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    """RPC HMAC-SHA1 over every parameter (query and form) except ``Signature``."""
    canonical = "&".join(f"{pct(k)}={pct(params[k])}" for k in sorted(params) if k != "Signature")
    to_sign = f"{method}&{pct('/')}&{pct(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def rpc_common(
    access_key_id: str,
    action: str,
    version: str = ECS_VERSION,
    *,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The protocol parameters the legacy SDK puts beside the business ones."""
    return {
        "Action": action,
        "Version": version,
        "Format": "JSON",
        "AccessKeyId": access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce or uuid.uuid4().hex,
        "Timestamp": timestamp or aliyun_time(),
    }


def rpc_signed(
    access_key_id: str,
    secret: str,
    action: str,
    params: Mapping[str, str] | None = None,
    *,
    method: str = "POST",
    version: str = ECS_VERSION,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """All parameters of an RPC request, ``Signature`` included."""
    merged = {**rpc_common(access_key_id, action, version, timestamp=timestamp, nonce=nonce)}
    merged.update(params or {})
    merged["Signature"] = rpc_signature(secret, method, merged)
    return merged


# --------------------------------------------------------------------------- Alibaba ACS3


def acs3_headers(
    access_key_id: str,
    secret: str,
    *,
    host: str,
    action: str,
    version: str = ECS_VERSION,
    method: str = "POST",
    path: str = "/",
    query: Mapping[str, str] | None = None,
    body: bytes = b"",
    content_type: str | None = None,
    date: str | None = None,
    nonce: str | None = None,
    content_sha256: str | None = None,
) -> dict[str, str]:
    """The headers of an ACS3-HMAC-SHA256 request, ``Authorization`` included.

    ``content_sha256`` overrides the declared body hash (to send one that lies).
    """
    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": date or aliyun_time(),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "x-acs-content-sha256": content_sha256 or hashlib.sha256(body).hexdigest(),
    }
    if content_type:
        headers["content-type"] = content_type
    names = sorted(headers)
    canonical_query = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted((query or {}).items()))
    canonical_headers = "".join(f"{n}:{headers[n].strip()}\n" for n in names)
    signed = ";".join(names)
    canonical_request = "\n".join(
        [method, path, canonical_query, canonical_headers, signed, headers["x-acs-content-sha256"]]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode()).hexdigest()
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={signed},Signature={signature}"
    )
    return headers


# --------------------------------------------------------------------------- Huawei


def huawei_headers(
    access_key_id: str,
    secret: str,
    *,
    host: str,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    date: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers of an SDK-HMAC-SHA256 request, ``Authorization`` included.

    ``path`` is the path as sent (percent-encoded where needed).
    """
    headers = {
        "host": host,
        "content-type": "application/json",
        "x-sdk-date": date or huawei_time(),
    }
    headers.update({k.lower(): v for k, v in (extra or {}).items()})
    names = sorted(headers)
    segments = [pct(unquote(s)) for s in path.split("/")]
    uri = "/".join(segments)
    uri = uri if uri.endswith("/") else uri + "/"
    canonical_query = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(query))
    canonical_headers = "".join(f"{n}:{headers[n].strip()}\n" for n in names)
    signed = ";".join(names)
    payload = hashlib.sha256(body).hexdigest()
    canonical_request = "\n".join(
        [method, uri, canonical_query, canonical_headers, signed, payload]
    )
    to_sign = "SDK-HMAC-SHA256\n{}\n{}".format(
        headers["x-sdk-date"], hashlib.sha256(canonical_request.encode()).hexdigest()
    )
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"SDK-HMAC-SHA256 Access={access_key_id}, SignedHeaders={signed}, Signature={signature}"
    )
    return headers
