"""ECS 2014-05-26 security group rules: AuthorizeSecurityGroup(Egress), RevokeSecurityGroup(Egress).

Each operation takes its rules two ways, as the vendor does: the current
``Permissions.N.*`` list and the deprecated flat form (``IpProtocol``,
``PortRange``, ``SourceCidrIp`` ... at the top level); the two cannot be mixed
(``InvalidParam.Permissions``). Both forms are checked by the same field
declarations (:func:`rule_fields`) and turned into the core's neutral
:class:`~openecs.core.security_groups.RuleSpec`: protocol in lower case, a port
range or none for ``-1/-1``, the remote CIDR or group of the rule's direction,
``accept``/``drop``. The quintuple attributes of the other side (an ingress
rule's ``DestCidrIp``, an egress rule's ``SourceCidrIp``, ``SourcePortRange``)
are kept in the rule's ``extra`` and so take part in its identity.
:func:`render_permission` spells a stored rule back the vendor's way for
DescribeSecurityGroupAttribute.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from openecs.core import security_groups as sg
from openecs.core.errors import NotFound
from openecs.core.ids import aliyun_id
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.vpc.vpcs import iso_time, once, scope
from openecs.faces.call import Call
from openecs.faces.params import INTEGER, LIST, STRUCT, ErrorSpec, Param

MAX_RULES = 200  # rules per security group (AuthorizationLimitExceed past it)
MAX_PER_REQUEST = 100  # Permissions.N and SecurityGroupRuleId.N entries per request
ENTERPRISE = "enterprise"
PROTOCOLS = ("TCP", "UDP", "ICMP", "ICMPv6", "GRE", "ALL")
PORTED = ("tcp", "udp")  # the protocols whose PortRange names ports; the others take -1/-1
NO_PREFIX_LISTS = "prefix lists are not modelled"
NO_PORT_LISTS = "port lists are not modelled"
NO_CROSS_ACCOUNT = "rules that name another account's security group are not modelled"

# -- the vendor's codes for rule fields (AuthorizeSecurityGroup / ...Egress error tables)
PROTOCOL_INVALID = ErrorSpec(
    "InvalidIpProtocol.ValueNotSupported",
    "The parameter {name} must be specified with case insensitive TCP, UDP, ICMP, GRE or All.",
)
PORT_RANGE_MISSING = ErrorSpec(
    "InvalidPortRange.Malformed", "The specified parameter PortRange must set."
)
PORT_RANGE_FORMAT = ErrorSpec(
    "InvalidParam.PortRange",
    "The specified parameter {name} is not valid. It should be two integers less than 65535 in ?/? format.",
)
PORT_RANGE_INVALID = ErrorSpec(
    "InvalidIpProtocol.Malformed", "The specified parameter PortRange is not valid."
)
PORT_RANGE_MISMATCH = ErrorSpec(
    "OperationDenied",
    "The specified IpProtocol does not exist or IpProtocol and PortRange do not match.",
)
SOURCE_PORT_RANGE_INVALID = ErrorSpec(
    "InvalidSourcePortRange.Malformed", "The specified parameter SourcePortRange is not valid."
)
POLICY_INVALID = ErrorSpec(
    "InvalidPolicy.Malformed", "The specified parameter Policy is not valid."
)
PRIORITY_INVALID = ErrorSpec("InvalidPriority.Malformed", "The parameter Priority is invalid.")
NIC_TYPE_INVALID = ErrorSpec(
    "InvalidNicType.ValueNotSupported", "The specified NicType does not exist."
)
RULE_DESCRIPTION_INVALID = ErrorSpec(
    "InvalidSecurityGroupDiscription.Malformed",
    "The specified security group rule description is not valid.",
)
SOURCE_CIDR_INVALID = ErrorSpec(
    "InvalidSourceCidrIp.Malformed", "The specified parameter SourceCidrIp is not valid."
)
DEST_CIDR_INVALID = ErrorSpec(
    "InvalidDestCidrIp.Malformed", "The specified parameter DestCidrIp is not valid."
)
IPV6_SOURCE_INVALID = ErrorSpec(
    "InvalidParam.Ipv6SourceCidrIp", "The specified parameter {name} is not valid."
)
IPV6_DEST_INVALID = ErrorSpec(
    "InvalidParam.Ipv6DestCidrIp", "The specified parameter {name} is not valid."
)
BOTH_SOURCE_IPS = ErrorSpec(
    "InvalidParam.SourceIp",
    "The Parameters SourceCidrIp and Ipv6SourceCidrIp in {name} cannot be set at the same time.",
)
BOTH_DEST_IPS = ErrorSpec(
    "InvalidParam.DestIp",
    "The Parameters DestCidrIp and Ipv6DestCidrIp in {name} cannot be set at the same time.",
)
SAME_CIDRS = ErrorSpec(
    "InvalidParamter.Conflict",
    "The specified SourceCidrIp should be different from the DestCidrIp.",
)
IPV4_PROTOCOL_IPV6_ADDRESS = ErrorSpec(
    "InvalidParam.Ipv4ProtocolConflictWithIpv6Address",
    "IPv6 address cannot be specified for IPv4-specific protocol.",
)
IPV6_PROTOCOL_IPV4_ADDRESS = ErrorSpec(
    "InvalidParam.Ipv6ProtocolConflictWithIpv4Address",
    "IPv4 address cannot be specified for IPv6-specific protocol.",
)
PERMISSIONS_MIXED = ErrorSpec(
    "InvalidParam.Permissions",
    "The specified parameter Permissions cannot coexist with other parameters.",
)
PERMISSIONS_DUPLICATE = ErrorSpec(
    "InvalidParam.DuplicatePermissions",
    "There are duplicate permissions in the specified parameter Permissions.",
)
ENTERPRISE_DENIED = ErrorSpec(
    "InvalidGroupParameter.OperationDenied",
    "The attributes Policy, SourceGroupId, DestGroupId of enterprise level security groups "
    "are not allowed to be set or modified.",
)

# "start/end" as the vendor writes a port range (values checked against the protocol later).
PORT_RANGE_PATTERN = r"-?[0-9]{1,5}/-?[0-9]{1,5}"


class Side:
    """What differs between ingress and egress: which fields name the rule's remote end."""

    def __init__(self, direction: str) -> None:
        ingress = direction == sg.INGRESS
        self.direction = direction
        self.remote, self.local = ("Source", "Dest") if ingress else ("Dest", "Source")
        self.group_field = f"{self.remote}GroupId"
        self.missing = ErrorSpec(
            f"MissingParameter.{self.remote}",
            f"One of the parameters {self.remote}CidrIp, Ipv6{self.remote}CidrIp, {self.remote}GroupId "
            f"or {self.remote}PrefixListId in {{name}} must be specified.",
        )
        self.group_not_found = ErrorSpec(
            f"Invalid{self.remote}GroupId.NotFound",
            f"The {self.remote}GroupId provided does not exist in our records.",
            404,
        )
        self.group_mismatch = ErrorSpec(
            f"Invalid{self.remote}GroupId.Mismatch",
            f"Specified security group and {self.remote.lower()} group are not in the same VPC.",
        )
        self.same_group = (
            ErrorSpec(
                "InvalidParamter.Conflict",
                "The specified SecurityGroupId should be different from the SourceGroupId.",
                403,
            )
            if ingress
            else ErrorSpec(
                "InvalidSecurityGroup.IsSame",
                "The authorized SecurityGroupId should be different from the DestGroupId.",
                403,
            )
        )


