"""The official SDK clients, pointed at a test server as docs/wire-protocols.md section 1 says."""

from __future__ import annotations

from typing import Any

from tests.servers import Tenant


def tea_config(t: Tenant, region: str = "cn-hangzhou", **kw: Any):  # noqa: ANN201
    from alibabacloud_tea_openapi.models import Config

    return Config(
        access_key_id=t.ak,
        access_key_secret=t.sk,
        region_id=region,
        endpoint=t.endpoint,
        protocol="http",
        **kw,
    )


def tea_ecs(t: Tenant, region: str = "cn-hangzhou", **kw: Any):  # noqa: ANN201
    from alibabacloud_ecs20140526.client import Client

    return Client(tea_config(t, region, **kw))


def tea_vpc(t: Tenant, region: str = "cn-hangzhou", **kw: Any):  # noqa: ANN201
    from alibabacloud_vpc20160428.client import Client

    return Client(tea_config(t, region, **kw))


def legacy(t: Tenant, region: str = "cn-hangzhou"):  # noqa: ANN201
    """aliyun-python-sdk-core's AcsClient; ``do_action_with_exception`` returns JSON bytes."""
    from aliyunsdkcore.client import AcsClient

    client = AcsClient(t.ak, t.sk, region)
    client.add_endpoint(region, "Ecs", t.endpoint)
    client.add_endpoint(region, "Vpc", t.endpoint)
    return client


def _huawei(builder_cls: Any, t: Tenant, region: str, project_id: str | None):  # noqa: ANN401
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig

    creds = BasicCredentials(t.ak, t.sk, project_id or t.project_id(region))
    return (
        builder_cls.new_builder()
        .with_http_config(HttpConfig.get_default_config())
        .with_credentials(creds)
        .with_endpoints([t.url])
        .build()
    )


def hw_ecs(t: Tenant, region: str = "cn-north-4", project_id: str | None = None):  # noqa: ANN201
    from huaweicloudsdkecs.v2 import EcsClient

    return _huawei(EcsClient, t, region, project_id)


def hw_vpc(t: Tenant, region: str = "cn-north-4", project_id: str | None = None):  # noqa: ANN201
    from huaweicloudsdkvpc.v2 import VpcClient

    return _huawei(VpcClient, t, region, project_id)


def hw_vpc3(t: Tenant, region: str = "cn-north-4", project_id: str | None = None):  # noqa: ANN201
    from huaweicloudsdkvpc.v3 import VpcClient

    return _huawei(VpcClient, t, region, project_id)


def hw_ims(t: Tenant, region: str = "cn-north-4", project_id: str | None = None):  # noqa: ANN201
    from huaweicloudsdkims.v2 import ImsClient

    return _huawei(ImsClient, t, region, project_id)


def hw_signed(
    t: Tenant,
    method: str,
    path: str,
    query: list[tuple[str, str]] | None = None,
    body: Any = None,
) -> tuple[int, Any, dict[str, str]]:
    """A Huawei request no installed SDK sends (EVS, Nova metadata), signed as the SDK signs.

    Answers the status, the decoded JSON body (None when empty) and the headers.
    """
    import json

    import httpx

    from tests import signers

    pairs = list(query or [])
    raw = b"" if body is None else json.dumps(body).encode()
    headers = signers.huawei_headers(
        t.ak, t.sk, host=t.endpoint, method=method, path=path, query=pairs, body=raw
    )
    url = t.url + path + ("?" + signers.encode_pairs(pairs) if pairs else "")
    answer = httpx.request(method, url, headers=headers, content=raw)
    return answer.status_code, answer.json() if answer.content else None, dict(answer.headers)
