"""ECS 2014-05-26 security groups and rules through the official Tea and legacy SDKs, on both stores.

The flow Terraform's alicloud_security_group and alicloud_security_group_rule
follow (create a VPC, a group in it, ingress and egress rules, read them back,
revoke, delete), each refusal with the vendor's code and status, that a
refused request changes nothing, and that another tenant can neither see nor
use a group.
"""

from __future__ import annotations

import json

import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_vpc20160428 import models as vm
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkecs.request.v20140526.AuthorizeSecurityGroupEgressRequest import (
    AuthorizeSecurityGroupEgressRequest,
)
from aliyunsdkecs.request.v20140526.AuthorizeSecurityGroupRequest import (
    AuthorizeSecurityGroupRequest,
)
from aliyunsdkecs.request.v20140526.RevokeSecurityGroupRequest import RevokeSecurityGroupRequest

from tests import clients

REGION = "cn-hangzhou"
Perm = m.AuthorizeSecurityGroupRequestPermissions


def _vpc(tenant, server, cidr: str = "10.0.0.0/16") -> str:  # noqa: ANN001
    vpc_id = (
        clients.tea_vpc(tenant)
        .create_vpc(vm.CreateVpcRequest(region_id=REGION, cidr_block=cidr))
        .body.vpc_id
    )
    server.advance(1.5)
    return vpc_id


def _group(ecs, vpc_id: str, **kw) -> str:  # noqa: ANN001
    return ecs.create_security_group(
        m.CreateSecurityGroupRequest(region_id=REGION, vpc_id=vpc_id, **kw)
    ).body.security_group_id


def _authorize(ecs, group_id: str, *perms: Perm) -> None:  # noqa: ANN001
    ecs.authorize_security_group(
        m.AuthorizeSecurityGroupRequest(
            region_id=REGION, security_group_id=group_id, permissions=list(perms)
        )
    )


def _rules(ecs, group_id: str, direction: str | None = None) -> list:  # noqa: ANN001
    body = ecs.describe_security_group_attribute(
        m.DescribeSecurityGroupAttributeRequest(
            region_id=REGION, security_group_id=group_id, direction=direction
        )
    ).body
    return body.permissions.permission


def _refused(call) -> ClientException:  # noqa: ANN001
    with pytest.raises(ClientException) as info:
        call()
    return info.value


@pytest.fixture
def setup(server, tenant):  # noqa: ANN001, ANN201
    ecs = clients.tea_ecs(tenant)
    vpc_id = _vpc(tenant, server)
    return ecs, vpc_id, _group(ecs, vpc_id, security_group_name="web")


SSH = Perm(ip_protocol="tcp", port_range="22/22", source_cidr_ip="0.0.0.0/0")