INGRESS, EGRESS = Side(sg.INGRESS), Side(sg.EGRESS)


# --------------------------------------------------------------------------- declarations


def _cidr_check(error: ErrorSpec, name: str, version: int):  # noqa: ANN202
    def check(value: str) -> None:
        if _network(value, version) is None:
            error.raise_(name, value)

    return check


def _network(value: str, version: int) -> str | None:
    """An address or CIDR block of the IP version in canonical form, or None."""
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None
    if net.version != version:
        return None
    return str(net) if "/" in value else str(net.network_address)


def _priority(value: str) -> None:
    if not value.isdigit() or not 1 <= int(value) <= 100:
        PRIORITY_INVALID.raise_("Priority", value)


def rule_fields(side: Side) -> tuple[Param, ...]:
    """The fields of one rule, as Permissions.N.* and as the deprecated top-level names."""
    fields = [
        Param(
            "IpProtocol",
            enum=PROTOCOLS,
            enum_ignore_case=True,
            invalid=PROTOCOL_INVALID,
            doc="TCP, UDP, ICMP, ICMPv6, GRE or ALL, in any case.",
        ),
        Param(
            "PortRange",
            pattern=PORT_RANGE_PATTERN,
            invalid=PORT_RANGE_FORMAT,
            doc="start/end: 1 to 65535 for TCP and UDP, -1/-1 for the others.",
        ),
        Param(
            "SourcePortRange",
            pattern=PORT_RANGE_PATTERN,
            invalid=SOURCE_PORT_RANGE_INVALID,
        ),
        Param("SourceCidrIp", check=_cidr_check(SOURCE_CIDR_INVALID, "SourceCidrIp", 4)),
        Param("DestCidrIp", check=_cidr_check(DEST_CIDR_INVALID, "DestCidrIp", 4)),
        Param("Ipv6SourceCidrIp", check=_cidr_check(IPV6_SOURCE_INVALID, "Ipv6SourceCidrIp", 6)),
        Param("Ipv6DestCidrIp", check=_cidr_check(IPV6_DEST_INVALID, "Ipv6DestCidrIp", 6)),
        Param(side.group_field, max_length=64),
        Param(f"{side.remote}GroupOwnerAccount", refused=NO_CROSS_ACCOUNT),
        Param(f"{side.remote}GroupOwnerId", INTEGER, refused=NO_CROSS_ACCOUNT),
        Param(f"{side.remote}PrefixListId", refused=NO_PREFIX_LISTS),
        Param("Policy", enum=("accept", "drop"), enum_ignore_case=True, invalid=POLICY_INVALID),
        Param("Priority", check=_priority, doc="1 to 100 (default 1); smaller is stronger."),
        Param(
            "NicType",
            enum=("internet", "intranet"),
            invalid=NIC_TYPE_INVALID,
            doc="VPC security groups have intranet rules only: either value makes an intranet rule.",
        ),
        Param(
            "Description",
            min_length=1,
            max_length=512,
            pattern=r"(?!https?://).*",
            invalid=RULE_DESCRIPTION_INVALID,
            doc="1 to 512 characters; not http:// or https://.",
        ),
    ]
    return tuple(fields)


