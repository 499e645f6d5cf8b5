"""VPCs and their subnets (Alibaba vSwitches, Huawei subnets): the network substrate.

Both clouds' VPCs and subnets are rows of the same tables, scoped by
:class:`Scope` (cloud, account, region): a caller never sees another
account's or another cloud's network. Statuses are the core's own words,
``creating`` then ``available``; each face spells them its vendor's way
(Pending/Available, CREATING/OK, UNKNOWN/ACTIVE). A new VPC or subnet
becomes available through an engine task, so a restart loses no transition.

The invariants kept here: a subnet's CIDR lies inside its VPC's and overlaps
no sibling; a VPC with subnets and a subnet with addresses in use cannot be
deleted. Vendor rules (which prefix lengths, name patterns) belong to the faces.
"""

from __future__ import annotations

import functools
import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from openecs.core import ipam, ipam6
from openecs.core.errors import Conflict, Invalid, NotFound
from openecs.engine.tasks import TaskContext, handler, schedule
from openecs.store.prepared import Bound, Prepared, insert_rows
from openecs.store.tables import subnets, vpcs

CREATING = "creating"
AVAILABLE = "available"
READY_TASK = "network.ready"


class Scope(NamedTuple):
    """Whose resources: one cloud's, one account's, in one region.

    A tuple: made on every request and the key of the statement caches below,
    where a frozen dataclass's Python ``__init__`` and ``__hash__`` cost more.
    """

    cloud: str
    account_id: int
    region: str

    def rows(self, table: Any, *columns: Any) -> Any:
        """``SELECT`` of ``table`` (and any extra ``columns``) limited to this scope's rows.

        Statements are immutable, so each scope's is built once (building the
        three comparisons costs more than running an indexed lookup).
        """
        return _scoped_select(self, table, columns)

    def row_by_id(self, table: Any, *, for_update: bool = False) -> Bound:
        """One of this scope's rows of ``table``, prepared: ``.first(conn, {"id": ...})``."""
        return _scoped_by_id(self, table, for_update)


@functools.lru_cache(maxsize=4096)
def _scoped_select(scope: Scope, table: Any, columns: tuple[Any, ...]) -> Any:
    return (
        select(table, *columns)
        .where(table.c.cloud == scope.cloud)
        .where(table.c.account_id == scope.account_id)
        .where(table.c.region == scope.region)
    )


@functools.lru_cache(maxsize=4096)
def _scoped_by_id(scope: Scope, table: Any, for_update: bool) -> Bound:
    return Bound(_by_id(table, for_update), scope_values(scope))


def scope_values(scope: Scope) -> dict[str, Any]:
    """The parameters :func:`in_any_scope` names, for ``scope``."""
    return {
        "scope_cloud": scope.cloud,
        "scope_account": scope.account_id,
        "scope_region": scope.region,
    }


def in_any_scope(table: Any, *columns: Any) -> Any:
    """``SELECT`` of ``table`` (or of ``columns`` of it) in a scope given as parameters
    (:func:`scope_values`): one statement, compiled once, for every scope (a statement per
    scope would be compiled on each scope's first call, about 0.5 ms each, paid by every new
    account and region on its first requests)."""
    return (
        (select(*columns).select_from(table) if columns else select(table))
        .where(table.c.cloud == bindparam("scope_cloud"))
        .where(table.c.account_id == bindparam("scope_account"))
        .where(table.c.region == bindparam("scope_region"))
    )


@functools.lru_cache(maxsize=64)
def _by_id(table: Any, for_update: bool) -> Prepared:
    """A row of ``table`` by id, in a scope given as parameters."""
    query = in_any_scope(table).where(table.c.id == bindparam("id"))
    return Prepared(query.with_for_update() if for_update else query)


@functools.lru_cache(maxsize=64)
def _listing(table: Any, filters: tuple[str, ...]) -> Prepared:
    """A scope's rows of ``table`` in creation order, prepared, where each of ``filters``
    holds: ``ids``, the row's id among a list; any other name, that column equal to the
    parameter of its name. The scope's parameters are :func:`scope_values`'."""
    query = in_any_scope(table)
    for name in filters:
        if name == "ids":
            query = query.where(table.c.id.in_(bindparam("ids", expanding=True)))
        else:
            query = query.where(table.c[name] == bindparam(name))
    return Prepared(query.order_by(table.c.created_at, table.c.id))


