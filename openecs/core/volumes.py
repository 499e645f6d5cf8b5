"""Volumes: the disks of an account's region read as resources of their own.

An instance's disks are created and released with it (:mod:`openecs.core.instances`);
this module answers the questions that are not about one instance: which
volumes an account has in a region, one volume by its id, the volumes a
server has attached. A disk whose instance was released without it stays
``available`` with no instance.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from openecs.core import disks as disks_core
from openecs.core.errors import NotFound
from openecs.core.network import Scope
from openecs.store.tables import disks

IN_USE = disks_core.IN_USE
AVAILABLE = disks_core.AVAILABLE
SYSTEM = disks_core.SYSTEM
Volume = disks_core.Disk  # a disk, read as a volume of its own


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
    query = disks_core.scoped(scope)
    if ids is not None:
        query = query.where(disks.c.id.in_(list(ids)))
    if instance_ids is not None:
        query = query.where(disks.c.instance_id.in_(list(instance_ids)))
    query = query.order_by(disks.c.created_at, disks.c.id)
    return [disks_core.from_row(r) for r in conn.execute(query)]


def get_volume(conn: Connection, scope: Scope, volume_id: str) -> Volume:
    found = list_volumes(conn, scope, ids=[volume_id])
    if not found:
        raise NotFound("volume.not_found", f"The volume {volume_id} does not exist.", id=volume_id)
    return found[0]


def attached_to(conn: Connection, scope: Scope, instance_id: str) -> list[Volume]:
    """An instance's volumes, the system volume first, then by device."""
    found = list_volumes(conn, scope, instance_ids=[instance_id])
    return sorted(found, key=lambda v: (v.type != SYSTEM, len(v.device or ""), v.device or ""))
