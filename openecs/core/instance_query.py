"""Reading instances a page at a time: the filters, the count and the page in SQL.

A Describe call used to load every instance of the caller's region, then each
one's interfaces, and filter and page in Python: its cost grew with the fleet,
not with the page. Here the filters a face can express on the store's columns
(and on the interfaces, security group memberships, IPv6 claims and tags that
refer to an instance) become one ``WHERE``, so a page costs a count and a
``LIMIT``. Instances come in the order every listing shows them: by creation
time, then id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from itertools import dropwhile
from typing import Any

from sqlalchemy import Connection, bindparam, false, func, select

from openecs.core import instances as core
from openecs.core import network
from openecs.core.interfaces import IPV6_OWNER
from openecs.core.network import Scope
from openecs.store.prepared import Prepared
from openecs.store.tables import (
    instance_counts,
    instances,
    interface_security_groups,
    ipv6_allocations,
    network_interfaces,
    tags,
)

# How many rows past a page a keyset read fetches at first, for the rows it must skip.
_SKIP_SLACK = 128


@dataclass(frozen=True)
class InstanceFilter:
    """What the instances must be; ``None`` leaves a field unfiltered.

    Several values of one field (``statuses``, ``instance_types``...) mean any
    of them, so an empty sequence matches no instance; the fields together mean
    all of them (no ``tags`` asks for none).
    """

    ids: Sequence[str] | None = None
    vpc_id: str | None = None
    subnet_id: str | None = None
    zone_id: str | None = None
    instance_type: str | None = None
    instance_types: Sequence[str] | None = None  # e.g. the types of a family
    image_id: str | None = None
    key_pair_name: str | None = None
    charge_type: str | None = None
    statuses: Sequence[str] | None = None  # the core's words
    name: str | None = None  # exact; a ``*`` in it is a wildcard
    security_group_id: str | None = None  # an interface of the instance is in the group
    primary_ips: Sequence[str] | None = None  # an interface's primary address is one of them
    ipv6_addresses: Sequence[str] | None = None  # an interface holds one of them (canonical)
    tags: Sequence[tuple[str, str | None]] = ()  # every key, with this value unless None
    nothing: bool = False  # a filter no instance passes (e.g. a classic network)


def _equal(column: Any, value: str | None) -> list[Any]:
    return [] if value is None else [column == value]


def _any_of(column: Any, values: Sequence[str] | None) -> list[Any]:
    return [] if values is None else [column.in_(list(values))]


def name_condition(column: Any, pattern: str, dialect: str) -> Any:
    """The vendor's name filter: exact, or with ``*`` matching any run of characters.

    Case-sensitive on both stores: SQLite's ``LIKE`` ignores ASCII case, so
    there the pattern is a ``GLOB`` with its other special characters quoted.
    """
    if "*" not in pattern:
        return column == pattern
    if dialect == "sqlite":
        quoted = "".join(f"[{c}]" if c in "?[" else c for c in pattern)
        return column.op("GLOB")(quoted)
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(escaped.replace("*", "%"), escape="\\")


def _interfaces_of_instance() -> Any:
    """The instance's interfaces (correlated with the outer ``instances`` row).

    By device alone: an interface is attached only to an instance of its own scope, and
    with the scope's columns in the WHERE SQLite would read every interface of the
    account (the scope's index) for each instance instead of the device's index.
    """
    return select(network_interfaces.c.id).where(network_interfaces.c.device_id == instances.c.id)


def _related(f: InstanceFilter) -> list[Any]:
    """The conditions on what refers to the instance: interfaces, groups, IPv6, tags."""
    out = []
    if f.security_group_id is not None:
        member = interface_security_groups
        out.append(
            _interfaces_of_instance()
            .join(member, member.c.interface_id == network_interfaces.c.id)
            .where(member.c.group_id == f.security_group_id)
            .exists()
        )
    if f.primary_ips is not None:
        out.append(
            _interfaces_of_instance()
            .where(network_interfaces.c.primary_ip.in_(list(f.primary_ips)))
            .exists()
        )
    if f.ipv6_addresses is not None:
        v6 = ipv6_allocations
        out.append(
            _interfaces_of_instance()
            .join(v6, v6.c.owner_id == network_interfaces.c.id)
            .where(v6.c.owner_type == IPV6_OWNER)
            .where(v6.c.address.in_(list(f.ipv6_addresses)))
            .exists()
        )
    for key, value in f.tags:
        tagged = select(tags.c.resource_id).where(tags.c.resource_id == instances.c.id)
        tagged = tagged.where(tags.c.key == key)
        if value is not None:
            tagged = tagged.where(tags.c.value == value)
        out.append(tagged.exists())
    return out


def _conditions(f: InstanceFilter, dialect: str) -> list[Any]:
    if f.nothing:
        return [false()]
    c = instances.c
    out = [
        *_any_of(c.id, f.ids),
        *_equal(c.vpc_id, f.vpc_id),
        *_equal(c.subnet_id, f.subnet_id),
        *_equal(c.zone_id, f.zone_id),
        *_equal(c.instance_type, f.instance_type),
        *_any_of(c.instance_type, f.instance_types),
        *_equal(c.image_id, f.image_id),
        *_equal(c.key_pair_name, f.key_pair_name),
        *_equal(c.charge_type, f.charge_type),
        *_any_of(c.status, f.statuses),
    ]
    if f.name is not None:
        out.append(name_condition(c.name, f.name, dialect))
    return [*out, *_related(f)]


def _matching(conn: Connection, scope: Scope, f: InstanceFilter, *columns: Any) -> Any:
    """The scope's instances (or ``columns`` of them) that pass the filter."""
    if columns:
        query = select(*columns).select_from(instances)
        query = query.where(
            instances.c.cloud == scope.cloud,
            instances.c.account_id == scope.account_id,
            instances.c.region == scope.region,
        )
    else:
        query = scope.rows(instances)
    return query.where(*_conditions(f, conn.dialect.name))


def _ordered(query: Any, newest_first: bool = False) -> Any:
    if newest_first:
        return query.order_by(instances.c.created_at.desc(), instances.c.id.desc())
    return query.order_by(instances.c.created_at, instances.c.id)


# Instances by id, built once: describing one instance by id is what a client polls while it
# waits for a state, and building the statement costs more than running it. By id alone:
# with the scope's columns in the WHERE, SQLite reads the scope's index (it is in the order
# asked for) instead of looking the ids up; the scope is checked on the rows read.
_BY_IDS = Prepared(
    _ordered(select(instances).where(instances.c.id.in_(bindparam("ids", expanding=True))))
)


def _only_ids(f: InstanceFilter) -> bool:
    """Whether the filter is on the ids alone (no tags, in whatever sequence they come)."""
    return not f.tags and f == InstanceFilter(ids=f.ids, tags=f.tags)


def _scope_key(scope: Scope) -> tuple[str, int, str]:
    """What a row read by id alone must carry to be the scope's: cloud, account, region."""
    return (scope.cloud, scope.account_id, scope.region)


def _by_ids(conn: Connection, scope: Scope, ids: Sequence[str]) -> list[core.Instance]:
    """The scope's instances among ``ids``, by the statement built once."""
    mine = _scope_key(scope)
    rows = _BY_IDS.all(conn, {"ids": list(ids)})
    return [core._instance(r) for r in rows if (r.cloud, r.account_id, r.region) == mine]


def count_instances(conn: Connection, scope: Scope, f: InstanceFilter) -> int:
    """How many of the scope's instances pass the filter (no filter: the count triggers keep)."""
    if _unfiltered(f):
        row = _SCOPE_COUNT.first(
            conn, {"account_id": scope.account_id, "cloud": scope.cloud, "region": scope.region}
        )
        return 0 if row is None else row.instances
    if f.zone_id is not None and _at_most_a_zone(f):  # a zone's, polled
        params = {**network.scope_values(scope), "zone_id": f.zone_id}
        return _ZONE_COUNT.tuples(conn, params)[0][0]
    return conn.execute(_matching(conn, scope, f, func.count())).scalar_one()


_IN_ZONE = instances.c.zone_id == bindparam("zone_id")
_ZONE_COUNT = Prepared(network.in_any_scope(instances, func.count()).where(_IN_ZONE))


def _at_most_a_zone(f: InstanceFilter) -> bool:
    """Whether the filter is on the zone alone, or on nothing: the prepared polls' filters."""
    return f == InstanceFilter(zone_id=f.zone_id)


_SCOPE_COUNT = Prepared(
    select(instance_counts.c.instances).where(
        instance_counts.c.account_id == bindparam("account_id"),
        instance_counts.c.cloud == bindparam("cloud"),
        instance_counts.c.region == bindparam("region"),
    )
)


def _unfiltered(f: InstanceFilter) -> bool:
    """Whether the filter lets every instance of the scope through."""
    return not f.nothing and not f.tags and all(
        getattr(f, field.name) is None
        for field in fields(f)
        if field.name not in ("tags", "nothing")
    )


def find_instances(
    conn: Connection,
    scope: Scope,
    f: InstanceFilter,
    *,
    offset: int = 0,
    limit: int | None = None,
    since: float | None = None,
    newest_first: bool = False,
) -> list[core.Instance]:
    """The instances that pass the filter, by creation time then id (or the reverse).

    ``offset`` and ``limit`` cut a page; ``since`` starts at the instances
    created at that time or later.
    """
    whole = offset == 0 and limit is None and since is None and not newest_first
    if whole and f.ids is not None and _only_ids(f):
        return _by_ids(conn, scope, f.ids)
    if limit is not None:
        return _page(conn, scope, f, offset, limit, since, newest_first)
    query = _matching(conn, scope, f)
    if since is not None:
        query = query.where(instances.c.created_at >= since)
    query = _ordered(query, newest_first).offset(offset or None)
    return [core._instance(r) for r in conn.execute(query)]


def _page(
    conn: Connection,
    scope: Scope,
    f: InstanceFilter,
    offset: int,
    limit: int,
    since: float | None,
    newest_first: bool,
) -> list[core.Instance]:
    """A page in two reads: its ids, from the scope's index (ordered as the listing is, and
    covering the ids, so the rows an offset skips are never read), then its rows by id."""
    if since is None and _unfiltered(f):
        params = {**network.scope_values(scope), "limit": limit, "offset": offset}
        rows = _PAGE_IDS[newest_first].tuples(conn, params)
        ids = [iid for (iid,) in rows]
    else:
        query = _matching(conn, scope, f, instances.c.id)
        if since is not None:
            query = query.where(instances.c.created_at >= since)
        query = _ordered(query, newest_first).offset(offset or None).limit(limit)
        ids = list(conn.execute(query).scalars())
    if not ids:
        return []
    by_id = {vm.id: vm for vm in _by_ids(conn, scope, ids)}
    return [by_id[i] for i in ids if i in by_id]


# An unfiltered page's ids (the common listing, of both faces), oldest or newest first:
# prepared, where a filtered page's statement is built for its filters.
_PAGE_IDS = {
    newest_first: Prepared(
        _ordered(network.in_any_scope(instances, instances.c.id), newest_first)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    for newest_first in (False, True)
}


def first_after(
    conn: Connection,
    scope: Scope,
    f: InstanceFilter,
    *,
    since: float | None,
    passed: Callable[[float, str], bool],
    limit: int,
) -> list[core.Instance]:
    """The first ``limit`` instances after those that ``passed`` (a keyset page).

    ``passed(created_at, id)`` is true of a leading run of the instances created
    at ``since`` or later (those at or before a page token's position); the store
    cannot always decide it (a token's key is text), so the keys are read from
    ``since`` with some slack and the run is dropped here, reading more keys only
    when it was longer than the slack. Then only the page's rows are read.
    """
    chunk = limit + _SKIP_SLACK
    while True:
        keys = _keys(conn, scope, f, since, chunk)
        kept = list(dropwhile(lambda key: passed(*key), keys))
        if len(kept) >= limit or len(keys) < chunk:
            break
        chunk *= 4
    ids = [iid for _, iid in kept[:limit]]
    return _by_ids(conn, scope, ids) if ids else []


def _keys(
    conn: Connection, scope: Scope, f: InstanceFilter, since: float | None, limit: int
) -> list[tuple[float, str]]:
    """The (created_at, id) of the first ``limit`` instances from ``since`` that pass."""
    query = _matching(conn, scope, f, instances.c.created_at, instances.c.id)
    if since is not None:
        query = query.where(instances.c.created_at >= since)
    return [(t, iid) for t, iid in conn.execute(_ordered(query).limit(limit))]


# Each instance's id and status, what a client polling for a state reads: the rows' other
# columns (and their decoding into instances) cost more than the read itself. Prepared for
# the filters polls use (none, a zone, ids), where other filters build their statement.
_STATUS_COLUMNS = (instances.c.id, instances.c.status)
_STATUS_PAGE = {
    zoned: Prepared(
        _ordered(
            network.in_any_scope(instances, *_STATUS_COLUMNS).where(
                *([_IN_ZONE] if zoned else [])
            )
        )
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    for zoned in (False, True)
}
_STATUS_BY_IDS = Prepared(
    _ordered(
        select(*_STATUS_COLUMNS, instances.c.cloud, instances.c.account_id, instances.c.region)
        .where(instances.c.id.in_(bindparam("ids", expanding=True)))
    )
)


def find_statuses(
    conn: Connection, scope: Scope, f: InstanceFilter, *, offset: int = 0, limit: int | None = None
) -> list[tuple[str, str]]:
    """``(id, status)`` of the instances :func:`find_instances` would answer, in its order."""
    if f.ids is not None and _only_ids(f):
        mine = _scope_key(scope)
        rows = _STATUS_BY_IDS.tuples(conn, {"ids": list(f.ids)}) if f.ids else []
        found = [(iid, status) for iid, status, *where in rows if tuple(where) == mine]
        return found[offset:] if limit is None else found[offset : offset + limit]
    if limit is not None and _at_most_a_zone(f):
        params = {**network.scope_values(scope), "limit": limit, "offset": offset}
        if f.zone_id is not None:
            params["zone_id"] = f.zone_id
        return _STATUS_PAGE[f.zone_id is not None].tuples(conn, params)
    query = _ordered(_matching(conn, scope, f, *_STATUS_COLUMNS)).offset(offset or None)
    return [(iid, status) for iid, status in conn.execute(query.limit(limit))]
