"""Network interfaces: Alibaba elastic network interfaces, Huawei ports, instances' NICs.

An interface lives in one subnet (and so one VPC and zone), holds a MAC
address unique across the store, a primary IPv4 address and any number of
secondary ones, all claimed through the subnet's allocator
(:mod:`openecs.core.ipam`), and belongs to security groups. Statuses are the
core's words (``available``, ``attaching``, ``in_use``, ``detaching``), the
faces spell them. Invariants kept here: every address is the subnet's and
used once; the MAC is unique (``00:16:3e`` for Alibaba, ``fa:16:3e`` for
Huawei); an interface's groups are the caller's and, where a group belongs to
a VPC, the interface's VPC.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from openecs.core import ipam, ipam6, network
from openecs.core import security_groups as sg
from openecs.core.errors import Conflict, Invalid, NotFound, QuotaExceeded
from openecs.core.frozen import built
from openecs.core.network import Scope
from openecs.engine.tasks import TaskContext, handler, schedule
from openecs.store.prepared import Prepared, insert_new
from openecs.store.tables import (
    instances,
    interface_security_groups,
    ip_allocations,
    ipv6_allocations,
    network_interfaces,
)
from openecs.store.tables import tags as tag_rows

OWNER = "interface"  # the ipam owner type of interface addresses
PREFIX_OWNER = "interface_prefix"  # the ipam owner type of the addresses of interface prefixes
PREFIX_LEN = 28  # an interface's IPv4 prefix is a /28 block of its subnet
IPV6_OWNER = "interface_ipv6"  # the ipam6 owner type of interface IPv6 addresses
IPV6_PREFIX_OWNER = "interface_ipv6_prefix"  # ... and of interface IPv6 /80 prefixes
SETTLE_TASK = "interface.settle"  # the timed end of an attach or a detach
ATTACH_SECONDS = 1.0  # engine seconds an attach or a detach takes
MAC_PREFIX = {"aliyun": "00:16:3e", "huawei": "fa:16:3e"}

AVAILABLE = "available"
ATTACHING = "attaching"
IN_USE = "in_use"
DETACHING = "detaching"

_MAC_TRIES = 32


@dataclass(frozen=True)
class Interface:
    id: str
    cloud: str
    account_id: int
    region: str
    vpc_id: str
    subnet_id: str
    zone_id: str
    mac_address: str
    primary_ip: str
    status: str
    type: str
    device_id: str | None
    name: str
    description: str
    created_at: float
    extra: dict[str, Any] = field(default_factory=dict)
    security_group_ids: tuple[str, ...] = ()
    secondary_ips: tuple[str, ...] = ()
    ipv4_prefixes: tuple[str, ...] = ()
    ipv6_addresses: tuple[str, ...] = ()
    ipv6_prefixes: tuple[str, ...] = ()

    @property
    def private_ips(self) -> tuple[str, ...]:
        """The primary address first, then the secondary ones."""
        return (self.primary_ip, *self.secondary_ips)


def _new_mac(cloud: str) -> str:
    tail = secrets.token_bytes(3)
    return MAC_PREFIX[cloud] + "".join(f":{b:02x}" for b in tail)


def _check_groups(
    conn: Connection,
    scope: Scope,
    subnet: network.Subnet,
    group_ids: Sequence[str],
    read: Sequence[sg.SecurityGroup] = (),
) -> None:
    """Each group exists in the scope and the subnet's VPC (``read``: groups the caller read in
    this transaction, not read again)."""
    if len(set(group_ids)) != len(group_ids):
        raise Invalid("interface.groups_repeated", "A security group is named twice.")
    known = {g.id: g for g in read}
    for gid in group_ids:
        group = known.get(gid) or sg.get_group(conn, scope, gid)
        if group.vpc_id is not None and group.vpc_id != subnet.vpc_id:
            raise Conflict(
                "interface.group_other_vpc",
                f"The security group {gid} is not in the VPC {subnet.vpc_id}.",
                id=gid,
                vpc_id=subnet.vpc_id,
            )


# Built once: every interface deletion and every change of groups runs these.
_LEAVE_GROUPS = Prepared(
    delete(interface_security_groups).where(
        interface_security_groups.c.interface_id == bindparam("interface_id")
    )
)
_ROW = delete(network_interfaces).where(network_interfaces.c.id == bindparam("id"))
_DELETE_ROW = Prepared(_ROW)
_DELETE_ROW_IF = Prepared(_ROW.where(network_interfaces.c.status == bindparam("only_if")))
_JOIN_GROUPS = insert(interface_security_groups)


def _set_memberships(
    conn: Connection, interface_id: str, group_ids: Sequence[str], *, new: bool = False
) -> None:
    """Replace the interface's groups (``new``: it has none yet, nothing to remove)."""
    if not new:
        _LEAVE_GROUPS.rowcount(conn, {"interface_id": interface_id})
    if group_ids:
        conn.execute(
            _JOIN_GROUPS,
            [
                {"interface_id": interface_id, "group_id": g, "position": i}
                for i, g in enumerate(group_ids)
            ],
        )


