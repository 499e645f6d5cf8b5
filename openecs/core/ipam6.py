"""IPv6 address management: VPC /56 blocks from OpenECS's pool, /64s of subnets, and the
addresses and /80 prefixes interfaces take from a /64.

A /64 holds 2**64 addresses: it cannot be enumerated the way :mod:`openecs.core.ipam`
walks an IPv4 subnet, so free addresses are drawn at random and claimed by inserting a
row of ``ipv6_allocations`` keyed by (subnet, canonical text); the primary key refuses a
second claim, whichever process asks, and the loser draws again. The rows live apart from
the IPv4 allocations, so IPv4 free counts never see them.

An address and a prefix must never overlap. The /64 is cut into 65536 /80 blocks and
every claim of anything in a block first claims the block's own row: a block is either
*opened for single addresses* (owner :data:`ADDRESS_BLOCK`, shared by every address in
it) or *one interface's prefix*. Two claims of one block by different kinds collide on
the block's key, so the database keeps the two apart as it keeps two addresses apart.
Random addresses are drawn from block 0; random prefixes from blocks 1 to 65535.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, delete, func, select

from openecs.core import ipam
from openecs.core.errors import Conflict, Invalid, QuotaExceeded
from openecs.store.prepared import insert_new
from openecs.store.tables import ipv6_allocations

POOL = ipaddress.IPv6Network("2408:4000::/20")  # OpenECS's own IPv6 pool (BGP, multi-ISP)
VPC_PREFIX = 56
SUBNET_PREFIX = 64
PREFIX_LEN = 80  # an interface's IPv6 prefix (the vendor's Ipv6Prefix is a /80)
ADDRESS_BLOCK = "ipv6_address_block"  # owner type of a /80 opened for single addresses
SUBNET_INDEXES = 2 ** (SUBNET_PREFIX - VPC_PREFIX)  # 256 /64s in a /56
_BLOCKS = 2 ** (PREFIX_LEN - SUBNET_PREFIX)  # 65536 /80s in a /64
_HOSTS = 2 ** (128 - PREFIX_LEN)
_MAX_RACES = 64


def draw_vpc_block() -> str:
    """A random /56 of the pool (the caller inserts it under a unique index, and draws again
    when another VPC holds it)."""
    count = 2 ** (VPC_PREFIX - POOL.prefixlen)
    start = int(POOL.network_address) + secrets.randbelow(count) * 2 ** (128 - VPC_PREFIX)
    return str(ipaddress.IPv6Network((start, VPC_PREFIX)))


def subnet_block(vpc_block: str, index: int) -> str:
    """The /64 numbered ``index`` (0 to 255: the vendor's last eight bits) of a VPC's /56."""
    if not 0 <= index < SUBNET_INDEXES:
        raise Invalid("subnet.ipv6_index", f"{index} is not 0 to {SUBNET_INDEXES - 1}.")
    net = ipaddress.IPv6Network(vpc_block)
    start = int(net.network_address) + index * 2 ** (128 - SUBNET_PREFIX)
    return str(ipaddress.IPv6Network((start, SUBNET_PREFIX)))


def _block_of(address: int, net: ipaddress.IPv6Network) -> str:
    start = address - (address - int(net.network_address)) % _HOSTS
    return str(ipaddress.IPv6Network((start, PREFIX_LEN)))


def _insert(conn: Connection, subnet_id: str, key: str, owner_type: str, owner_id: str) -> bool:
    row = {"subnet_id": subnet_id, "address": key, "owner_type": owner_type, "owner_id": owner_id}
    return insert_new(conn, ipv6_allocations, row)


def _open_block(conn: Connection, subnet_id: str, block: str) -> bool:
    """Make sure ``block`` is opened for single addresses; False when it is a prefix."""
    if _insert(conn, subnet_id, block, ADDRESS_BLOCK, subnet_id):
        return True
    owner = conn.execute(
        select(ipv6_allocations.c.owner_type)
        .where(ipv6_allocations.c.subnet_id == subnet_id)
        .where(ipv6_allocations.c.address == block)
    ).scalar()
    return owner == ADDRESS_BLOCK


def parse_address(value: str) -> ipaddress.IPv6Address:
    try:
        return ipaddress.IPv6Address(value)
    except ValueError:
        raise Invalid("ip.malformed", f"{value} is not an IPv6 address.", address=value) from None


def allocate(
    conn: Connection,
    subnet_id: str,
    cidr: str,
    owner_type: str,
    owner_id: str,
    address: str | None = None,
) -> str:
    """Claim ``address`` (checked: inside the /64, free) or a random free one; returns it."""
    net = ipaddress.IPv6Network(cidr)
    if address is not None:
        wanted = parse_address(address)
        if wanted not in net:
            raise Invalid(
                "ipv6.outside_subnet", f"{address} is not in {cidr}.", address=address, cidr=cidr
            )
        value = int(wanted)
        if not _open_block(conn, subnet_id, _block_of(value, net)) or not _insert(
            conn, subnet_id, str(wanted), owner_type, owner_id
        ):
            raise Conflict("ipv6.in_use", f"{address} is already allocated.", address=address)
        return str(wanted)
    first = int(net.network_address)
    _open_block(conn, subnet_id, _block_of(first, net))
    for _ in range(_MAX_RACES):
        candidate = str(ipaddress.IPv6Address(first + 1 + secrets.randbelow(_HOSTS - 1)))
        if _insert(conn, subnet_id, candidate, owner_type, owner_id):
            return candidate
    raise QuotaExceeded("subnet.ip_exhausted", f"No free IPv6 address could be drawn in {cidr}.")


def allocate_prefix(
    conn: Connection,
    subnet_id: str,
    cidr: str,
    owner_type: str,
    owner_id: str,
    block: str | None = None,
) -> str:
    """Claim the /80 ``block`` (checked: strict, inside the /64, free) or a random free one."""
    net = ipaddress.IPv6Network(cidr)
    if block is not None:
        wanted = ipaddress.IPv6Network(block, strict=True)
        if not wanted.subnet_of(net):
            raise Invalid("prefix.outside_subnet", f"{block} is not in {cidr}.", prefix=block)
        if not _insert(conn, subnet_id, str(wanted), owner_type, owner_id):
            raise Conflict("prefix.in_use", f"{block} is not free.", prefix=block)
        return str(wanted)
    for _ in range(_MAX_RACES):
        start = int(net.network_address) + (1 + secrets.randbelow(_BLOCKS - 1)) * _HOSTS
        candidate = str(ipaddress.IPv6Network((start, PREFIX_LEN)))
        if _insert(conn, subnet_id, candidate, owner_type, owner_id):
            return candidate
    raise QuotaExceeded("subnet.prefix_exhausted", f"No free /{PREFIX_LEN} could be drawn.")


def release(conn: Connection, subnet_id: str, keys: Iterable[str], owner_type: str) -> None:
    """Free addresses or prefixes an owner type holds (an opened block stays opened)."""
    keys = list(keys)
    if keys:
        conn.execute(
            delete(ipv6_allocations)
            .where(ipv6_allocations.c.subnet_id == subnet_id)
            .where(ipv6_allocations.c.owner_type == owner_type)
            .where(ipv6_allocations.c.address.in_(keys))
        )


def release_owner(conn: Connection, owner_type: str, owner_id: str) -> None:
    conn.execute(
        delete(ipv6_allocations)
        .where(ipv6_allocations.c.owner_type == owner_type)
        .where(ipv6_allocations.c.owner_id == owner_id)
    )


def release_owners(conn: Connection, owner_types: Sequence[str], owner_ids: Sequence[str]) -> None:
    """Free every IPv6 address and prefix that any of these owners holds as any of these types."""
    _RELEASE_OWNERS.run(conn, owner_types, owner_ids)


_RELEASE_OWNERS = ipam.OwnersRelease(ipv6_allocations)


def in_use(conn: Connection, subnet_id: str) -> int:
    """Addresses and prefixes held by resources in a subnet (opened blocks are not)."""
    return conn.execute(
        select(func.count())
        .select_from(ipv6_allocations)
        .where(ipv6_allocations.c.subnet_id == subnet_id)
        .where(ipv6_allocations.c.owner_type != ADDRESS_BLOCK)
    ).scalar_one()


def drop_subnet(conn: Connection, subnet_id: str) -> None:
    """Forget a deleted subnet's opened blocks (the caller checked nothing else is left)."""
    conn.execute(delete(ipv6_allocations).where(ipv6_allocations.c.subnet_id == subnet_id))