def _sdk_only(name: str, refused: str) -> Param:
    return Param(
        name, refused=refused, doc=common.EXTENSION + "in the SDK's request model; " + refused
    )


def rule_params(side: Side, *, revoke: bool) -> list[Param]:
    """Every parameter of an Authorize/Revoke operation of one direction."""
    fields = rule_fields(side)
    params = [
        common.REGION_ID,
        Param("SecurityGroupId", required=True, max_length=64),
        common.CLIENT_TOKEN,
        Param(
            "Permissions",
            LIST,
            items=Param(
                "item",
                STRUCT,
                fields=(*fields, Param("PortRangeListId", refused=NO_PORT_LISTS)),
            ),
            max_items=MAX_PER_REQUEST,
            doc=f"1 to {MAX_PER_REQUEST} rules.",
        ),
        *(replace(f, doc="Deprecated: use Permissions.N. " + f.doc) for f in fields),
        _sdk_only("PortRangeListId", NO_PORT_LISTS),
    ]
    if revoke:
        params.append(
            Param(
                "SecurityGroupRuleId",
                LIST,
                items=Param("item", max_length=64),
                max_items=MAX_PER_REQUEST,
                doc=f"1 to {MAX_PER_REQUEST} rule ids of this direction.",
            )
        )
    return params


FLAT_NAMES = {s.direction: tuple(p.name for p in rule_fields(s)) for s in (INGRESS, EGRESS)}


# --------------------------------------------------------------------------- parsing


def _ports(text: str) -> tuple[int, int]:
    start, _, end = text.partition("/")
    return int(start), int(end)


