"""The Alibaba RPC wire behaves like the vendor's: both SDKs and both signatures are accepted,
hand-built POST-form and GET requests too, and every way a request can be wrongly signed,
stale, replayed or addressed answers the vendor's code, status and error envelope.

Hand-built requests are signed with tests/signers.py, written apart from the server's verifier.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import httpx
import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_tea_openapi.exceptions import ClientException
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkecs.request.v20140526.DescribeRegionsRequest import DescribeRegionsRequest

from tests import clients, signers
from tests.servers import Tenant

ENVELOPE_KEYS = {"RequestId", "HostId", "Code", "Message", "Recommend"}
FORM = "application/x-www-form-urlencoded"
SIXTEEN_MINUTES = 16 * 60


def rpc(tenant: Tenant, params: dict[str, str], *, method: str = "POST") -> httpx.Response:
    """Send already-signed RPC parameters in the query string, as both SDKs do."""
    return httpx.request(method, f"{tenant.url}/?{signers.encode_pairs(params.items())}")


def rpc_call(tenant: Tenant, action: str = "DescribeRegions", **kw: str) -> httpx.Response:
    return rpc(tenant, signers.rpc_signed(tenant.ak, tenant.sk, action, **kw))


def acs3(
    tenant: Tenant, action: str = "DescribeRegions", *, body: bytes = b"", **kw
) -> httpx.Response:
    query = kw.pop("query", {})
    headers = signers.acs3_headers(
        tenant.ak, tenant.sk, host=tenant.endpoint, action=action, query=query, body=body, **kw
    )
    return httpx.post(
        f"{tenant.url}/?{signers.encode_pairs(query.items())}", headers=headers, content=body
    )


def with_secret(tenant: Tenant, secret: str) -> Tenant:
    """The tenant's access key with a secret that is not its own."""
    return Tenant(replace(tenant.account, access_key_secret=secret), tenant.endpoint)


def region_ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["RegionId"] for r in response.json()["Regions"]["Region"]]


def refusal(response: httpx.Response, status: int, code: str) -> dict:
    body = response.json()
    assert (response.status_code, body["Code"]) == (status, code), response.text
    return body


# --------------------------------------------------------------------------- accepted


def test_tea_sdk_with_acs3_signature_describes_regions(tenant):
    body = clients.tea_ecs(tenant).describe_regions(ecs_models.DescribeRegionsRequest()).body
    assert "cn-hangzhou" in [r.region_id for r in body.regions.region]


def test_tea_sdk_with_v2_rpc_signature_describes_regions(tenant):
    client = clients.tea_ecs(tenant, signature_algorithm="v2")
    body = client.describe_regions(ecs_models.DescribeRegionsRequest()).body
    assert "cn-hangzhou" in [r.region_id for r in body.regions.region]
    assert body.request_id


def test_legacy_sdk_describes_regions(tenant):
    raw = clients.legacy(tenant).do_action_with_exception(DescribeRegionsRequest())
    body = json.loads(raw)
    assert "cn-hangzhou" in [r["RegionId"] for r in body["Regions"]["Region"]]


def test_rpc_parameters_in_a_form_body_are_accepted(tenant):
    params = signers.rpc_signed(
        tenant.ak, tenant.sk, "DescribeRegions", {"AcceptLanguage": "en-US"}
    )
    response = httpx.post(
        f"{tenant.url}/",
        content=signers.encode_pairs(params.items()).encode(),
        headers={"content-type": FORM},
    )
    assert "cn-hangzhou" in region_ids(response)
    assert response.json()["Regions"]["Region"][0]["LocalName"].isascii()


def test_rpc_business_parameters_split_between_query_and_form_are_accepted(tenant):
    params = signers.rpc_signed(
        tenant.ak, tenant.sk, "DescribeRegions", {"AcceptLanguage": "en-US"}
    )
    form = {"AcceptLanguage": params.pop("AcceptLanguage")}
    response = httpx.post(
        f"{tenant.url}/?{signers.encode_pairs(params.items())}",
        content=signers.encode_pairs(form.items()).encode(),
        headers={"content-type": FORM},
    )
    assert response.json()["Regions"]["Region"][0]["LocalName"].isascii()