def test_terraform_flow_creates_authorizes_reads_revokes_and_deletes(server, tenant):
    ecs = clients.tea_ecs(tenant)
    vpc_id = _vpc(tenant, server)
    group_id = _group(
        ecs,
        vpc_id,
        security_group_name="tf-sg",
        description="for tests",
        tag=[m.CreateSecurityGroupRequestTag(key="env", value="test")],
    )
    assert group_id.startswith("sg-bp") and len(group_id) == 23
    _authorize(
        ecs,
        group_id,
        SSH,
        Perm(
            ip_protocol="ALL",
            port_range="-1/-1",
            source_cidr_ip="10.0.0.0/8",
            policy="drop",
            priority="5",
            description="deny lan",
        ),
    )
    ecs.authorize_security_group_egress(
        m.AuthorizeSecurityGroupEgressRequest(
            region_id=REGION,
            security_group_id=group_id,
            permissions=[
                m.AuthorizeSecurityGroupEgressRequestPermissions(
                    ip_protocol="udp", port_range="53/53", dest_cidr_ip="8.8.8.8/32"
                )
            ],
        )
    )
    body = ecs.describe_security_group_attribute(
        m.DescribeSecurityGroupAttributeRequest(region_id=REGION, security_group_id=group_id)
    ).body
    assert (body.security_group_name, body.description, body.vpc_id, body.inner_access_policy) == (
        "tf-sg",
        "for tests",
        vpc_id,
        "Accept",
    )
    got = [
        (
            p.direction,
            p.ip_protocol,
            p.port_range,
            p.source_cidr_ip,
            p.dest_cidr_ip,
            p.policy,
            p.priority,
        )
        for p in body.permissions.permission
    ]
    assert sorted(got) == [  # rules of one request share a creation time: no order among them
        ("egress", "UDP", "53/53", "", "8.8.8.8/32", "Accept", 1),
        ("ingress", "ALL", "-1/-1", "10.0.0.0/8", "", "Drop", 5),
        ("ingress", "TCP", "22/22", "0.0.0.0/0", "", "Accept", 1),
    ]
    first = body.permissions.permission[0]
    assert first.security_group_rule_id.startswith("sgr-") and first.create_time.endswith("Z")
    assert first.nic_type == "intranet"

    listed = ecs.describe_security_groups(m.DescribeSecurityGroupsRequest(region_id=REGION)).body
    assert listed.total_count == 1
    g = listed.security_groups.security_group[0]
    assert (
        g.security_group_id,
        g.vpc_id,
        g.security_group_type,
        g.ecs_count,
        g.available_instance_amount,
    ) == (group_id, vpc_id, "normal", 0, 2000)
    assert [(t.tag_key, t.tag_value) for t in g.tags.tag] == [("env", "test")]

    ecs.revoke_security_group(
        m.RevokeSecurityGroupRequest(
            region_id=REGION,
            security_group_id=group_id,
            permissions=[
                m.RevokeSecurityGroupRequestPermissions(
                    ip_protocol="tcp", port_range="22/22", source_cidr_ip="0.0.0.0/0"
                )
            ],
        )
    )
    egress_id = _rules(ecs, group_id, "egress")[0].security_group_rule_id
    ecs.revoke_security_group_egress(
        m.RevokeSecurityGroupEgressRequest(
            region_id=REGION, security_group_id=group_id, security_group_rule_id=[egress_id]
        )
    )
    assert [p.ip_protocol for p in _rules(ecs, group_id)] == ["ALL"]

    ecs.delete_security_group(
        m.DeleteSecurityGroupRequest(region_id=REGION, security_group_id=group_id)
    )
    err = _refused(lambda: _rules(ecs, group_id))
    assert (err.code, err.status_code) == ("InvalidSecurityGroupId.NotFound", 404)


def test_the_same_rule_authorized_twice_is_kept_once(setup):
    ecs, _, group_id = setup
    _authorize(ecs, group_id, SSH)
    _authorize(ecs, group_id, SSH)
    assert len(_rules(ecs, group_id)) == 1


def test_a_source_group_of_the_same_vpc_is_rendered_with_its_name(setup):
    ecs, vpc_id, group_id = setup
    other = _group(ecs, vpc_id, security_group_name="db")
    _authorize(
        ecs, other, Perm(ip_protocol="tcp", port_range="3306/3306", source_group_id=group_id)
    )
    (rule,) = _rules(ecs, other)
    assert (rule.source_group_id, rule.source_group_name, rule.source_cidr_ip) == (
        group_id,
        "web",
        "",
    )
    err = _refused(
        lambda: ecs.delete_security_group(
            m.DeleteSecurityGroupRequest(region_id=REGION, security_group_id=group_id)
        )
    )
    assert (err.code, err.status_code) == ("DependencyViolation", 403)


def test_a_source_group_of_another_vpc_is_refused(server, tenant, setup):
    ecs, _, group_id = setup
    elsewhere = _group(ecs, _vpc(tenant, server, "192.168.0.0/16"))
    err = _refused(
        lambda: _authorize(
            ecs, group_id, Perm(ip_protocol="tcp", port_range="80/80", source_group_id=elsewhere)
        )
    )
    assert (err.code, err.status_code) == ("InvalidSourceGroupId.Mismatch", 400)