def create_interface(
    conn: Connection,
    scope: Scope,
    *,
    interface_id: str,
    subnet_id: str,
    now: float,
    subnet: network.Subnet | None = None,
    groups: Sequence[sg.SecurityGroup] = (),
    status: str = AVAILABLE,
    type: str = "secondary",
    name: str = "",
    description: str = "",
    primary_ip: str | None = None,
    secondary_ips: Sequence[str] = (),
    secondary_count: int = 0,
    group_ids: Sequence[str] = (),
    device_id: str | None = None,
    extra: dict[str, Any] | None = None,
    ipv4_prefixes: Sequence[str] = (),
    ipv4_prefix_count: int = 0,
    ipv6: Ipv6Request | None = None,
) -> Interface:
    """A new interface with its addresses claimed, its MAC unique and its groups checked.

    ``subnet``: the subnet of ``subnet_id`` if the caller read it in this transaction;
    ``groups``: likewise, any of ``group_ids``'s groups.
    """
    if subnet is None or subnet.id != subnet_id:
        subnet = network.get_subnet(conn, scope, subnet_id)
    _check_groups(conn, scope, subnet, group_ids, groups)
    if ipv6:
        _claim_ipv6(conn, subnet, interface_id, ipv6)
    primary = ipam.allocate(conn, subnet.id, subnet.cidr_block, OWNER, interface_id, primary_ip)
    for address in secondary_ips:
        ipam.allocate(conn, subnet.id, subnet.cidr_block, OWNER, interface_id, address)
    for _ in range(secondary_count):
        ipam.allocate(conn, subnet.id, subnet.cidr_block, OWNER, interface_id)
    _claim_prefixes(conn, subnet, interface_id, ipv4_prefixes, ipv4_prefix_count)
    row = {
        "id": interface_id,
        "cloud": scope.cloud,
        "account_id": scope.account_id,
        "region": scope.region,
        "vpc_id": subnet.vpc_id,
        "subnet_id": subnet.id,
        "zone_id": subnet.zone_id,
        "primary_ip": primary,
        "status": status,
        "type": type,
        "device_id": device_id,
        "name": name,
        "description": description,
        "created_at": now,
        "extra": json.dumps(extra or {}),
    }
    for _ in range(_MAC_TRIES):
        row["mac_address"] = _new_mac(scope.cloud)
        if insert_new(conn, network_interfaces, row, "mac_address"):
            break
        # that MAC is taken (or being taken): draw another
    else:  # pragma: no cover - 16 million MACs per cloud
        raise Conflict("interface.mac_exhausted", "No free MAC address could be drawn.")
    _set_memberships(conn, interface_id, list(group_ids), new=True)
    if secondary_ips or secondary_count or ipv4_prefixes or ipv4_prefix_count or ipv6:
        return get_interface(conn, scope, interface_id)  # the addresses in the store's order
    return Interface(
        **{k: v for k, v in row.items() if k != "extra"},
        extra=json.loads(row["extra"]),
        security_group_ids=tuple(group_ids),
    )


@dataclass(frozen=True)
class NewInterface:
    """One interface of a batch (:func:`create_interfaces`): what may differ between them."""

    interface_id: str
    subnet_id: str
    group_ids: Sequence[str] = ()
    device_id: str | None = None
    primary_ip: str | None = None  # None: the lowest free address of the subnet
    ipv6: Ipv6Request | None = None


