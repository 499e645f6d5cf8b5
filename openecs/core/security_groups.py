"""Security groups and their rules, for both clouds.

A group is scoped like every network resource (cloud, account, region);
an Alibaba group also belongs to one VPC, a Huawei group to none. Rules are
stored in neutral words (direction ingress/egress, ethertype IPv4/IPv6,
protocol, port range, a remote CIDR or remote group, action accept/drop,
priority); each face translates its vendor's spelling (``PortRange=22/22``,
``port_range_min``...). Vendor-only rule attributes live in ``extra`` and
take part in rule identity, so two rules that differ only there are two rules.

Invariants kept here: a group's VPC and a rule's remote group exist in the
caller's scope; a group used by a network interface, or named as the remote
group of another group's rule, cannot be deleted; a group never holds the
same rule twice; the rule count stays within the limit the face passes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from openecs.core import network
from openecs.core.errors import Conflict, NotFound, QuotaExceeded
from openecs.core.network import Scope
from openecs.store.prepared import Prepared, insert_rows
from openecs.store.tables import security_group_rules, security_groups

INGRESS = "ingress"
EGRESS = "egress"


@dataclass(frozen=True)
class SecurityGroup:
    id: str
    cloud: str
    account_id: int
    region: str
    vpc_id: str | None
    name: str
    description: str
    is_default: bool
    created_at: float
    extra: dict[str, Any] = field(default_factory=dict)
    interface_count: int = 0  # network interfaces in the group, as of the read


@dataclass(frozen=True)
class RuleSpec:
    """A rule as a face asks for it (no id yet)."""

    direction: str
    ethertype: str = "IPv4"
    protocol: str = "all"
    port_min: int | None = None
    port_max: int | None = None
    remote_cidr: str | None = None
    remote_group_id: str | None = None
    action: str = "accept"
    priority: int = 1
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def identity(self) -> tuple[Any, ...]:
        """What makes two rules the same rule (the description does not)."""
        return (
            self.direction,
            self.ethertype,
            self.protocol,
            self.port_min,
            self.port_max,
            self.remote_cidr,
            self.remote_group_id,
            self.action,
            self.priority,
            json.dumps(self.extra, sort_keys=True),
        )


@dataclass(frozen=True)
class Rule(RuleSpec):
    id: str = ""
    group_id: str = ""
    created_at: float = 0.0


def _group(row: Any) -> SecurityGroup:
    return SecurityGroup(
        id=row.id,
        cloud=row.cloud,
        account_id=row.account_id,
        region=row.region,
        vpc_id=row.vpc_id,
        name=row.name,
        description=row.description,
        is_default=bool(row.is_default),
        created_at=row.created_at,
        extra=json.loads(row.extra),
        interface_count=row.interface_count,
    )


def _rule(row: Any) -> Rule:
    return Rule(
        id=row.id,
        group_id=row.group_id,
        direction=row.direction,
        ethertype=row.ethertype,
        protocol=row.protocol,
        port_min=row.port_min,
        port_max=row.port_max,
        remote_cidr=row.remote_cidr,
        remote_group_id=row.remote_group_id,
        action=row.action,
        priority=row.priority,
        description=row.description,
        created_at=row.created_at,
        extra=json.loads(row.extra),
    )


def _scoped(scope: Scope) -> Any:
    return scope.rows(security_groups)


# -- groups


def create_group(
    conn: Connection,
    scope: Scope,
    *,
    group_id: str,
    name: str,
    description: str,
    now: float,
    vpc_id: str | None = None,
    is_default: bool = False,
    extra: dict[str, Any] | None = None,
    rules: Iterable[RuleSpec] = (),
    rule_id: Callable[[], str] | None = None,
) -> SecurityGroup:
    """A new group (in ``vpc_id`` when given) with its initial ``rules``."""
    if vpc_id is not None:
        network.get_vpc(conn, scope, vpc_id)
    insert_rows(
        conn,
        security_groups,
        dict(
            id=group_id,
            cloud=scope.cloud,
            account_id=scope.account_id,
            region=scope.region,
            vpc_id=vpc_id,
            name=name,
            description=description,
            is_default=int(is_default),
            created_at=now,
            extra=json.dumps(extra or {}),
        ),
    )
    specs = list(rules)
    if specs:
        if rule_id is None:
            raise ValueError("initial rules need a rule id factory")
        add_rules(conn, scope, group_id, specs, rule_id=rule_id, now=now)
    return get_group(conn, scope, group_id)


def get_group(
    conn: Connection, scope: Scope, group_id: str, *, for_update: bool = False
) -> SecurityGroup:
    row = scope.row_by_id(security_groups, for_update=for_update).first(conn, {"id": group_id})
    if row is None:
        raise NotFound(
            "security_group.not_found",
            f"The security group {group_id} does not exist.",
            id=group_id,
        )
    return _group(row)


def list_groups(
    conn: Connection,
    scope: Scope,
    *,
    ids: Sequence[str] | None = None,
    vpc_id: str | None = None,
) -> list[SecurityGroup]:
    rows = network.list_rows(conn, scope, security_groups, ids=ids, vpc_id=vpc_id)
    return [_group(r) for r in rows]


def default_group(conn: Connection, scope: Scope) -> SecurityGroup | None:
    """The scope's default group, if one was made."""
    row = conn.execute(_scoped(scope).where(security_groups.c.is_default == 1)).first()
    return None if row is None else _group(row)


