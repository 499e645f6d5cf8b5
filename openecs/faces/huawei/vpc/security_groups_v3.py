"""Huawei security groups: the VPC v3 API (groups with update and tags, rules with priority and action).

The same groups and rules as the v1 API (see :mod:`security_groups`, which
holds the vendor rules both share); v3 adds a rule's ``priority`` (1-100,
1 first), ``action`` (allow/deny, stored as the core's accept/drop) and
``multiport`` (``80``, ``1-30`` or ``22,3389,80``; a list is kept in
``extra``), answers errors in the gateway shape and creates with 201.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from openecs.core import security_groups as sg
from openecs.core.ids import huawei_id
from openecs.faces.call import Call
from openecs.faces.huawei import errors as E
from openecs.faces.huawei.common import MARKER, limit_param, page_after
from openecs.faces.huawei.operations import HuaweiArgs, Service, operation
from openecs.faces.huawei.vpc import security_groups as v1
from openecs.faces.huawei.vpc.security_groups import (
    ENTERPRISE_PROJECT,
    PORTED,
    RULE_FIELDS,
    begin,
    check_remote,
    create_group,
    description_param,
    invalid,
    name_param,
    normal_protocol,
    refuse_duplicate,
)
from openecs.faces.huawei.vpc.vpcs import project_id_of, timestamp
from openecs.faces.params import BOOLEAN, INTEGER, LIST, STRUCT, Check, Param

SG3 = Service("vpc", E.SECURITY_GROUP_PARAMS, E.gateway_shape)

ACTIONS = {"allow": "accept", "deny": "drop"}
VENDOR_ACTION = {v: k for k, v in ACTIONS.items()}
PRIORITY_MIN, PRIORITY_MAX, PRIORITY_DEFAULT = 1, 100, 1
MULTIPORT_PATTERN = r"[0-9]{1,5}(-[0-9]{1,5})?(,[0-9]{1,5}(-[0-9]{1,5})?)*"
MAX_MULTIPORT_ITEMS = 20
MAX_TAGS = 20


def _check_multiport(value: str) -> None:
    items = value.split(",")
    if len(items) > MAX_MULTIPORT_ITEMS:
        raise invalid(f"multiport has more than {MAX_MULTIPORT_ITEMS} items.")
    for item in items:
        low, _, high = item.partition("-")
        lo, hi = int(low), int(high or low)
        if not 1 <= lo <= hi <= 65535:
            raise invalid(f"multiport {item} is not a port or a range in 1-65535.")


def _ports(multiport: str | None) -> tuple[int | None, int | None, dict[str, Any]]:
    """A single port or range in the core's fields; a list in ``extra``."""
    if multiport is None:
        return None, None, {}
    if re.fullmatch(r"[0-9]+(-[0-9]+)?", multiport):
        low, _, high = multiport.partition("-")
        return int(low), int(high or low), {}
    return None, None, {"multiport": multiport}


def _multiport(rule: sg.Rule) -> str | None:
    if "multiport" in rule.extra:
        return str(rule.extra["multiport"])
    if rule.port_min is None:
        return None
    if rule.port_max in (None, rule.port_min):
        return str(rule.port_min)
    return f"{rule.port_min}-{rule.port_max}"


# -- rendering


def render_rule(call: Call, rule: sg.Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "description": rule.description,
        "security_group_id": rule.group_id,
        "direction": rule.direction,
        "protocol": None if rule.protocol == "all" else rule.protocol,
        "ethertype": rule.ethertype,
        "multiport": _multiport(rule),
        "action": VENDOR_ACTION.get(rule.action, "allow"),
        "priority": rule.priority,
        "remote_group_id": rule.remote_group_id,
        "remote_ip_prefix": rule.remote_cidr,
        "remote_address_group_id": None,
        "created_at": timestamp(rule.created_at),
        "updated_at": timestamp(rule.created_at),
        "project_id": project_id_of(call),
        "enabled": rule.extra.get("enabled", True),
    }


def render_group(
    call: Call, group: sg.SecurityGroup, rules: Sequence[sg.Rule] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "project_id": project_id_of(call),
        "created_at": timestamp(group.created_at),
        "updated_at": timestamp(group.extra.get("updated_at", group.created_at)),
        "enterprise_project_id": group.extra.get("enterprise_project_id", "0"),
        "tags": list(group.extra.get("tags", [])),
    }
    if rules is not None:
        out["security_group_rules"] = [render_rule(call, r) for r in rules]
    return out


def _info(conn: Connection, call: Call, group: sg.SecurityGroup) -> dict[str, Any]:
    return render_group(call, group, sg.list_rules(conn, [group.id])[group.id])


def _page(call: Call, items: Sequence[Any], query: Mapping[str, Any]) -> tuple[list[Any], dict]:
    page = page_after(
        items, query.get("marker"), query["limit"], key=lambda x: x.id, errors=SG3.params
    )
    info: dict[str, Any] = {"current_count": len(page)}
    if page:
        info["previous_marker"] = page[0].id
        if items[-1].id != page[-1].id:
            info["next_marker"] = page[-1].id
    return page, info


