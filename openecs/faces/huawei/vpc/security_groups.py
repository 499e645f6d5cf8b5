"""Huawei security groups: the VPC v1 API, and the vendor rules the v3 API shares with it.

A Huawei group is a row of the core's security group table with no VPC (the
v1 ``vpc_id`` is, in the vendor's words, "only used as a prompt", so it rides
in ``extra``). Rules are stored in the core's neutral words; this module
spells them the vendor's way (``port_range_min``, a null protocol for all,
``allow``/``deny`` for v3). A new group gets the vendor's default rules:
ingress from the group itself and egress to anywhere, each for IPv4 and IPv6.
Every project has a group named ``default`` (which also admits SSH, RDP and
ICMP from anywhere); it is made, in the caller's transaction, the first time
any security group route of a region is used, or by :func:`ensure_default_group`.

Parameter errors answer ``VPC.0601``; unknown groups ``VPC.0603`` (404); a
group in use or referenced and a duplicate rule ``VPC.0602`` with the
wrapped Neutron error and its 409, as the vendor answers them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from openecs.core import network
from openecs.core import security_groups as sg
from openecs.core.ids import huawei_id
from openecs.faces.call import Call
from openecs.faces.errors import VendorError
from openecs.faces.huawei import errors as E
from openecs.faces.huawei.common import MARKER, limit_param, page_after
from openecs.faces.huawei.operations import HuaweiArgs, Service, operation
from openecs.faces.huawei.vpc.vpcs import (
    DESCRIPTION_MAX,
    NAME_MAX,
    NAME_PATTERN,
    NO_ANGLE_BRACKETS,
    UUID_PATTERN,
    project_id_of,
    scope_of,
)
from openecs.faces.params import INTEGER, STRUCT, Check, ErrorSpec, Param

# Security group routes answer their parameter errors with VPC.0601.
SG = Service("vpc", E.SECURITY_GROUP_PARAMS, E.vpc_v1_shape)

DEFAULT_NAME = "default"
DEFAULT_DESCRIPTION = "Default security group"
PORTED = ("tcp", "udp")
ICMP = ("icmp", "icmpv6")
PROTOCOL_PATTERN = r"tcp|udp|icmp|icmpv6|[0-9]{1,3}"
ANY_CIDR = {"IPv4": "0.0.0.0/0", "IPv6": "::/0"}

RULE_INVALID = ErrorSpec("VPC.0601", "Param is invalid. {reason}")
RULE_EXISTS = ErrorSpec(
    "VPC.0602",
    '{{"NeutronError":{{"message":"Security group rule already exists. Rule id is {id}.",'
    '"type":"SecurityGroupRuleExists","detail":""}}}}',
    409,
)
DEFAULT_NOT_DELETABLE = ErrorSpec(
    "VPC.0602",
    '{{"NeutronError":{{"message":"Removing default security group not allowed.",'
    '"type":"SecurityGroupCannotRemoveDefault","detail":""}}}}',
    409,
)


def _spec(direction: str, ethertype: str, **kw: Any) -> sg.RuleSpec:
    return sg.RuleSpec(direction=direction, ethertype=ethertype, priority=100, **kw)


def default_rules(group_id: str, *, is_default: bool = False) -> list[sg.RuleSpec]:
    """The rules the vendor gives a new group (and, with SSH, RDP and ICMP, the default group)."""
    rules = [_spec(sg.INGRESS, et, remote_group_id=group_id) for et in ("IPv4", "IPv6")]
    if is_default:
        anywhere = ANY_CIDR["IPv4"]
        rules += [
            _spec(
                sg.INGRESS, "IPv4", protocol="tcp", port_min=22, port_max=22, remote_cidr=anywhere
            ),
            _spec(
                sg.INGRESS,
                "IPv4",
                protocol="tcp",
                port_min=3389,
                port_max=3389,
                remote_cidr=anywhere,
            ),
            _spec(sg.INGRESS, "IPv4", protocol="icmp", remote_cidr=anywhere),
        ]
    rules += [_spec(sg.EGRESS, et, remote_cidr=ANY_CIDR[et]) for et in ("IPv4", "IPv6")]
    return rules


def create_group(
    conn: Connection,
    scope: network.Scope,
    *,
    name: str,
    description: str,
    now: float,
    extra: dict[str, Any] | None = None,
    is_default: bool = False,
) -> sg.SecurityGroup:
    """A Huawei group with the vendor's default rules."""
    group_id = huawei_id()
    return sg.create_group(
        conn,
        scope,
        group_id=group_id,
        name=name,
        description=description,
        now=now,
        is_default=is_default,
        extra={"enterprise_project_id": "0", **(extra or {})},
        rules=default_rules(group_id, is_default=is_default),
        rule_id=huawei_id,
    )