def to_spec(perm: Mapping[str, Any], side: Side, where: str, group_id: str) -> sg.RuleSpec:
    """One checked rule (Permissions.N or the flat form) as the core's RuleSpec."""
    if "IpProtocol" not in perm:
        E.PARAM_DEFAULTS.missing.raise_(f"{where}IpProtocol")
    if "PortRange" not in perm:
        PORT_RANGE_MISSING.raise_(f"{where}PortRange")
    protocol = perm["IpProtocol"].lower()
    lo, hi = _ports(perm["PortRange"])
    if protocol in PORTED:
        if lo == -1 or hi == -1:
            PORT_RANGE_MISMATCH.raise_("PortRange")
        if not (1 <= lo <= hi <= 65535):
            PORT_RANGE_INVALID.raise_("PortRange")
        port_min, port_max = lo, hi
    else:
        if (lo, hi) != (-1, -1):
            PORT_RANGE_MISMATCH.raise_("PortRange")
        port_min = port_max = None
    if "SourcePortRange" in perm:
        s_lo, s_hi = _ports(perm["SourcePortRange"])
        if not ((s_lo, s_hi) == (-1, -1) or 1 <= s_lo <= s_hi <= 65535):
            SOURCE_PORT_RANGE_INVALID.raise_("SourcePortRange")
    if "SourceCidrIp" in perm and "Ipv6SourceCidrIp" in perm:
        BOTH_SOURCE_IPS.raise_(where or "request")
    if "DestCidrIp" in perm and "Ipv6DestCidrIp" in perm:
        BOTH_DEST_IPS.raise_(where or "request")
    if perm.get("SourceCidrIp") is not None and perm.get("SourceCidrIp") == perm.get("DestCidrIp"):
        SAME_CIDRS.raise_("SourceCidrIp")

    remote_v4, remote_v6 = perm.get(f"{side.remote}CidrIp"), perm.get(f"Ipv6{side.remote}CidrIp")
    group = perm.get(side.group_field) or None
    if not (remote_v4 or remote_v6 or group):
        side.missing.raise_(where or "request")
    if group == group_id:
        side.same_group.raise_(side.group_field, group)
    v6 = remote_v6 is not None or f"Ipv6{side.local}CidrIp" in perm
    v4 = remote_v4 is not None or f"{side.local}CidrIp" in perm
    if protocol == "icmp" and v6:
        IPV4_PROTOCOL_IPV6_ADDRESS.raise_("IpProtocol")
    if protocol == "icmpv6" and v4:
        IPV6_PROTOCOL_IPV4_ADDRESS.raise_("IpProtocol")

    extra: dict[str, str] = {}
    for name in (f"{side.local}CidrIp", f"Ipv6{side.local}CidrIp"):
        if name in perm:
            extra[name] = _network(perm[name], 6 if name.startswith("Ipv6") else 4) or ""
    if "SourcePortRange" in perm and perm["SourcePortRange"] != "-1/-1":
        extra["SourcePortRange"] = perm["SourcePortRange"]
    remote = remote_v4 or remote_v6
    return sg.RuleSpec(
        direction=side.direction,
        ethertype="IPv6" if (remote_v6 is not None or protocol == "icmpv6") else "IPv4",
        protocol=protocol,
        port_min=port_min,
        port_max=port_max,
        # A CIDR block takes precedence over a group, as the vendor documents.
        remote_cidr=_network(remote, 6 if remote_v6 and not remote_v4 else 4) if remote else None,
        remote_group_id=None if remote else group,
        action=perm.get("Policy", "accept"),
        priority=int(perm.get("Priority", "1")),
        description=perm.get("Description", ""),
        extra=extra,
    )


def specs_of(
    p: Mapping[str, Any], side: Side, group_id: str, *, required: bool = True
) -> list[sg.RuleSpec]:
    """The request's rules: Permissions.N, or the flat form (never both)."""
    flat = {k: p[k] for k in FLAT_NAMES[side.direction] if k in p}
    if p.get("Permissions"):
        if flat:
            PERMISSIONS_MIXED.raise_("Permissions")
        specs = [
            to_spec(perm, side, f"Permissions.{i}.", group_id)
            for i, perm in enumerate(p["Permissions"], 1)
        ]
        if len({s.identity() for s in specs}) != len(specs):
            PERMISSIONS_DUPLICATE.raise_("Permissions")
        return specs
    if not flat and not required:
        return []
    return [to_spec(flat, side, "", group_id)]


def _check_remotes(
    conn: Any, where: Any, group: sg.SecurityGroup, specs: list[sg.RuleSpec], side: Side
) -> None:
    """Each named remote group exists in the caller's region and VPC; enterprise groups name none."""
    for spec in specs:
        if group.extra.get("SecurityGroupType") == ENTERPRISE and (
            spec.action == "drop" or spec.remote_group_id is not None
        ):
            ENTERPRISE_DENIED.raise_("Policy")
        if spec.remote_group_id is None:
            continue
        try:
            remote = sg.get_group(conn, where, spec.remote_group_id)
        except NotFound as err:
            raise E.vendor(side.group_not_found) from err
        if remote.vpc_id != group.vpc_id:
            side.group_mismatch.raise_(side.group_field)


# --------------------------------------------------------------------------- rendering