def list_rows(conn: Connection, scope: Scope, table: Any, **filters: Any) -> list[Any]:
    """A scope's rows of ``table`` (one with the scope's columns, ``created_at`` and ``id``) in
    creation order, for the filters given (None: not filtered), prepared as
    :func:`_listing` says."""
    given = {k: (list(v) if k == "ids" else v) for k, v in filters.items() if v is not None}
    return _listing(table, tuple(given)).all(conn, {**scope_values(scope), **given})


# A VPC's subnets' blocks, for a new one's overlap check (the VPC was read in its scope, and
# VPC ids are unique): two columns, not whole rows, compared as integers.
_BLOCKS_OF_VPC = Prepared(
    select(subnets.c.id, subnets.c.cidr_block).where(subnets.c.vpc_id == bindparam("vpc_id"))
)


@dataclass(frozen=True)
class Vpc:
    id: str
    cloud: str
    account_id: int
    region: str
    name: str
    description: str
    cidr_block: str
    status: str
    is_default: bool
    created_at: float
    extra: dict[str, Any] = field(default_factory=dict)
    ipv6_cidr_block: str | None = None  # the /56 of OpenECS's pool, once IPv6 is enabled


@dataclass(frozen=True)
class Subnet:
    id: str
    cloud: str
    account_id: int
    region: str
    vpc_id: str
    zone_id: str
    name: str
    description: str
    cidr_block: str
    gateway_ip: str
    status: str
    created_at: float
    extra: dict[str, Any] = field(default_factory=dict)
    ipv6_cidr_block: str | None = None  # one /64 of the VPC's /56, once IPv6 is enabled


def _vpc(row: Any) -> Vpc:
    return Vpc(
        id=row.id,
        cloud=row.cloud,
        account_id=row.account_id,
        region=row.region,
        name=row.name,
        description=row.description,
        cidr_block=row.cidr_block,
        status=row.status,
        is_default=bool(row.is_default),
        created_at=row.created_at,
        extra=json.loads(row.extra),
        ipv6_cidr_block=row.ipv6_cidr_block,
    )


def _subnet(row: Any) -> Subnet:
    return Subnet(
        id=row.id,
        cloud=row.cloud,
        account_id=row.account_id,
        region=row.region,
        vpc_id=row.vpc_id,
        zone_id=row.zone_id,
        name=row.name,
        description=row.description,
        cidr_block=row.cidr_block,
        gateway_ip=row.gateway_ip,
        status=row.status,
        created_at=row.created_at,
        extra=json.loads(row.extra),
        ipv6_cidr_block=row.ipv6_cidr_block,
    )


def _scoped(table: Any, scope: Scope) -> Any:
    return scope.rows(table)


# -- VPCs


def create_vpc(
    conn: Connection,
    scope: Scope,
    *,
    vpc_id: str,
    cidr_block: str,
    name: str,
    description: str,
    now: float,
    ready_after: float,
    is_default: bool = False,
    extra: dict[str, Any] | None = None,
) -> Vpc:
    """A new VPC, ``creating`` until the engine marks it ``available`` after ``ready_after`` s."""
    try:
        ipaddress.IPv4Network(cidr_block, strict=True)
    except ValueError:
        raise Invalid(
            "vpc.cidr_invalid", f"{cidr_block} is not a valid CIDR block.", cidr=cidr_block
        ) from None
    insert_rows(
        conn,
        vpcs,
        dict(
            id=vpc_id,
            cloud=scope.cloud,
            account_id=scope.account_id,
            region=scope.region,
            name=name,
            description=description,
            cidr_block=cidr_block,
            status=CREATING,
            is_default=int(is_default),
            created_at=now,
            extra=json.dumps(extra or {}),
        ),
    )
    schedule(conn, READY_TASK, {"kind": "vpc", "id": vpc_id}, now + ready_after)
    return get_vpc(conn, scope, vpc_id)


def get_vpc(conn: Connection, scope: Scope, vpc_id: str, *, for_update: bool = False) -> Vpc:
    row = scope.row_by_id(vpcs, for_update=for_update).first(conn, {"id": vpc_id})
    if row is None:
        raise NotFound("vpc.not_found", f"The VPC {vpc_id} does not exist.", id=vpc_id)
    return _vpc(row)


def list_vpcs(conn: Connection, scope: Scope, ids: list[str] | None = None) -> list[Vpc]:
    return [_vpc(r) for r in list_rows(conn, scope, vpcs, ids=ids)]