def update_group(conn: Connection, scope: Scope, group_id: str, **changes: Any) -> SecurityGroup:
    """Change a group's name, description or extra (merged key by key)."""
    current = get_group(conn, scope, group_id, for_update=True)
    values = {k: v for k, v in changes.items() if k in ("name", "description")}
    if "extra" in changes:
        values["extra"] = json.dumps({**current.extra, **changes["extra"]})
    if values:
        conn.execute(
            update(security_groups).where(security_groups.c.id == group_id).values(**values)
        )
    return get_group(conn, scope, group_id)


def interfaces_in(conn: Connection, group_ids: Sequence[str]) -> dict[str, int]:
    """How many network interfaces each group is attached to (the count triggers keep)."""
    counts = dict.fromkeys(group_ids, 0)
    if group_ids:
        counts.update(_INTERFACE_COUNTS.tuples(conn, {"ids": list(group_ids)}))
    return counts


_INTERFACE_COUNTS = Prepared(
    select(security_groups.c.id, security_groups.c.interface_count).where(
        security_groups.c.id.in_(bindparam("ids", expanding=True))
    )
)


def delete_group(conn: Connection, scope: Scope, group_id: str) -> None:
    """Delete a group and its rules; refused while interfaces or other groups' rules use it."""
    get_group(conn, scope, group_id, for_update=True)
    if interfaces_in(conn, [group_id])[group_id]:
        raise Conflict(
            "security_group.in_use", f"The security group {group_id} is in use.", id=group_id
        )
    referrer = conn.execute(
        select(security_group_rules.c.group_id)
        .where(security_group_rules.c.remote_group_id == group_id)
        .where(security_group_rules.c.group_id != group_id)
        .limit(1)
    ).first()
    if referrer is not None:
        raise Conflict(
            "security_group.referenced",
            f"The security group {group_id} is referenced by a rule of {referrer[0]}.",
            id=group_id,
            referrer=referrer[0],
        )
    conn.execute(delete(security_group_rules).where(security_group_rules.c.group_id == group_id))
    conn.execute(delete(security_groups).where(security_groups.c.id == group_id))


# -- rules


def list_rules(conn: Connection, group_ids: Sequence[str]) -> dict[str, list[Rule]]:
    """Every rule of each group, oldest first."""
    out: dict[str, list[Rule]] = {gid: [] for gid in group_ids}
    if group_ids:
        for row in _RULES_OF.all(conn, {"ids": list(group_ids)}):
            out[row.group_id].append(_rule(row))
    return out