def render_permission(rule: sg.Rule, names: Mapping[str, str]) -> dict[str, Any]:
    """A stored rule as DescribeSecurityGroupAttribute's Permissions.Permission[] entry."""
    side = INGRESS if rule.direction == sg.INGRESS else EGRESS
    cidrs = {"SourceCidrIp": "", "DestCidrIp": "", "Ipv6SourceCidrIp": "", "Ipv6DestCidrIp": ""}
    cidrs.update({k: v for k, v in rule.extra.items() if k in cidrs})
    if rule.remote_cidr:
        v6 = ":" in rule.remote_cidr
        cidrs[("Ipv6" if v6 else "") + f"{side.remote}CidrIp"] = rule.remote_cidr
    groups = {
        f"{s}{f}": ""
        for s in ("Source", "Dest")
        for f in ("GroupId", "GroupName", "GroupOwnerAccount")
    }
    if rule.remote_group_id:
        groups[f"{side.remote}GroupId"] = rule.remote_group_id
        groups[f"{side.remote}GroupName"] = names.get(rule.remote_group_id, "")
    protocol = next(p for p in PROTOCOLS if p.lower() == rule.protocol)
    ports = "-1/-1" if rule.port_min is None else f"{rule.port_min}/{rule.port_max}"
    return {
        "SecurityGroupRuleId": rule.id,
        "Direction": rule.direction,
        "IpProtocol": protocol,
        "PortRange": ports,
        "SourcePortRange": rule.extra.get("SourcePortRange", ""),
        **cidrs,
        **groups,
        "SourcePrefixListId": "",
        "SourcePrefixListName": "",
        "DestPrefixListId": "",
        "DestPrefixListName": "",
        "PortRangeListId": "",
        "PortRangeListName": "",
        "Policy": rule.action.capitalize(),
        "Priority": rule.priority,
        "NicType": "intranet",
        "Description": rule.description,
        "CreateTime": iso_time(rule.created_at),
    }


# --------------------------------------------------------------------------- operations


def _authorize(call: Call, p: dict[str, Any], side: Side, action: str) -> dict[str, Any]:
    region = p["RegionId"]
    where = scope(call, region)
    with call.db.write() as conn:
        group = sg.get_group(conn, where, p["SecurityGroupId"])
        specs = specs_of(p, side, group.id)
        _check_remotes(conn, where, group, specs, side)

        def produce() -> dict[str, Any]:
            sg.add_rules(
                conn,
                where,
                group.id,
                specs,
                rule_id=lambda: aliyun_id("sgr", region),
                now=call.clock.now(),
                limit=MAX_RULES,
            )
            return {}

        return once(conn, call, region, action, p, produce)


def _revoke(call: Call, p: dict[str, Any], side: Side, action: str) -> dict[str, Any]:
    region = p["RegionId"]
    where = scope(call, region)
    with call.db.write() as conn:
        group = sg.get_group(conn, where, p["SecurityGroupId"])
        rule_ids = p.get("SecurityGroupRuleId") or []
        specs = specs_of(p, side, group.id, required=not rule_ids)
        mine = {
            r.id for r in sg.list_rules(conn, [group.id])[group.id] if r.direction == side.direction
        }
        for rid in rule_ids:
            if rid not in mine:
                raise NotFound(
                    "security_group_rule.not_found", f"The rule {rid} does not exist.", id=rid
                )

        def produce() -> dict[str, Any]:
            sg.remove_rules(conn, where, group.id, rule_ids=rule_ids, matching=specs)
            return {}

        return once(conn, call, region, action, p, produce)


@operation("Ecs", "AuthorizeSecurityGroup", params=rule_params(INGRESS, revoke=False))
def authorize_security_group(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Add inbound rules to a security group (a rule it already has is not added twice)."""
    return _authorize(call, p, INGRESS, "AuthorizeSecurityGroup")


@operation("Ecs", "AuthorizeSecurityGroupEgress", params=rule_params(EGRESS, revoke=False))
def authorize_security_group_egress(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Add outbound rules to a security group."""
    return _authorize(call, p, EGRESS, "AuthorizeSecurityGroupEgress")


@operation("Ecs", "RevokeSecurityGroup", params=rule_params(INGRESS, revoke=True))
def revoke_security_group(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Remove inbound rules by id or by content (a rule the group does not have is ignored)."""
    return _revoke(call, p, INGRESS, "RevokeSecurityGroup")


@operation("Ecs", "RevokeSecurityGroupEgress", params=rule_params(EGRESS, revoke=True))
def revoke_security_group_egress(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Remove outbound rules by id or by content."""
    return _revoke(call, p, EGRESS, "RevokeSecurityGroupEgress")