def update_vpc(conn: Connection, scope: Scope, vpc_id: str, **changes: Any) -> Vpc:
    """Change a VPC's name, description, cidr_block or extra (merged key by key)."""
    current = get_vpc(conn, scope, vpc_id, for_update=True)
    values = {k: v for k, v in changes.items() if k in ("name", "description", "cidr_block")}
    if "extra" in changes:
        values["extra"] = json.dumps({**current.extra, **changes["extra"]})
    if values:
        conn.execute(update(vpcs).where(vpcs.c.id == vpc_id).values(**values))
    return get_vpc(conn, scope, vpc_id)


def delete_vpc(conn: Connection, scope: Scope, vpc_id: str) -> None:
    get_vpc(conn, scope, vpc_id, for_update=True)
    left = conn.execute(
        select(func.count()).select_from(subnets).where(subnets.c.vpc_id == vpc_id)
    ).scalar_one()
    if left:
        raise Conflict(
            "vpc.has_subnets", f"The VPC {vpc_id} still has {left} subnet(s).", id=vpc_id
        )
    conn.execute(delete(vpcs).where(vpcs.c.id == vpc_id))


# -- subnets


def create_subnet(
    conn: Connection,
    scope: Scope,
    *,
    subnet_id: str,
    vpc_id: str,
    zone_id: str,
    cidr_block: str,
    name: str,
    description: str,
    now: float,
    ready_after: float,
    gateway_ip: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Subnet:
    """A new subnet inside its VPC's CIDR, overlapping no sibling, with its reserved addresses."""
    vpc = get_vpc(conn, scope, vpc_id, for_update=True)
    try:
        net = ipaddress.IPv4Network(cidr_block, strict=True)
    except ValueError:
        raise Invalid(
            "subnet.cidr_invalid", f"{cidr_block} is not a valid CIDR block.", cidr=cidr_block
        ) from None
    if not net.subnet_of(ipaddress.IPv4Network(vpc.cidr_block)):
        raise Invalid(
            "subnet.cidr_outside_vpc",
            f"{cidr_block} is not inside the VPC's {vpc.cidr_block}.",
            cidr=cidr_block,
            vpc_cidr=vpc.cidr_block,
        )
    first, last = int(net.network_address), int(net.broadcast_address)
    for sibling_id, block in _BLOCKS_OF_VPC.tuples(conn, {"vpc_id": vpc_id}):
        start, size = ipam.block_span(block)
        if start <= last and first < start + size:
            raise Conflict(
                "subnet.cidr_overlap",
                f"{cidr_block} overlaps {block} of {sibling_id}.",
                cidr=cidr_block,
                other=sibling_id,
            )
    if gateway_ip is not None:
        gw = ipaddress.IPv4Address(gateway_ip)
        if gw not in net or gw in (net.network_address, net.broadcast_address):
            raise Invalid(
                "subnet.gateway_invalid",
                f"{gateway_ip} is not a host of {cidr_block}.",
                gateway=gateway_ip,
            )
    else:
        gateway_ip = (
            str(net.network_address + 1) if net.num_addresses > 2 else str(net.network_address)
        )
    insert_rows(
        conn,
        subnets,
        dict(
            id=subnet_id,
            cloud=scope.cloud,
            account_id=scope.account_id,
            region=scope.region,
            vpc_id=vpc_id,
            zone_id=zone_id,
            name=name,
            description=description,
            cidr_block=cidr_block,
            gateway_ip=gateway_ip,
            status=CREATING,
            created_at=now,
            extra=json.dumps(extra or {}),
        ),
    )
    ipam.reserve(conn, subnet_id, ipam.reserved_addresses(scope.cloud, cidr_block, gateway_ip))
    schedule(conn, READY_TASK, {"kind": "subnet", "id": subnet_id}, now + ready_after)
    return get_subnet(conn, scope, subnet_id)


def get_subnet(
    conn: Connection, scope: Scope, subnet_id: str, *, for_update: bool = False
) -> Subnet:
    row = scope.row_by_id(subnets, for_update=for_update).first(conn, {"id": subnet_id})
    if row is None:
        raise NotFound("subnet.not_found", f"The subnet {subnet_id} does not exist.", id=subnet_id)
    return _subnet(row)


def list_subnets(
    conn: Connection, scope: Scope, *, vpc_id: str | None = None, ids: list[str] | None = None
) -> list[Subnet]:
    return [_subnet(r) for r in list_rows(conn, scope, subnets, vpc_id=vpc_id, ids=ids)]


def update_subnet(conn: Connection, scope: Scope, subnet_id: str, **changes: Any) -> Subnet:
    current = get_subnet(conn, scope, subnet_id, for_update=True)
    values = {k: v for k, v in changes.items() if k in ("name", "description")}
    if "extra" in changes:
        values["extra"] = json.dumps({**current.extra, **changes["extra"]})
    if values:
        conn.execute(update(subnets).where(subnets.c.id == subnet_id).values(**values))
    return get_subnet(conn, scope, subnet_id)


def delete_subnet(conn: Connection, scope: Scope, subnet_id: str) -> None:
    get_subnet(conn, scope, subnet_id, for_update=True)
    held = ipam.in_use_by_others(conn, subnet_id) + ipam6.in_use(conn, subnet_id)
    if held:
        raise Conflict(
            "subnet.in_use",
            f"The subnet {subnet_id} still has {held} address(es) in use.",
            id=subnet_id,
        )
    ipam.drop_subnet(conn, subnet_id)
    ipam6.drop_subnet(conn, subnet_id)
    conn.execute(delete(subnets).where(subnets.c.id == subnet_id))


def available_addresses(conn: Connection, subnet: Subnet) -> int:
    """The exact count of addresses a client could still get from this subnet."""
    return ipam.free_count(conn, subnet.id, subnet.cidr_block)


# -- IPv6


def enable_vpc_ipv6(conn: Connection, scope: Scope, vpc_id: str) -> Vpc:
    """Give a VPC a /56 of OpenECS's pool (refused when it has one: a compare-and-swap on
    the empty column). The unique index keeps the block one VPC's; a draw another VPC
    holds is simply drawn again."""
    get_vpc(conn, scope, vpc_id, for_update=True)
    for _ in range(64):
        try:
            with conn.begin_nested():
                done = conn.execute(
                    update(vpcs)
                    .where(vpcs.c.id == vpc_id)
                    .where(vpcs.c.ipv6_cidr_block.is_(None))
                    .values(ipv6_cidr_block=ipam6.draw_vpc_block())
                ).rowcount
        except IntegrityError:
            continue
        if done != 1:
            raise Conflict("vpc.ipv6_enabled", f"The VPC {vpc_id} already has IPv6.", id=vpc_id)
        return get_vpc(conn, scope, vpc_id)
    raise Conflict("vpc.ipv6_exhausted", "No free IPv6 block could be drawn.")  # pragma: no cover


def enable_subnet_ipv6(conn: Connection, scope: Scope, subnet_id: str, index: int) -> Subnet:
    """Give a subnet the /64 numbered ``index`` of its VPC's /56: the VPC must have IPv6, the
    /64 must be no sibling's (the unique index decides a race), the subnet must have none."""
    subnet = get_subnet(conn, scope, subnet_id, for_update=True)
    vpc = get_vpc(conn, scope, subnet.vpc_id)
    if vpc.ipv6_cidr_block is None:
        raise Conflict("vpc.ipv6_disabled", f"The VPC {vpc.id} has no IPv6 CIDR block.", id=vpc.id)
    block = ipam6.subnet_block(vpc.ipv6_cidr_block, index)
    try:
        with conn.begin_nested():
            done = conn.execute(
                update(subnets)
                .where(subnets.c.id == subnet_id)
                .where(subnets.c.ipv6_cidr_block.is_(None))
                .values(ipv6_cidr_block=block)
            ).rowcount
    except IntegrityError:
        raise Conflict("subnet.cidr_overlap", f"{block} is another subnet's.", cidr=block) from None
    if done != 1:
        raise Conflict(
            "subnet.ipv6_enabled", f"The subnet {subnet_id} already has IPv6.", id=subnet_id
        )
    return get_subnet(conn, scope, subnet_id)


@handler(READY_TASK)
def _become_available(ctx: TaskContext, payload: dict[str, Any]) -> None:
    """A VPC or subnet finished creating (it may have been deleted meanwhile: then nothing)."""
    finish_creating(ctx.conn, payload["kind"], payload["id"])


def finish_creating(conn: Connection, kind: str, resource_id: str) -> None:
    """Make a ``creating`` VPC (``kind`` "vpc") or subnet available now."""
    table = vpcs if kind == "vpc" else subnets
    conn.execute(
        update(table)
        .where(table.c.id == resource_id)
        .where(table.c.status == CREATING)
        .values(status=AVAILABLE)
    )
