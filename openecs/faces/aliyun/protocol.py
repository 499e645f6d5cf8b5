"""The Alibaba RPC wire: parse, authenticate, dispatch on (version, action), render.

One endpoint, ``/`` on GET and POST, serves ECS 2014-05-26 and VPC 2016-04-28.
The query string and a form-encoded body are merged into one flat parameter
dict; the operation comes from the ``x-acs-action``/``x-acs-version`` headers
(Tea SDK) or the ``Action``/``Version`` parameters (legacy SDK, v2 signing).
Every answer is a JSON object carrying ``RequestId``; every refusal has the
vendor envelope ``{RequestId, HostId, Code, Message, Recommend}``.
"""

from __future__ import annotations

import datetime
import logging
import re
import time
from typing import Any, NamedTuple

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from openecs.core.accounts import Account
from openecs.core.errors import DomainError
from openecs.core.ids import aliyun_request_id
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun import signing
from openecs.faces.aliyun.operations import VERSIONS, AliyunOperation, load_all
from openecs.faces.call import Call
from openecs.faces.digests import sha256_hex
from openecs.faces.encoding import parse_query, to_json
from openecs.faces.errors import VendorError
from openecs.faces.params import plausible_access_key
from openecs.runtime import Runtime

log = logging.getLogger("openecs.aliyun")

# YYYY-MM-DDTHH:MM:SSZ, the only timestamp form both SDKs send (ASCII digits only).
_ISO_UTC = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")

# Parameters of the RPC protocol itself, never handed to an operation.
PROTOCOL_PARAMS = frozenset(
    {
        "Action",
        "Version",
        "Format",
        "Timestamp",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "SignatureType",
        "AccessKeyId",
        "Signature",
        "SecurityToken",
        "BearerToken",
    }
)


def _epoch_seconds(stamp: str) -> float:
    """A request's ``YYYY-MM-DDTHH:MM:SSZ`` as seconds since the epoch; refused if malformed."""
    if not _ISO_UTC.fullmatch(stamp):
        raise E.vendor(E.TIMESTAMP_FORMAT)
    try:
        return datetime.datetime(
            int(stamp[0:4]),
            int(stamp[5:7]),
            int(stamp[8:10]),
            int(stamp[11:13]),
            int(stamp[14:16]),
            int(stamp[17:19]),
            tzinfo=datetime.UTC,
        ).timestamp()
    except ValueError:
        raise E.vendor(E.TIMESTAMP_FORMAT) from None


class WireRequest(NamedTuple):
    """The parts of an HTTP request the Alibaba face reads, decoded once (a tuple: made per call)."""

    method: str
    path: str
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes


