"""No malformed request produces a 5xx: properly signed random requests at every registered
operation of both faces answer 2xx, or 4xx with a vendor code in the vendor's envelope.

Requests are signed (RPC HMAC-SHA1 for Alibaba, SDK-HMAC-SHA256 for Huawei) with the tenant's
key, so they pass authentication and reach the parameter checks and the handlers. Parameters
mix the declared names (flattened for Alibaba: ``Tag.1.Key``), with plausible or hostile
values, and random names. The registries are iterated, so new operations are fuzzed as soon
as they are declared. Runs on the SQLite server only, with a modest number of examples.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from openecs.core import catalog
from openecs.faces.aliyun.operations import AliyunOperation
from openecs.faces.aliyun.operations import load_all as load_aliyun
from openecs.faces.huawei.operations import HuaweiOperation
from openecs.faces.huawei.operations import load_all as load_huawei
from openecs.faces.params import ANY, BOOLEAN, FLOAT, INTEGER, JSON, LIST, STRUCT, Param
from tests import signers
from tests.servers import InProcessServer, Tenant

ALIYUN_OPS: list[AliyunOperation] = sorted(
    load_aliyun().values(), key=lambda o: (o.version, o.action)
)
HUAWEI_OPS: list[HuaweiOperation] = sorted(load_huawei(), key=lambda o: (o.path, o.method))
ENVELOPE_KEYS = {"RequestId", "HostId", "Code", "Message", "Recommend"}
VENDOR_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]*")

# A fixed budget of requests shared by the operations, so the file stays fast as they multiply.
EXAMPLES_PER_OPERATION = max(5, min(15, 600 // max(1, len(ALIYUN_OPS) + len(HUAWEI_OPS))))
FUZZ = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------- values

# Text that can travel percent-encoded in a URL: any code point but lone surrogates.
WIRE_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=24)
# fmt: off
HOSTILE_VALUES = [
    " ", "\x00", "0", "-1", "+1", "1.5", "1e309", "NaN", "-Infinity", "true", "FALSE",
    str(2**63), str(-(2**63) - 1), "9" * 400, "[]", "{}", "[" * 200, '["a",1,null]',
    '{"a":[1,{"b":2}]}', "null", "é" * 300, "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "a" * 5000, "%00", "../..",
    "i-" + "z" * 20, "cn-hangzhou", "cn-north-4",
]
# fmt: on
HOSTILE = st.sampled_from(["", *HOSTILE_VALUES])
RANDOM_TEXT = st.one_of(WIRE_TEXT, HOSTILE, st.integers().map(str))
PATH_SEGMENT = st.one_of(
    st.uuids().map(str), WIRE_TEXT.filter(bool), st.sampled_from(HOSTILE_VALUES)
)
# Real values for the parameters most operations scope by, so requests get past them.
KNOWN_TEXT: dict[str, list[str]] = {
    "RegionId": catalog.aliyun().region_ids()[:3],
    "ZoneId": [z for r in catalog.aliyun().region_ids()[:1] for z in catalog.aliyun().zone_ids(r)],
}


def mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``usual`` three times in four, so that requests with one odd value get past the others."""
    return st.sampled_from([True, True, True, False]).flatmap(lambda u: usual if u else odd)


def plausible_text(p: Param) -> st.SearchStrategy[str]:
    """A text value of the declared type, so some requests pass the checks and reach handlers."""
    if KNOWN_TEXT.get(p.name):
        return st.sampled_from(KNOWN_TEXT[p.name])
    if p.enum:
        return st.sampled_from([str(e) for e in p.enum])
    if p.type == INTEGER:
        lo = -(2**63) if p.minimum is None else int(p.minimum)
        hi = 2**63 - 1 if p.maximum is None else int(p.maximum)
        return st.integers(lo, hi).map(str)
    if p.type == BOOLEAN:
        return st.sampled_from(["true", "false", "True", "False"])
    if p.type == FLOAT:
        return st.floats(allow_nan=False, allow_infinity=False).map(repr)
    if p.type == JSON:
        return st.lists(WIRE_TEXT, max_size=3).map(json.dumps)
    return WIRE_TEXT