@pytest.mark.parametrize(
    ("perm", "code"),
    [
        (
            dict(ip_protocol="sctp", port_range="1/2", source_cidr_ip="1.1.1.1"),
            "InvalidIpProtocol.ValueNotSupported",
        ),
        (dict(ip_protocol="tcp", source_cidr_ip="1.1.1.1"), "InvalidPortRange.Malformed"),
        (
            dict(ip_protocol="tcp", port_range="22", source_cidr_ip="1.1.1.1"),
            "InvalidParam.PortRange",
        ),
        (
            dict(ip_protocol="tcp", port_range="80/22", source_cidr_ip="1.1.1.1"),
            "InvalidIpProtocol.Malformed",
        ),
        (
            dict(ip_protocol="tcp", port_range="1/65536", source_cidr_ip="1.1.1.1"),
            "InvalidIpProtocol.Malformed",
        ),
        (dict(ip_protocol="icmp", port_range="22/22", source_cidr_ip="1.1.1.1"), "OperationDenied"),
        (
            dict(ip_protocol="tcp", port_range="22/22", source_cidr_ip="1.1.1.300"),
            "InvalidSourceCidrIp.Malformed",
        ),
        (
            dict(ip_protocol="tcp", port_range="22/22", source_cidr_ip="1.1.1.1", priority="101"),
            "InvalidPriority.Malformed",
        ),
        (
            dict(ip_protocol="tcp", port_range="22/22", source_cidr_ip="1.1.1.1", priority="0"),
            "InvalidPriority.Malformed",
        ),
        (
            dict(ip_protocol="tcp", port_range="22/22", source_cidr_ip="1.1.1.1", policy="allow"),
            "InvalidPolicy.Malformed",
        ),
        (
            dict(ip_protocol="tcp", port_range="22/22", source_cidr_ip="1.1.1.1", nic_type="wan"),
            "InvalidNicType.ValueNotSupported",
        ),
        (dict(ip_protocol="tcp", port_range="22/22"), "MissingParameter.Source"),
        (
            dict(
                ip_protocol="tcp",
                port_range="22/22",
                source_cidr_ip="1.1.1.1",
                ipv_6source_cidr_ip="::/0",
            ),
            "InvalidParam.SourceIp",
        ),
        (
            dict(ip_protocol="tcp", port_range="22/22", ipv_6source_cidr_ip="zz::/0"),
            "InvalidParam.Ipv6SourceCidrIp",
        ),
        (
            dict(ip_protocol="icmp", port_range="-1/-1", ipv_6source_cidr_ip="::/0"),
            "InvalidParam.Ipv4ProtocolConflictWithIpv6Address",
        ),
        (
            dict(
                ip_protocol="tcp",
                port_range="22/22",
                source_cidr_ip="1.1.1.1",
                description="http://x",
            ),
            "InvalidSecurityGroupDiscription.Malformed",
        ),
    ],
)
def test_a_malformed_rule_is_refused_with_the_vendors_code_and_changes_nothing(setup, perm, code):
    ecs, _, group_id = setup
    err = _refused(lambda: _authorize(ecs, group_id, SSH, Perm(**perm)))
    assert (err.code, err.status_code) == (code, 400)
    assert _rules(ecs, group_id) == []


def test_an_unknown_source_group_is_not_found(setup):
    ecs, _, group_id = setup
    err = _refused(
        lambda: _authorize(
            ecs,
            group_id,
            Perm(ip_protocol="tcp", port_range="22/22", source_group_id="sg-bp1missing"),
        )
    )
    assert (err.code, err.status_code) == ("InvalidSourceGroupId.NotFound", 404)


def test_duplicate_permissions_in_one_request_are_refused(setup):
    ecs, _, group_id = setup
    err = _refused(lambda: _authorize(ecs, group_id, SSH, SSH))
    assert (err.code, err.status_code) == ("InvalidParam.DuplicatePermissions", 400)


def test_more_than_200_rules_are_refused(setup):
    ecs, _, group_id = setup
    perms = [
        Perm(ip_protocol="tcp", port_range=f"{p}/{p}", source_cidr_ip="0.0.0.0/0")
        for p in range(1, 101)
    ]
    _authorize(ecs, group_id, *perms)
    _authorize(
        ecs,
        group_id,
        *[
            Perm(ip_protocol="udp", port_range=p.port_range, source_cidr_ip="0.0.0.0/0")
            for p in perms
        ],
    )
    err = _refused(
        lambda: _authorize(
            ecs, group_id, Perm(ip_protocol="gre", port_range="-1/-1", source_cidr_ip="0.0.0.0/0")
        )
    )
    assert (err.code, err.status_code) == ("AuthorizationLimitExceed", 403)
    assert len(_rules(ecs, group_id)) == 200