def create_interfaces(
    conn: Connection,
    scope: Scope,
    new: Sequence[NewInterface],
    *,
    now: float,
    status: str = AVAILABLE,
    type: str = "secondary",
    extra: dict[str, Any] | None = None,
) -> None:
    """Many new interfaces (an instance batch's primary ones) in a fixed number of statements.

    Checked and claimed as :func:`create_interface` checks and claims one (the subnet, the
    groups, IPv6, the primary address, a unique MAC), but each subnet and each group list is
    read once, the unlisted primary addresses of a subnet are claimed together (the same
    lowest free ones as claiming them in the batch's order) and the rows, MACs and
    memberships are inserted with one executemany each. Any refusal raises before the
    caller's transaction commits, so it is all or nothing with the caller's writes.
    """
    subnets = {
        s: network.get_subnet(conn, scope, s) for s in dict.fromkeys(n.subnet_id for n in new)
    }
    checked: set[tuple[str, tuple[str, ...]]] = set()
    for item in new:
        key = (item.subnet_id, tuple(item.group_ids))
        if key not in checked:
            _check_groups(conn, scope, subnets[item.subnet_id], item.group_ids)
            checked.add(key)
    for item in new:
        if item.ipv6:
            _claim_ipv6(conn, subnets[item.subnet_id], item.interface_id, item.ipv6)
    primary = _claim_primaries(conn, subnets, new)
    rows = [
        {
            "id": item.interface_id,
            "cloud": scope.cloud,
            "account_id": scope.account_id,
            "region": scope.region,
            "vpc_id": subnets[item.subnet_id].vpc_id,
            "subnet_id": item.subnet_id,
            "zone_id": subnets[item.subnet_id].zone_id,
            "primary_ip": primary[item.interface_id],
            "status": status,
            "type": type,
            "device_id": item.device_id,
            "name": "",
            "description": "",
            "created_at": now,
            "extra": json.dumps(extra or {}),
        }
        for item in new
    ]
    _insert_with_macs(conn, scope.cloud, rows)
    memberships = [
        {"interface_id": item.interface_id, "group_id": g, "position": i}
        for item in new
        for i, g in enumerate(item.group_ids)
    ]
    if memberships:
        conn.execute(insert(interface_security_groups), memberships)


def _claim_primaries(
    conn: Connection, subnets: dict[str, network.Subnet], new: Sequence[NewInterface]
) -> dict[str, str]:
    """Each new interface's primary address, claimed in the batch's order: a listed address
    checked and claimed alone, each run of unlisted ones of a subnet claimed together (the
    lowest free addresses, as claiming them one by one would pick)."""
    got: dict[str, str] = {}
    k = 0
    while k < len(new):
        item = new[k]
        subnet = subnets[item.subnet_id]
        if item.primary_ip is not None:
            got[item.interface_id] = ipam.allocate(
                conn, subnet.id, subnet.cidr_block, OWNER, item.interface_id, item.primary_ip
            )
            k += 1
            continue
        end = k + 1
        while end < len(new) and new[end].primary_ip is None and new[end].subnet_id == subnet.id:
            end += 1
        owners = [n.interface_id for n in new[k:end]]
        addresses = ipam.allocate_many(conn, subnet.id, subnet.cidr_block, OWNER, owners)
        got.update(zip(owners, addresses, strict=True))
        k = end
    return got


def _insert_with_macs(conn: Connection, cloud: str, rows: list[dict[str, Any]]) -> None:
    """Insert interface rows, each with a fresh MAC, in one statement.

    When the unique index refuses the batch, the MACs found taken are drawn again (all of
    them when none is visible: another transaction is inserting the same one right now).
    """
    for row in rows:
        row["mac_address"] = _new_mac(cloud)
    for _ in range(_MAC_TRIES):
        drawn = [row["mac_address"] for row in rows]
        if len(set(drawn)) == len(drawn):
            try:
                with conn.begin_nested():
                    conn.execute(insert(network_interfaces), rows)
                return
            except IntegrityError:
                pass
        taken = set(
            conn.execute(
                select(network_interfaces.c.mac_address).where(
                    network_interfaces.c.mac_address.in_(drawn)
                )
            ).scalars()
        )
        seen: set[str] = set()
        for row in rows:
            mac = row["mac_address"]
            if not taken or mac in taken or mac in seen:
                row["mac_address"] = _new_mac(cloud)
            seen.add(row["mac_address"])
    raise Conflict(  # pragma: no cover - 16 million MACs per cloud
        "interface.mac_exhausted", "No free MAC address could be drawn."
    )


