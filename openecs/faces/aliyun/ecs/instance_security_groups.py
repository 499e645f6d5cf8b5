"""ECS 2014-05-26 JoinSecurityGroup and LeaveSecurityGroup: one group more, or one fewer.

An instance's groups are its primary network interface's; an ENI named by
``NetworkInterfaceId`` (the region then required) has its own. The vendor's
rules: the instance must be Running or Stopped (a Pending one is "being
created"); a group must be the caller's, in the instance's VPC and of the type
of the groups already held (basic and enterprise do not mix); at most five
groups, at least one kept; joining a group twice or leaving one not held is
refused (``InvalidSecurityGroupAssociation.NotFound`` since the vendor's
July 2024 change, no longer a silent success). The group checks that
ModifyInstanceAttribute's ``SecurityGroupIds`` shares are written here once.
The interface is locked before its groups are read, so two concurrent joins
both land.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from openecs.core import instances as core
from openecs.core import interfaces
from openecs.core import security_groups as sg
from openecs.core.errors import NotFound
from openecs.core.network import Scope
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.ecs.instance_params import MAX_GROUPS
from openecs.faces.aliyun.ecs.instances_describe import find_instance
from openecs.faces.aliyun.ecs.security_groups import GROUP_ID, group_type
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.vpc.vpcs import scope
from openecs.faces.call import Call
from openecs.faces.params import ErrorSpec, Param, optional

INCORRECT_STATUS = E.DOMAIN_ERRORS["instance.incorrect_status"]
BEING_CREATED = ErrorSpec(
    "Forbidden.InstanceIsBeingCreated", "The specified instance is being created.", 403
)
GROUP_OTHER_VPC = ErrorSpec(
    "InvalidInstanceId.Mismatch", "Specified instance and security group are not in the same VPC."
)
GROUPS_OTHER_VPCS = ErrorSpec(
    "InvalidSecurityGroupVpc.NotBelongToOneVpc",
    "The specified SecurityGroupIds are belong to different vpc.",
    404,
)
JOIN_LIMIT = ErrorSpec(
    "InstanceSecurityGroupLimitExceeded",
    "Exceeding the allowed amount of security groups that an instance can be in.",
)
JOIN_TYPES = ErrorSpec(
    "InvalidOperation.MultiGroupType",
    "The specified instance can't join different types of security group.",
)
ALREADY_JOINED = ErrorSpec(
    "InvalidInstanceId.AlreadyExists",
    "The specified instance already exists in the specified security group.",
    403,
)
NOT_JOINED = ErrorSpec(
    "InvalidSecurityGroupAssociation.NotFound",
    "The specified resource is not in the security group {group}.",
)
LAST_GROUP = ErrorSpec(
    "InstanceLastSecurityGroup",
    "The specified security group is the last security group for the instance.",
    403,
)
ENI_LAST_GROUP = ErrorSpec(
    "InvalidOperation.AtLeastInOneGroup",
    "The network interface must stay in at least one security group.",
    403,
)
BOTH_GIVEN = ErrorSpec(
    "InvalidParam.EniIdAndInstanceId.Conflict",
    "InstanceId and NetworkInterfaceId cannot both be specified.",
    403,
)
NEITHER_GIVEN = ErrorSpec(
    "MissingParameter",
    'The input parameter "InstanceId" that is mandatory for processing this request is not '
    "supplied.",
)
REGION_REQUIRED = ErrorSpec(
    "MissingParameter.RegionId", "The specified RegionId should not be null."
)
ENI_NOT_FOUND = ErrorSpec(
    "InvalidEniId.NotFound", "The specified NetworkInterfaceId {id} does not exist.", 404
)
ENI_STATE = ErrorSpec(
    "InvalidOperation.InvalidEniState", "The network interface is {status}; try again later."
)
SETTLED = (core.RUNNING, core.STOPPED)


# --------------------------------------------------------------------------- shared group checks


def groups_in_vpc(
    conn: Connection, where: Scope, vpc_id: str, group_ids: Sequence[str]
) -> list[sg.SecurityGroup]:
    """The named groups: each the caller's, all in one VPC, and that VPC the instance's."""
    groups = [sg.get_group(conn, where, gid) for gid in group_ids]
    if len({g.vpc_id for g in groups}) > 1:
        raise E.vendor(GROUPS_OTHER_VPCS)
    if any(g.vpc_id != vpc_id for g in groups):
        raise E.vendor(GROUP_OTHER_VPC)
    return groups


def one_type(groups: Sequence[sg.SecurityGroup], mixed: ErrorSpec) -> None:
    """Basic (normal) and enterprise groups are never held together."""
    if len({group_type(g) for g in groups}) > 1:
        raise E.vendor(mixed)


def primary_interface(conn: Connection, where: Scope, vm: core.Instance) -> interfaces.Interface:
    """The instance's primary interface, locked: the holder of the instance's groups."""
    for iface in interfaces.list_interfaces(conn, where, device_id=vm.id):
        if iface.type == "primary":
            return interfaces.get_interface(conn, where, iface.id, for_update=True)
    raise NotFound("interface.not_found", f"The instance {vm.id} has no primary interface.")


# --------------------------------------------------------------------------- the operations

PARAMS = [
    GROUP_ID,
    Param("InstanceId", max_length=64, doc="The instance, in any region; or NetworkInterfaceId."),
    Param("NetworkInterfaceId", max_length=64, doc="An ENI, with RegionId; or InstanceId."),
    replace(optional(common.REGION_ID), doc="A catalog region; required with NetworkInterfaceId."),
]


def _target(conn: Connection, call: Call, p: dict[str, Any]) -> interfaces.Interface:
    """The locked interface whose groups change, after the holder's state rules."""
    if "InstanceId" in p and "NetworkInterfaceId" in p:
        raise E.vendor(BOTH_GIVEN)
    if "InstanceId" in p:
        vm = find_instance(conn, call, p["InstanceId"], for_update=True)
        where = scope(call, vm.region)
        if vm.status == core.PENDING:
            raise E.vendor(BEING_CREATED)
        if vm.status not in SETTLED:
            raise E.vendor(INCORRECT_STATUS)
        return primary_interface(conn, where, vm)
    if "NetworkInterfaceId" not in p:
        raise E.vendor(NEITHER_GIVEN)
    if "RegionId" not in p:
        raise E.vendor(REGION_REQUIRED)
    where = scope(call, p["RegionId"])
    try:
        iface = interfaces.get_interface(conn, where, p["NetworkInterfaceId"], for_update=True)
    except NotFound:
        raise E.vendor(ENI_NOT_FOUND, id=p["NetworkInterfaceId"]) from None
    if iface.status not in (interfaces.AVAILABLE, interfaces.IN_USE):
        raise E.vendor(ENI_STATE, status=iface.status)
    return iface