def test_revoking_an_unknown_rule_id_is_not_found(setup):
    ecs, _, group_id = setup
    err = _refused(
        lambda: ecs.revoke_security_group(
            m.RevokeSecurityGroupRequest(
                region_id=REGION, security_group_id=group_id, security_group_rule_id=["sgr-missing"]
            )
        )
    )
    assert (err.code, err.status_code) == ("InvalidSecurityGroupRuleId.NotFound", 404)


@pytest.mark.parametrize(
    ("kw", "code", "status"),
    [
        (dict(security_group_name="1abc"), "InvalidSecurityGroupName.Malformed", 400),
        (dict(security_group_name="a"), "InvalidSecurityGroupName.Malformed", 400),
        (dict(description="http://x.example"), "InvalidDescription.Malformed", 400),
        (dict(security_group_type="premium"), "InvalidParams.GroupType", 400),
        (dict(vpc_id="vpc-bp1missing"), "InvalidVpcId.NotFound", 404),
        (dict(vpc_id=None), "InvalidVpcId.NotFound", 403),
    ],
)
def test_a_malformed_group_is_refused_and_nothing_is_created(setup, kw, code, status):
    ecs, vpc_id, _ = setup
    err = _refused(
        lambda: ecs.create_security_group(
            m.CreateSecurityGroupRequest(region_id=REGION, **{"vpc_id": vpc_id, **kw})
        )
    )
    assert (err.code, err.status_code) == (code, status)
    assert (
        ecs.describe_security_groups(
            m.DescribeSecurityGroupsRequest(region_id=REGION)
        ).body.total_count
        == 1
    )


def test_a_group_in_a_pending_vpc_is_refused(tenant):
    ecs = clients.tea_ecs(tenant)
    vpc_id = clients.tea_vpc(tenant).create_vpc(vm.CreateVpcRequest(region_id=REGION)).body.vpc_id
    err = _refused(lambda: _group(ecs, vpc_id))
    assert (err.code, err.status_code) == ("IncorrectVpcStatus", 400)


def test_a_client_token_creates_one_group(setup):
    ecs, vpc_id, _ = setup
    first = _group(ecs, vpc_id, client_token="tok-1")
    assert _group(ecs, vpc_id, client_token="tok-1") == first
    err = _refused(lambda: _group(ecs, vpc_id, client_token="tok-1", security_group_name="other"))
    assert err.code == "IdempotentParameterMismatch"


def test_describe_filters_by_ids_name_tag_and_pages_by_token(setup):
    ecs, vpc_id, web = setup
    db = _group(
        ecs,
        vpc_id,
        security_group_name="db",
        tag=[m.CreateSecurityGroupRequestTag(key="k", value="v")],
    )

    def ids(**kw) -> list[str]:  # noqa: ANN003
        body = ecs.describe_security_groups(
            m.DescribeSecurityGroupsRequest(region_id=REGION, **kw)
        ).body
        return [g.security_group_id for g in body.security_groups.security_group]

    assert ids(security_group_ids=json.dumps([db])) == [db]
    assert ids(security_group_name="web") == [web]
    assert ids(tag=[m.DescribeSecurityGroupsRequestTag(key="k")]) == [db]
    first = ecs.describe_security_groups(
        m.DescribeSecurityGroupsRequest(region_id=REGION, max_results=1)
    ).body
    assert [g.security_group_id for g in first.security_groups.security_group] == [
        web
    ] and first.next_token
    assert ids(max_results=1, next_token=first.next_token) == [db]
    err = _refused(lambda: ids(security_group_ids="[1, 2"))
    assert (err.code, err.status_code) == ("InvalidSecurityGroupId.Malformed", 400)