def _claim_prefixes(
    conn: Connection,
    subnet: network.Subnet,
    interface_id: str,
    blocks: Sequence[str],
    count: int,
) -> list[str]:
    got = [
        ipam.allocate_block(
            conn, subnet.id, subnet.cidr_block, PREFIX_LEN, PREFIX_OWNER, interface_id, b
        )
        for b in blocks
    ]
    got += [
        ipam.allocate_block(
            conn, subnet.id, subnet.cidr_block, PREFIX_LEN, PREFIX_OWNER, interface_id
        )
        for _ in range(count)
    ]
    return got


@dataclass(frozen=True)
class Ipv6Request:
    """IPv6 addresses and /80 prefixes to claim: listed ones and a count of random ones."""

    addresses: Sequence[str] = ()
    count: int = 0
    prefixes: Sequence[str] = ()
    prefix_count: int = 0

    def __bool__(self) -> bool:
        return bool(self.addresses or self.count or self.prefixes or self.prefix_count)


def _claim_ipv6(
    conn: Connection, subnet: network.Subnet, interface_id: str, wanted: Ipv6Request
) -> tuple[list[str], list[str]]:
    """Claim IPv6 addresses and prefixes from the subnet's /64 (refused without one)."""
    cidr = subnet.ipv6_cidr_block
    if cidr is None:
        raise Conflict(
            "subnet.ipv6_disabled", f"The subnet {subnet.id} has no IPv6 block.", id=subnet.id
        )
    listed = [*wanted.addresses, *[None] * wanted.count]
    addresses = [ipam6.allocate(conn, subnet.id, cidr, IPV6_OWNER, interface_id, a) for a in listed]
    blocks = [*wanted.prefixes, *[None] * wanted.prefix_count]
    prefixes = [
        ipam6.allocate_prefix(conn, subnet.id, cidr, IPV6_PREFIX_OWNER, interface_id, b)
        for b in blocks
    ]
    return addresses, prefixes


def assign_ipv6(
    conn: Connection, scope: Scope, interface_id: str, wanted: Ipv6Request
) -> tuple[list[str], list[str]]:
    """Claim more IPv6 addresses and prefixes for the interface; returns the new ones."""
    current = get_interface(conn, scope, interface_id, for_update=True)
    subnet = network.get_subnet(conn, scope, current.subnet_id)
    return _claim_ipv6(conn, subnet, interface_id, wanted)


def unassign_ipv6(
    conn: Connection,
    scope: Scope,
    interface_id: str,
    addresses: Sequence[str] = (),
    prefixes: Sequence[str] = (),
) -> None:
    """Release IPv6 addresses and prefixes the interface holds (every one must be its own)."""
    current = get_interface(conn, scope, interface_id, for_update=True)
    for value, held in ((a, current.ipv6_addresses) for a in addresses):
        if canonical_ipv6(value) not in held:
            raise NotFound(
                "interface.ip_not_found",
                f"{value} is not assigned to {interface_id}.",
                address=value,
            )
    for block in prefixes:
        if canonical_ipv6(block) not in current.ipv6_prefixes:
            raise NotFound(
                "interface.prefix_not_found",
                f"{block} is not assigned to {interface_id}.",
                prefix=block,
            )
    ipam6.release(conn, current.subnet_id, [canonical_ipv6(a) for a in addresses], IPV6_OWNER)
    ipam6.release(conn, current.subnet_id, [canonical_ipv6(b) for b in prefixes], IPV6_PREFIX_OWNER)


def canonical_ipv6(value: str) -> str:
    """An IPv6 address or block in the allocator's text (as given when it is neither)."""
    try:
        if "/" in value:
            return str(ipaddress.IPv6Network(value, strict=True))
        return str(ipaddress.IPv6Address(value))
    except ValueError:
        return value


def _scoped(scope: Scope) -> Any:
    return scope.rows(network_interfaces)


def get_interface(
    conn: Connection, scope: Scope, interface_id: str, *, for_update: bool = False
) -> Interface:
    query = _scoped(scope).where(network_interfaces.c.id == interface_id)
    if for_update and conn.dialect.name != "sqlite":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(
            "interface.not_found",
            f"The network interface {interface_id} does not exist.",
            id=interface_id,
        )
    return load_interfaces(conn, [row])[0]