@operation("Ecs", "JoinSecurityGroup", params=PARAMS)
def join_security_group(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Add an instance (its primary interface) or an ENI to one more security group."""
    with call.db.write() as conn:
        iface = _target(conn, call, p)
        where = scope(call, iface.region)
        (group,) = groups_in_vpc(conn, where, iface.vpc_id, [p["SecurityGroupId"]])
        if group.id in iface.security_group_ids:
            raise E.vendor(ALREADY_JOINED)
        if len(iface.security_group_ids) >= MAX_GROUPS:
            raise E.vendor(JOIN_LIMIT)
        held = [sg.get_group(conn, where, gid) for gid in iface.security_group_ids]
        one_type([*held, group], JOIN_TYPES)
        interfaces.set_groups(conn, where, iface.id, [*iface.security_group_ids, group.id])
    return {}


@operation("Ecs", "LeaveSecurityGroup", params=PARAMS)
def leave_security_group(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Remove an instance (its primary interface) or an ENI from one of its security groups."""
    with call.db.write() as conn:
        iface = _target(conn, call, p)
        where = scope(call, iface.region)
        group = sg.get_group(conn, where, p["SecurityGroupId"])
        if group.id not in iface.security_group_ids:
            raise E.vendor(NOT_JOINED, group=group.id)
        if len(iface.security_group_ids) == 1:
            raise E.vendor(LAST_GROUP if "InstanceId" in p else ENI_LAST_GROUP)
        kept = [gid for gid in iface.security_group_ids if gid != group.id]
        interfaces.set_groups(conn, where, iface.id, kept)
    return {}
