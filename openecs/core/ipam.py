"""Address management: one allocator for every IPv4 address of a subnet or vSwitch.

Each address in use is a row of ``ip_allocations`` keyed by (subnet, address):
instance and interface addresses, and the addresses the cloud reserves (the
gateway, the network and broadcast addresses...). The primary key is what
makes the allocator safe with many clients and many processes: two
transactions that pick the same free address cannot both insert it, and the
loser simply picks again. A request for a specific address is checked (inside
the CIDR, not reserved, free) and claimed the same way.

The lowest free address is searched from the subnet's cursor (``ip_cursors``,
which triggers keep: every address below it is taken), so a claim costs the
same in an empty subnet and in one with thousands of addresses in use. The
cursor's row also keeps the subnet's count of taken addresses, for the
free-address counts the vendors show.

Which addresses are reserved is the cloud's rule, passed in by the caller:
Alibaba reserves the first and the last three addresses of a vSwitch, Huawei
the network address, the gateway, its DHCP and DNS addresses and the
broadcast address (see :func:`reserved_addresses`).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, exists, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from openecs.core.errors import Conflict, Invalid, QuotaExceeded
from openecs.store.prepared import Prepared, insert_new, insert_rows
from openecs.store.tables import ip_allocations, ip_cursors

RESERVED = "reserved"
_MAX_RACES = 64  # concurrent claims of the same candidate before giving up


def network_of(cidr: str) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(cidr, strict=True)


def to_text(address: int) -> str:
    """An allocation's address in dotted form (as ``str(IPv4Address(address))``, several
    times faster: a page of DescribeInstances writes one per interface address)."""
    return socket.inet_ntoa(address.to_bytes(4, "big"))


def block_span(cidr_block: str) -> tuple[int, int]:
    """A canonical IPv4 block's first address and its size (as ``IPv4Network``'s, without
    building one: a new vSwitch is checked against every sibling's)."""
    address, _, length = cidr_block.partition("/")
    return int.from_bytes(socket.inet_aton(address), "big"), 1 << (32 - int(length))


def reserved_addresses(cloud: str, cidr: str, gateway: str | None = None) -> list[int]:
    """The addresses of a new subnet that are never handed out, by the cloud's rule."""
    net = network_of(cidr)
    first, last = int(net.network_address), int(net.broadcast_address)
    if cloud == "aliyun":
        # The first address and the last three of each vSwitch.
        picks = [first, last - 2, last - 1, last]
    else:
        # Network address, the gateway, the system and DHCP addresses before broadcast, broadcast.
        gw = int(ipaddress.IPv4Address(gateway)) if gateway else first + 1
        picks = [first, gw, last - 2, last - 1, last]
    return sorted({a for a in picks if first <= a <= last})


def usable_count(cloud: str, cidr: str, gateway: str | None = None) -> int:
    """How many addresses of a new, empty subnet can be handed out."""
    return network_of(cidr).num_addresses - len(reserved_addresses(cloud, cidr, gateway))


def reserve(conn: Connection, subnet_id: str, addresses: Iterable[int]) -> None:
    """Mark a new subnet's reserved addresses as taken, and open its cursor.

    The cursor starts at the lowest reserved address (the network address), and the
    claims of the reserved addresses move it up as far as they are contiguous.
    """
    rows = [
        {"subnet_id": subnet_id, "address": a, "owner_type": RESERVED, "owner_id": subnet_id}
        for a in sorted(addresses)
    ]
    if rows:
        insert_rows(conn, ip_cursors, {"subnet_id": subnet_id, "next_free": rows[0]["address"]})
        insert_rows(conn, ip_allocations, rows)


def used_count(conn: Connection, subnet_id: str) -> int:
    """Addresses taken in a subnet, reserved ones included."""
    return used_counts(conn, [subnet_id])[subnet_id]


# The count the database keeps beside each subnet's cursor (migration 0009): the subnet's
# allocations, read in one row however many there are.
_USED_COUNTS = Prepared(
    select(ip_cursors.c.subnet_id, ip_cursors.c.used).where(
        ip_cursors.c.subnet_id.in_(bindparam("ids", expanding=True))
    )
)


