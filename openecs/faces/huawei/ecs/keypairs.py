"""Huawei ECS SSH key pairs: the native OpenStack (Nova v2.1) ``os-keypairs`` API.

Key pairs live in the cloud-neutral core (:mod:`openecs.core.keypairs`); this
module speaks Nova: one POST that generates a key (answering its private key
once) or imports ``public_key``, a list wrapped as ``{"keypairs": [{"keypair":
{...}}]}`` paged by ``limit`` and a ``marker`` that names a key pair, a
detailed show with Nova's integer ``id`` (kept in ``extra``), and a delete
answering 204 as Huawei documents. Names are Huawei's: at most 64 letters,
digits, ``_`` and ``-``. Refusals are Nova fault bodies (``conflictingRequest``
409 for a taken name, ``itemNotFound`` 404, ``badRequest`` 400).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from openecs.core import keypairs as core
from openecs.core.ids import huawei_id
from openecs.faces.call import Call
from openecs.faces.huawei import errors as E
from openecs.faces.huawei.common import MARKER, limit_param, page_after
from openecs.faces.huawei.operations import HuaweiArgs, Service, operation
from openecs.faces.huawei.vpc.vpcs import scope_of
from openecs.faces.params import STRUCT, Param

NOVA = Service("ecs", E.NOVA_PARAMS, E.nova_shape)
PATH = "/v2.1/{project_id}/os-keypairs"
GENERATED_COMMENT = "Generated-by-Nova"  # the comment Nova gives the public key it generates
SSH = "ssh"


def _ssh_only(value: str) -> None:
    if value != SSH:
        NOVA.params.unsupported.raise_("type", value, reason="only ssh key pairs are kept")


def user_id(call: Call) -> str:
    """The caller's user id: an account is one user, spelled as its domain id."""
    return f"{call.account.id:032x}"


def nova_time(seconds: float) -> str:
    """A Nova timestamp: UTC, ISO 8601 with microseconds and no zone (``2014-05-07T12:06:13.681238``)."""
    return (
        datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    )


def _brief(pair: core.KeyPair) -> dict[str, Any]:
    return {
        "name": pair.name,
        "public_key": pair.public_key,
        "fingerprint": pair.fingerprint,
        "type": SSH,
    }


@operation(
    NOVA,
    "NovaCreateKeypair",
    "POST",
    PATH,
    body=[
        Param(
            "keypair",
            STRUCT,
            required=True,
            fields=(
                Param(
                    "name",
                    required=True,
                    min_length=1,
                    max_length=64,
                    pattern=r"[A-Za-z0-9_\-]+",
                    doc="At most 64 letters, digits, _ and -; unique in the project.",
                ),
                Param("public_key", doc="An OpenSSH public key to import; none generates a key."),
                Param("type", enum=(SSH, "x509"), check=_ssh_only, doc="ssh (x509 is refused)."),
                Param("user_id", refused="a key pair always belongs to the calling user"),
            ),
        )
    ],
)
def create_keypair(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Create a key pair (answering its private key once) or import a public key."""
    body = req.body["keypair"]
    extra = {"nova_id": secrets.randbelow(2**31 - 1) + 1}
    with call.db.write() as conn:
        if "public_key" in body:
            pair = core.import_(
                conn,
                scope_of(call),
                key_id=huawei_id(),
                name=body["name"],
                public_key=body["public_key"],
                now=call.clock.now(),
                extra=extra,
            )
            return {"keypair": {**_brief(pair), "user_id": user_id(call)}}
        created = core.create(
            conn,
            scope_of(call),
            key_id=huawei_id(),
            name=body["name"],
            now=call.clock.now(),
            comment=GENERATED_COMMENT,
            extra=extra,
        )
    return {
        "keypair": {
            **_brief(created.key_pair),
            "private_key": created.private_key,
            "user_id": user_id(call),
        }
    }


@operation(
    NOVA,
    "NovaListKeypairs",
    "GET",
    PATH,
    query=[limit_param(default=1000, maximum=1000, minimum=0), MARKER],
)
def list_keypairs(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """List the project's key pairs, oldest first, paged by limit and a marker naming a key pair."""
    with call.db.read() as conn:
        pairs = core.list_(conn, scope_of(call))
    page = page_after(
        pairs, req.query.get("marker"), req.query["limit"], key=lambda k: k.name, errors=NOVA.params
    )
    return {"keypairs": [{"keypair": _brief(k)} for k in page]}


@operation(NOVA, "NovaShowKeypair", "GET", PATH + "/{keypair_name}")
def show_keypair(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """One key pair in detail."""
    with call.db.read() as conn:
        pair = core.get(conn, scope_of(call), req.path["keypair_name"])
    return {
        "keypair": {
            **_brief(pair),
            "created_at": nova_time(pair.created_at),
            "deleted": False,
            "deleted_at": None,
            "id": pair.extra.get("nova_id", 0),
            "updated_at": None,
            "user_id": user_id(call),
        }
    }


@operation(NOVA, "NovaDeleteKeypair", "DELETE", PATH + "/{keypair_name}", status=204)
def delete_keypair(call: Call, req: HuaweiArgs) -> tuple[int, None]:
    """Delete a key pair by name (404 when the project has none of that name)."""
    name = req.path["keypair_name"]
    with call.db.write() as conn:
        core.get(conn, scope_of(call), name)
        core.delete_(conn, scope_of(call), [name])
    return 204, None