def ensure_default_group(conn: Connection, scope: network.Scope, now: float) -> sg.SecurityGroup:
    """The scope's ``default`` group, made now (in the caller's transaction) if it is missing."""
    group = sg.default_group(conn, scope)
    if group is not None:
        return group
    try:
        with conn.begin_nested():
            return create_group(
                conn, scope, name=DEFAULT_NAME, description=DEFAULT_DESCRIPTION, now=now, is_default=True
            )
    except IntegrityError:
        # A concurrent first request made it (the unique default index): use theirs.
        group = sg.default_group(conn, scope)
        if group is None:
            raise
        return group


def begin(conn: Connection, call: Call) -> network.Scope:
    """The caller's scope, with its default group made on the region's first use."""
    scope = scope_of(call)
    ensure_default_group(conn, scope, call.clock.now())
    return scope


# -- rule validation shared by v1 and v3


def invalid(reason: str) -> VendorError:
    return E.vendor(RULE_INVALID, reason=reason)


def check_remote(body: Mapping[str, Any], ethertype: str) -> str | None:
    """The normalized remote CIDR; exclusive with remote_group_id and of the rule's IP version."""
    prefix = body.get("remote_ip_prefix")
    if prefix is not None and body.get("remote_group_id") is not None:
        raise invalid("Only remote_ip_prefix or remote_group_id may be provided.")
    if prefix is None:
        return None
    try:
        net = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        raise invalid(f"remote_ip_prefix {prefix} is not a valid CIDR.") from None
    if f"IPv{net.version}" != ethertype:
        raise invalid(f"Conflicting value ethertype {ethertype} for CIDR {prefix}.")
    return str(net)


def check_protocol(value: str) -> None:
    if value.isdigit() and int(value) > 255:
        raise invalid(f"protocol {value} is not in 0..255.")


def normal_protocol(value: str | None) -> str:
    """The stored protocol: ``all`` when none is given."""
    return "all" if value is None else value


def check_ports(protocol: str, low: int | None, high: int | None) -> None:
    """TCP/UDP take a port range, ICMP a type and code, other protocols no ports."""
    if low is None and high is None:
        return
    if protocol in PORTED:
        if low is None or high is None:
            raise invalid("port_range_min and port_range_max must be given together for TCP/UDP.")
        if low > high:
            raise invalid("For TCP/UDP protocols, port_range_min must be <= port_range_max.")
        return
    if protocol in ICMP:
        if low is None:
            raise invalid("ICMP code (port_range_max) requires an ICMP type (port_range_min).")
        return
    raise invalid(f"Port ranges are only allowed for TCP, UDP, ICMP and ICMPv6, not {protocol}.")


def refuse_duplicate(
    conn: Connection, group_id: str, spec: sg.RuleSpec, *, any_priority: bool = False
) -> None:
    """A group never holds the same rule twice (v1 rules match whatever their priority)."""

    def key(r: sg.RuleSpec) -> tuple[Any, ...]:
        k = r.identity()
        return k[:8] + k[9:] if any_priority else k

    for rule in sg.list_rules(conn, [group_id])[group_id]:
        if key(rule) == key(spec):
            raise E.vendor(RULE_EXISTS, id=rule.id)


def refuse_default_deletion(group: sg.SecurityGroup) -> None:
    if group.is_default:
        raise E.vendor(DEFAULT_NOT_DELETABLE)


# -- v1 rendering


def render_rule(call: Call, rule: sg.Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "description": rule.description,
        "security_group_id": rule.group_id,
        "direction": rule.direction,
        "ethertype": rule.ethertype,
        "protocol": None if rule.protocol == "all" else rule.protocol,
        "port_range_min": rule.port_min,
        "port_range_max": rule.port_max,
        "remote_ip_prefix": rule.remote_cidr,
        "remote_group_id": rule.remote_group_id,
        "remote_address_group_id": None,
        "tenant_id": project_id_of(call),
    }