def used_counts(conn: Connection, subnet_ids: list[str]) -> dict[str, int]:
    """``used_count`` of many subnets in one query."""
    if not subnet_ids:
        return {}
    counts = dict.fromkeys(subnet_ids, 0)
    counts.update(_USED_COUNTS.tuples(conn, {"ids": list(subnet_ids)}))
    return counts


def free_count(conn: Connection, subnet_id: str, cidr: str) -> int:
    return network_of(cidr).num_addresses - used_count(conn, subnet_id)


def in_use_by_others(conn: Connection, subnet_id: str) -> int:
    """Addresses held by resources (not the cloud's reservations): a subnet with any is in use."""
    return conn.execute(
        select(func.count())
        .select_from(ip_allocations)
        .where(ip_allocations.c.subnet_id == subnet_id)
        .where(ip_allocations.c.owner_type != RESERVED)
    ).scalar_one()


# Where a subnet's search for free addresses starts: just below its cursor, so the taken
# address there is the first row read (0, every row, for a subnet without a cursor).
_CURSOR = "COALESCE((SELECT next_free FROM ip_cursors WHERE subnet_id = :s), 0) - 1"

# The lowest free address at or above the cursor: the first taken address, in order, whose
# successor is not taken. Read from the primary key's range, it stops at the first gap.
_LOWEST_FREE = text(
    "SELECT a.address + 1 FROM ip_allocations a "
    f"WHERE a.subnet_id = :s AND a.address >= {_CURSOR} AND a.address < :last AND NOT EXISTS ("
    "SELECT 1 FROM ip_allocations b WHERE b.subnet_id = :s AND b.address = a.address + 1) "
    "ORDER BY a.address LIMIT 1"
)


def _lowest_free(conn: Connection, subnet_id: str, last: int) -> int | None:
    # The network address is always reserved, so every free address follows a taken one.
    row = conn.execute(_LOWEST_FREE, {"s": subnet_id, "last": last}).scalar()
    return None if row is None else int(row)


def _claim(conn: Connection, subnet_id: str, address: int, owner_type: str, owner_id: str) -> bool:
    row = {"subnet_id": subnet_id, "address": address, "owner_type": owner_type, "owner_id": owner_id}
    return insert_new(conn, ip_allocations, row)


def allocate(
    conn: Connection,
    subnet_id: str,
    cidr: str,
    owner_type: str,
    owner_id: str,
    address: str | None = None,
) -> str:
    """Claim ``address`` (checked) or the lowest free address of the subnet; returns it."""
    net = network_of(cidr)
    if address is not None:
        try:
            wanted = ipaddress.IPv4Address(address)
        except ValueError:
            raise Invalid(
                "ip.malformed", f"{address} is not an IPv4 address.", address=address
            ) from None
        if wanted not in net:
            raise Invalid(
                "ip.outside_subnet", f"{address} is not in {cidr}.", address=address, cidr=cidr
            )
        value = int(wanted)
        if value in reserved_in(conn, subnet_id):
            raise Invalid(
                "ip.reserved", f"{address} is reserved in {cidr}.", address=address, cidr=cidr
            )
        if not _claim(conn, subnet_id, value, owner_type, owner_id):
            raise Conflict("ip.in_use", f"{address} is already in use.", address=address)
        return address
    last = int(net.broadcast_address)
    for _ in range(_MAX_RACES):
        candidate = _lowest_free(conn, subnet_id, last)
        if candidate is None:
            raise QuotaExceeded(
                "subnet.ip_exhausted", f"No free address left in {cidr}.", cidr=cidr
            )
        if _claim(conn, subnet_id, candidate, owner_type, owner_id):
            return str(ipaddress.IPv4Address(candidate))
    raise QuotaExceeded(
        "subnet.ip_exhausted", f"No free address could be claimed in {cidr}.", cidr=cidr
    )