def list_interfaces(
    conn: Connection,
    scope: Scope,
    *,
    ids: Sequence[str] | None = None,
    device_id: str | None = None,
    subnet_id: str | None = None,
    vpc_id: str | None = None,
) -> list[Interface]:
    query = _scoped(scope)
    if ids is not None:
        query = query.where(network_interfaces.c.id.in_(list(ids)))
    if device_id is not None:
        query = query.where(network_interfaces.c.device_id == device_id)
    if subnet_id is not None:
        query = query.where(network_interfaces.c.subnet_id == subnet_id)
    if vpc_id is not None:
        query = query.where(network_interfaces.c.vpc_id == vpc_id)
    rows = conn.execute(
        query.order_by(network_interfaces.c.created_at, network_interfaces.c.id)
    ).all()
    return load_interfaces(conn, rows)


def update_interface(
    conn: Connection, scope: Scope, interface_id: str, **changes: Any
) -> Interface:
    """Change name, description, status, type, device_id or extra (merged key by key)."""
    current = get_interface(conn, scope, interface_id, for_update=True)
    fields = ("name", "description", "status", "type", "device_id")
    values = {k: v for k, v in changes.items() if k in fields}
    if "extra" in changes:
        values["extra"] = json.dumps({**current.extra, **changes["extra"]})
    if values:
        conn.execute(
            update(network_interfaces)
            .where(network_interfaces.c.id == interface_id)
            .values(**values)
        )
    return get_interface(conn, scope, interface_id)


def set_groups(
    conn: Connection, scope: Scope, interface_id: str, group_ids: Sequence[str]
) -> Interface:
    """Replace the interface's security groups (checked like at creation)."""
    current = get_interface(conn, scope, interface_id, for_update=True)
    subnet = network.get_subnet(conn, scope, current.subnet_id)
    _check_groups(conn, scope, subnet, group_ids)
    _set_memberships(conn, interface_id, list(group_ids))
    return get_interface(conn, scope, interface_id)


def assign_ips(
    conn: Connection,
    scope: Scope,
    interface_id: str,
    *,
    addresses: Sequence[str] = (),
    count: int = 0,
) -> list[str]:
    """Claim more secondary addresses for the interface; returns the new ones."""
    current = get_interface(conn, scope, interface_id, for_update=True)
    subnet = network.get_subnet(conn, scope, current.subnet_id)
    got = [
        ipam.allocate(conn, subnet.id, subnet.cidr_block, OWNER, interface_id, a) for a in addresses
    ]
    got += [
        ipam.allocate(conn, subnet.id, subnet.cidr_block, OWNER, interface_id) for _ in range(count)
    ]
    return got


def unassign_ips(
    conn: Connection, scope: Scope, interface_id: str, addresses: Sequence[str]
) -> None:
    """Release secondary addresses; the primary cannot be released this way."""
    current = get_interface(conn, scope, interface_id, for_update=True)
    for address in addresses:
        if address == current.primary_ip:
            raise Invalid(
                "interface.primary_ip", "The primary address cannot be unassigned.", address=address
            )
        if address not in current.secondary_ips:
            raise NotFound(
                "interface.ip_not_found",
                f"{address} is not assigned to {interface_id}.",
                address=address,
            )
        ipam.release(conn, current.subnet_id, address)


def delete_interface(
    conn: Connection, scope: Scope, interface_id: str, *, only_if: str | None = None
) -> None:
    """Delete an interface and free its addresses, prefixes and memberships.

    ``only_if`` names the status the interface must still have when it is
    deleted (compare-and-swap: an attach that won the race is not undone).
    """
    current = _locked_row(conn, scope, interface_id)  # its status is all the checks need
    if only_if is not None and current.status != only_if:
        raise _status_refusal(current.id, current.status, (only_if,))
    # Memberships first (they refer to the interface); a lost race rolls them back with the rest.
    _set_memberships(conn, interface_id, [])
    if only_if is None:
        deleted = _DELETE_ROW.rowcount(conn, {"id": interface_id})
    else:
        deleted = _DELETE_ROW_IF.rowcount(conn, {"id": interface_id, "only_if": only_if})
    if deleted != 1:
        raise _status_refusal(current.id, current.status, (only_if or current.status,))
    _release(conn, interface_id)


def _locked_row(conn: Connection, scope: Scope, interface_id: str) -> Any:
    """An interface's own row (not its addresses nor groups), locked like ``get_interface``."""
    by_id = scope.row_by_id(network_interfaces, for_update=True)
    row = by_id.first(conn, {"id": interface_id})
    if row is None:
        get_interface(conn, scope, interface_id)  # raises interface.not_found
    return row


