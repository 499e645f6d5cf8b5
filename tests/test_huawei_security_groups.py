"""Huawei security groups (VPC v1 and v3) through the official huaweicloudsdkvpc clients.

The Terraform flow first (create a group and find its default rules, add
rules, read, delete a rule, delete the group, then 404), the project's
default group, then one test per refusal, each checking that the refused
request changed nothing.
"""

from __future__ import annotations

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkvpc.v2 import (
    CreateSecurityGroupOption,
    CreateSecurityGroupRequest,
    CreateSecurityGroupRequestBody,
    CreateSecurityGroupRuleOption,
    CreateSecurityGroupRuleRequest,
    CreateSecurityGroupRuleRequestBody,
    DeleteSecurityGroupRequest,
    DeleteSecurityGroupRuleRequest,
    ListSecurityGroupRulesRequest,
    ListSecurityGroupsRequest,
    ShowSecurityGroupRequest,
    ShowSecurityGroupRuleRequest,
)
from huaweicloudsdkvpc.v3 import CreateSecurityGroupOption as Group3
from huaweicloudsdkvpc.v3 import CreateSecurityGroupRequest as CreateGroup3
from huaweicloudsdkvpc.v3 import CreateSecurityGroupRequestBody as CreateGroup3Body
from huaweicloudsdkvpc.v3 import CreateSecurityGroupRuleOption as Rule3
from huaweicloudsdkvpc.v3 import CreateSecurityGroupRuleRequest as CreateRule3
from huaweicloudsdkvpc.v3 import CreateSecurityGroupRuleRequestBody as CreateRule3Body
from huaweicloudsdkvpc.v3 import DeleteSecurityGroupRequest as DeleteGroup3
from huaweicloudsdkvpc.v3 import DeleteSecurityGroupRuleRequest as DeleteRule3
from huaweicloudsdkvpc.v3 import ListSecurityGroupRulesRequest as ListRules3
from huaweicloudsdkvpc.v3 import ListSecurityGroupsRequest as ListGroups3
from huaweicloudsdkvpc.v3 import ShowSecurityGroupRequest as ShowGroup3
from huaweicloudsdkvpc.v3 import ShowSecurityGroupRuleRequest as ShowRule3
from huaweicloudsdkvpc.v3 import UpdateSecurityGroupOption as Update3
from huaweicloudsdkvpc.v3 import UpdateSecurityGroupRequest as UpdateGroup3
from huaweicloudsdkvpc.v3 import UpdateSecurityGroupRequestBody as UpdateGroup3Body

from tests import clients


def refused(call) -> ClientRequestException:  # noqa: ANN001
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


def create_group(vpc, name: str = "sg-1", **kw):  # noqa: ANN001, ANN201
    option = CreateSecurityGroupOption(name=name, **kw)
    body = CreateSecurityGroupRequestBody(security_group=option)
    return vpc.create_security_group(CreateSecurityGroupRequest(body=body)).security_group


def add_rule(vpc, group_id: str, **kw):  # noqa: ANN001, ANN201
    option = CreateSecurityGroupRuleOption(
        security_group_id=group_id, direction=kw.pop("direction", "ingress"), **kw
    )
    body = CreateSecurityGroupRuleRequestBody(security_group_rule=option)
    return vpc.create_security_group_rule(
        CreateSecurityGroupRuleRequest(body=body)
    ).security_group_rule


def rules_of(vpc, group_id: str) -> list:  # noqa: ANN001
    return vpc.show_security_group(
        ShowSecurityGroupRequest(security_group_id=group_id)
    ).security_group.security_group_rules


def create_group3(vpc3, name: str = "sg-3", **kw):  # noqa: ANN001, ANN201
    body = CreateGroup3Body(security_group=Group3(name=name, **kw))
    return vpc3.create_security_group(CreateGroup3(body=body)).security_group


def add_rule3(vpc3, group_id: str, **kw):  # noqa: ANN001, ANN201
    option = Rule3(security_group_id=group_id, direction=kw.pop("direction", "ingress"), **kw)
    return vpc3.create_security_group_rule(
        CreateRule3(body=CreateRule3Body(security_group_rule=option))
    ).security_group_rule


SSH = {
    "protocol": "tcp",
    "port_range_min": 22,
    "port_range_max": 22,
    "remote_ip_prefix": "0.0.0.0/0",
}


# -- the Terraform flow, v1