def _free_runs(conn: Connection, subnet_id: str, last: int, runs: int) -> list[tuple[int, int]]:
    """The subnet's first ``runs`` runs of free addresses, lowest first, as (start, stop).

    A run starts right after a taken address that is not followed by another taken one
    (the network address is always reserved, so every free address is in such a run) and
    stops before the next taken address (or after ``last``).
    """
    taken, after, above = (ip_allocations.alias(n) for n in ("taken", "after", "above"))
    cursor = (
        select(ip_cursors.c.next_free).where(ip_cursors.c.subnet_id == subnet_id).scalar_subquery()
    )
    start = taken.c.address + 1
    stop = (
        select(func.min(above.c.address))
        .where(above.c.subnet_id == subnet_id)
        .where(above.c.address > taken.c.address)
        .scalar_subquery()
    )
    query = (
        select(start, stop)
        .where(taken.c.subnet_id == subnet_id)
        .where(taken.c.address >= func.coalesce(cursor, 0) - 1)
        .where(taken.c.address < last)
        .where(~exists().where(after.c.subnet_id == subnet_id).where(after.c.address == start))
        .order_by(taken.c.address)
        .limit(runs)
    )
    return [(int(a), last + 1 if b is None else int(b)) for a, b in conn.execute(query)]


def _lowest_free_many(conn: Connection, subnet_id: str, last: int, count: int) -> list[int]:
    """The ``count`` lowest free addresses (fewer when the subnet has fewer left)."""
    picked: list[int] = []
    for start, stop in _free_runs(conn, subnet_id, last, count):
        picked.extend(range(start, min(stop, start + count - len(picked))))
        if len(picked) == count:
            break
    return picked


def allocate_many(
    conn: Connection, subnet_id: str, cidr: str, owner_type: str, owner_ids: Sequence[str]
) -> list[str]:
    """Claim the lowest free address of the subnet for each owner, in order; returns them.

    The same addresses as claiming one at a time with :func:`allocate`, in two statements:
    one read of the free runs and one insert of every claim. A concurrent claim of any of
    them makes the insert fail on the primary key; the whole batch is then picked again.
    """
    if not owner_ids:
        return []
    last = int(network_of(cidr).broadcast_address)
    for _ in range(_MAX_RACES):
        picked = _lowest_free_many(conn, subnet_id, last, len(owner_ids))
        if len(picked) < len(owner_ids):
            raise QuotaExceeded(
                "subnet.ip_exhausted", f"No free address left in {cidr}.", cidr=cidr
            )
        rows = [
            {"subnet_id": subnet_id, "address": a, "owner_type": owner_type, "owner_id": o}
            for a, o in zip(picked, owner_ids, strict=True)
        ]
        try:
            with conn.begin_nested():
                conn.execute(insert(ip_allocations), rows)
        except IntegrityError:
            continue
        return [to_text(a) for a in picked]
    raise QuotaExceeded(
        "subnet.ip_exhausted", f"No free address could be claimed in {cidr}.", cidr=cidr
    )


def reserved_in(conn: Connection, subnet_id: str) -> set[int]:
    """The addresses the cloud reserved in this subnet (read from the allocations)."""
    rows = conn.execute(
        select(ip_allocations.c.address).where(
            and_(ip_allocations.c.subnet_id == subnet_id, ip_allocations.c.owner_type == RESERVED)
        )
    )
    return {int(r[0]) for r in rows}


def release(conn: Connection, subnet_id: str, address: str) -> None:
    """Free one address (never a reserved one)."""
    conn.execute(
        delete(ip_allocations)
        .where(ip_allocations.c.subnet_id == subnet_id)
        .where(ip_allocations.c.address == int(ipaddress.IPv4Address(address)))
        .where(ip_allocations.c.owner_type != RESERVED)
    )


def release_owner(conn: Connection, owner_type: str, owner_id: str) -> None:
    """Free every address a resource holds."""
    conn.execute(
        delete(ip_allocations)
        .where(ip_allocations.c.owner_type == owner_type)
        .where(ip_allocations.c.owner_id == owner_id)
    )


def release_owners(conn: Connection, owner_types: Sequence[str], owner_ids: Sequence[str]) -> None:
    """Free every address that any of these resources holds as any of these owner types
    (one statement for an interface's addresses and prefixes, or a batch's)."""
    _RELEASE_OWNERS.run(conn, owner_types, owner_ids)