def delete_interfaces(conn: Connection, interface_ids: Sequence[str]) -> None:
    """Delete interfaces the caller has checked (an instance batch's release), with their
    memberships, addresses, prefixes and tags, in a fixed number of statements."""
    if not interface_ids:
        return
    ids = list(interface_ids)
    conn.execute(
        delete(interface_security_groups).where(interface_security_groups.c.interface_id.in_(ids))
    )
    conn.execute(delete(network_interfaces).where(network_interfaces.c.id.in_(ids)))
    _release_many(conn, ids)


def release_devices(conn: Connection, device_ids: Sequence[str]) -> None:
    """The interfaces of released instances: each primary interface and each one created to
    go with its instance (``delete_on_release``) is deleted, the others are left available,
    attached to nothing. A fixed number of statements for any number of instances."""
    if not device_ids:
        return
    rows = conn.execute(
        select(
            network_interfaces.c.id, network_interfaces.c.type, network_interfaces.c.extra
        ).where(network_interfaces.c.device_id.in_(list(device_ids)))
    ).all()
    gone = [
        r.id for r in rows if r.type == "primary" or json.loads(r.extra).get("delete_on_release")
    ]
    kept = [r.id for r in rows if r.id not in set(gone)]
    delete_interfaces(conn, gone)
    if kept:
        conn.execute(
            update(network_interfaces)
            .where(network_interfaces.c.id.in_(kept))
            .values(status=AVAILABLE, device_id=None)
        )


def _release(conn: Connection, interface_id: str) -> None:
    """Free a deleted interface's addresses, prefixes and tags."""
    _release_many(conn, [interface_id])


def _release_many(conn: Connection, interface_ids: list[str]) -> None:
    """Free deleted interfaces' addresses, prefixes and tags: one statement per table."""
    ipam.release_owners(conn, (OWNER, PREFIX_OWNER), interface_ids)
    ipam6.release_owners(conn, (IPV6_OWNER, IPV6_PREFIX_OWNER), interface_ids)
    if len(interface_ids) == 1:
        _UNTAG_ONE.rowcount(conn, {"id": interface_ids[0]})
    else:
        conn.execute(_UNTAG, {"ids": interface_ids})


# Built once: every interface deletion runs one of them.
_UNTAG = delete(tag_rows).where(tag_rows.c.resource_id.in_(bindparam("ids", expanding=True)))
_UNTAG_ONE = Prepared(delete(tag_rows).where(tag_rows.c.resource_id == bindparam("id")))


def assign_prefixes(
    conn: Connection,
    scope: Scope,
    interface_id: str,
    *,
    blocks: Sequence[str] = (),
    count: int = 0,
) -> list[str]:
    """Claim more IPv4 prefixes (``/PREFIX_LEN`` blocks of the subnet); returns the new ones."""
    current = get_interface(conn, scope, interface_id, for_update=True)
    subnet = network.get_subnet(conn, scope, current.subnet_id)
    return _claim_prefixes(conn, subnet, interface_id, blocks, count)


def unassign_prefixes(
    conn: Connection, scope: Scope, interface_id: str, blocks: Sequence[str]
) -> None:
    """Release prefixes the interface holds."""
    current = get_interface(conn, scope, interface_id, for_update=True)
    for block in blocks:
        if block not in current.ipv4_prefixes:
            raise NotFound(
                "interface.prefix_not_found",
                f"{block} is not assigned to {interface_id}.",
                prefix=block,
            )
        ipam.release_block(conn, current.subnet_id, block, PREFIX_OWNER)


# -- attaching and detaching: compare-and-swap on the status, the end is a timed step


def _status_error(current: Interface, allowed: Sequence[str]) -> Conflict:
    return _status_refusal(current.id, current.status, allowed)


def _status_refusal(interface_id: str, status: str, allowed: Sequence[str]) -> Conflict:
    return Conflict(
        "interface.incorrect_status",
        f"The network interface {interface_id} is {status}; this needs {' or '.join(allowed)}.",
        id=interface_id,
        status=status,
    )


def _require_status(current: Interface, *allowed: str) -> None:
    if current.status not in allowed:
        raise _status_error(current, allowed)


def _swap(conn: Connection, current: Interface, to: str, **values: Any) -> None:
    """Move the interface from the status it was read in to ``to``, or refuse (a race lost)."""
    done = conn.execute(
        update(network_interfaces)
        .where(network_interfaces.c.id == current.id)
        .where(network_interfaces.c.status == current.status)
        .values(status=to, **values)
    ).rowcount
    if done != 1:
        raise _status_error(current, (current.status,))