def test_a_new_group_has_the_vendors_default_rules(tenant):
    group = create_group(clients.hw_vpc(tenant))
    shapes = sorted(
        (r.direction, r.ethertype, r.protocol, r.remote_group_id, r.remote_ip_prefix)
        for r in group.security_group_rules
    )
    assert shapes == [
        ("egress", "IPv4", None, None, "0.0.0.0/0"),
        ("egress", "IPv6", None, None, "::/0"),
        ("ingress", "IPv4", None, group.id, None),
        ("ingress", "IPv6", None, group.id, None),
    ]
    assert group.vpc_id is None and group.enterprise_project_id == "0"


def test_v1_rule_is_added_read_listed_and_deleted(tenant):
    vpc = clients.hw_vpc(tenant)
    group = create_group(vpc)
    rule = add_rule(vpc, group.id, description="ssh", **SSH)
    assert (rule.port_range_min, rule.port_range_max, rule.protocol) == (22, 22, "tcp")
    assert rule.tenant_id == tenant.project_id() and rule.security_group_id == group.id
    shown = vpc.show_security_group_rule(
        ShowSecurityGroupRuleRequest(security_group_rule_id=rule.id)
    )
    assert shown.security_group_rule.description == "ssh"
    listed = vpc.list_security_group_rules(
        ListSecurityGroupRulesRequest(security_group_id=group.id)
    )
    assert rule.id in [r.id for r in listed.security_group_rules]
    vpc.delete_security_group_rule(DeleteSecurityGroupRuleRequest(security_group_rule_id=rule.id))
    assert rule.id not in [r.id for r in rules_of(vpc, group.id)]


def test_v1_group_is_deleted_then_404(tenant):
    vpc = clients.hw_vpc(tenant)
    group = create_group(vpc)
    vpc.delete_security_group(DeleteSecurityGroupRequest(security_group_id=group.id))
    err = refused(
        lambda: vpc.show_security_group(ShowSecurityGroupRequest(security_group_id=group.id))
    )
    assert (err.status_code, err.error_code) == (404, "VPC.0603")


def test_the_default_group_exists_and_is_listed(tenant):
    vpc = clients.hw_vpc(tenant)
    groups = vpc.list_security_groups(ListSecurityGroupsRequest()).security_groups
    (default,) = [g for g in groups if g.name == "default"]
    ports = sorted(r.port_range_min for r in default.security_group_rules if r.port_range_min)
    assert ports == [22, 3389]


def test_the_default_group_is_made_once(tenant):
    vpc = clients.hw_vpc(tenant)
    create_group(vpc)
    vpc.list_security_groups(ListSecurityGroupsRequest())
    groups = vpc.list_security_groups(ListSecurityGroupsRequest()).security_groups
    assert [g.name for g in groups].count("default") == 1


def test_the_default_group_cannot_be_deleted(tenant):
    vpc = clients.hw_vpc(tenant)
    groups = vpc.list_security_groups(ListSecurityGroupsRequest()).security_groups
    (default,) = [g for g in groups if g.name == "default"]
    err = refused(
        lambda: vpc.delete_security_group(DeleteSecurityGroupRequest(security_group_id=default.id))
    )
    assert (err.status_code, err.error_code) == (409, "VPC.0602")


def test_v1_groups_page_by_limit_and_marker(tenant):
    vpc = clients.hw_vpc(tenant)
    create_group(vpc, "a")
    create_group(vpc, "b")
    first = vpc.list_security_groups(ListSecurityGroupsRequest(limit=2)).security_groups
    rest = vpc.list_security_groups(
        ListSecurityGroupsRequest(limit=2, marker=first[-1].id)
    ).security_groups
    assert len(first) == 2 and len(rest) == 1


# -- v1 refusals


@pytest.mark.parametrize(
    "rule",
    [
        {"protocol": "tcp", "port_range_min": 80, "port_range_max": 22},
        {"protocol": "tcp", "port_range_min": 80},
        {"protocol": "47", "port_range_min": 1, "port_range_max": 2},
        {"protocol": "sctp"},
        {"protocol": "300"},
        {"port_range_min": 70000, "port_range_max": 70000, "protocol": "tcp"},
        {"remote_ip_prefix": "10.0.0.0/33"},
        {"remote_ip_prefix": "::/0"},
        {"ethertype": "IPv6", "remote_ip_prefix": "0.0.0.0/0"},
        {"ethertype": "IPv5"},
        {"direction": "sideways"},
        {"remote_ip_prefix": "0.0.0.0/0", "remote_group_id": "REMOTE"},
        {"description": "<b>"},
    ],
    ids=lambda r: ",".join(f"{k}={v}" for k, v in r.items()),
)
def test_v1_invalid_rule_is_refused_and_changes_nothing(tenant, rule):
    vpc = clients.hw_vpc(tenant)
    group = create_group(vpc)
    rule = {k: (group.id if v == "REMOTE" else v) for k, v in rule.items()}
    err = refused(lambda: add_rule(vpc, group.id, **rule))
    assert (err.status_code, err.error_code) == (400, "VPC.0601")
    assert len(rules_of(vpc, group.id)) == 4


