"""Server tags: BatchCreateServerTags / BatchDeleteServerTags, ShowServerTags, ListServerTags.

A server's tags live in the core's tags table (resource type ``instance``,
as Alibaba's instances), in the order first set; create writes the request's
``tags`` and ``server_tags`` there and GET server's ``tags`` reads them back
as ``key=value``. Both batch operations share one route,
``POST .../tags/action``, told apart by ``action`` (``create`` or ``delete``,
lowercase only), and answer 204.

Creating is idempotent: a tag already there with the same value succeeds, a
new value overwrites, and a server carries at most 10 tags (refused as a
whole, ``Ecs.0005``). A key is 1-36 characters (letters, digits, ``-``, ``_``
and the CJK range U+4E00..U+9FFF), unique within the request; a value is
0-43 of the same plus ``.``. Deleting removes each key (only when the value
matches, if one is given); a tag that is not there is not an error.
ListServerTags answers the project's keys, each with every value servers
in the project give it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from openecs.core import instances as inst
from openecs.core import tags as core_tags
from openecs.faces.call import Call
from openecs.faces.huawei.ecs.cloudservers_create import TAGGED, TAGS_MAX
from openecs.faces.huawei.operations import ECS, HuaweiArgs, operation
from openecs.faces.huawei.vpc.vpcs import scope_of
from openecs.faces.params import LIST, STRUCT, Check, ErrorSpec, Param

KEY = re.compile("[A-Za-z0-9_\\-\u4e00-\u9fff]{1,36}")
VALUE = re.compile("[A-Za-z0-9_.\\-\u4e00-\u9fff]{0,43}")
CREATE, DELETE = "create", "delete"

PARAM = ErrorSpec("Ecs.0005", "{reason}")

BODY = [
    Param("action", required=True, enum=(CREATE, DELETE), doc="create or delete (lowercase)."),
    Param(
        "tags",
        LIST,
        required=True,
        min_items=1,
        max_items=TAGS_MAX,
        items=Param(
            "tag",
            STRUCT,
            fields=(
                Param("key", required=True, min_length=1, max_length=36),
                Param("value", max_length=43),
            ),
        ),
    ),
]


def _create_rules(values: Mapping[str, Any]) -> None:
    if values.get("action") != CREATE:
        return
    seen: set[str] = set()
    for tag in values.get("tags", []):
        key, value = tag["key"], tag.get("value", "")
        if not KEY.fullmatch(key):
            PARAM.raise_("tags", reason=f"tag key [{key}] is invalid.")
        if not VALUE.fullmatch(value):
            PARAM.raise_("tags", reason=f"tag value [{value}] of key [{key}] is invalid.")
        if key in seen:
            PARAM.raise_("tags", reason=f"tag key [{key}] is repeated.")
        seen.add(key)


RULES = [
    Check(_create_rules, "create: keys and values in the vendor's character sets, keys unique")
]


@operation(
    ECS, "BatchCreateServerTags", "POST", "/v1/{project_id}/cloudservers/{server_id}/tags/action",
    body=BODY, rules=RULES, status=204,
    doc="Add tags to a server (action=create) or delete them (BatchDeleteServerTags, action=delete).",
)  # fmt: skip
def batch_server_tags(call: Call, req: HuaweiArgs) -> None:
    tags = req.body["tags"]
    with call.db.write() as conn:
        # Concurrent changes of one server's tags take turns: the limit holds, no key is lost.
        server = inst.lock_instance(conn, scope_of(call), req.path["server_id"])
        if req.body["action"] == CREATE:
            pairs = [(t["key"], t.get("value", "")) for t in tags]
            core_tags.set_tags(conn, call.account.id, TAGGED, server.id, pairs, limit=TAGS_MAX)
            return
        current = dict(core_tags.get_tags(conn, server.id))
        gone = [
            t["key"]
            for t in tags
            if t["key"] in current and t.get("value") in (None, current[t["key"]])
        ]
        core_tags.remove_tags(conn, server.id, gone)


@operation(ECS, "ShowServerTags", "GET", "/v1/{project_id}/cloudservers/{server_id}/tags")
def show_server_tags(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query one server's tags."""
    with call.db.read() as conn:
        server = inst.get_instance(conn, scope_of(call), req.path["server_id"])
        pairs = core_tags.get_tags(conn, server.id)
    return {"tags": [{"key": k, "value": v} for k, v in pairs]}


@operation(ECS, "ListServerTags", "GET", "/v1/{project_id}/cloudservers/tags")
def list_server_tags(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query the project's tags: every key its servers carry, with all the values given it."""
    with call.db.read() as conn:
        ids = [s.id for s in inst.list_instances(conn, scope_of(call))]
        by_server = core_tags.tags_of(conn, ids)
    values: dict[str, list[str]] = {}
    for server_id in ids:
        for key, value in by_server[server_id]:
            if value not in values.setdefault(key, []):
                values[key].append(value)
    return {"tags": [{"key": k, "values": v} for k, v in sorted(values.items())]}