def flat_names(
    p: Param, base: str | None = None, depth: int = 0
) -> st.SearchStrategy[tuple[str, Param]]:
    """One flattened name of a declared parameter (``Tag.2.Key``), with the leaf it names."""
    name = p.name if base is None else base
    if depth > 3:
        return st.just((name, p))
    if p.type == LIST and p.items is not None:
        item = p.items
        index = st.sampled_from(["1", "2", "3", "0", "x"])
        nested = index.flatmap(lambda i: flat_names(item, f"{name}.{i}", depth + 1))
        return st.one_of(nested, st.just((name, p)))
    if p.type == STRUCT and p.fields:
        return st.sampled_from(p.fields).flatmap(
            lambda f: flat_names(f, f"{name}.{f.name}", depth + 1)
        )
    return st.just((name, p))


@st.composite
def aliyun_params(draw: st.DrawFn, op: AliyunOperation) -> dict[str, str]:
    params: dict[str, str] = {}
    for p in op.params:
        if p.required or draw(st.booleans()):
            name, leaf = draw(flat_names(p))
            params[name] = draw(mostly(plausible_text(leaf), RANDOM_TEXT))
    for _ in range(draw(st.integers(0, 3))):
        params[draw(WIRE_TEXT.filter(bool))] = draw(RANDOM_TEXT)
    return params