def test_v1_duplicate_rule_is_refused_with_409(tenant):
    vpc = clients.hw_vpc(tenant)
    group = create_group(vpc)
    first = add_rule(vpc, group.id, **SSH)
    err = refused(lambda: add_rule(vpc, group.id, **SSH))
    assert (err.status_code, err.error_code) == (409, "VPC.0602")
    assert first.id in err.error_msg and len(rules_of(vpc, group.id)) == 5


def test_v1_duplicate_of_a_default_rule_is_refused(tenant):
    vpc = clients.hw_vpc(tenant)
    group = create_group(vpc)
    err = refused(lambda: add_rule(vpc, group.id, direction="egress", remote_ip_prefix="0.0.0.0/0"))
    assert err.status_code == 409


def test_v1_rule_naming_an_unknown_remote_group_is_404(tenant):
    vpc = clients.hw_vpc(tenant)
    group = create_group(vpc)
    missing = "7c3e9b4a-0000-4000-8000-000000000000"
    err = refused(lambda: add_rule(vpc, group.id, remote_group_id=missing))
    assert (err.status_code, err.error_code) == (404, "VPC.0603")
    assert len(rules_of(vpc, group.id)) == 4


def test_v1_group_referenced_by_another_groups_rule_is_not_deleted(tenant):
    vpc = clients.hw_vpc(tenant)
    target, other = create_group(vpc, "target"), create_group(vpc, "other")
    add_rule(
        vpc, other.id, remote_group_id=target.id, protocol="tcp", port_range_min=1, port_range_max=9
    )
    err = refused(
        lambda: vpc.delete_security_group(DeleteSecurityGroupRequest(security_group_id=target.id))
    )
    assert (err.status_code, err.error_code) == (409, "VPC.0602")
    assert vpc.show_security_group(
        ShowSecurityGroupRequest(security_group_id=target.id)
    ).security_group


def test_v1_group_name_is_required_and_checked(tenant):
    vpc = clients.hw_vpc(tenant)
    err = refused(lambda: create_group(vpc, name="bad name!"))
    assert (err.status_code, err.error_code) == (400, "VPC.0601")


def test_v1_unknown_rule_is_404(tenant):
    vpc = clients.hw_vpc(tenant)
    err = refused(
        lambda: vpc.delete_security_group_rule(
            DeleteSecurityGroupRuleRequest(security_group_rule_id="nope")
        )
    )
    assert (err.status_code, err.error_code) == (404, "VPC.0603")


def test_another_tenants_group_and_rule_are_404(server, tenant):
    vpc = clients.hw_vpc(tenant)
    group = create_group(vpc)
    rule = add_rule(vpc, group.id, **SSH)
    stranger = clients.hw_vpc(server.new_tenant())
    for call in (
        lambda: stranger.show_security_group(ShowSecurityGroupRequest(security_group_id=group.id)),
        lambda: stranger.delete_security_group(
            DeleteSecurityGroupRequest(security_group_id=group.id)
        ),
        lambda: stranger.show_security_group_rule(
            ShowSecurityGroupRuleRequest(security_group_rule_id=rule.id)
        ),
        lambda: add_rule(stranger, group.id, **SSH),
    ):
        assert refused(call).status_code == 404
    assert group.id not in [
        g.id for g in stranger.list_security_groups(ListSecurityGroupsRequest()).security_groups
    ]


# -- v3