def test_rpc_get_request_is_accepted(tenant):
    params = signers.rpc_signed(tenant.ak, tenant.sk, "DescribeRegions", method="GET")
    assert "cn-hangzhou" in region_ids(rpc(tenant, params, method="GET"))


def test_acs3_request_with_a_form_body_is_accepted(tenant):
    body = signers.encode_pairs([("AcceptLanguage", "en-US")]).encode()
    response = acs3(tenant, body=body, content_type=FORM)
    assert response.json()["Regions"]["Region"][0]["LocalName"].isascii()


def test_timestamp_fourteen_minutes_old_is_still_accepted(tenant):
    assert region_ids(rpc_call(tenant, timestamp=signers.aliyun_time(-14 * 60)))


def test_same_nonce_from_two_access_keys_does_not_collide(server, tenant):
    other = server.new_tenant()
    assert region_ids(rpc_call(tenant, nonce="shared-nonce-" + tenant.ak))
    assert region_ids(rpc_call(other, nonce="shared-nonce-" + tenant.ak))


def test_nonce_longer_than_any_column_is_accepted(tenant):
    assert region_ids(rpc_call(tenant, nonce="n" * 500))


# --------------------------------------------------------------------------- refused


def test_wrong_secret_answers_signature_does_not_match_with_a_colon(tenant):
    params = signers.rpc_signed(tenant.ak, "not-the-secret", "DescribeRegions")
    body = refusal(rpc(tenant, params), 400, "SignatureDoesNotMatch")
    assert ":" in body["Message"]


def test_wrong_secret_with_acs3_answers_signature_does_not_match(tenant):
    headers = signers.acs3_headers(
        tenant.ak, "nope", host=tenant.endpoint, action="DescribeRegions"
    )
    refusal(httpx.post(f"{tenant.url}/", headers=headers), 400, "SignatureDoesNotMatch")


def test_tea_sdk_raises_client_exception_on_wrong_secret(tenant):
    with pytest.raises(ClientException) as info:
        clients.tea_ecs(with_secret(tenant, "bad")).describe_regions(
            ecs_models.DescribeRegionsRequest()
        )
    assert (info.value.code, info.value.status_code) == ("SignatureDoesNotMatch", 400)
    assert info.value.request_id


def test_legacy_sdk_raises_server_exception_on_wrong_secret(tenant):
    """The SDK compares the server's string to sign (after the colon) with its own and, when
    they agree, reports the vendor's SignatureDoesNotMatch as InvalidAccessKeySecret."""
    with pytest.raises(ServerException) as info:
        clients.legacy(with_secret(tenant, "bad")).do_action_with_exception(
            DescribeRegionsRequest()
        )
    error = info.value
    assert (error.get_error_code(), error.get_http_status()) == ("InvalidAccessKeySecret", 400)
    assert error.get_request_id()


def test_unknown_access_key_answers_not_found(tenant):
    params = signers.rpc_signed("LTAInobodyhasthiskey00", tenant.sk, "DescribeRegions")
    refusal(rpc(tenant, params), 404, "InvalidAccessKeyId.NotFound")


def test_unknown_access_key_with_acs3_answers_not_found(tenant):
    headers = signers.acs3_headers(
        "LTAInobody", tenant.sk, host=tenant.endpoint, action="DescribeRegions"
    )
    refusal(httpx.post(f"{tenant.url}/", headers=headers), 404, "InvalidAccessKeyId.NotFound")


def test_access_key_with_a_nul_byte_answers_not_found(tenant):
    params = signers.rpc_signed("LTAI\x00", tenant.sk, "DescribeRegions")
    refusal(rpc(tenant, params), 404, "InvalidAccessKeyId.NotFound")


