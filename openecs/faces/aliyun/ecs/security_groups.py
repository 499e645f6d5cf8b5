"""ECS 2014-05-26 security groups: Create, Describe, DescribeAttribute, ModifyAttribute, Delete.

The group and its rules live in the cloud-neutral core
(:mod:`openecs.core.security_groups`); this module adds the vendor's rules and
spelling: a group always belongs to one of the caller's VPCs (the classic
network is retired), names and descriptions follow the vendor's patterns,
``SecurityGroupType`` normal or enterprise (kept in ``extra``), tags in
:mod:`openecs.core.tags`, the ClientToken in :mod:`openecs.core.idempotency`.
Rules are parsed and rendered by :mod:`.security_group_rules`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from openecs.core import network
from openecs.core import security_groups as sg
from openecs.core import tags as core_tags
from openecs.core.ids import aliyun_id
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.ecs.security_group_rules import ENTERPRISE, render_permission
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.paging import by_page_number, by_token
from openecs.faces.aliyun.vpc.vpcs import (
    RESOURCE_GROUP_ID,
    default_resource_group,
    iso_time,
    once,
    scope,
    tag_pairs,
    tags_match,
)
from openecs.faces.call import Call
from openecs.faces.params import BOOLEAN, JSON, ErrorSpec, Param

TAGGED = "security_group"  # the core's resource type in the tags table
MAX_IDS = 100  # SecurityGroupIds of DescribeSecurityGroups
CAPACITY = {"normal": 2000, ENTERPRISE: 65536}  # network interfaces a group can hold
NOT_PUBLIC = "ServiceManaged is not publicly available"

NAME_INVALID = ErrorSpec(
    "InvalidSecurityGroupName.Malformed", "Specified security group name is not valid."
)
DESCRIPTION_INVALID = ErrorSpec(
    "InvalidDescription.Malformed", 'The specified parameter "Description" is not valid.'
)
GROUP_DESCRIPTION_INVALID = ErrorSpec(
    "InvalidSecurityGroupDiscription.Malformed",
    "Specified security group description is not valid.",
)
GROUP_TYPE_INVALID = ErrorSpec(
    "InvalidParams.GroupType", "The specified security group type is not valid."
)
TYPE_FILTER_INVALID = ErrorSpec(
    "InvalidParameter.SecurityGroupType", "The specified SecurityGroupType is not valid."
)
ID_MALFORMED = ErrorSpec(
    "InvalidSecurityGroupId.Malformed", "The specified parameter SecurityGroupId is not valid."
)
VPC_REQUIRED = ErrorSpec(
    "InvalidVpcId.NotFound", "The VpcId must not empty when only support vpc vm.", 403
)
VPC_STATUS = ErrorSpec("IncorrectVpcStatus", "Current VPC status does not support this operation.")

# 2 to 128 characters, starting with a letter (Chinese included); letters, digits, : _ . -
NAME_PATTERN = common.ECS_NAME_PATTERN
DESCRIPTION_PATTERN = common.ECS_DESCRIPTION_PATTERN


def _refuse_true(name: str):  # noqa: ANN202
    def check(value: bool) -> None:
        if value:
            E.PARAM_DEFAULTS.unsupported.raise_(name, value, reason=NOT_PUBLIC)

    return check


SERVICE_MANAGED = Param(
    "ServiceManaged",
    BOOLEAN,
    check=_refuse_true("ServiceManaged"),
    doc="Only false: " + NOT_PUBLIC + ".",
)
GROUP_ID = Param("SecurityGroupId", required=True, max_length=64)


def group_type(group: sg.SecurityGroup) -> str:
    return group.extra.get("SecurityGroupType", "normal")


# --------------------------------------------------------------------------- operations


@operation(
    "Ecs",
    "CreateSecurityGroup",
    params=[
        common.REGION_ID,
        common.CLIENT_TOKEN,
        Param("VpcId", max_length=64, doc="Required: the classic network is retired."),
        Param(
            "SecurityGroupName",
            pattern=NAME_PATTERN,
            invalid=NAME_INVALID,
            doc="2 to 128 characters, starting with a letter; letters, digits, : _ . -",
        ),
        Param(
            "Description",
            pattern=DESCRIPTION_PATTERN,
            invalid=DESCRIPTION_INVALID,
            doc="2 to 256 characters; not http:// or https://.",
        ),
        Param(
            "SecurityGroupType",
            enum=("normal", ENTERPRISE),
            default="normal",
            invalid=GROUP_TYPE_INVALID,
        ),
        RESOURCE_GROUP_ID,
        SERVICE_MANAGED,
        common.tags(extra_fields=common.LEGACY_TAG_FIELDS),
    ],
)
def create_security_group(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Create a security group in one of the caller's Available VPCs."""
    if "VpcId" not in p:
        raise E.vendor(VPC_REQUIRED)
    region = p["RegionId"]
    where = scope(call, region)
    with call.db.write() as conn:

        def produce() -> dict[str, Any]:
            vpc = network.get_vpc(conn, where, p["VpcId"])
            if vpc.status != network.AVAILABLE:
                raise E.vendor(VPC_STATUS)
            group = sg.create_group(
                conn,
                where,
                group_id=aliyun_id("sg", region),
                name=p.get("SecurityGroupName", ""),
                description=p.get("Description", ""),
                now=call.clock.now(),
                vpc_id=vpc.id,
                extra={
                    "SecurityGroupType": p["SecurityGroupType"],
                    "ResourceGroupId": p.get("ResourceGroupId") or default_resource_group(call),
                },
            )
            core_tags.set_tags(
                conn,
                call.account.id,
                TAGGED,
                group.id,
                tag_pairs(p.get("Tag")),
                limit=common.TAG_LIMIT,
                new=True,
            )
            return {"SecurityGroupId": group.id}

        return once(conn, call, region, "CreateSecurityGroup", p, produce)