def _claim_instance(conn: Connection, instance_id: str, version: int) -> None:
    """Bump the instance's version as it was read: two attaches to one instance serialise here,
    so neither can pass the interface count the other is about to change."""
    done = conn.execute(
        update(instances)
        .where(instances.c.id == instance_id)
        .where(instances.c.version == version)
        .values(version=version + 1)
    ).rowcount
    if done != 1:
        raise Conflict(
            "instance.incorrect_status",
            f"The instance {instance_id} changed while the request ran.",
            id=instance_id,
        )


def attach(
    conn: Connection,
    scope: Scope,
    interface_id: str,
    *,
    instance_id: str,
    instance_version: int,
    zone_id: str,
    vpc_id: str,
    limit: int,
    now: float,
) -> Interface:
    """Begin attaching an available interface to an instance (``attaching``, then ``in_use``).

    The interface must be in the instance's zone and VPC, and the instance
    may hold at most ``limit`` interfaces (its primary one included).
    """
    current = get_interface(conn, scope, interface_id, for_update=True)
    _require_status(current, AVAILABLE)
    if current.zone_id != zone_id:
        raise Conflict(
            "interface.zone_mismatch",
            f"The network interface is in {current.zone_id}, the instance in {zone_id}.",
            id=interface_id,
        )
    if current.vpc_id != vpc_id:
        raise Conflict(
            "interface.vpc_mismatch",
            f"The network interface is in {current.vpc_id}, the instance in {vpc_id}.",
            id=interface_id,
        )
    _claim_instance(conn, instance_id, instance_version)
    held = len(list_interfaces(conn, scope, device_id=instance_id))
    if held >= limit:
        raise QuotaExceeded(
            "interface.per_instance_exceeded",
            f"The instance {instance_id} already holds {held} network interfaces (at most {limit}).",
            limit=limit,
        )
    _swap(conn, current, ATTACHING, device_id=instance_id)
    schedule(
        conn,
        SETTLE_TASK,
        {"id": interface_id, "expect": ATTACHING, "to": IN_USE},
        now + ATTACH_SECONDS,
    )
    return get_interface(conn, scope, interface_id)


def detach(
    conn: Connection,
    scope: Scope,
    interface_id: str,
    *,
    instance_id: str,
    now: float,
    delete_after: bool = False,
) -> Interface:
    """Begin detaching a secondary interface from its instance (``detaching``, then
    ``available``; with ``delete_after`` the interface is deleted once detached)."""
    current = get_interface(conn, scope, interface_id, for_update=True)
    if current.type == "primary":
        raise Conflict(
            "interface.primary_detach",
            f"The primary network interface {interface_id} cannot be detached.",
            id=interface_id,
        )
    if current.device_id != instance_id:
        raise NotFound(
            "interface.not_attached",
            f"The network interface {interface_id} is not attached to {instance_id}.",
            id=interface_id,
            instance_id=instance_id,
        )
    _require_status(current, IN_USE)
    _swap(conn, current, DETACHING)
    payload = {"id": interface_id, "expect": DETACHING, "to": AVAILABLE}
    if delete_after:
        payload["delete"] = True
    schedule(conn, SETTLE_TASK, payload, now + ATTACH_SECONDS)
    return get_interface(conn, scope, interface_id)


@handler(SETTLE_TASK)
def _settle(ctx: TaskContext, payload: dict[str, Any]) -> None:
    """The end of an attach or a detach, if the interface is still where the step expects it."""
    values: dict[str, Any] = {"status": payload["to"]}
    if payload["to"] == AVAILABLE:
        values["device_id"] = None
    done = ctx.conn.execute(
        update(network_interfaces)
        .where(network_interfaces.c.id == payload["id"])
        .where(network_interfaces.c.status == payload["expect"])
        .values(**values)
    ).rowcount
    if done and payload.get("delete"):
        _set_memberships(ctx.conn, payload["id"], [])
        ctx.conn.execute(delete(network_interfaces).where(network_interfaces.c.id == payload["id"]))
        _release(ctx.conn, payload["id"])


# -- reading the interfaces of many devices at once (a page of instances)
#
# The statements are built once, with their values bound at each call: building a
# statement costs more than SQLite takes to run it. Four statements load any number of
# devices' interfaces with their groups, addresses, prefixes and IPv6 claims.