def render_group(call: Call, group: sg.SecurityGroup, rules: Sequence[sg.Rule]) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "vpc_id": group.extra.get("vpc_id"),
        "enterprise_project_id": group.extra.get("enterprise_project_id", "0"),
        "security_group_rules": [render_rule(call, r) for r in rules],
    }


def _render(conn: Connection, call: Call, group: sg.SecurityGroup) -> dict[str, Any]:
    return render_group(call, group, sg.list_rules(conn, [group.id])[group.id])


# -- v1 operations

ENTERPRISE_PROJECT = Param("enterprise_project_id", max_length=36, pattern=f"0|{UUID_PATTERN}")


def name_param(*, required: bool = False) -> Param:
    return Param(
        "name",
        required=required,
        min_length=1,
        max_length=NAME_MAX,
        pattern=NAME_PATTERN,
        doc="1-64 letters, digits, Chinese characters, _ - and .",
    )


def description_param() -> Param:
    return Param(
        "description", max_length=DESCRIPTION_MAX, pattern=NO_ANGLE_BRACKETS, doc="No < or >."
    )


@operation(
    SG,
    "CreateSecurityGroup",
    "POST",
    "/v1/{project_id}/security-groups",
    body=[
        Param(
            "security_group",
            STRUCT,
            required=True,
            fields=(
                name_param(required=True),
                Param("vpc_id", pattern=UUID_PATTERN, doc="A prompt only; not checked."),
                ENTERPRISE_PROJECT,
            ),
        )
    ],
)
def create_security_group(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Create a security group with the vendor's default rules."""
    body = req.body["security_group"]
    extra = {k: body[k] for k in ("vpc_id", "enterprise_project_id") if k in body}
    with call.db.write() as conn:
        scope = begin(conn, call)
        group = create_group(
            conn, scope, name=body["name"], description="", now=call.clock.now(), extra=extra
        )
        return {"security_group": _render(conn, call, group)}


@operation(SG, "ShowSecurityGroup", "GET", "/v1/{project_id}/security-groups/{security_group_id}")
def show_security_group(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query a security group and its rules."""
    with call.db.write() as conn:
        group = sg.get_group(conn, begin(conn, call), req.path["security_group_id"])
        return {"security_group": _render(conn, call, group)}


@operation(
    SG,
    "ListSecurityGroups",
    "GET",
    "/v1/{project_id}/security-groups",
    query=[
        limit_param(2000, 2**31 - 1, minimum=0),
        MARKER,
        Param("vpc_id", doc="Only groups created with this (prompt) VPC id."),
        Param(
            "enterprise_project_id", doc='Only this enterprise project; "all_granted_eps" for all.'
        ),
    ],
)
def list_security_groups(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query security groups, paged by limit and marker."""
    q = req.query
    with call.db.write() as conn:
        groups = sg.list_groups(conn, begin(conn, call))
        if "vpc_id" in q:
            groups = [g for g in groups if g.extra.get("vpc_id") == q["vpc_id"]]
        ep = q.get("enterprise_project_id")
        if ep is not None and ep != "all_granted_eps":
            groups = [g for g in groups if g.extra.get("enterprise_project_id", "0") == ep]
        page = page_after(groups, q.get("marker"), q["limit"], key=lambda g: g.id, errors=SG.params)
        rules = sg.list_rules(conn, [g.id for g in page])
        return {"security_groups": [render_group(call, g, rules[g.id]) for g in page]}


@operation(
    SG,
    "DeleteSecurityGroup",
    "DELETE",
    "/v1/{project_id}/security-groups/{security_group_id}",
    status=204,
)
def delete_security_group(call: Call, req: HuaweiArgs) -> tuple[int, None]:
    """Delete a security group (refused while in use, referenced, or the default one)."""
    with call.db.write() as conn:
        scope = begin(conn, call)
        refuse_default_deletion(sg.get_group(conn, scope, req.path["security_group_id"]))
        sg.delete_group(conn, scope, req.path["security_group_id"])
    return 204, None


def _check_v1_rule(values: Mapping[str, Any]) -> None:
    body = values["security_group_rule"]
    protocol = normal_protocol(body.get("protocol"))
    check_ports(protocol, body.get("port_range_min"), body.get("port_range_max"))
    check_remote(body, body.get("ethertype", "IPv4"))


# The fields of a rule that v1 and v3 share (v3 adds multiport, priority, action).
RULE_FIELDS = (
    Param("security_group_id", required=True),
    description_param(),
    Param("direction", required=True, enum=("ingress", "egress")),
    Param("ethertype", enum=("IPv4", "IPv6"), doc="Default IPv4."),
    Param("protocol", pattern=PROTOCOL_PATTERN, check=check_protocol),
)


@operation(
    SG,
    "CreateSecurityGroupRule",
    "POST",
    "/v1/{project_id}/security-group-rules",
    body=[
        Param(
            "security_group_rule",
            STRUCT,
            required=True,
            fields=(
                *RULE_FIELDS,
                Param("port_range_min", INTEGER, minimum=0, maximum=65535),
                Param("port_range_max", INTEGER, minimum=0, maximum=65535),
                Param("remote_ip_prefix"),
                Param("remote_group_id"),
                Param("remote_address_group_id", refused="OpenECS has no IP address groups"),
            ),
        )
    ],
    rules=[
        Check(
            _check_v1_rule,
            "ports fit the protocol; remote CIDR fits the ethertype; one remote (VPC.0601)",
        )
    ],
)
def create_security_group_rule(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Add a rule to a security group (a rule the group already has is refused)."""
    body = req.body["security_group_rule"]
    ethertype = body.get("ethertype", "IPv4")
    spec = sg.RuleSpec(
        direction=body["direction"],
        ethertype=ethertype,
        protocol=normal_protocol(body.get("protocol")),
        port_min=body.get("port_range_min"),
        port_max=body.get("port_range_max"),
        remote_cidr=check_remote(body, ethertype),
        remote_group_id=body.get("remote_group_id"),
        description=body.get("description", ""),
    )
    group_id = body["security_group_id"]
    with call.db.write() as conn:
        scope = begin(conn, call)
        sg.get_group(conn, scope, group_id, for_update=True)
        refuse_duplicate(conn, group_id, spec, any_priority=True)
        ((rule, _),) = sg.add_rules(
            conn, scope, group_id, [spec], rule_id=huawei_id, now=call.clock.now()
        )
        return {"security_group_rule": render_rule(call, rule)}


@operation(
    SG,
    "ShowSecurityGroupRule",
    "GET",
    "/v1/{project_id}/security-group-rules/{security_group_rule_id}",
)
def show_security_group_rule(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query a security group rule."""
    with call.db.write() as conn:
        rule = sg.get_rule(conn, begin(conn, call), req.path["security_group_rule_id"])
        return {"security_group_rule": render_rule(call, rule)}


@operation(
    SG,
    "ListSecurityGroupRules",
    "GET",
    "/v1/{project_id}/security-group-rules",
    query=[
        limit_param(2000, 2**31 - 1, minimum=0),
        MARKER,
        Param("security_group_id", doc="Only this group's rules."),
        Param("remote_ip_prefix", doc="Only rules with this remote CIDR."),
    ],
)
def list_security_group_rules(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query security group rules, paged by limit and marker."""
    q = req.query
    with call.db.write() as conn:
        groups = sg.list_groups(conn, begin(conn, call))
        if "security_group_id" in q:
            groups = [g for g in groups if g.id == q["security_group_id"]]
        by_group = sg.list_rules(conn, [g.id for g in groups])
        rules = [r for g in groups for r in by_group[g.id]]
        if "remote_ip_prefix" in q:
            rules = [r for r in rules if r.remote_cidr == q["remote_ip_prefix"]]
        page = page_after(rules, q.get("marker"), q["limit"], key=lambda r: r.id, errors=SG.params)
        return {"security_group_rules": [render_rule(call, r) for r in page]}


@operation(
    SG,
    "DeleteSecurityGroupRule",
    "DELETE",
    "/v1/{project_id}/security-group-rules/{security_group_rule_id}",
    status=204,
)
def delete_security_group_rule(call: Call, req: HuaweiArgs) -> tuple[int, None]:
    """Delete a security group rule."""
    with call.db.write() as conn:
        scope = begin(conn, call)
        rule = sg.get_rule(conn, scope, req.path["security_group_rule_id"])
        sg.remove_rules(conn, scope, rule.group_id, rule_ids=[rule.id])
    return 204, None