def _sort_key(group: sg.SecurityGroup | sg.Rule) -> str:
    """Creation order as one string (the next-token key): fixed-width time, then the id."""
    return f"{group.created_at:020.6f}|{group.id}"


@operation(
    "Ecs",
    "DescribeSecurityGroups",
    params=[
        common.REGION_ID,
        common.DRY_RUN,
        Param("VpcId", max_length=64),
        Param("SecurityGroupId", max_length=64),
        Param(
            "SecurityGroupIds",
            JSON,
            items=Param("item", max_length=64, invalid=ID_MALFORMED),
            max_items=MAX_IDS,
            invalid=ID_MALFORMED,
            doc=f"A JSON array of up to {MAX_IDS} ids.",
        ),
        Param("SecurityGroupName", max_length=128),
        Param(
            "FuzzyQuery",
            BOOLEAN,
            default=False,
            doc="Deprecated: true matches names containing SecurityGroupName.",
        ),
        Param("SecurityGroupType", enum=("normal", ENTERPRISE), invalid=TYPE_FILTER_INVALID),
        Param(
            "NetworkType",
            enum=("vpc", "classic"),
            doc="Every group is a VPC group: classic lists none.",
        ),
        Param(
            "IsQueryEcsCount",
            BOOLEAN,
            doc="Deprecated; EcsCount and AvailableInstanceAmount are always valid.",
        ),
        Param(
            "ServiceManaged",
            BOOLEAN,
            doc="No group is managed by a cloud service: true lists none.",
        ),
        RESOURCE_GROUP_ID,
        common.tags(too_many=common.TAGS_FILTER_COUNT, extra_fields=common.LEGACY_TAG_FIELDS),
        common.page_number(),
        common.page_size(maximum=50),
        replace(common.max_results(maximum=100, default=10), default=None),
        common.next_token(),
    ],
)
def describe_security_groups(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """List the caller's security groups of a region, filtered, by page number or next token."""
    common.dry_run(p)
    where = scope(call, p["RegionId"])
    ids = p.get("SecurityGroupIds")
    if "SecurityGroupId" in p:
        ids = [i for i in (ids or [p["SecurityGroupId"]]) if i == p["SecurityGroupId"]]
    wanted = common.normalized_tags(p.get("Tag"))
    with call.db.read() as conn:
        groups = sg.list_groups(conn, where, ids=ids, vpc_id=p.get("VpcId"))
        tags = core_tags.tags_of(conn, [g.id for g in groups])
        name = p.get("SecurityGroupName")
        groups = [
            g
            for g in groups
            if (name is None or (name in g.name if p["FuzzyQuery"] else g.name == name))
            and p.get("SecurityGroupType", group_type(g)) == group_type(g)
            and p.get("NetworkType", "vpc") == "vpc"
            and not p.get("ServiceManaged")
            and p.get("ResourceGroupId", g.extra.get("ResourceGroupId"))
            == g.extra.get("ResourceGroupId")
            and tags_match(dict(tags[g.id]), wanted)
        ]
        if "MaxResults" in p or "NextToken" in p:
            token_page = by_token(groups, p.get("NextToken"), p.get("MaxResults") or 10, _sort_key)
            shown, paging = token_page.items, token_page.fields()
        else:
            page = by_page_number(groups, p["PageNumber"], p["PageSize"])
            shown, paging = page.items, page.fields()
        counts = sg.interfaces_in(conn, [g.id for g in shown])
        rules = sg.list_rules(conn, [g.id for g in shown])
    return {
        "RegionId": p["RegionId"],
        "SecurityGroups": {
            "SecurityGroup": [
                {
                    "SecurityGroupId": g.id,
                    "SecurityGroupName": g.name,
                    "Description": g.description,
                    "VpcId": g.vpc_id or "",
                    "CreationTime": iso_time(g.created_at),
                    "SecurityGroupType": group_type(g),
                    "ResourceGroupId": g.extra.get("ResourceGroupId", ""),
                    "ServiceManaged": False,
                    "EcsCount": counts[g.id],
                    "AvailableInstanceAmount": CAPACITY[group_type(g)] - counts[g.id],
                    "RuleCount": len(rules[g.id]),
                    "GroupToGroupRuleCount": sum(1 for r in rules[g.id] if r.remote_group_id),
                    "Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in tags[g.id]]},
                }
                for g in shown
            ]
        },
        **paging,
    }


@operation(
    "Ecs",
    "DescribeSecurityGroupAttribute",
    params=[
        common.REGION_ID,
        GROUP_ID,
        Param("Direction", enum=("ingress", "egress", "all"), default="all"),
        Param(
            "NicType",
            enum=("internet", "intranet"),
            invalid=ErrorSpec(
                "InvalidNicType.ValueNotSupported", "The specified NicType does not exist."
            ),
            doc="Rules of VPC groups are intranet rules: either value lists them.",
        ),
        Param(
            "Attribute",
            enum=("snapshotPolicyIds",),
            doc="snapshotPolicyIds: no snapshot policy is associated with a group, the list is empty.",
        ),
        replace(common.max_results(maximum=1000, default=500, minimum=10), default=None),
        common.next_token(),
    ],
)
def describe_security_group_attribute(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """One security group and its rules, in the vendor's Permissions.Permission[] shape."""
    where = scope(call, p["RegionId"])
    with call.db.read() as conn:
        group = sg.get_group(conn, where, p["SecurityGroupId"])
        rules = [
            r
            for r in sg.list_rules(conn, [group.id])[group.id]
            if p["Direction"] in ("all", r.direction)
        ]
        remote_ids = sorted({r.remote_group_id for r in rules if r.remote_group_id})
        names = (
            {g.id: g.name for g in sg.list_groups(conn, where, ids=remote_ids)}
            if remote_ids
            else {}
        )
    body: dict[str, Any] = {
        "RegionId": p["RegionId"],
        "SecurityGroupId": group.id,
        "SecurityGroupName": group.name,
        "Description": group.description,
        "VpcId": group.vpc_id or "",
        "InnerAccessPolicy": "Drop" if group_type(group) == ENTERPRISE else "Accept",
    }
    if "MaxResults" in p or "NextToken" in p:
        page = by_token(rules, p.get("NextToken"), p.get("MaxResults") or 500, _sort_key)
        rules = page.items
        body.update(page.fields())
    body["Permissions"] = {"Permission": [render_permission(r, names) for r in rules]}
    if "Attribute" in p:
        body["SnapshotPolicyIds"] = {"SnapshotPolicyId": []}
    return body


@operation(
    "Ecs",
    "ModifySecurityGroupAttribute",
    params=[
        common.REGION_ID,
        GROUP_ID,
        Param(
            "SecurityGroupName",
            pattern=f"|{NAME_PATTERN}",
            invalid=NAME_INVALID,
            doc="As CreateSecurityGroup's; empty leaves the name unchanged.",
        ),
        Param(
            "Description",
            pattern=f"|{DESCRIPTION_PATTERN}",
            invalid=GROUP_DESCRIPTION_INVALID,
            doc="As CreateSecurityGroup's; empty leaves the description unchanged.",
        ),
    ],
)
def modify_security_group_attribute(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Rename a security group or change its description."""
    changes = {
        field: p[name]
        for name, field in (("SecurityGroupName", "name"), ("Description", "description"))
        if p.get(name)
    }
    with call.db.write() as conn:
        sg.update_group(conn, scope(call, p["RegionId"]), p["SecurityGroupId"], **changes)
    return {}


@operation("Ecs", "DeleteSecurityGroup", params=[common.REGION_ID, GROUP_ID])
def delete_security_group(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Delete a group and its rules; refused while an interface uses it or another group's rule names it."""
    with call.db.write() as conn:
        sg.delete_group(conn, scope(call, p["RegionId"]), p["SecurityGroupId"])
        core_tags.remove_tags(conn, p["SecurityGroupId"])
    return {}
