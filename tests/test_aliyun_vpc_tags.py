"""VPC and vSwitch tags and ClientTokens through the official Tea VPC SDK, on both stores.

Tags set at creation, by TagResources and removed by UnTagResources are the
ones ListTagResources and the Describe* filters see; the vendor's tag rules
answer its codes and leave nothing behind. A ClientToken makes CreateVpc
safe to retry, also when two retries race (on PostgreSQL the second waits on
the first one's claim of the token).
"""

from __future__ import annotations

import threading

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_vpc20160428 import models as m

from tests import clients

REGION = "cn-hangzhou"
ZONE = "cn-hangzhou-h"


def _tag(key: str, value: str = "v", cls=m.CreateVpcRequestTag):  # noqa: ANN001, ANN202
    return cls(key=key, value=value)


def _vpc(client, cidr: str = "10.0.0.0/16", **kw) -> str:  # noqa: ANN001
    request = m.CreateVpcRequest(region_id=REGION, cidr_block=cidr, **kw)
    return client.create_vpc(request).body.vpc_id


def _available_vpc(client, server, **kw) -> str:  # noqa: ANN001
    vpc_id = _vpc(client, **kw)
    server.advance(1.5)
    return vpc_id


def _refused(call) -> ClientException:  # noqa: ANN001
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def _vpc_ids(client, **kw) -> list[str]:  # noqa: ANN001
    body = client.describe_vpcs(m.DescribeVpcsRequest(region_id=REGION, **kw)).body
    return [v.vpc_id for v in body.vpcs.vpc]


def _listed(client, resource_type: str = "VPC", **kw) -> list[tuple[str, str, str, str]]:  # noqa: ANN001
    request = m.ListTagResourcesRequest(region_id=REGION, resource_type=resource_type, **kw)
    rows = client.list_tag_resources(request).body.tag_resources.tag_resource
    return [(r.resource_id, r.resource_type, r.tag_key, r.tag_value) for r in rows]


def _tag_resources(client, ids: list[str], pairs: dict[str, str], kind: str = "VPC") -> None:  # noqa: ANN001
    tags = [m.TagResourcesRequestTag(key=k, value=v) for k, v in pairs.items()]
    request = m.TagResourcesRequest(region_id=REGION, resource_type=kind, resource_id=ids, tag=tags)
    client.tag_resources(request)


def test_tags_given_at_creation_are_described_and_listed(tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc, tag=[_tag("env", "prod"), _tag("team", "")])
    body = vpc.describe_vpcs(m.DescribeVpcsRequest(region_id=REGION)).body
    assert [(t.key, t.value) for t in body.vpcs.vpc[0].tags.tag] == [("env", "prod"), ("team", "")]
    assert _listed(vpc, resource_id=[vpc_id]) == [
        (vpc_id, "VPC", "env", "prod"),
        (vpc_id, "VPC", "team", ""),
    ]