class AliyunFace:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.operations = load_all()
        self._last_stamp: tuple[str | None, float] = (None, 0.0)  # the last valid stamp read

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The face as a bare ASGI app for ``/``: no framework between the server and the wire."""
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        body = b""
        # A request without a body (most: the SDKs send parameters in the query) has nothing
        # to receive; asking the server for it would only cost a round of its bookkeeping.
        more = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        query = parse_query(scope["query_string"].decode("latin-1"))
        form: list[tuple[str, str]] = []
        if body and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = parse_query(body.decode("utf-8", "replace"))
        wire = WireRequest(scope["method"], scope["path"], query, form, headers, body)
        if self.runtime.answers_inline:
            status, payload = self.handle(wire)
        else:
            status, payload = await run_in_threadpool(self.handle, wire)
        content = to_json(payload)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json;charset=utf-8"),
                    (b"content-length", str(len(content)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})

    # -- the request, from wire to answer
    def handle(self, wire: WireRequest) -> tuple[int, dict[str, Any]]:
        request_id = aliyun_request_id()
        product = "Ecs"
        try:
            params = dict(wire.query)  # a name sent twice: the last counts, the form over the query
            params.update(wire.form)
            version = wire.headers.get("x-acs-version") or params.get("Version")
            action = wire.headers.get("x-acs-action") or params.get("Action")
            if not version:
                raise E.vendor(E.MISSING_AUTH, name="Version")
            if version not in VERSIONS:
                raise E.vendor(E.INVALID_VERSION)
            product = VERSIONS[version]
            if not action:
                raise E.vendor(E.MISSING_AUTH, name="Action")
            account = self.authenticate(wire, params)
            op = self.operations.get((version, action))
            if op is None:
                raise E.vendor(E.INVALID_ACTION)
            return 200, self.run(op, account, params, wire, request_id)
        except VendorError as err:
            return err.status, self.error_body(err, request_id, product)
        except DomainError as derr:
            err = E.from_domain(derr)
            return err.status, self.error_body(err, request_id, product)
        except Exception:
            log.exception("unhandled error in Alibaba request %s", request_id)
            err = E.vendor(E.INTERNAL_ERROR)
            return err.status, self.error_body(err, request_id, product)

    def run(
        self,
        op: AliyunOperation,
        account: Account,
        params: dict[str, str],
        wire: WireRequest,
        request_id: str,
    ) -> dict[str, Any]:
        business = {k: v for k, v in params.items() if k not in PROTOCOL_PARAMS}
        values = op.checker.check_flat(business)
        call = Call(
            runtime=self.runtime,
            account=account,
            request_id=request_id,
            region_id=values.get("RegionId"),
            headers=wire.headers,
            extra={"params": business},  # as sent: a launch template fills what is absent
        )
        result = op.handler(call, values)
        return {"RequestId": request_id, **result}

    @staticmethod
    def error_body(err: VendorError, request_id: str, product: str) -> dict[str, Any]:
        return {
            "RequestId": request_id,
            "HostId": f"{product.lower()}.aliyuncs.com",
            "Code": err.code,
            "Message": err.message,
            "Recommend": (
                f"https://api.aliyun.com/troubleshoot?q={err.code}&product={product}"
                f"&requestId={request_id}"
            ),
        }

    # -- authentication
    def authenticate(self, wire: WireRequest, params: dict[str, str]) -> Account:
        auth = wire.headers.get("authorization", "")
        if auth.startswith("ACS3-"):
            return self._verify_acs3(wire, auth)
        if "Signature" in params or "AccessKeyId" in params:
            return self._verify_rpc(wire, params)
        raise E.vendor(E.MISSING_AUTH, name="AccessKeyId")

    def _account(self, access_key_id: str) -> Account:
        if not plausible_access_key(access_key_id):
            raise E.vendor(E.ACCESS_KEY_NOT_FOUND)
        account = self.runtime.account_by_access_key(access_key_id)
        if account is None:
            raise E.vendor(E.ACCESS_KEY_NOT_FOUND)
        return account

    def _check_time(self, stamp: str) -> None:
        last_stamp, when = self._last_stamp  # the calls of one second share their stamp
        if stamp != last_stamp:
            when = _epoch_seconds(stamp)
            self._last_stamp = (stamp, when)
        now = time.time()
        if abs(now - when) > self.runtime.settings.signature_window_seconds:
            raise E.vendor(
                E.TIMESTAMP_EXPIRED,
                value=stamp,
                now=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            )

    def _check_nonce(self, account: Account, nonce: str | None) -> None:
        """Claim the nonce for this access key; its digest is stored, so any length and byte fit."""
        if not nonce:
            raise E.vendor(E.MISSING_AUTH, name="SignatureNonce")
        key = sha256_hex(f"{account.access_key_id}\n{nonce}".encode("utf-8", "replace"))
        if not self.runtime.claim_nonce(key[:32]):  # 128 bits identify it
            raise E.vendor(E.NONCE_USED)

    def _verify_acs3(self, wire: WireRequest, header: str) -> Account:
        parts = signing.parse_acs3_authorization(header)
        if parts is None:
            raise E.vendor(E.INCOMPLETE_SIGNATURE, value="The Authorization header is malformed.")
        account = self._account(parts["Credential"])
        payload_hash = sha256_hex(wire.body) if wire.body else signing.EMPTY_SHA256
        if wire.headers.get("x-acs-content-sha256", payload_hash) != payload_hash:
            raise E.vendor(E.CONTENT_SHA_MISMATCH)
        signed = parts["SignedHeaders"]
        if "host" not in signed.split(";"):
            raise E.vendor(E.INCOMPLETE_SIGNATURE, value="The host header must be signed.")
        string_to_sign = signing.acs3_string_to_sign(
            wire.method, wire.path, wire.query, wire.headers, signed, payload_hash
        )
        expected = signing.acs3_signature(account.access_key_secret, string_to_sign)
        if not signing.constant_time_equal(expected, parts["Signature"]):
            raise E.vendor(E.SIGNATURE_MISMATCH, value=string_to_sign)
        self._check_time(wire.headers.get("x-acs-date", ""))
        self._check_nonce(account, wire.headers.get("x-acs-signature-nonce"))
        return account

    def _verify_rpc(self, wire: WireRequest, params: dict[str, str]) -> Account:
        for name in ("AccessKeyId", "Signature", "Timestamp"):
            if not params.get(name):
                raise E.vendor(E.MISSING_AUTH, name=name)
        method = params.get("SignatureMethod", "HMAC-SHA1")
        if method != "HMAC-SHA1":
            raise E.vendor(E.UNSUPPORTED_SIGNATURE, value=method)
        account = self._account(params["AccessKeyId"])
        string_to_sign = signing.rpc_string_to_sign(wire.method, [*wire.query, *wire.form])
        expected = signing.rpc_signature(account.access_key_secret, string_to_sign)
        if not signing.constant_time_equal(expected, params["Signature"]):
            raise E.vendor(E.SIGNATURE_MISMATCH, value=string_to_sign)
        self._check_time(params["Timestamp"])
        self._check_nonce(account, params.get("SignatureNonce"))
        return account


def not_found_response() -> Response:
    """The answer for a path or method the RPC wire does not serve (only ``/`` on GET and POST)."""
    request_id = aliyun_request_id()
    err = E.vendor(E.INVALID_ACTION)
    body = AliyunFace.error_body(err, request_id, "Ecs")
    return Response(
        to_json(body),
        status_code=err.status,
        media_type="application/json;charset=utf-8",
    )
