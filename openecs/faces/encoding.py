"""JSON bodies on the wire, for both faces.

orjson encodes a response several times faster than the standard library,
and a response is encoded on every call. A value orjson refuses (a lone
surrogate that slipped into a string) falls back to the standard encoder with
the character replaced: an answer must never turn into a 500 on the way out.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def to_json(payload: Any) -> bytes:
    """``payload`` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(payload)
    except TypeError:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8", "replace"
        )