def test_v3_flow_create_rule_update_delete(tenant):
    vpc3 = clients.hw_vpc3(tenant)
    group = create_group3(vpc3, description="web")
    assert len(group.security_group_rules) == 4 and group.project_id == tenant.project_id()
    assert {r.priority for r in group.security_group_rules} == {100}
    rule = add_rule3(
        vpc3,
        group.id,
        protocol="tcp",
        multiport="80-90",
        remote_ip_prefix="10.0.0.0/8",
        action="deny",
        priority=5,
    )
    assert (rule.multiport, rule.action, rule.priority, rule.enabled) == ("80-90", "deny", 5, True)
    shown = vpc3.show_security_group_rule(
        ShowRule3(security_group_rule_id=rule.id)
    ).security_group_rule
    assert shown.remote_ip_prefix == "10.0.0.0/8"
    body = UpdateGroup3Body(security_group=Update3(name="web-2", description="renamed"))
    updated = vpc3.update_security_group(
        UpdateGroup3(security_group_id=group.id, body=body)
    ).security_group
    assert (updated.name, updated.description) == ("web-2", "renamed")
    vpc3.delete_security_group_rule(DeleteRule3(security_group_rule_id=rule.id))
    vpc3.delete_security_group(DeleteGroup3(security_group_id=group.id))
    err = refused(lambda: vpc3.show_security_group(ShowGroup3(security_group_id=group.id)))
    assert (err.status_code, err.error_code) == (404, "VPC.0603")


def test_v3_lists_filter_and_page(tenant):
    vpc3 = clients.hw_vpc3(tenant)
    group = create_group3(vpc3)
    add_rule3(vpc3, group.id, protocol="udp", multiport="53,123")
    groups = vpc3.list_security_groups(ListGroups3(name=["default"]))
    assert [g.name for g in groups.security_groups] == ["default"]
    rules = vpc3.list_security_group_rules(
        ListRules3(security_group_id=[group.id], protocol=["udp"])
    )
    assert [r.multiport for r in rules.security_group_rules] == ["53,123"]
    page = vpc3.list_security_group_rules(ListRules3(security_group_id=[group.id], limit=2))
    assert len(page.security_group_rules) == 2 and page.page_info.next_marker


def test_v3_duplicate_rule_is_refused_with_409(tenant):
    vpc3 = clients.hw_vpc3(tenant)
    group = create_group3(vpc3)
    add_rule3(vpc3, group.id, protocol="tcp", multiport="443")
    err = refused(lambda: add_rule3(vpc3, group.id, protocol="tcp", multiport="443"))
    assert (err.status_code, err.error_code) == (409, "VPC.0602")


@pytest.mark.parametrize(
    "rule",
    [
        {"protocol": "tcp", "multiport": "90-80"},
        {"protocol": "tcp", "multiport": "0"},
        {"protocol": "icmp", "multiport": "80"},
        {"priority": 101},
        {"action": "reject"},
        {"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"},
    ],
    ids=lambda r: ",".join(f"{k}={v}" for k, v in r.items()),
)
def test_v3_invalid_rule_is_refused_and_changes_nothing(tenant, rule):
    vpc3 = clients.hw_vpc3(tenant)
    group = create_group3(vpc3)
    err = refused(lambda: add_rule3(vpc3, group.id, **rule))
    assert (err.status_code, err.error_code) == (400, "VPC.0601")
    shown = vpc3.show_security_group(ShowGroup3(security_group_id=group.id)).security_group
    assert len(shown.security_group_rules) == 4


def test_v3_dry_run_creates_nothing(tenant):
    vpc3 = clients.hw_vpc3(tenant)
    body = CreateGroup3Body(security_group=Group3(name="dry"), dry_run=True)
    vpc3.create_security_group(CreateGroup3(body=body))
    names = [g.name for g in vpc3.list_security_groups(ListGroups3()).security_groups]
    assert "dry" not in names


@pytest.mark.postgres
def test_two_first_requests_at_once_make_one_default_group(postgres_server):
    import threading

    from openecs.core import network
    from openecs.core import security_groups as core_sg
    from openecs.faces.huawei.vpc.security_groups import ensure_default_group

    tenant = postgres_server.new_tenant()
    scope = network.Scope("huawei", tenant.account.id, "cn-north-4")
    barrier = threading.Barrier(4)
    made: list[str] = []

    def first_request() -> None:
        with postgres_server.runtime.db.write() as conn:
            barrier.wait()
            made.append(ensure_default_group(conn, scope, 0.0).id)

    threads = [threading.Thread(target=first_request) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    with postgres_server.runtime.db.read() as conn:
        defaults = [g for g in core_sg.list_groups(conn, scope) if g.is_default]
    assert len(defaults) == 1 and set(made) == {defaults[0].id}
