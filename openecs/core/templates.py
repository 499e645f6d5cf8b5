"""Launch templates, for both clouds: named sets of numbered, immutable versions.

A template is scoped like every resource (cloud, account, region) and named
uniquely in its scope; the store's unique constraint is the guarantee, so two
concurrent creates of one name never both succeed, and the per-scope limit is
counted under a lock of the owning account's row. It has versions numbered
from 1; the first is created with the template and made its default. A new
version takes the number after the highest ever given (``last_number``),
claimed by a compare-and-swap on the template row: two clients adding
versions at once get distinct numbers, and because the swap also locks the
row for the rest of the transaction, the version limit is counted by one
writer at a time and is never passed. A number is never given twice, even
after its version is deleted (the vendors number that way: Terraform deletes
the oldest version at the limit and expects the next number to grow).

A version's data is whatever the face decided to keep, as JSON, written once.
The default version cannot be deleted (change the default first, or delete
the template, which deletes every version). Vendor rules (which fields a
version has, name patterns, the limits) belong to the faces; the core keeps
the limits it is given.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from openecs.core.errors import Conflict, NotFound, QuotaExceeded
from openecs.core.network import Scope
from openecs.store.tables import accounts
from openecs.store.tables import launch_template_versions as versions_t
from openecs.store.tables import launch_templates as templates_t

# How often a version number claim may lose the compare-and-swap before giving up.
_MAX_CLAIMS = 1000


@dataclass(frozen=True)
class Template:
    id: str
    cloud: str
    account_id: int
    region: str
    name: str
    description: str
    default_version: int
    last_number: int
    latest_version: int  # the highest number among the versions that exist
    created_at: float
    updated_at: float
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Version:
    template_id: str
    number: int
    id: str
    description: str
    data: dict[str, Any]
    created_at: float


# Built once: a fresh label each call made every scope's cached select a new one.
_LATEST = (
    select(func.max(versions_t.c.number))
    .where(versions_t.c.template_id == templates_t.c.id)
    .scalar_subquery()
    .label("latest_version")
)


def _scoped(scope: Scope) -> Any:
    return scope.rows(templates_t, _LATEST)


@functools.lru_cache(maxsize=4096)
def _lookup(scope: Scope, by_id: bool, by_name: bool) -> Any:
    """The scope's template by id, by name or both, with bound values (built once a scope)."""
    query = _scoped(scope)
    if by_id:
        query = query.where(templates_t.c.id == bindparam("template_id"))
    if by_name:
        query = query.where(templates_t.c.name == bindparam("name"))
    return query


def _template(row: Any) -> Template:
    return Template(
        id=row.id,
        cloud=row.cloud,
        account_id=row.account_id,
        region=row.region,
        name=row.name,
        description=row.description,
        default_version=row.default_version,
        last_number=row.last_number,
        latest_version=row.latest_version or 0,
        created_at=row.created_at,
        updated_at=row.updated_at,
        extra=json.loads(row.extra),
    )


def _version(row: Any) -> Version:
    return Version(
        template_id=row.template_id,
        number=row.number,
        id=row.id,
        description=row.description,
        data=json.loads(row.data),
        created_at=row.created_at,
    )


def _not_found(template_id: str | None, name: str | None) -> NotFound:
    return NotFound(
        "launch_template.not_found",
        f"The launch template {template_id or name} does not exist.",
        id=template_id or "",
        name=name or "",
    )


# -- templates