@pytest.mark.parametrize("offset", [-SIXTEEN_MINUTES, SIXTEEN_MINUTES], ids=["past", "future"])
def test_timestamp_more_than_fifteen_minutes_off_is_expired(tenant, offset):
    response = rpc_call(tenant, timestamp=signers.aliyun_time(offset))
    refusal(response, 400, "InvalidTimeStamp.Expired")


@pytest.mark.parametrize("offset", [-SIXTEEN_MINUTES, SIXTEEN_MINUTES], ids=["past", "future"])
def test_acs3_date_more_than_fifteen_minutes_off_is_expired(tenant, offset):
    response = acs3(tenant, date=signers.aliyun_time(offset))
    refusal(response, 400, "InvalidTimeStamp.Expired")


@pytest.mark.parametrize("stamp", ["yesterday", "2024-13-45T99:00:00Z", "2024-01-01 00:00:00"])
def test_malformed_timestamp_answers_format_error(tenant, stamp):
    params = signers.rpc_common(tenant.ak, "DescribeRegions")
    params["Timestamp"] = stamp
    params["Signature"] = signers.rpc_signature(tenant.sk, "POST", params)
    refusal(rpc(tenant, params), 400, "InvalidTimeStamp.Format")


@pytest.mark.parametrize("stamp", ["2024-01-01", "2024-13-45T99:00:00Z"], ids=["short", "impossible"])
def test_malformed_acs3_date_answers_format_error_right_after_a_valid_call(tenant, stamp):
    assert region_ids(acs3(tenant))  # the face keeps the last stamp it read: never a bad one
    refusal(acs3(tenant, date=stamp), 400, "InvalidTimeStamp.Format")


def test_every_call_s_date_is_checked_even_in_the_second_of_a_valid_one(tenant):
    now = signers.aliyun_time(0)
    assert acs3(tenant, date=now).status_code == 200
    refusal(acs3(tenant, date=signers.aliyun_time(SIXTEEN_MINUTES)), 400, "InvalidTimeStamp.Expired")
    assert acs3(tenant, date=now).status_code == 200


def test_replayed_rpc_request_answers_signature_nonce_used(tenant):
    url = f"{tenant.url}/?{signers.encode_pairs(signers.rpc_signed(tenant.ak, tenant.sk, 'DescribeRegions').items())}"
    assert httpx.post(url).status_code == 200
    refusal(httpx.post(url), 400, "SignatureNonceUsed")


def test_replayed_acs3_request_answers_signature_nonce_used(tenant):
    headers = signers.acs3_headers(
        tenant.ak, tenant.sk, host=tenant.endpoint, action="DescribeRegions"
    )
    assert httpx.post(f"{tenant.url}/", headers=headers).status_code == 200
    refusal(httpx.post(f"{tenant.url}/", headers=headers), 400, "SignatureNonceUsed")


def test_parameter_changed_after_signing_answers_signature_mismatch(tenant):
    params = signers.rpc_signed(
        tenant.ak, tenant.sk, "DescribeRegions", {"AcceptLanguage": "en-US"}
    )
    params["AcceptLanguage"] = "ja"
    refusal(rpc(tenant, params), 400, "SignatureDoesNotMatch")


@pytest.mark.parametrize("value", ["plain-value_1.0~", "a b/c+d", "名前*"], ids=["unreserved", "reserved", "utf8"])
def test_acs3_query_values_are_canonicalized_encoded_or_not(tenant, value):
    response = acs3(tenant, "DescribeVpcs", version="2016-04-28", query={"RegionId": "cn-hangzhou", "VpcName": value})
    assert response.status_code == 200, response.text


def test_acs3_query_changed_after_signing_answers_signature_mismatch(tenant):
    headers = signers.acs3_headers(
        tenant.ak,
        tenant.sk,
        host=tenant.endpoint,
        action="DescribeRegions",
        query={"AcceptLanguage": "en-US"},
    )
    response = httpx.post(f"{tenant.url}/?AcceptLanguage=ja", headers=headers)
    refusal(response, 400, "SignatureDoesNotMatch")