def test_vswitch_tags_given_at_creation_are_described(server, tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _available_vpc(vpc, server)
    request = m.CreateVSwitchRequest(
        region_id=REGION,
        vpc_id=vpc_id,
        zone_id=ZONE,
        cidr_block="10.0.1.0/24",
        tag=[m.CreateVSwitchRequestTag(key="tier", value="web")],
    )
    vsw_id = vpc.create_vswitch(request).body.v_switch_id
    attr = vpc.describe_vswitch_attributes(
        m.DescribeVSwitchAttributesRequest(region_id=REGION, v_switch_id=vsw_id)
    ).body
    assert [(t.key, t.value) for t in attr.tags.tag] == [("tier", "web")]
    assert _listed(vpc, "VSWITCH", resource_id=[vsw_id]) == [(vsw_id, "VSWITCH", "tier", "web")]


def test_tag_resources_adds_and_overwrites_tags(tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc, tag=[_tag("env", "dev")])
    _tag_resources(vpc, [vpc_id], {"env": "prod", "owner": "ops"})
    assert _listed(vpc, resource_id=[vpc_id]) == [
        (vpc_id, "VPC", "env", "prod"),
        (vpc_id, "VPC", "owner", "ops"),
    ]


def test_untag_resources_removes_named_keys(tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc, tag=[_tag("a"), _tag("b"), _tag("c")])
    vpc.un_tag_resources(
        m.UnTagResourcesRequest(
            region_id=REGION, resource_type="VPC", resource_id=[vpc_id], tag_key=["a", "c"]
        )
    )
    assert [row[2] for row in _listed(vpc, resource_id=[vpc_id])] == ["b"]


def test_untag_resources_with_all_removes_every_tag(tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc, tag=[_tag("a"), _tag("b")])
    vpc.un_tag_resources(
        m.UnTagResourcesRequest(
            region_id=REGION, resource_type="VPC", resource_id=[vpc_id], all=True
        )
    )
    assert _listed(vpc, resource_id=[vpc_id]) == []


def test_list_tag_resources_by_tag_finds_the_tagged_resources(tenant):
    vpc = clients.tea_vpc(tenant)
    tagged = _vpc(vpc, tag=[_tag("env", "prod")])
    _vpc(vpc, cidr="192.168.0.0/16", tag=[_tag("env", "dev")])
    wanted = [m.ListTagResourcesRequestTag(key="env", value="prod")]
    assert _listed(vpc, tag=wanted) == [(tagged, "VPC", "env", "prod")]
    any_value = [m.ListTagResourcesRequestTag(key="env")]
    assert len(_listed(vpc, tag=any_value)) == 2


def test_list_tag_resources_pages_with_next_token(tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc, tag=[_tag(f"k{i}") for i in range(5)])
    request = m.ListTagResourcesRequest(
        region_id=REGION, resource_type="VPC", resource_id=[vpc_id], max_results=2
    )
    keys: list[str] = []
    while True:
        body = vpc.list_tag_resources(request).body
        keys += [r.tag_key for r in body.tag_resources.tag_resource]
        if not body.next_token:
            break
        request.next_token = body.next_token
    assert keys == [f"k{i}" for i in range(5)]


def test_list_tag_resources_without_ids_or_tags_is_refused(tenant):
    vpc = clients.tea_vpc(tenant)
    err = _refused(lambda: _listed(vpc))
    assert (err.code, err.status_code) == ("BothEmpty.TagsAndResources", 403)


def test_describe_vpcs_filters_by_tag(tenant):
    vpc = clients.tea_vpc(tenant)
    tagged = _vpc(vpc, tag=[_tag("env", "prod")])
    _vpc(vpc, cidr="192.168.0.0/16", tag=[_tag("env", "dev")])
    untagged = _vpc(vpc, cidr="172.16.0.0/16")
    _tag_resources(vpc, [untagged], {"env": "prod"})
    wanted = [m.DescribeVpcsRequestTag(key="env", value="prod")]
    assert sorted(_vpc_ids(vpc, tag=wanted)) == sorted([tagged, untagged])


def test_describe_vswitches_filters_by_tag(server, tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _available_vpc(vpc, server)
    ids = []
    for cidr in ("10.0.1.0/24", "10.0.2.0/24"):
        request = m.CreateVSwitchRequest(
            region_id=REGION, vpc_id=vpc_id, zone_id=ZONE, cidr_block=cidr
        )
        ids.append(vpc.create_vswitch(request).body.v_switch_id)
    _tag_resources(vpc, [ids[1]], {"tier": "db"}, kind="VSWITCH")
    body = vpc.describe_vswitches(
        m.DescribeVSwitchesRequest(
            region_id=REGION, tag=[m.DescribeVSwitchesRequestTag(key="tier", value="db")]
        )
    ).body
    assert [s.v_switch_id for s in body.v_switches.v_switch] == [ids[1]]


def test_more_than_20_tags_at_creation_are_refused_and_create_nothing(tenant):
    vpc = clients.tea_vpc(tenant)
    err = _refused(lambda: _vpc(vpc, tag=[_tag(f"k{i}") for i in range(21)]))
    assert (err.code, err.status_code) == ("QuotaExceed.Tags", 403)
    assert _vpc_ids(vpc) == []


def test_tag_resources_past_20_tags_is_refused_and_changes_nothing(tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc, tag=[_tag(f"k{i}") for i in range(19)])
    err = _refused(lambda: _tag_resources(vpc, [vpc_id], {"x": "1", "y": "2"}))
    assert (err.code, err.status_code) == ("QuotaExceeded.TagNum", 400)
    assert len(_listed(vpc, resource_id=[vpc_id])) == 19


@pytest.mark.parametrize("key", ["aliyun-key", "acs:key", "x" * 129])
def test_forbidden_tag_key_at_creation_is_refused(tenant, key):
    vpc = clients.tea_vpc(tenant)
    err = _refused(lambda: _vpc(vpc, tag=[_tag(key)]))
    assert (err.code, err.status_code) == ("InvalidTagKey.Malformed", 400)
    assert _vpc_ids(vpc) == []


@pytest.mark.parametrize("key", ["aliyun-key", "acs:key"])
def test_forbidden_tag_key_in_tag_resources_is_refused(tenant, key):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc)
    err = _refused(lambda: _tag_resources(vpc, [vpc_id], {key: "v"}))
    assert (err.code, err.status_code) == ("InvalidTagKey", 400)
    assert _listed(vpc, resource_id=[vpc_id]) == []


def test_unmodelled_resource_type_is_refused(tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc)
    err = _refused(lambda: _tag_resources(vpc, [vpc_id], {"k": "v"}, kind="EIP"))
    assert (err.code, err.status_code) == ("UnsupportedParameter", 400)


def test_unknown_resource_type_is_not_found(tenant):
    vpc = clients.tea_vpc(tenant)
    err = _refused(lambda: _tag_resources(vpc, [_vpc(vpc)], {"k": "v"}, kind="INSTANCE"))
    assert (err.code, err.status_code) == ("InvalidInstanceType.NotFound", 400)


def test_resource_type_is_case_insensitive(tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _vpc(vpc)
    _tag_resources(vpc, [vpc_id], {"k": "v"}, kind="vpc")
    assert _listed(vpc, "Vpc", resource_id=[vpc_id]) == [(vpc_id, "VPC", "k", "v")]


def test_another_tenants_vpc_cannot_be_tagged_or_listed(server, tenant):
    vpc_id = _vpc(clients.tea_vpc(tenant))
    stranger = clients.tea_vpc(server.new_tenant())
    err = _refused(lambda: _tag_resources(stranger, [vpc_id], {"k": "v"}))
    assert (err.code, err.status_code) == ("InvalidInstanceIds.NotFound", 400)
    err = _refused(lambda: _listed(stranger, resource_id=[vpc_id]))
    assert err.code == "InvalidInstanceIds.NotFound"
    assert _listed(clients.tea_vpc(tenant), resource_id=[vpc_id]) == []


def test_deleting_a_vpc_removes_its_tags(server, tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _available_vpc(vpc, server, tag=[_tag("env", "prod")])
    vpc.delete_vpc(m.DeleteVpcRequest(region_id=REGION, vpc_id=vpc_id))
    _vpc(vpc, tag=[_tag("other")])
    wanted = [m.ListTagResourcesRequestTag(key="env")]
    assert _listed(vpc, tag=wanted) == []
    with server.runtime.db.read() as conn:
        from openecs.core import tags as core_tags

        assert core_tags.get_tags(conn, vpc_id) == []


def test_client_token_retry_returns_the_same_vpc_and_creates_one(tenant):
    vpc = clients.tea_vpc(tenant)
    first = _vpc(vpc, client_token="retry-1", tag=[_tag("env")])
    assert _vpc(vpc, client_token="retry-1", tag=[_tag("env")]) == first
    assert _vpc_ids(vpc) == [first]


def test_client_token_with_another_cidr_is_refused_and_creates_nothing(tenant):
    vpc = clients.tea_vpc(tenant)
    first = _vpc(vpc, client_token="retry-2")
    err = _refused(lambda: _vpc(vpc, cidr="192.168.0.0/16", client_token="retry-2"))
    assert (err.code, err.status_code) == ("IdempotentParameterMismatch", 400)
    assert _vpc_ids(vpc) == [first]


def test_vswitch_client_token_retry_returns_the_same_vswitch(server, tenant):
    vpc = clients.tea_vpc(tenant)
    vpc_id = _available_vpc(vpc, server)
    request = m.CreateVSwitchRequest(
        region_id=REGION, vpc_id=vpc_id, zone_id=ZONE, cidr_block="10.0.1.0/24", client_token="s"
    )
    first = vpc.create_vswitch(request).body.v_switch_id
    assert vpc.create_vswitch(request).body.v_switch_id == first
    request.cidr_block = "10.0.2.0/24"
    assert _refused(lambda: vpc.create_vswitch(request)).code == "IdempotentParameterMismatch"


def test_concurrent_requests_with_one_client_token_create_one_vpc(tenant):
    answers: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def create() -> None:
        client = clients.tea_vpc(tenant)
        barrier.wait()
        try:
            answers.append(_vpc(client, client_token="race-1"))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(answers) == 2 and answers[0] == answers[1]
    assert _vpc_ids(clients.tea_vpc(tenant)) == [answers[0]]
