"""Volumes: the disks of an account's region read as resources of their own.

An instance's disks are created and released with it (:mod:`openecs.core.instances`);
this module answers the questions that are not about one instance: which
volumes an account has in a region, one volume by its id, the volumes a
server has attached. A disk whose instance was released without it stays
``available`` with no instance.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from openecs.core.errors import NotFound
from openecs.core.network import Scope
from openecs.store.tables import disks

IN_USE = "in_use"
AVAILABLE = "available"
SYSTEM = "system"


@dataclass(frozen=True)
class Volume:
    id: str
    cloud: str
    account_id: int
    region: str
    zone_id: str
    instance_id: str | None
    type: str  # system | data
    category: str
    size: int
    device: str | None
    delete_with_instance: bool
    status: str
    name: str
    description: str
    created_at: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def bootable(self) -> bool:
        return self.type == SYSTEM


def _volume(row: Any) -> Volume:
    values = dict(row._mapping)
    values["delete_with_instance"] = bool(values["delete_with_instance"])
    values["extra"] = json.loads(values["extra"])
    return Volume(**values)


def list_volumes(
    conn: Connection,
    scope: Scope,
    *,
    ids: Sequence[str] | None = None,
    instance_ids: Sequence[str] | None = None,
) -> list[Volume]:
    """The scope's volumes (optionally only these ids, or those attached to these instances).

    Ordered by creation, then id, so that every reader pages the same way.
    """
    query = (
        select(disks)
        .where(disks.c.cloud == scope.cloud)
        .where(disks.c.account_id == scope.account_id)
        .where(disks.c.region == scope.region)
    )
    if ids is not None:
        query = query.where(disks.c.id.in_(list(ids)))
    if instance_ids is not None:
        query = query.where(disks.c.instance_id.in_(list(instance_ids)))
    query = query.order_by(disks.c.created_at, disks.c.id)
    return [_volume(r) for r in conn.execute(query)]


def get_volume(conn: Connection, scope: Scope, volume_id: str) -> Volume:
    found = list_volumes(conn, scope, ids=[volume_id])
    if not found:
        raise NotFound("volume.not_found", f"The volume {volume_id} does not exist.", id=volume_id)
    return found[0]


def attached_to(conn: Connection, scope: Scope, instance_id: str) -> list[Volume]:
    """An instance's volumes, the system volume first, then by device."""
    found = list_volumes(conn, scope, instance_ids=[instance_id])
    return sorted(found, key=lambda v: (v.type != SYSTEM, len(v.device or ""), v.device or ""))