def create(
    conn: Connection,
    scope: Scope,
    *,
    template_id: str,
    version_id: str,
    name: str,
    data: dict[str, Any],
    now: float,
    description: str = "",
    version_description: str = "",
    extra: dict[str, Any] | None = None,
    limit: int | None = None,
) -> Template:
    """A new template with its version 1 (the default); refused past ``limit`` per scope.

    With a limit, the owning account's row is locked first (``FOR UPDATE``; SQLite has
    one writer anyway), so concurrent creates are counted one after the other.
    """
    if limit is not None:
        conn.execute(
            select(accounts.c.id).where(accounts.c.id == scope.account_id).with_for_update()
        )
    if limit is not None and count(conn, scope) >= limit:
        raise QuotaExceeded(
            "launch_template.quota_exceeded",
            f"A region can hold at most {limit} launch templates.",
            limit=limit,
        )
    if conn.execute(_scoped(scope).where(templates_t.c.name == name)).first() is not None:
        raise _duplicate(name)
    try:
        with conn.begin_nested():
            conn.execute(
                insert(templates_t).values(
                    id=template_id,
                    cloud=scope.cloud,
                    account_id=scope.account_id,
                    region=scope.region,
                    name=name,
                    description=description,
                    default_version=1,
                    last_number=1,
                    created_at=now,
                    updated_at=now,
                    extra=json.dumps(extra or {}),
                )
            )
    except IntegrityError:  # a concurrent request took the name
        raise _duplicate(name) from None
    _insert_version(conn, template_id, 1, version_id, version_description, data, now)
    return get(conn, scope, template_id=template_id)


def _duplicate(name: str) -> Conflict:
    return Conflict(
        "launch_template.duplicate", f"The launch template {name} already exists.", name=name
    )


def get(
    conn: Connection, scope: Scope, *, template_id: str | None = None, name: str | None = None
) -> Template:
    """The template of that id or that name (both given: both must match)."""
    query = _lookup(scope, template_id is not None, name is not None)
    values = {"template_id": template_id, "name": name}
    row = conn.execute(query, values).first() if template_id or name else None
    if row is None:
        raise _not_found(template_id, name)
    return _template(row)


def list_(
    conn: Connection,
    scope: Scope,
    *,
    ids: Sequence[str] | None = None,
    names: Sequence[str] | None = None,
) -> list[Template]:
    """The scope's templates (those of ``ids`` or ``names`` when given), oldest first."""
    query = _scoped(scope)
    if ids is not None:
        query = query.where(templates_t.c.id.in_(list(ids)))
    if names is not None:
        query = query.where(templates_t.c.name.in_(list(names)))
    query = query.order_by(templates_t.c.created_at, templates_t.c.id)
    return [_template(r) for r in conn.execute(query)]


def count(conn: Connection, scope: Scope) -> int:
    return conn.execute(
        select(func.count())
        .select_from(templates_t)
        .where(templates_t.c.cloud == scope.cloud)
        .where(templates_t.c.account_id == scope.account_id)
        .where(templates_t.c.region == scope.region)
    ).scalar_one()


def delete_(conn: Connection, scope: Scope, template_id: str) -> list[int]:
    """Delete a template and every version of it; answer the numbers of the versions deleted."""
    template = get(conn, scope, template_id=template_id)
    numbers = [v.number for v in versions_of(conn, [template.id])]
    conn.execute(delete(versions_t).where(versions_t.c.template_id == template.id))
    conn.execute(delete(templates_t).where(templates_t.c.id == template.id))
    return numbers


# -- versions


def _insert_version(
    conn: Connection,
    template_id: str,
    number: int,
    version_id: str,
    description: str,
    data: dict[str, Any],
    now: float,
) -> Version:
    row = {
        "template_id": template_id,
        "number": number,
        "id": version_id,
        "description": description,
        "data": json.dumps(data, separators=(",", ":")),
        "created_at": now,
    }
    conn.execute(_INSERT_VERSION, row)
    return Version(template_id, number, version_id, description, data, now)


def _claim_number(
    conn: Connection, scope: Scope, template_id: str, now: float, read: Template | None
) -> int:
    """The next version number, claimed by a compare-and-swap on ``last_number``.

    The successful UPDATE also holds the template row until the transaction
    ends, so what the caller counts next no other writer can change. ``read``
    is the template as the caller read it (the first swap needs no read).
    """
    for attempt in range(_MAX_CLAIMS):
        template = read if attempt == 0 and read else get(conn, scope, template_id=template_id)
        claimed = conn.execute(
            _CLAIM_NUMBER,
            {
                "template_id": template.id,
                "last": template.last_number,
                "next": template.last_number + 1,
                "now": now,
            },
        ).rowcount
        if claimed == 1:
            return template.last_number + 1
    raise Conflict(  # pragma: no cover - a thousand lost swaps in one request
        "launch_template.busy", f"The launch template {template_id} is changing too often."
    )


