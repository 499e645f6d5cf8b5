"""ECS 2014-05-26 SSH key pairs: CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPairs.

Key pairs live in the cloud-neutral core (:mod:`openecs.core.keypairs`), which
generates keys, checks imported ones and computes the RFC 4716 MD5 fingerprint
the vendor documents. This module adds the vendor's rules and spelling: the
name pattern, 500 key pairs per region, ``skp-`` ids, the resource group (kept
in ``extra``), tags in :mod:`openecs.core.tags`, the ``*`` wildcard of
DescribeKeyPairs and the JSON-string ``KeyPairNames`` of DeleteKeyPairs.
Deleting names that do not exist is not an error (the vendor lists none).
"""

from __future__ import annotations

import re
import time
from typing import Any

from sqlalchemy import Connection

from openecs.core import keypairs as core
from openecs.core import tags as core_tags
from openecs.core.ids import aliyun_id
from openecs.faces.aliyun import common
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.paging import by_page_number
from openecs.faces.aliyun.vpc.vpcs import (
    RESOURCE_GROUP_ID,
    default_resource_group,
    scope,
    tag_pairs,
    tags_match,
)
from openecs.faces.call import Call
from openecs.faces.params import BOOLEAN, JSON, ErrorSpec, Param

TAGGED = "key_pair"  # the core's resource type in the tags table
LIMIT = 500  # key pairs per region (CreateKeyPair: "Up to 500 key pairs")
MAX_NAMES = 100  # KeyPairNames of DeleteKeyPairs
ID_LENGTH = 18  # characters after "skp-", as the reference's examples show

NAME_INVALID = ErrorSpec("InvalidKeyPairName.Malformed", "Specified Key Pair name is not valid.")
NAMES_INVALID = ErrorSpec(
    "InvalidKeyPairNames.ValueNotSupported", 'The specified parameter "KeyPairNames" is not valid.'
)
NAMES_TOO_MANY = ErrorSpec(
    "InstanceKeyPairLimitExceeded",
    "Exceeding the allowed amount of instance which will be deleted.",
    403,
)

# 2 to 128 characters, starting with a letter; letters, digits, colons, underscores and hyphens
# (which also keeps out http:// and https://).
NAME_PATTERN = r"[^\W\d_][\w:\-]{1,127}"
KEY_PAIR_NAME = Param(
    "KeyPairName",
    required=True,
    pattern=NAME_PATTERN,
    invalid=NAME_INVALID,
    doc="2 to 128 characters, starting with a letter; letters, digits, : _ -",
)


def creation_time(seconds: float) -> str:
    """DescribeKeyPairs' CreationTime: UTC to the minute (``2023-09-04T08:33Z``)."""
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(seconds))