def test_body_not_matching_its_content_sha256_is_refused(tenant):
    signed_body = b"AcceptLanguage=en-US"
    headers = signers.acs3_headers(
        tenant.ak,
        tenant.sk,
        host=tenant.endpoint,
        action="DescribeRegions",
        body=signed_body,
        content_type=FORM,
    )
    response = httpx.post(f"{tenant.url}/", headers=headers, content=b"AcceptLanguage=ja")
    refusal(response, 400, "IncompleteSignature")


def test_content_sha256_that_lies_about_the_body_is_refused(tenant):
    lie = hashlib.sha256(b"something else").hexdigest()
    response = acs3(tenant, body=b"AcceptLanguage=ja", content_type=FORM, content_sha256=lie)
    refusal(response, 400, "IncompleteSignature")


def test_business_parameter_with_a_nul_byte_answers_invalid_parameter(tenant):
    body = refusal(rpc_call(tenant, params={"RegionId": "cn-\x00"}), 400, "InvalidParameter")
    assert "RegionId" in body["Message"]


def test_unknown_action_answers_invalid_action_not_found(tenant):
    refusal(rpc_call(tenant, "DescribeUnicorns"), 404, "InvalidAction.NotFound")


def test_unknown_action_with_acs3_answers_invalid_action_not_found(tenant):
    refusal(acs3(tenant, "DescribeUnicorns"), 404, "InvalidAction.NotFound")


def test_unknown_version_answers_invalid_version(tenant):
    refusal(rpc_call(tenant, version="2099-01-01"), 400, "InvalidVersion")


def test_request_without_credentials_answers_missing_parameter(tenant):
    response = httpx.post(f"{tenant.url}/?Action=DescribeRegions&Version={signers.ECS_VERSION}")
    body = refusal(response, 400, "MissingParameter")
    assert "AccessKeyId" in body["Message"]


def test_request_without_signature_answers_missing_parameter(tenant):
    params = signers.rpc_common(tenant.ak, "DescribeRegions")
    body = refusal(rpc(tenant, params), 400, "MissingParameter")
    assert "Signature" in body["Message"]


# --------------------------------------------------------------------------- envelope


def test_error_envelope_has_exactly_the_vendor_keys(tenant):
    body = refusal(rpc_call(tenant, "DescribeUnicorns"), 404, "InvalidAction.NotFound")
    assert set(body) == ENVELOPE_KEYS
    assert all(isinstance(body[k], str) and body[k] for k in ENVELOPE_KEYS)


def test_invalid_parameter_error_has_exactly_the_vendor_keys(tenant):
    body = refusal(rpc_call(tenant, params={"AcceptLanguage": "xx"}), 400, "InvalidParameter")
    assert set(body) == ENVELOPE_KEYS


def test_every_answer_carries_a_request_id(tenant):
    answers = [
        rpc_call(tenant),
        acs3(tenant),
        rpc_call(tenant, "DescribeUnicorns"),
        rpc_call(tenant, version="1999-01-01"),
        rpc(tenant, signers.rpc_signed(tenant.ak, "wrong", "DescribeRegions")),
        httpx.get(f"{tenant.url}/"),
    ]
    request_ids = [a.json().get("RequestId") for a in answers]
    assert all(request_ids), [a.text for a in answers]
    assert len(set(request_ids)) == len(answers)


def test_a_method_the_rpc_wire_does_not_serve_answers_in_the_vendor_envelope(tenant):
    response = httpx.put(f"{tenant.url}/")
    refusal(response, 404, "InvalidAction.NotFound")


def test_an_unknown_path_outside_the_huawei_versions_answers_in_the_vendor_envelope(tenant):
    response = httpx.get(f"{tenant.url}/no/such/path")
    refusal(response, 404, "InvalidAction.NotFound")