def test_modify_renames_and_keeps_an_empty_description(setup):
    ecs, _, group_id = setup
    ecs.modify_security_group_attribute(
        m.ModifySecurityGroupAttributeRequest(
            region_id=REGION,
            security_group_id=group_id,
            security_group_name="renamed",
            description="",
        )
    )
    body = ecs.describe_security_group_attribute(
        m.DescribeSecurityGroupAttributeRequest(region_id=REGION, security_group_id=group_id)
    ).body
    assert body.security_group_name == "renamed"
    err = _refused(
        lambda: ecs.modify_security_group_attribute(
            m.ModifySecurityGroupAttributeRequest(
                region_id=REGION, security_group_id=group_id, description="https://x"
            )
        )
    )
    assert (err.code, err.status_code) == ("InvalidSecurityGroupDiscription.Malformed", 400)


def test_another_tenant_can_neither_see_nor_use_the_group(server, setup):
    ecs, _, group_id = setup
    other = server.new_tenant()
    stranger = clients.tea_ecs(other)
    assert (
        stranger.describe_security_groups(
            m.DescribeSecurityGroupsRequest(region_id=REGION)
        ).body.total_count
        == 0
    )
    err = _refused(lambda: _rules(stranger, group_id))
    assert (err.code, err.status_code) == ("InvalidSecurityGroupId.NotFound", 404)
    err = _refused(lambda: _authorize(stranger, group_id, SSH))
    assert err.code == "InvalidSecurityGroupId.NotFound"
    own = _group(stranger, _vpc(other, server))
    err = _refused(
        lambda: _authorize(
            stranger, own, Perm(ip_protocol="tcp", port_range="22/22", source_group_id=group_id)
        )
    )
    assert (err.code, err.status_code) == ("InvalidSourceGroupId.NotFound", 404)


# --------------------------------------------------------------------------- the deprecated flat form


def test_legacy_sdk_flat_form_authorizes_and_revokes(tenant, setup):
    ecs, _, group_id = setup
    client = clients.legacy(tenant)
    request = AuthorizeSecurityGroupRequest()
    request.set_SecurityGroupId(group_id)
    request.set_IpProtocol("tcp")
    request.set_PortRange("443/443")
    request.set_SourceCidrIp("192.168.0.0/24")
    request.set_Priority("3")
    client.do_action_with_exception(request)
    egress = AuthorizeSecurityGroupEgressRequest()
    egress.set_SecurityGroupId(group_id)
    egress.set_IpProtocol("all")
    egress.set_PortRange("-1/-1")
    egress.set_DestCidrIp("0.0.0.0/0")
    client.do_action_with_exception(egress)
    got = [(p.direction, p.port_range, p.priority) for p in _rules(ecs, group_id)]
    assert got == [("ingress", "443/443", 3), ("egress", "-1/-1", 1)]
    revoke = RevokeSecurityGroupRequest()
    revoke.set_SecurityGroupId(group_id)
    revoke.set_IpProtocol("TCP")
    revoke.set_PortRange("443/443")
    revoke.set_SourceCidrIp("192.168.0.0/24")
    revoke.set_Priority("3")
    client.do_action_with_exception(revoke)
    assert [p.direction for p in _rules(ecs, group_id)] == ["egress"]


def test_legacy_flat_form_with_a_bad_port_range_is_refused(tenant, setup):
    _, _, group_id = setup
    request = AuthorizeSecurityGroupRequest()
    request.set_SecurityGroupId(group_id)
    request.set_IpProtocol("udp")
    request.set_PortRange("0/100")
    request.set_SourceCidrIp("0.0.0.0/0")
    with pytest.raises(ServerException) as info:
        clients.legacy(tenant).do_action_with_exception(request)
    assert (info.value.get_error_code(), info.value.get_http_status()) == (
        "InvalidIpProtocol.Malformed",
        400,
    )


def test_permissions_and_the_flat_form_cannot_be_mixed(setup):
    ecs, _, group_id = setup
    err = _refused(
        lambda: ecs.authorize_security_group(
            m.AuthorizeSecurityGroupRequest(
                region_id=REGION, security_group_id=group_id, permissions=[SSH], ip_protocol="tcp"
            )
        )
    )
    assert (err.code, err.status_code) == ("InvalidParam.Permissions", 400)
