"""ListServersDetails: the caller's servers in the ShowServer shape, filtered and paged.

``count`` is the number of servers matching the filters (all pages). Pages
are asked for by ``offset``, the vendor's page number (1 is the first page,
0 means 1 as well), or by ``marker``, the id of the last server of the
previous page (then ``offset`` is ignored); ``limit`` is the page size
(default 25, at most 1000). Servers are listed newest first.

The filters as the vendor documents them: ``name`` is a fuzzy (substring)
match in which a period matches any one character but a line break;
``status`` of ACTIVE also finds servers rebooting, and SHUTOFF those being
resized or rebuilt (the vendor's intermediate states); ``ip`` is a fuzzy
match of an IPv4 address, ``ip_eq`` an exact one; ``tags`` (comma-separated,
each ``key`` or ``key=value``) finds servers that have every tag listed, and
``not-tags`` those that lack at least one; ``enterprise_project_id`` of
``all_granted_eps`` means every enterprise project. ``server_id`` (a
comma-separated list) overrides every other filter; an id that names no
server is listed with only its ``id`` and a ``fault``.

(Routes with a literal segment are tried before routes with a parameter at
the same position, so ``cloudservers/detail`` is never taken for a server id.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection

from openecs.core import instance_query as query
from openecs.core import instances as inst
from openecs.core import interfaces
from openecs.core import tags as core_tags
from openecs.faces.call import Call
from openecs.faces.huawei.common import MARKER, limit_param, page_after
from openecs.faces.huawei.ecs import servers_read
from openecs.faces.huawei.operations import ECS, HuaweiArgs, operation
from openecs.faces.huawei.vpc.vpcs import scope_of
from openecs.faces.params import INTEGER, Param

STATUSES = (
    "ACTIVE",
    "BUILD",
    "ERROR",
    "HARD_REBOOT",
    "MIGRATING",
    "REBOOT",
    "REBUILD",
    "RESIZE",
    "REVERT_RESIZE",
    "SHUTOFF",
    "VERIFY_RESIZE",
    "DELETED",
    "SHELVED",
    "SHELVED_OFFLOADED",
    "UNKNOWN",
)
# The statuses a status filter finds besides itself (the vendor's intermediate states).
_ALSO = {
    "ACTIVE": ("REBOOT", "HARD_REBOOT", "REBUILD", "MIGRATING"),
    "SHUTOFF": ("RESIZE", "REBUILD"),
    "ERROR": ("REBUILD",),
    "VERIFY_RESIZE": ("REVERT_RESIZE",),
}
ALL_ENTERPRISE_PROJECTS = "all_granted_eps"
NOT_FOUND_FAULT = {"code": 404, "message": "Instance could not be found", "details": ""}

QUERY = [
    Param(
        "offset",
        INTEGER,
        minimum=0,
        default=1,
        doc="The page number, from 1 (0 is the first page too); ignored with marker.",
    ),
    MARKER,
    limit_param(25, 1000, doc="Servers per page, 1..1000, default 25."),
    Param("flavor", doc="The flavor id, exactly."),
    Param("name", max_length=255, doc="Fuzzy match; a period matches any one character."),
    Param("status", enum=STATUSES, doc="ACTIVE also finds REBOOT; SHUTOFF also RESIZE."),
    Param("tags", doc="Comma-separated key or key=value: servers with every one."),
    Param("not-tags", doc="Comma-separated key or key=value: servers lacking one of them."),
    Param("reservation_id", doc="The servers one creation request made."),
    Param("enterprise_project_id", doc="all_granted_eps: every enterprise project."),
    Param("ip", doc="IPv4 address, fuzzy match."),
    Param("ip_eq", doc="IPv4 address, exact match."),
    Param("server_id", doc="Comma-separated ids; overrides every other filter."),
    Param("expect-fields", doc="Accepted: every field is always returned."),
]


def name_matches(pattern: str, name: str) -> bool:
    """The vendor's fuzzy name match: a substring, where ``.`` is any character but \\n, \\r."""
    regex = "".join("[^\n\r]" if c == "." else re.escape(c) for c in pattern)
    return re.search(regex, name) is not None


def _listed(values: str) -> list[str]:
    return [v.strip() for v in values.split(",") if v.strip()]


def _has_tag(tags: Iterable[str], wanted: str) -> bool:
    return any(t == wanted or ("=" not in wanted and t.split("=", 1)[0] == wanted) for t in tags)


