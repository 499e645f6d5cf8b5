"""Tags of any resource: ordered key/value pairs, scoped to the owning account.

Resources of both clouds keep their tags here, keyed by the resource id
(ids never repeat across resource types). Vendor rules (how many tags, which
key prefixes are forbidden, lengths) belong to the faces; the core only
keeps the limit it is given, atomically with the change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from openecs.core.errors import QuotaExceeded
from openecs.store.prepared import Prepared
from openecs.store.tables import tags

Tag = tuple[str, str]


def get_tags(conn: Connection, resource_id: str) -> list[Tag]:
    """One resource's tags, in the order they were first set."""
    return tags_of(conn, [resource_id]).get(resource_id, [])


_TAGS_OF = Prepared(
    select(tags.c.resource_id, tags.c.key, tags.c.value)
    .where(tags.c.resource_id.in_(bindparam("ids", expanding=True)))
    .order_by(tags.c.resource_id, tags.c.position, tags.c.key)
)


def tags_of(conn: Connection, resource_ids: Sequence[str]) -> dict[str, list[Tag]]:
    """Many resources' tags in one query: {resource id: [(key, value), ...]}."""
    out: dict[str, list[Tag]] = {rid: [] for rid in resource_ids}
    if not resource_ids:
        return out
    for rid, key, value in _TAGS_OF.tuples(conn, {"ids": list(resource_ids)}):
        out[rid].append((key, value))
    return out


def set_tags(
    conn: Connection,
    account_id: int,
    resource_type: str,
    resource_id: str,
    pairs: Iterable[Tag],
    *,
    limit: int | None = None,
    new: bool = False,
) -> list[Tag]:
    """Add or overwrite tags (a key set again takes the new value); refuse past ``limit``.

    ``new``: the resource was made in this transaction, so it has no tags yet
    and a creation without tags (the common one) reads nothing.
    """
    pairs = list(pairs)
    if not pairs:
        return [] if new else get_tags(conn, resource_id)
    current = dict(get_tags(conn, resource_id))
    position = conn.execute(
        select(func.coalesce(func.max(tags.c.position), 0)).where(tags.c.resource_id == resource_id)
    ).scalar_one()
    for key, value in pairs:
        if key in current:
            if current[key] != value:
                conn.execute(
                    update(tags)
                    .where(tags.c.resource_id == resource_id)
                    .where(tags.c.key == key)
                    .values(value=value)
                )
        else:
            position += 1
            conn.execute(
                insert(tags),
                dict(
                    resource_id=resource_id,
                    key=key,
                    value=value,
                    resource_type=resource_type,
                    account_id=account_id,
                    position=position,
                ),
            )
        current[key] = value
    if limit is not None and len(current) > limit:
        raise QuotaExceeded(
            "tags.too_many",
            f"A resource can have at most {limit} tags.",
            limit=limit,
            id=resource_id,
        )
    return get_tags(conn, resource_id)


def remove_tags(conn: Connection, resource_id: str, keys: Iterable[str] | None = None) -> None:
    """Remove the given keys, or every tag when ``keys`` is None."""
    query = delete(tags).where(tags.c.resource_id == resource_id)
    if keys is not None:
        query = query.where(tags.c.key.in_(list(keys)))
    conn.execute(query)


def resources_with_tags(
    conn: Connection, account_id: int, resource_type: str, wanted: Sequence[tuple[str, str | None]]
) -> set[str]:
    """Ids of the account's resources of a type that carry every (key, value) of ``wanted``.

    A ``None`` value matches any value of the key.
    """
    found: set[str] | None = None
    for key, value in wanted:
        query = (
            select(tags.c.resource_id)
            .where(tags.c.account_id == account_id)
            .where(tags.c.resource_type == resource_type)
            .where(tags.c.key == key)
        )
        if value is not None:
            query = query.where(tags.c.value == value)
        ids = {r[0] for r in conn.execute(query)}
        found = ids if found is None else found & ids
    return found or set()
