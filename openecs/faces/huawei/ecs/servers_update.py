"""UpdateServer: change a server's name, description, hostname or user data.

The vendor's rules: ``name`` is 1 to 128 letters (Chinese ones too), digits,
``_``, ``-`` and ``.``; ``description`` at most 85 characters without ``<``
or ``>``; ``hostname`` 1 to 64 characters in ``.``-separated segments of
letters, digits and ``-``, never starting or ending with ``.`` or ``-`` and
with no ``..``, ``--``, ``.-`` or ``-.``; ``user_data`` base64, at most 32 KB
decoded. Every violation answers 400 ``Ecs.0005`` and changes nothing. The
answer is the server in huaweicloudsdkecs' UpdateServerResult shape (whose
``image`` is the image id, not an object). The change is a compare-and-swap,
so two concurrent updates never lose one another.
"""

from __future__ import annotations

from typing import Any

from openecs.core import instances as inst
from openecs.faces.call import Call
from openecs.faces.huawei.ecs import servers_read
from openecs.faces.huawei.ecs.cloudservers_create import _check_user_data
from openecs.faces.huawei.operations import ECS, HuaweiArgs, operation
from openecs.faces.huawei.vpc.vpcs import scope_of
from openecs.faces.params import STRUCT, Param

NAME_PATTERN = r"[\u4e00-\u9fa5A-Za-z0-9_.-]{1,128}"
DESCRIPTION_PATTERN = r"[^<>]{0,85}"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
HOSTNAME_PATTERN = rf"(?=.{{1,64}}$)(?!.*--){_LABEL}(?:\.{_LABEL})*"

SERVER = Param(
    "server",
    STRUCT,
    required=True,
    fields=(
        Param("name", pattern=NAME_PATTERN, doc="1..128 letters, digits, _, - and ."),
        Param("description", pattern=DESCRIPTION_PATTERN, doc="0..85 characters, no < or >."),
        Param("hostname", pattern=HOSTNAME_PATTERN, doc="1..64, .-separated labels (RFC 952)."),
        Param("user_data", check=_check_user_data, doc="base64, at most 32 KB decoded."),
        Param("security_options", STRUCT, refused="secure boot and vTPM are not modelled"),
    ),
)

# ShowServer's fields that UpdateServerResult has as they are.
_SAME = (
    "id",
    "name",
    "description",
    "status",
    "tenant_id",
    "user_id",
    "created",
    "updated",
    "hostId",
    "progress",
    "locked",
    "metadata",
    "tags",
    "accessIPv4",
    "accessIPv6",
    "OS-DCF:diskConfig",
    "OS-EXT-SRV-ATTR:user_data",
    "OS-EXT-SRV-ATTR:hostname",
)


def result(detail: dict[str, Any]) -> dict[str, Any]:
    """A rendered ShowServer server in UpdateServerResult's shape."""
    out = {key: detail[key] for key in _SAME}
    out["image"] = detail["image"]["id"]
    out["flavor"] = {"id": detail["flavor"]["id"], "links": []}
    out["addresses"] = {
        net: [{"version": int(a["version"]), "addr": a["addr"]} for a in addresses]
        for net, addresses in detail["addresses"].items()
    }
    out["links"] = []
    return out


@operation(ECS, "UpdateServer", "PUT", "/v1/{project_id}/cloudservers/{server_id}", body=[SERVER])
def update_server(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Modify a server's name, description, hostname or user data."""
    given = req.body["server"]
    changes: dict[str, Any] = {
        k: given[k] for k in ("name", "hostname", "user_data", "description") if k in given
    }
    if "description" in given:
        changes["extra"] = {"description": given["description"]}
    where = scope_of(call)
    with call.db.write() as conn:
        server = inst.update_instance(conn, where, req.path["server_id"], **changes)
        return {"server": result(servers_read.render(conn, call, server))}