def _kept(server: inst.Instance, q: dict[str, Any]) -> bool:
    """Whether a server passes the filters its record answers and the store does not check."""
    if "name" in q and not name_matches(q["name"], server.name):
        return False
    if "reservation_id" in q and server.extra.get("reservation_id") != q["reservation_id"]:
        return False
    project = q.get("enterprise_project_id", ALL_ENTERPRISE_PROJECTS)
    in_project = server.extra.get("enterprise_project_id", "0") == project
    return project == ALL_ENTERPRISE_PROJECTS or in_project


def _shown(addresses: list[str], tags: list[str], q: dict[str, Any]) -> bool:
    """Whether a server passes the filters on its ports' addresses and its tags (``k=v``)."""
    if "ip" in q and not any(q["ip"] in a for a in addresses):
        return False
    if "ip_eq" in q and q["ip_eq"] not in addresses:
        return False
    if "tags" in q and not all(_has_tag(tags, t) for t in _listed(q["tags"])):
        return False
    wanted_absent = _listed(q.get("not-tags", ""))
    return not (wanted_absent and all(_has_tag(tags, t) for t in wanted_absent))


def _filter(q: dict[str, Any]) -> query.InstanceFilter:
    """The filters the store checks: the flavor and the status (with its intermediate states)."""
    statuses = None
    if "status" in q:
        shown = (q["status"], *_ALSO.get(q["status"], ()))
        statuses = [s for s, state in servers_read.STATES.items() if state[0] in shown]
    return query.InstanceFilter(instance_type=q.get("flavor"), statuses=statuses)


# The filters checked here, on every server that passes the store's.
_RECORD_FILTERS = ("name", "reservation_id", "enterprise_project_id")
_PORT_AND_TAG_FILTERS = ("ip", "ip_eq", "tags", "not-tags")


def _page(items: list[Any], q: dict[str, Any], key: Callable[[Any], str]) -> list[Any]:
    """The page the request asks for, of items already filtered and ordered."""
    limit = q["limit"]
    if "marker" in q:
        return page_after(items, q["marker"], limit, key=key, errors=ECS.params)
    start = (max(q["offset"], 1) - 1) * limit
    return items[start : start + limit]


@operation(ECS, "ListServersDetails", "GET", "/v1/{project_id}/cloudservers/detail", query=QUERY)
def list_servers_details(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """List servers with their details.

    The store filters, counts and pages (:mod:`openecs.core.instance_query`); with a
    filter it does not check (a name, an address, tags...) or a marker, the servers
    its filters pass are filtered and paged here. Only the page is rendered.
    """
    q = req.query
    where = scope_of(call)
    with call.db.read() as conn:
        if "server_id" in q:
            return _listed_by_id(conn, call, q)
        wanted = _filter(q)
        here = (*_RECORD_FILTERS, *_PORT_AND_TAG_FILTERS, "marker")
        if not any(k in q for k in here):
            limit = q["limit"]
            offset = (max(q["offset"], 1) - 1) * limit
            page = query.find_instances(
                conn, where, wanted, offset=offset, limit=limit, newest_first=True
            )
            count = query.count_instances(conn, where, wanted)
        else:
            found = query.find_instances(conn, where, wanted, newest_first=True)
            found = [s for s in found if _kept(s, q)]
            if any(k in q for k in _PORT_AND_TAG_FILTERS):
                found = _with_ports_and_tags(conn, call, found, q)
            page = _page(found, q, key=lambda s: s.id)
            count = len(found)
        return {"count": count, "servers": servers_read.render_many(conn, call, page)}


def _with_ports_and_tags(
    conn: Connection, call: Call, servers: list[inst.Instance], q: dict[str, Any]
) -> list[inst.Instance]:
    """The servers that pass the filters on addresses and tags (read in batches)."""
    ids = [s.id for s in servers]
    ports = interfaces.interfaces_of_devices(conn, scope_of(call), ids)
    tags = core_tags.tags_of(conn, ids)
    return [
        s
        for s in servers
        if _shown([p.primary_ip for p in ports[s.id]], [f"{k}={v}" for k, v in tags[s.id]], q)
    ]


def _listed_by_id(conn: Connection, call: Call, q: dict[str, Any]) -> dict[str, Any]:
    """``server_id`` overrides every other filter: the servers named, in the order named; an
    id that names none of the caller's servers is listed with only its id and a fault."""
    ids = list(dict.fromkeys(_listed(q["server_id"])))
    named = query.find_instances(conn, scope_of(call), query.InstanceFilter(ids=ids))
    by_id = {s.id: s for s in named}
    page = _page(ids, q, key=lambda sid: sid)
    rendered = iter(servers_read.render_many(conn, call, [by_id[i] for i in page if i in by_id]))
    return {
        "count": len(ids),
        "servers": [
            next(rendered) if sid in by_id else {"id": sid, "fault": NOT_FOUND_FAULT}
            for sid in page
        ],
    }