# -- groups

TAG = Param(
    "tag",
    STRUCT,
    fields=(
        Param("key", required=True, min_length=1, max_length=128),
        Param("value", max_length=255),
    ),
)


@operation(
    SG3,
    "CreateSecurityGroup",
    "POST",
    "/v3/{project_id}/vpc/security-groups",
    body=[
        Param("dry_run", BOOLEAN, doc="Check only: answer 202 and create nothing."),
        Param(
            "security_group",
            STRUCT,
            required=True,
            fields=(
                name_param(required=True),
                description_param(),
                ENTERPRISE_PROJECT,
                Param("tags", LIST, items=TAG, max_items=MAX_TAGS),
            ),
        ),
    ],
    status=201,
)
def create_security_group(call: Call, req: HuaweiArgs) -> tuple[int, dict[str, Any]]:
    """Create a security group with the vendor's default rules (201; 202 for a dry run)."""
    if req.body.get("dry_run"):
        return 202, {"request_id": call.request_id}
    body = req.body["security_group"]
    extra: dict[str, Any] = {"enterprise_project_id": body.get("enterprise_project_id", "0")}
    if body.get("tags"):
        extra["tags"] = [{"key": t["key"], "value": t.get("value", "")} for t in body["tags"]]
    with call.db.write() as conn:
        scope = begin(conn, call)
        group = create_group(
            conn,
            scope,
            name=body["name"],
            description=body.get("description", ""),
            now=call.clock.now(),
            extra=extra,
        )
        return 201, {"request_id": call.request_id, "security_group": _info(conn, call, group)}


