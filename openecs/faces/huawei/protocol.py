"""The Huawei REST wire: routes, SDK-HMAC-SHA256 authentication, project scoping, rendering.

Each declared operation becomes one route. A request is authenticated by its
signature, its project id (in the path, or the ``X-Project-Id`` header for
services without one) must belong to the caller and names the region, then
the query and the JSON body are checked against the declarations. Every
answer carries ``X-Request-Id``; refusals use the service's error shape.
"""

from __future__ import annotations

import calendar
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openecs.core import catalog
from openecs.core.accounts import DEFAULT_HUAWEI_REGION, Account, region_of_project
from openecs.core.errors import DomainError
from openecs.core.ids import huawei_request_id
from openecs.faces.call import Call
from openecs.faces.encoding import to_json
from openecs.faces.errors import VendorError
from openecs.faces.huawei import errors as E
from openecs.faces.huawei import signing
from openecs.faces.huawei.operations import HuaweiArgs, HuaweiOperation, load_all
from openecs.faces.params import LIST, loads_json, plausible_access_key, storable
from openecs.runtime import Runtime

log = logging.getLogger("openecs.huawei")



@dataclass(frozen=True)
class WireRequest:
    method: str
    raw_path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    path_params: dict[str, str]


class HuaweiFace:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.operations = load_all()

    def routes(self) -> list[Route]:
        """One route per operation, literal segments before parameters at each position.

        Starlette tries routes in order, so ``/cloudservers/flavors`` must come
        before ``/cloudservers/{server_id}`` whatever order the modules loaded in.
        """

        def specificity(op: HuaweiOperation) -> tuple[int, ...]:
            return tuple(int(seg.startswith("{")) for seg in op.path.split("/"))

        return [
            Route(op.path, self._endpoint_for(op), methods=[op.method], name=f"huawei:{op.name}")
            for op in sorted(self.operations, key=specificity)
        ]

    def _endpoint_for(self, op: HuaweiOperation):  # noqa: ANN202
        async def endpoint(request: Request) -> Response:
            body = await request.body()
            wire = WireRequest(
                method=request.method,
                raw_path=request.scope.get("raw_path", b"").decode("latin-1").split("?")[0]
                or request.url.path,
                query=parse_qsl(
                    request.scope["query_string"].decode("latin-1"), keep_blank_values=True
                ),
                headers={
                    k.decode("latin-1"): v.decode("latin-1") for k, v in request.scope["headers"]
                },
                body=body,
                path_params=dict(request.path_params),
            )
            if self.runtime.answers_inline:
                status, payload, request_id = self.handle(op, wire)
            else:
                status, payload, request_id = await run_in_threadpool(self.handle, op, wire)
            return render(status, payload, request_id)

        return endpoint

    # -- from wire to answer
    def handle(self, op: HuaweiOperation, wire: WireRequest) -> tuple[int, Any, str]:
        request_id = huawei_request_id()
        # The gateway refuses authentication and project scoping in its own shape, whatever
        # the service; past it, refusals take the service's shape.
        shape = E.gateway_shape
        try:
            account = self.authenticate(wire)
            region = self.region_for(op, wire, account)
            shape = op.service.shape
            for name, value in wire.path_params.items():
                if not storable(value):
                    op.service.params.invalid.raise_(name, value)
            args = HuaweiArgs(
                path=wire.path_params,
                query=op.query_checker.check_flat(flat_query(op, wire.query)),
                body=op.body_checker.check_json(decode_body(op, wire.body)),
                headers=wire.headers,
            )
            call = Call(
                runtime=self.runtime,
                account=account,
                request_id=request_id,
                region_id=region,
                headers=wire.headers,
            )
            result = op.handler(call, args)
            if isinstance(result, tuple):
                return result[0], result[1], request_id
            return op.status, result, request_id
        except VendorError as err:
            return err.status, _error_body(err, request_id, shape), request_id
        except DomainError as derr:
            err = E.from_domain(derr, op.service.name, op.service.params.invalid.code)
            return err.status, _error_body(err, request_id, shape), request_id
        except Exception:
            log.exception("unhandled error in Huawei request %s", request_id)
            err = E.vendor(E.INTERNAL_ERROR)
            return err.status, _error_body(err, request_id, E.gateway_shape), request_id

    # -- authentication and scoping
    def authenticate(self, wire: WireRequest) -> Account:
        header = wire.headers.get("authorization")
        if not header:
            raise E.vendor(E.AUTH_MISSING)
        parts = signing.parse_authorization(header)
        if parts is None:
            raise E.vendor(E.AUTH_MALFORMED)
        account = (
            self.runtime.account_by_access_key(parts["Access"])
            if plausible_access_key(parts["Access"])
            else None
        )
        if account is None:
            raise E.vendor(E.AK_NOT_FOUND, value=parts["Access"])
        sdk_date = wire.headers.get("x-sdk-date", "")
        to_sign = signing.string_to_sign(
            wire.method,
            wire.raw_path,
            wire.query,
            wire.headers,
            parts["SignedHeaders"],
            signing.payload_hash(wire.body, wire.headers),
            sdk_date,
        )
        expected = signing.signature(account.access_key_secret, to_sign)
        if not _equal(expected, parts["Signature"]):
            raise E.vendor(E.SIGNATURE_MISMATCH)
        try:
            when = calendar.timegm(time.strptime(sdk_date, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            raise E.vendor(E.DATE_INVALID, value=repr(sdk_date)) from None
        if abs(time.time() - when) > self.runtime.settings.signature_window_seconds:
            raise E.vendor(E.DATE_INVALID, value=sdk_date)
        return account

    def region_for(self, op: HuaweiOperation, wire: WireRequest, account: Account) -> str:
        """The region of the project the request names; it must be the caller's."""
        project_id = wire.path_params.get("project_id") if op.service.project_in_path else None
        if project_id is None:
            project_id = wire.headers.get("x-project-id")
        if project_id is None:
            return DEFAULT_HUAWEI_REGION
        region = region_of_project(account, project_id)
        if region is None or catalog.huawei().region(region) is None:
            raise E.vendor(E.PROJECT_MISMATCH, value=project_id)
        return region


def _equal(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def flat_query(op: HuaweiOperation, pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Query pairs as flat text parameters; a declared list (or a repeated key) becomes ``k.1, k.2``."""
    lists = {p.name for p in op.query if p.type == LIST}
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    flat: dict[str, str] = {}
    for key, values in grouped.items():
        if key in lists:
            for i, value in enumerate(values, 1):
                flat[f"{key}.{i}"] = value
        else:
            flat[key] = values[-1]
    return flat


def decode_body(op: HuaweiOperation, body: bytes) -> dict[str, Any]:
    if not op.body or not body.strip():
        return {}
    try:
        decoded = loads_json(body)
    except (ValueError, UnicodeDecodeError):
        raise VendorError(
            400,
            op.service.params.invalid.code,
            "Request parameter error. The request body is not valid JSON.",
        ) from None
    if not isinstance(decoded, dict):
        raise VendorError(
            400,
            op.service.params.invalid.code,
            "Request parameter error. The request body must be a JSON object.",
        )
    return decoded


def _error_body(err: VendorError, request_id: str, shape: E.Shape) -> dict[str, Any]:
    return shape(err.code, err.message, request_id)


def render(status: int, payload: Any, request_id: str) -> Response:
    content = b"" if payload is None else to_json(payload)
    return Response(
        content,
        status_code=status,
        media_type="application/json;charset=utf-8" if payload is not None else None,
        headers={"X-Request-Id": request_id},
    )


def not_found_response() -> Response:
    """The gateway's answer for a path no operation serves."""
    request_id = huawei_request_id()
    err = E.vendor(E.API_NOT_FOUND)
    return render(err.status, E.gateway_shape(err.code, err.message, request_id), request_id)