class OwnersRelease:
    """The DELETE of an allocation table's rows by owner types and ids, built once per table
    (every interface deletion and every instance release runs it). One interface's two
    owner types (its addresses and its prefixes) take a prepared form without IN lists."""

    def __init__(self, table: Any) -> None:
        self.many = (
            delete(table)
            .where(table.c.owner_type.in_(bindparam("owner_types", expanding=True)))
            .where(table.c.owner_id.in_(bindparam("owner_ids", expanding=True)))
        )
        self.one = Prepared(
            delete(table)
            .where(table.c.owner_type.in_([bindparam("type_a"), bindparam("type_b")]))
            .where(table.c.owner_id == bindparam("owner_id"))
        )

    def run(self, conn: Connection, owner_types: Sequence[str], owner_ids: Sequence[str]) -> None:
        """Free what these owners hold (nothing to do for no owners)."""
        if len(owner_ids) == 1 and len(owner_types) == 2:
            a, b = owner_types
            self.one.rowcount(conn, {"type_a": a, "type_b": b, "owner_id": owner_ids[0]})
        elif owner_ids:
            conn.execute(
                self.many, {"owner_types": list(owner_types), "owner_ids": list(owner_ids)}
            )


_RELEASE_OWNERS = OwnersRelease(ip_allocations)


def drop_subnet(conn: Connection, subnet_id: str) -> None:
    """Forget a deleted subnet's reservations and cursor (the caller checked nothing else is left)."""
    conn.execute(delete(ip_allocations).where(ip_allocations.c.subnet_id == subnet_id))
    conn.execute(delete(ip_cursors).where(ip_cursors.c.subnet_id == subnet_id))


# -- prefixes: aligned blocks of addresses (Alibaba's IPv4 prefixes are /28 blocks of a vSwitch)


def _block_free(used: set[int], start: int, size: int) -> bool:
    return all(a not in used for a in range(start, start + size))


def _claim_block(
    conn: Connection, subnet_id: str, start: int, size: int, owner_type: str, owner_id: str
) -> bool:
    """Claim every address of a block in one savepoint: all of it, or none (a race lost)."""
    rows = [
        {"subnet_id": subnet_id, "address": a, "owner_type": owner_type, "owner_id": owner_id}
        for a in range(start, start + size)
    ]
    try:
        with conn.begin_nested():
            conn.execute(insert(ip_allocations), rows)
        return True
    except IntegrityError:
        return False


def allocate_block(
    conn: Connection,
    subnet_id: str,
    cidr: str,
    prefix_len: int,
    owner_type: str,
    owner_id: str,
    block: str | None = None,
) -> str:
    """Claim the aligned block ``block`` (checked) or the lowest free one; returns it as a CIDR.

    A block is free only when none of its addresses is taken: not by an
    address, not by another block, not by the cloud's reservations. Its
    addresses are rows like any other, so a block and an address can never
    overlap, even when two processes claim them at once.
    """
    net = network_of(cidr)
    size = 2 ** (32 - prefix_len)
    if block is not None:
        wanted = ipaddress.IPv4Network(block, strict=True)
        if not wanted.subnet_of(net):
            raise Invalid("prefix.outside_subnet", f"{block} is not in {cidr}.", prefix=block)
        start = int(wanted.network_address)
        if not _claim_block(conn, subnet_id, start, size, owner_type, owner_id):
            raise Conflict("prefix.in_use", f"{block} is not free.", prefix=block)
        return str(wanted)
    first, last = int(net.network_address), int(net.broadcast_address)
    for _ in range(_MAX_RACES):
        used = {
            int(r[0])
            for r in conn.execute(
                select(ip_allocations.c.address).where(ip_allocations.c.subnet_id == subnet_id)
            )
        }
        start = next((s for s in range(first, last + 1, size) if _block_free(used, s, size)), None)
        if start is None:
            raise QuotaExceeded("subnet.prefix_exhausted", f"No free /{prefix_len} in {cidr}.")
        if _claim_block(conn, subnet_id, start, size, owner_type, owner_id):
            return f"{ipaddress.IPv4Address(start)}/{prefix_len}"
    raise QuotaExceeded("subnet.prefix_exhausted", f"No free /{prefix_len} could be claimed.")


def release_block(conn: Connection, subnet_id: str, block: str, owner_type: str) -> None:
    """Free every address of a block the owner type holds."""
    net = ipaddress.IPv4Network(block, strict=True)
    conn.execute(
        delete(ip_allocations)
        .where(ip_allocations.c.subnet_id == subnet_id)
        .where(ip_allocations.c.owner_type == owner_type)
        .where(ip_allocations.c.address >= int(net.network_address))
        .where(ip_allocations.c.address <= int(net.broadcast_address))
    )
