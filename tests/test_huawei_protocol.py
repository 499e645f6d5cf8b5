"""The Huawei REST wire behaves like the vendor's gateway: the SDK finds its project and signs
its way in; a wrong secret, an unknown key, a stale X-Sdk-Date, a missing Authorization and
another tenant's project are refused with 401 and an APIGW code; every answer, refusals and
unknown routes included, carries X-Request-Id.

Hand-built requests are signed with tests/signers.py, written apart from the server's verifier.
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import SdkException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkecs.v2 import EcsClient

from openecs.faces.huawei.operations import load_all
from tests import signers
from tests.servers import Tenant

PROJECTS = "/v3/projects"
SIXTEEN_MINUTES = 16 * 60
REQUEST_ID = re.compile(r"[0-9a-f]{32}")


def get(
    tenant: Tenant,
    path: str,
    query: list[tuple[str, str]] | None = None,
    *,
    ak: str | None = None,
    sk: str | None = None,
    **kw,
) -> httpx.Response:
    query = query or []
    headers = signers.huawei_headers(
        ak or tenant.ak,
        sk or tenant.sk,
        host=tenant.endpoint,
        method="GET",
        path=path,
        query=query,
        **kw,
    )
    suffix = f"?{signers.encode_pairs(query)}" if query else ""
    return httpx.get(f"{tenant.url}{path}{suffix}", headers=headers)


def gateway_refusal(response: httpx.Response, status: int, code: str) -> dict:
    body = response.json()
    assert (response.status_code, body.get("error_code")) == (status, code), response.text
    assert REQUEST_ID.fullmatch(response.headers["X-Request-Id"])
    return body


def sdk_builder(tenant: Tenant, secret: str | None = None):  # noqa: ANN201
    """An ECS client configured by region only, so that building it asks IAM for the project."""
    creds = BasicCredentials(tenant.ak, secret or tenant.sk).with_iam_endpoint(tenant.url)
    return (
        EcsClient.new_builder()
        .with_http_config(HttpConfig.get_default_config())
        .with_credentials(creds)
        .with_region(Region("cn-north-4", tenant.url))
    ), creds


def project_scoped_route(filler: str | None = None) -> tuple[str, str] | None:
    """A registered GET path that carries the project id, its other parameters filled in
    (with ``filler`` if given, and then only a path with another parameter qualifies)."""
    for op in load_all():
        others = [n for n in re.findall(r"\{(\w+)", op.path) if n != "project_id"]
        if op.method != "GET" or "{project_id}" not in op.path or (filler and not others):
            continue
        path = re.sub(
            r"\{(\w+)(?::\w+)?\}",
            lambda m: "{project_id}" if m.group(1) == "project_id" else filler or str(uuid.uuid4()),
            op.path,
        )
        return path, op.method
    return None


# --------------------------------------------------------------------------- accepted


def test_sdk_configured_by_region_discovers_its_project_id(tenant):
    builder, creds = sdk_builder(tenant)
    builder.build()
    assert creds.project_id == tenant.project_id("cn-north-4")


def test_hand_signed_project_lookup_by_region_name_answers_one_project(tenant):
    response = get(tenant, PROJECTS, [("name", "cn-north-4")])
    assert response.status_code == 200, response.text
    assert [p["id"] for p in response.json()["projects"]] == [tenant.project_id("cn-north-4")]


def test_success_carries_x_request_id(tenant):
    response = get(tenant, PROJECTS)
    assert response.status_code == 200
    assert REQUEST_ID.fullmatch(response.headers["X-Request-Id"])


def test_x_sdk_date_fourteen_minutes_old_is_still_accepted(tenant):
    assert get(tenant, PROJECTS, date=signers.huawei_time(-14 * 60)).status_code == 200


# --------------------------------------------------------------------------- refused


def test_wrong_secret_is_refused_with_401(tenant):
    gateway_refusal(get(tenant, PROJECTS, sk="not-the-secret"), 401, "APIGW.0301")


def test_sdk_with_wrong_secret_fails_to_discover_its_project(tenant):
    builder, _ = sdk_builder(tenant, secret="not-the-secret")
    with pytest.raises(SdkException) as info:
        builder.build()
    assert "APIGW.0301" in str(info.value)


def test_unknown_access_key_is_refused_with_401(tenant):
    gateway_refusal(get(tenant, PROJECTS, ak="NOBODYHASTHISKEY"), 401, "APIGW.0301")


@pytest.mark.parametrize("offset", [-SIXTEEN_MINUTES, SIXTEEN_MINUTES], ids=["past", "future"])
def test_x_sdk_date_more_than_fifteen_minutes_off_is_refused_with_401(tenant, offset):
    response = get(tenant, PROJECTS, date=signers.huawei_time(offset))
    gateway_refusal(response, 401, "APIGW.0301")


def test_malformed_x_sdk_date_is_refused_with_401(tenant):
    gateway_refusal(get(tenant, PROJECTS, date="2024-01-01T00:00:00Z"), 401, "APIGW.0301")


def test_missing_authorization_is_refused_with_401(tenant):
    gateway_refusal(httpx.get(f"{tenant.url}{PROJECTS}"), 401, "APIGW.0301")


def test_malformed_authorization_is_refused_with_401(tenant):
    response = httpx.get(f"{tenant.url}{PROJECTS}", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    gateway_refusal(response, 401, "APIGW.0301")


def test_query_changed_after_signing_is_refused_with_401(tenant):
    headers = signers.huawei_headers(
        tenant.ak,
        tenant.sk,
        host=tenant.endpoint,
        method="GET",
        path=PROJECTS,
        query=[("name", "cn-north-4")],
    )
    response = httpx.get(f"{tenant.url}{PROJECTS}?name=cn-south-1", headers=headers)
    gateway_refusal(response, 401, "APIGW.0301")


def test_another_tenants_project_in_x_project_id_is_refused_with_401(server, tenant):
    other = server.new_tenant()
    response = get(tenant, PROJECTS, extra={"X-Project-Id": other.project_id()})
    gateway_refusal(response, 401, "APIGW.0301")


def test_another_tenants_project_in_the_path_is_refused_with_401(server, tenant):
    route = project_scoped_route()
    if route is None:
        pytest.skip("no project-scoped Huawei operation is registered yet")
    path, method = route
    other = server.new_tenant()
    concrete = path.replace("{project_id}", other.project_id())
    headers = signers.huawei_headers(
        tenant.ak,
        tenant.sk,
        host=tenant.endpoint,
        method=method,
        path=concrete,
        body=b"{}" if method in ("POST", "PUT") else b"",
    )
    response = httpx.request(
        method,
        f"{tenant.url}{concrete}",
        headers=headers,
        content=b"{}" if method in ("POST", "PUT") else b"",
    )
    body = gateway_refusal(response, 401, "APIGW.0301")
    assert set(body) == {"error_code", "error_msg", "request_id"}


def test_wrong_secret_at_a_service_route_answers_in_the_gateway_shape(tenant):
    route = project_scoped_route()
    if route is None:
        pytest.skip("no project-scoped Huawei operation is registered yet")
    path, method = route
    concrete = path.replace("{project_id}", tenant.project_id())
    headers = signers.huawei_headers(
        tenant.ak, "not-the-secret", host=tenant.endpoint, method=method, path=concrete
    )
    response = httpx.request(method, f"{tenant.url}{concrete}", headers=headers)
    body = gateway_refusal(response, 401, "APIGW.0301")
    assert body["request_id"] == response.headers["X-Request-Id"]


def test_path_parameter_with_a_nul_byte_is_refused_as_a_parameter_error(tenant):
    route = project_scoped_route(filler="%00")
    if route is None:
        pytest.skip("no Huawei GET operation with a resource id in its path is registered yet")
    path, _ = route
    response = get(tenant, path.replace("{project_id}", tenant.project_id()))
    assert response.status_code == 400, response.text
    assert REQUEST_ID.fullmatch(response.headers["X-Request-Id"])


# --------------------------------------------------------------------------- routing


def test_unknown_route_answers_404_apigw_0101(tenant):
    response = httpx.get(f"{tenant.url}/v1/{tenant.project_id()}/unicorns")
    body = gateway_refusal(response, 404, "APIGW.0101")
    assert body["request_id"] == response.headers["X-Request-Id"]
    assert set(body) == {"error_code", "error_msg", "request_id"}


def test_unknown_method_on_a_known_route_answers_404_apigw_0101(tenant):
    gateway_refusal(httpx.delete(f"{tenant.url}{PROJECTS}"), 404, "APIGW.0101")


def test_every_answer_carries_a_distinct_x_request_id(tenant):
    answers = [
        get(tenant, PROJECTS),
        get(tenant, PROJECTS, sk="wrong"),
        httpx.get(f"{tenant.url}{PROJECTS}"),
        httpx.get(f"{tenant.url}/v2/nothing/here"),
        httpx.post(f"{tenant.url}/v3/projects"),
    ]
    ids = [a.headers.get("X-Request-Id") for a in answers]
    assert all(ids), [(a.status_code, a.text) for a in answers]
    assert len(set(ids)) == len(answers)


def test_an_unknown_api_version_path_answers_404_apigw_0101(tenant):
    gateway_refusal(httpx.get(f"{tenant.url}/v9/anything"), 404, "APIGW.0101")


def test_a_trailing_slash_is_another_path_not_a_redirect(tenant):
    response = httpx.get(f"{tenant.url}/v3/{tenant.project_id()}/vpc/vpcs/x/")
    gateway_refusal(response, 404, "APIGW.0101")
