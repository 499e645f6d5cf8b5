"""Identifier formats of each vendor, generated from a cryptographic source.

Alibaba ids are a resource prefix, a two-character region code and lower-case
base-36 characters (``i-bp1a2b3c4d5e6f7g8h9j``: 20 characters after the
dash); Huawei ids are UUIDs. Request ids follow each vendor's format too.
"""

from __future__ import annotations

import random
import secrets
import uuid

_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz"

# The two-letter code Alibaba puts after the prefix for resources of a region.
ALIYUN_REGION_CODES = {
    "cn-hangzhou": "bp",
    "cn-shanghai": "uf",
    "cn-beijing": "2z",
    "cn-shenzhen": "wz",
    "cn-qingdao": "m5",
    "cn-zhangjiakou": "8v",
    "cn-hongkong": "j6",
    "ap-southeast-1": "t4",
    "us-west-1": "rj",
    "eu-central-1": "gw",
}


def aliyun_id(prefix: str, region: str, length: int = 20) -> str:
    """A new Alibaba-style id, e.g. ``aliyun_id("i", "cn-hangzhou")``."""
    code = ALIYUN_REGION_CODES.get(region, "zz")
    return f"{prefix}-{code}{_base36(length - len(code))}"


def _base36(count: int) -> str:
    """``count`` uniform base-36 characters from one read of the system's source.

    One ``randbelow(36**count)`` written in base 36 is as uniform as ``count``
    separate draws, at one system call instead of about two per character.
    """
    value = secrets.randbelow(36**count)
    digits = []
    for _ in range(count):
        value, d = divmod(value, 36)
        digits.append(_ALNUM[d])
    return "".join(digits)


def huawei_id() -> str:
    """A new Huawei resource id (a UUID in its canonical form)."""
    return str(uuid.uuid4())


def huawei_project_id() -> str:
    """A new Huawei project id: 32 lower-case hex characters."""
    return uuid.uuid4().hex


# Request ids only need to be unique, not secret: a seeded PRNG avoids a system call per request.
_request_ids = random.Random(secrets.randbits(128))


def aliyun_request_id() -> str:
    """An Alibaba RequestId: an upper-case UUID (version 4 layout)."""
    h = f"{_request_ids.getrandbits(128):032X}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89AB'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def huawei_request_id() -> str:
    """A Huawei X-Request-Id: 32 lower-case hex characters."""
    return f"{_request_ids.getrandbits(128):032x}"


def random_token(length: int, alphabet: str = _ALNUM + "ABCDEFGHIJKLMNOPQRSTUVWXYZ") -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))