_IDS = bindparam("ids", expanding=True)
# By device alone: with the scope's columns in the WHERE, SQLite reads the scope's index (every
# interface of the account) instead of the device's; the scope is checked on the rows read.
_OF_DEVICES = Prepared(
    select(network_interfaces)
    .where(network_interfaces.c.device_id.in_(bindparam("devices", expanding=True)))
    .order_by(network_interfaces.c.created_at, network_interfaces.c.id)
)
_GROUPS_OF = Prepared(
    select(interface_security_groups.c.interface_id, interface_security_groups.c.group_id)
    .where(interface_security_groups.c.interface_id.in_(_IDS))
    .order_by(interface_security_groups.c.position)
)
_IPV4_OF = Prepared(
    select(ip_allocations.c.owner_type, ip_allocations.c.owner_id, ip_allocations.c.address)
    .where(ip_allocations.c.owner_type.in_([OWNER, PREFIX_OWNER]))
    .where(ip_allocations.c.owner_id.in_(_IDS))
    .order_by(ip_allocations.c.address)
)
_IPV6_OF = Prepared(
    select(ipv6_allocations.c.owner_type, ipv6_allocations.c.owner_id, ipv6_allocations.c.address)
    .where(ipv6_allocations.c.owner_type.in_([IPV6_OWNER, IPV6_PREFIX_OWNER]))
    .where(ipv6_allocations.c.owner_id.in_(_IDS))
)


def interfaces_of_devices(
    conn: Connection, scope: Scope, device_ids: Sequence[str]
) -> dict[str, list[Interface]]:
    """Each device's interfaces, ordered as :func:`list_interfaces` orders them, in one batch.

    A page of instances renders with a fixed number of statements however
    long the page, instead of one ``list_interfaces`` (and its loads) per instance.
    """
    out: dict[str, list[Interface]] = {d: [] for d in device_ids}
    if not device_ids:
        return out
    rows = [
        r
        for r in _OF_DEVICES.all(conn, {"devices": list(device_ids)})
        if (r.cloud, r.account_id, r.region) == (scope.cloud, scope.account_id, scope.region)
    ]
    for nic in load_interfaces(conn, rows):
        out[nic.device_id or ""].append(nic)  # every row has one of the device ids
    return out


def load_interfaces(conn: Connection, rows: Sequence[Any]) -> list[Interface]:
    """Interfaces of ``network_interfaces`` rows with what each holds (groups, addresses,
    prefixes), in three statements whatever the number of rows."""
    ids = [r.id for r in rows]
    if not ids:
        return []
    held: dict[tuple[str, str], list[Any]] = {}
    for owner_type, owner, address in _IPV4_OF.tuples(conn, {"ids": ids}):
        held.setdefault((owner_type, owner), []).append(address)
    for owner_type, owner, key in _IPV6_OF.tuples(conn, {"ids": ids}):
        held.setdefault((owner_type, owner), []).append(key)
    groups: dict[str, list[str]] = {}
    for iid, gid in _GROUPS_OF.tuples(conn, {"ids": ids}):
        groups.setdefault(iid, []).append(gid)
    return [_interface_of(r, groups.get(r.id, []), held) for r in rows]


def _in_ipv6_order(keys: list[str]) -> tuple[str, ...]:
    """IPv6 claims in address order."""
    return tuple(sorted(keys, key=lambda k: int(ipaddress.IPv6Network(k).network_address)))


def _interface_of(row: Any, groups: list[str], held: dict[tuple[str, str], list[Any]]) -> Interface:
    """One row with what it holds: ``held`` maps (owner type, interface id) to the claims."""
    addresses = held.get((OWNER, row.id), [])
    blocks = held.get((PREFIX_OWNER, row.id), [])
    size = 2 ** (32 - PREFIX_LEN)
    values = dict(row._mapping)
    values["extra"] = orjson.loads(values["extra"])
    return built(
        Interface,
        values,
        security_group_ids=tuple(groups),
        secondary_ips=tuple(
            ip for ip in (ipam.to_text(a) for a in addresses) if ip != row.primary_ip
        ),
        ipv4_prefixes=tuple(f"{ipam.to_text(a)}/{PREFIX_LEN}" for a in blocks if a % size == 0),
        ipv6_addresses=_in_ipv6_order(held.get((IPV6_OWNER, row.id), [])),
        ipv6_prefixes=_in_ipv6_order(held.get((IPV6_PREFIX_OWNER, row.id), [])),
    )