_RULES_OF = Prepared(
    select(security_group_rules)
    .where(security_group_rules.c.group_id.in_(bindparam("ids", expanding=True)))
    .order_by(security_group_rules.c.created_at, security_group_rules.c.id)
)


def get_rule(conn: Connection, scope: Scope, rule_id: str) -> Rule:
    """A rule by id, provided its group is in the caller's scope."""
    row = conn.execute(
        select(security_group_rules).where(security_group_rules.c.id == rule_id)
    ).first()
    if row is None:
        raise NotFound(
            "security_group_rule.not_found", f"The rule {rule_id} does not exist.", id=rule_id
        )
    try:
        get_group(conn, scope, row.group_id)
    except NotFound:
        raise NotFound(
            "security_group_rule.not_found", f"The rule {rule_id} does not exist.", id=rule_id
        ) from None
    return _rule(row)


def add_rules(
    conn: Connection,
    scope: Scope,
    group_id: str,
    specs: Sequence[RuleSpec],
    *,
    rule_id: Callable[[], str],
    now: float,
    limit: int | None = None,
) -> list[tuple[Rule, bool]]:
    """Add rules; each answer is (rule, created). A rule the group already has is not added twice."""
    group = get_group(conn, scope, group_id, for_update=True)
    for spec in specs:
        if spec.remote_group_id is not None and spec.remote_group_id != group_id:
            remote = get_group(conn, scope, spec.remote_group_id)
            if group.vpc_id is not None and remote.vpc_id not in (None, group.vpc_id):
                raise Conflict(
                    "security_group.remote_other_vpc",
                    f"The security group {remote.id} is in another VPC.",
                    id=remote.id,
                )
    existing = {r.identity(): r for r in list_rules(conn, [group_id])[group_id]}
    out: list[tuple[Rule, bool]] = []
    for n, spec in enumerate(specs):
        key = spec.identity()
        if key in existing:
            out.append((existing[key], False))
            continue
        # A microsecond apart, so that rules added together list in the order they were given.
        created = now + n * 1e-6
        rule = Rule(
            **{**spec.__dict__, "id": rule_id(), "group_id": group_id, "created_at": created}
        )
        conn.execute(
            insert(security_group_rules), dict(
                id=rule.id,
                group_id=group_id,
                direction=rule.direction,
                ethertype=rule.ethertype,
                protocol=rule.protocol,
                port_min=rule.port_min,
                port_max=rule.port_max,
                remote_cidr=rule.remote_cidr,
                remote_group_id=rule.remote_group_id,
                action=rule.action,
                priority=rule.priority,
                description=rule.description,
                created_at=created,
                extra=json.dumps(rule.extra),
            )
        )
        existing[key] = rule
        out.append((rule, True))
    if limit is not None and len(existing) > limit:
        raise QuotaExceeded(
            "security_group.rules_exceeded",
            f"A security group can have at most {limit} rules.",
            id=group_id,
            limit=limit,
        )
    return out


def remove_rules(
    conn: Connection,
    scope: Scope,
    group_id: str,
    *,
    rule_ids: Sequence[str] = (),
    matching: Sequence[RuleSpec] = (),
) -> list[Rule]:
    """Remove rules by id (each must exist) or by content (absent ones are ignored)."""
    get_group(conn, scope, group_id, for_update=True)
    rules = list_rules(conn, [group_id])[group_id]
    by_id = {r.id: r for r in rules}
    gone: list[Rule] = []
    for rid in rule_ids:
        if rid not in by_id:
            raise NotFound(
                "security_group_rule.not_found", f"The rule {rid} does not exist.", id=rid
            )
        gone.append(by_id[rid])
    wanted = {spec.identity() for spec in matching}
    gone += [r for r in rules if r.identity() in wanted and r not in gone]
    if gone:
        conn.execute(
            delete(security_group_rules).where(security_group_rules.c.id.in_([r.id for r in gone]))
        )
    return gone