# JSON values for Huawei bodies: lone surrogates are legal JSON escapes, so they are included.
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**64, -(2**63) - 1, 10**30]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=16),
    HOSTILE,
    st.sampled_from(["\ud800", "a\x00b"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def plausible_json(p: Param, depth: int = 0) -> st.SearchStrategy[Any]:
    if p.enum:
        return st.sampled_from(list(p.enum))
    if p.type == INTEGER:
        lo = None if p.minimum is None else int(p.minimum)
        hi = None if p.maximum is None else int(p.maximum)
        return st.integers(lo, hi)
    if p.type == BOOLEAN:
        return st.booleans()
    if p.type == FLOAT:
        return st.floats(allow_nan=False, allow_infinity=False)
    if p.type in (ANY, JSON) or depth > 3:
        return JSON_VALUES
    if p.type == LIST and p.items is not None:
        return st.lists(json_value(p.items, depth + 1), max_size=3)
    if p.type == STRUCT:
        return st.fixed_dictionaries(
            {}, optional={f.name: json_value(f, depth + 1) for f in p.fields}
        )
    return st.text(max_size=24)


def json_value(p: Param, depth: int = 0) -> st.SearchStrategy[Any]:
    return mostly(plausible_json(p, depth), JSON_VALUES)


@st.composite
def huawei_body(draw: st.DrawFn, op: HuaweiOperation) -> bytes:
    kind = draw(st.sampled_from(["declared", "declared", "declared", "json", "garbage"]))
    if kind == "garbage":
        return draw(
            st.sampled_from([b"{", b"[" * 5000, b"\xff\xfe", b"null", b"[]", b'"x"', b"{}"])
        )
    if kind == "json":
        return json.dumps(draw(JSON_VALUES)).encode()
    body = {p.name: draw(json_value(p)) for p in op.body if p.required or draw(st.booleans())}
    return json.dumps(body).encode()


@st.composite
def huawei_query(draw: st.DrawFn, op: HuaweiOperation) -> list[tuple[str, str]]:
    query: list[tuple[str, str]] = []
    for p in op.query:
        if draw(st.booleans()):
            leaf = p.items if p.type == LIST and p.items is not None else p
            for _ in range(draw(st.integers(1, 2))):
                query.append((p.name, draw(mostly(plausible_text(leaf), RANDOM_TEXT))))
    for _ in range(draw(st.integers(0, 2))):
        query.append((draw(WIRE_TEXT.filter(bool)), draw(RANDOM_TEXT)))
    return query


@st.composite
def huawei_path(draw: st.DrawFn, op: HuaweiOperation, tenant: Tenant) -> str:
    def fill(m: re.Match[str]) -> str:
        if m.group(1) == "project_id" and draw(st.sampled_from([True] * 7 + [False])):
            return tenant.project_id()
        return signers.pct(draw(PATH_SEGMENT))

    return re.sub(r"\{(\w+)(?::\w+)?\}", fill, op.path)


# --------------------------------------------------------------------------- answers


def assert_aliyun_answer(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    body = response.json()
    event(f"{response.status_code} {body.get('Code', '')}")  # --hypothesis-show-statistics
    assert isinstance(body, dict) and body.get("RequestId"), response.text
    if response.status_code >= 400:
        assert set(body) == ENVELOPE_KEYS, response.text
        assert VENDOR_CODE.fullmatch(body["Code"]), response.text


def huawei_code(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    if len(body) == 1:  # Nova's form: {"itemNotFound": {"message": ..., "code": 404}}
        ((fault, inner),) = body.items()
        if isinstance(inner, dict) and set(inner) == {"message", "code"}:
            return fault
    if isinstance(body.get("error"), dict):
        return body["error"].get("code")
    return body.get("error_code") or body.get("code")


def assert_huawei_answer(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert response.headers.get("X-Request-Id"), response.headers
    event(str(response.status_code))  # --hypothesis-show-statistics
    if response.status_code >= 400:
        code = huawei_code(response.json())
        event(f"{response.status_code} {code}")
        assert code and VENDOR_CODE.fullmatch(code), response.text


# --------------------------------------------------------------------------- the fuzzers


@pytest.fixture(scope="module")
def fuzz_tenant(sqlite_server: InProcessServer) -> Tenant:
    return sqlite_server.new_tenant()


@pytest.mark.parametrize("op", ALIYUN_OPS, ids=lambda o: f"{o.product}.{o.action}")
@FUZZ
@given(data=st.data())
def test_signed_random_parameters_never_cause_a_5xx_at_an_alibaba_action(fuzz_tenant, op, data):
    params = data.draw(aliyun_params(op))
    method = data.draw(st.sampled_from(["POST", "GET"]))
    signed = signers.rpc_signed(
        fuzz_tenant.ak, fuzz_tenant.sk, op.action, params, method=method, version=op.version
    )
    url = f"{fuzz_tenant.url}/?{signers.encode_pairs(signed.items())}"
    assert_aliyun_answer(httpx.request(method, url, timeout=30))


@FUZZ
@given(
    action=st.one_of(st.sampled_from([o.action for o in ALIYUN_OPS]), WIRE_TEXT),
    version=st.sampled_from([signers.ECS_VERSION, signers.VPC_VERSION, "", "2099-01-01"]),
    params=st.dictionaries(WIRE_TEXT.filter(bool), RANDOM_TEXT, max_size=6),
)
def test_signed_random_actions_and_names_never_cause_a_5xx(fuzz_tenant, action, version, params):
    signed = signers.rpc_signed(fuzz_tenant.ak, fuzz_tenant.sk, action, params, version=version)
    body = signers.encode_pairs(signed.items()).encode()
    response = httpx.post(
        f"{fuzz_tenant.url}/",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert_aliyun_answer(response)


@pytest.mark.parametrize("op", HUAWEI_OPS, ids=lambda o: f"{o.method} {o.path}")
@FUZZ
@given(data=st.data())
def test_signed_random_requests_never_cause_a_5xx_at_a_huawei_route(fuzz_tenant, op, data):
    path = data.draw(huawei_path(op, fuzz_tenant))
    query = data.draw(huawei_query(op))
    body = data.draw(huawei_body(op)) if op.method in ("POST", "PUT", "PATCH") else b""
    headers = signers.huawei_headers(
        fuzz_tenant.ak,
        fuzz_tenant.sk,
        host=fuzz_tenant.endpoint,
        method=op.method,
        path=path,
        query=query,
        body=body,
        extra={"X-Project-Id": fuzz_tenant.project_id()},
    )
    suffix = f"?{signers.encode_pairs(query)}" if query else ""
    response = httpx.request(
        op.method, f"{fuzz_tenant.url}{path}{suffix}", headers=headers, content=body, timeout=30
    )
    assert_huawei_answer(response)