@operation(
    SG3, "ShowSecurityGroup", "GET", "/v3/{project_id}/vpc/security-groups/{security_group_id}"
)
def show_security_group(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query a security group and its rules."""
    with call.db.write() as conn:
        group = sg.get_group(conn, begin(conn, call), req.path["security_group_id"])
        return {"request_id": call.request_id, "security_group": _info(conn, call, group)}


@operation(
    SG3,
    "ListSecurityGroups",
    "GET",
    "/v3/{project_id}/vpc/security-groups",
    query=[
        limit_param(2000, 2000),
        MARKER,
        Param("id", LIST, doc="Only these ids."),
        Param("name", LIST, doc="Only these names."),
        Param("description", LIST, doc="Only these descriptions."),
        Param(
            "enterprise_project_id", doc='Only this enterprise project; "all_granted_eps" for all.'
        ),
    ],
)
def list_security_groups(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query security groups (without rules), paged by limit and marker."""
    q = req.query
    with call.db.write() as conn:
        groups = sg.list_groups(conn, begin(conn, call), ids=q.get("id"))
        for field in ("name", "description"):
            if q.get(field):
                groups = [g for g in groups if getattr(g, field) in q[field]]
        ep = q.get("enterprise_project_id")
        if ep is not None and ep != "all_granted_eps":
            groups = [g for g in groups if g.extra.get("enterprise_project_id", "0") == ep]
        page, info = _page(call, groups, q)
        return {
            "request_id": call.request_id,
            "security_groups": [render_group(call, g) for g in page],
            "page_info": info,
        }


@operation(
    SG3,
    "UpdateSecurityGroup",
    "PUT",
    "/v3/{project_id}/vpc/security-groups/{security_group_id}",
    body=[
        Param(
            "security_group",
            STRUCT,
            required=True,
            fields=(name_param(), description_param()),
        )
    ],
)
def update_security_group(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Change a security group's name or description."""
    body = req.body["security_group"]
    changes: dict[str, Any] = {k: body[k] for k in ("name", "description") if k in body}
    changes["extra"] = {"updated_at": call.clock.now()}
    with call.db.write() as conn:
        scope = begin(conn, call)
        group = sg.update_group(conn, scope, req.path["security_group_id"], **changes)
        return {"request_id": call.request_id, "security_group": _info(conn, call, group)}


# The same deletion as v1's, answered in v3's error shape.
operation(
    SG3,
    "DeleteSecurityGroup",
    "DELETE",
    "/v3/{project_id}/vpc/security-groups/{security_group_id}",
    status=204,
)(v1.delete_security_group)


# -- rules


def _check_rule(values: Mapping[str, Any]) -> None:
    body = values["security_group_rule"]
    if body.get("multiport") is not None and normal_protocol(body.get("protocol")) not in PORTED:
        raise invalid("multiport is only allowed for TCP and UDP.")
    check_remote(body, body.get("ethertype", "IPv4"))


@operation(
    SG3,
    "CreateSecurityGroupRule",
    "POST",
    "/v3/{project_id}/vpc/security-group-rules",
    body=[
        Param("dry_run", BOOLEAN, doc="Check only: answer 202 and create nothing."),
        Param(
            "security_group_rule",
            STRUCT,
            required=True,
            fields=(
                *RULE_FIELDS,
                Param("multiport", pattern=MULTIPORT_PATTERN, check=_check_multiport),
                Param("remote_ip_prefix"),
                Param("remote_group_id"),
                Param("remote_address_group_id", refused="OpenECS has no IP address groups"),
                Param("action", enum=tuple(ACTIONS), doc="Default allow."),
                Param("priority", INTEGER, minimum=PRIORITY_MIN, maximum=PRIORITY_MAX),
                Param("enabled", BOOLEAN, doc="Default true."),
            ),
        ),
    ],
    rules=[
        Check(_check_rule, "multiport only for TCP/UDP; remote CIDR fits the ethertype; one remote")
    ],
    status=201,
)
def create_security_group_rule(call: Call, req: HuaweiArgs) -> tuple[int, dict[str, Any]]:
    """Add a rule to a security group (a rule the group already has is refused)."""
    body = req.body["security_group_rule"]
    ethertype = body.get("ethertype", "IPv4")
    low, high, extra = _ports(body.get("multiport"))
    if body.get("enabled") is False:
        extra["enabled"] = False
    spec = sg.RuleSpec(
        direction=body["direction"],
        ethertype=ethertype,
        protocol=normal_protocol(body.get("protocol")),
        port_min=low,
        port_max=high,
        remote_cidr=check_remote(body, ethertype),
        remote_group_id=body.get("remote_group_id"),
        action=ACTIONS[body.get("action", "allow")],
        priority=body.get("priority", PRIORITY_DEFAULT),
        description=body.get("description", ""),
        extra=extra,
    )
    group_id = body["security_group_id"]
    with call.db.write() as conn:
        scope = begin(conn, call)
        sg.get_group(conn, scope, group_id, for_update=True)
        if spec.remote_group_id is not None:
            sg.get_group(conn, scope, spec.remote_group_id)
        refuse_duplicate(conn, group_id, spec)
        if req.body.get("dry_run"):
            return 202, {"request_id": call.request_id}
        ((rule, _),) = sg.add_rules(
            conn, scope, group_id, [spec], rule_id=huawei_id, now=call.clock.now()
        )
        return 201, {"request_id": call.request_id, "security_group_rule": render_rule(call, rule)}


@operation(
    SG3,
    "ShowSecurityGroupRule",
    "GET",
    "/v3/{project_id}/vpc/security-group-rules/{security_group_rule_id}",
)
def show_security_group_rule(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query a security group rule."""
    with call.db.write() as conn:
        rule = sg.get_rule(conn, begin(conn, call), req.path["security_group_rule_id"])
        return {"request_id": call.request_id, "security_group_rule": render_rule(call, rule)}


RULE_FILTERS = (
    "id",
    "security_group_id",
    "protocol",
    "description",
    "remote_group_id",
    "ethertype",
)


@operation(
    SG3,
    "ListSecurityGroupRules",
    "GET",
    "/v3/{project_id}/vpc/security-group-rules",
    query=[
        limit_param(2000, 2000),
        MARKER,
        *(
            Param(name, LIST, doc=f"Only rules with one of these {name} values.")
            for name in RULE_FILTERS
        ),
        Param("priority", LIST, items=Param("priority", INTEGER), doc="Only these priorities."),
        Param("direction", enum=("ingress", "egress")),
        Param("action", enum=tuple(ACTIONS)),
        Param("remote_ip_prefix"),
    ],
)
def list_security_group_rules(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query security group rules, filtered and paged by limit and marker."""
    q = req.query
    with call.db.write() as conn:
        groups = sg.list_groups(conn, begin(conn, call))
        by_group = sg.list_rules(conn, [g.id for g in groups])
        rules = [r for g in groups for r in by_group[g.id]]
    shown = {
        "id": lambda r: r.id,
        "security_group_id": lambda r: r.group_id,
        "protocol": lambda r: None if r.protocol == "all" else r.protocol,
        "description": lambda r: r.description,
        "remote_group_id": lambda r: r.remote_group_id,
        "ethertype": lambda r: r.ethertype,
        "priority": lambda r: r.priority,
        "direction": lambda r: r.direction,
        "action": lambda r: VENDOR_ACTION.get(r.action),
        "remote_ip_prefix": lambda r: r.remote_cidr,
    }
    for name, value_of in shown.items():
        wanted = q.get(name)
        if wanted is None or wanted == []:
            continue
        allowed = wanted if isinstance(wanted, list) else [wanted]
        rules = [r for r in rules if value_of(r) in allowed]
    page, info = _page(call, rules, q)
    return {
        "request_id": call.request_id,
        "security_group_rules": [render_rule(call, r) for r in page],
        "page_info": info,
    }


operation(
    SG3,
    "DeleteSecurityGroupRule",
    "DELETE",
    "/v3/{project_id}/vpc/security-group-rules/{security_group_rule_id}",
    status=204,
)(v1.delete_security_group_rule)