def add_version(
    conn: Connection,
    scope: Scope,
    template_id: str,
    *,
    version_id: str,
    data: dict[str, Any],
    now: float,
    description: str = "",
    max_versions: int | None = None,
    read: Template | None = None,
) -> Version:
    """Add the template's next version; refused when it already has ``max_versions``.

    ``read``: the template as the caller read it in this transaction, if it did.
    """
    number = _claim_number(conn, scope, template_id, now, read)
    if max_versions is not None and _version_count(conn, template_id) >= max_versions:
        raise QuotaExceeded(
            "launch_template.version_limit",
            f"A launch template can have at most {max_versions} versions.",
            limit=max_versions,
            id=template_id,
        )
    return _insert_version(conn, template_id, number, version_id, description, data, now)


def _version_count(conn: Connection, template_id: str) -> int:
    return conn.execute(_VERSION_COUNT, {"template_id": template_id}).scalar_one()


# Built once: every CreateLaunchTemplateVersion runs them.
_INSERT_VERSION = insert(versions_t)
_CLAIM_NUMBER = (
    update(templates_t)
    .where(templates_t.c.id == bindparam("template_id"))
    .where(templates_t.c.last_number == bindparam("last"))
    .values(last_number=bindparam("next"), updated_at=bindparam("now"))
)
_VERSION_COUNT = (
    select(func.count())
    .select_from(versions_t)
    .where(versions_t.c.template_id == bindparam("template_id"))
)


def versions_of(
    conn: Connection,
    template_ids: Sequence[str],
    *,
    numbers: Sequence[int] | None = None,
) -> list[Version]:
    """The versions of the templates (only ``numbers`` when given), by template then number."""
    if not template_ids:
        return []
    query = select(versions_t).where(versions_t.c.template_id.in_(list(template_ids)))
    if numbers is not None:
        query = query.where(versions_t.c.number.in_(list(numbers)))
    query = query.order_by(versions_t.c.template_id, versions_t.c.number)
    return [_version(r) for r in conn.execute(query)]


def get_version(conn: Connection, template: Template, number: int) -> Version:
    found = versions_of(conn, [template.id], numbers=[number])
    if not found:
        raise NotFound(
            "launch_template.version_not_found",
            f"The launch template {template.id} has no version {number}.",
            id=template.id,
            number=number,
        )
    return found[0]


def set_default(conn: Connection, scope: Scope, template_id: str, number: int, now: float) -> None:
    """Make version ``number`` the default. The UPDATE locks the template first, so a
    concurrent delete of that version either ran before (and the check below sees it
    gone) or waits until this transaction ends (and then finds it the default)."""
    template = get(conn, scope, template_id=template_id)
    conn.execute(
        update(templates_t)
        .where(templates_t.c.id == template.id)
        .values(default_version=number, updated_at=now)
    )
    get_version(conn, template, number)


def delete_versions(
    conn: Connection, scope: Scope, template_id: str, numbers: Sequence[int], now: float
) -> None:
    """Delete versions of a template, all or none: each must exist and none be the default.

    The compare-and-swap on ``default_version`` both checks that the default is
    not among them and locks the template against a concurrent change of default.
    """
    template = get(conn, scope, template_id=template_id)
    kept = conn.execute(
        update(templates_t)
        .where(templates_t.c.id == template.id)
        .where(templates_t.c.default_version.not_in(list(numbers)))
        .values(updated_at=now)
    ).rowcount
    if kept != 1:
        raise Conflict(
            "launch_template.default_version",
            f"The default version {template.default_version} of {template.id} cannot be deleted.",
            id=template.id,
            number=template.default_version,
        )
    for number in numbers:
        get_version(conn, template, number)
    conn.execute(
        delete(versions_t)
        .where(versions_t.c.template_id == template.id)
        .where(versions_t.c.number.in_(list(numbers)))
    )