def _extra(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return {"ResourceGroupId": p.get("ResourceGroupId") or default_resource_group(call)}


def _tag(conn: Connection, call: Call, pair: core.KeyPair, p: dict[str, Any]) -> None:
    core_tags.set_tags(
        conn,
        call.account.id,
        TAGGED,
        pair.id,
        tag_pairs(p.get("Tag")),
        limit=common.TAG_LIMIT,
        new=True,
    )


@operation(
    "Ecs",
    "CreateKeyPair",
    params=[common.REGION_ID, KEY_PAIR_NAME, RESOURCE_GROUP_ID, common.tags()],
)
def create_key_pair(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Generate an RSA 2048 key pair; the private key is answered once and never stored."""
    region = p["RegionId"]
    with call.db.write() as conn:
        created = core.create(
            conn,
            scope(call, region),
            key_id=aliyun_id("skp", region, ID_LENGTH),
            name=p["KeyPairName"],
            now=call.clock.now(),
            extra=_extra(call, p),
            limit=LIMIT,
        )
        _tag(conn, call, created.key_pair, p)
    pair = created.key_pair
    return {
        "KeyPairId": pair.id,
        "KeyPairName": pair.name,
        "KeyPairFingerPrint": pair.fingerprint,
        "PrivateKeyBody": created.private_key,
    }


@operation(
    "Ecs",
    "ImportKeyPair",
    params=[
        common.REGION_ID,
        KEY_PAIR_NAME,
        Param(
            "PublicKeyBody",
            required=True,
            doc="An OpenSSH public key: ssh-rsa, ssh-ed25519 or ecdsa-sha2-nistp256/384/521.",
        ),
        RESOURCE_GROUP_ID,
        common.tags(),
    ],
)
def import_key_pair(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Store the public key of a key pair made elsewhere."""
    region = p["RegionId"]
    with call.db.write() as conn:
        pair = core.import_(
            conn,
            scope(call, region),
            key_id=aliyun_id("skp", region, ID_LENGTH),
            name=p["KeyPairName"],
            public_key=p["PublicKeyBody"],
            now=call.clock.now(),
            extra=_extra(call, p),
            limit=LIMIT,
        )
        _tag(conn, call, pair, p)
    return {"KeyPairName": pair.name, "KeyPairFingerPrint": pair.fingerprint}


def name_matcher(wanted: str | None) -> re.Pattern[str] | None:
    """``KeyPairName`` as a filter: ``*`` matches any run of characters, all else is literal."""
    if wanted is None:
        return None
    return re.compile(".*".join(re.escape(part) for part in wanted.split("*")), re.DOTALL)


@operation(
    "Ecs",
    "DescribeKeyPairs",
    params=[
        common.REGION_ID,
        Param("KeyPairName", max_length=128, doc="A name; * matches any characters."),
        Param("KeyPairFingerPrint", max_length=128),
        Param("IncludePublicKey", BOOLEAN, default=False),
        RESOURCE_GROUP_ID,
        common.tags(too_many=common.TAGS_FILTER_COUNT),
        common.page_number(),
        common.page_size(maximum=50),
    ],
)
def describe_key_pairs(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """List the caller's key pairs of a region, filtered and paged by page number."""
    matcher = name_matcher(p.get("KeyPairName"))
    wanted_tags = common.normalized_tags(p.get("Tag"))
    default_group = default_resource_group(call)
    with call.db.read() as conn:
        pairs = core.list_(conn, scope(call, p["RegionId"]))
        tags = core_tags.tags_of(conn, [k.id for k in pairs])

    def group(pair: core.KeyPair) -> str:
        return pair.extra.get("ResourceGroupId", default_group)

    pairs = [
        k
        for k in pairs
        if (matcher is None or matcher.fullmatch(k.name))
        and p.get("KeyPairFingerPrint", k.fingerprint) == k.fingerprint
        # The reference: key pairs of the default resource group are listed whatever the filter.
        and group(k) in (p.get("ResourceGroupId", group(k)), default_group)
        and tags_match(dict(tags[k.id]), wanted_tags)
    ]
    page = by_page_number(pairs, p["PageNumber"], p["PageSize"])
    return {
        "KeyPairs": {
            "KeyPair": [_render(k, tags[k.id], p["IncludePublicKey"]) for k in page.items]
        },
        **page.fields(),
    }


def _render(pair: core.KeyPair, tags: list[core_tags.Tag], with_key: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "KeyPairName": pair.name,
        "KeyPairFingerPrint": pair.fingerprint,
        "CreationTime": creation_time(pair.created_at),
        "ResourceGroupId": pair.extra.get("ResourceGroupId", ""),
        "Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in tags]},
    }
    if with_key:
        out["PublicKey"] = pair.public_key
    return out


@operation(
    "Ecs",
    "DeleteKeyPairs",
    params=[
        common.REGION_ID,
        Param(
            "KeyPairNames",
            JSON,
            required=True,
            items=Param("item", max_length=128, invalid=NAMES_INVALID),
            min_items=1,
            max_items=MAX_NAMES,
            invalid=NAMES_INVALID,
            too_many=NAMES_TOO_MANY,
            doc=f'A JSON array of up to {MAX_NAMES} names: \'["k1", "k2"]\'.',
        ),
    ],
)
def delete_key_pairs(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Delete key pairs by name; names that do not exist are ignored."""
    with call.db.write() as conn:
        for pair in core.delete_(conn, scope(call, p["RegionId"]), p["KeyPairNames"]):
            core_tags.remove_tags(conn, pair.id)
    return {}
