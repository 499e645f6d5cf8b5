"""Paging of Describe* answers, the two ways the vendor pages: by page number and by token.

Page-number paging (``PageNumber``/``PageSize``, answered with ``TotalCount``,
``PageNumber`` and ``PageSize``) slices a full, ordered result. Next-token
paging (``NextToken``/``MaxResults``, answered with ``NextToken``) resumes after
the last item returned: the token carries that item's sort key, so an item
added or removed between two calls neither repeats nor skips the others. The
token is opaque to callers (URL-safe base64 of JSON); one that does not decode,
or that names a key of the wrong kind, answers ``InvalidParameter.NextToken``.
Operations backed by the store may decode the key themselves with
:func:`decode_token` and page in SQL.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from openecs.faces.aliyun.common import NEXT_TOKEN_INVALID

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page_number: int
    page_size: int

    def fields(self) -> dict[str, int]:
        """The vendor's paging fields of a page-number answer."""
        return {
            "TotalCount": self.total,
            "PageNumber": self.page_number,
            "PageSize": self.page_size,
        }


def by_page_number(items: Sequence[T], page_number: int, page_size: int) -> Page[T]:
    """Page ``page_number`` (from 1) of ``items``; past the end the page is empty."""
    start = (page_number - 1) * page_size
    return Page(list(items[start : start + page_size]), len(items), page_number, page_size)


def encode_token(key: Any) -> str:
    """An opaque token for a sort key (any JSON value)."""
    raw = json.dumps(key, separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> Any:
    """The sort key a token carries; a token this server did not make answers the vendor's error."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        return json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        NEXT_TOKEN_INVALID.raise_("NextToken", token)


@dataclass(frozen=True)
class TokenPage(Generic[T]):
    items: list[T]
    next_token: str  # "" on the last page, as the vendor answers

    def fields(self) -> dict[str, str]:
        return {"NextToken": self.next_token}


def by_token(
    items: Sequence[T],
    token: str | None,
    max_results: int,
    key: Callable[[T], Any],
) -> TokenPage[T]:
    """The ``max_results`` items after the one a token names, ``items`` being ordered by ``key``.

    Keys must be unique and of one JSON kind (all numbers or all strings).
    """
    start = 0
    if token:
        after = decode_token(token)
        sample = key(items[0]) if items else after
        if type(after) is not type(sample) or isinstance(after, bool):
            NEXT_TOKEN_INVALID.raise_("NextToken", token)
        while start < len(items) and key(items[start]) <= after:
            start += 1
    chunk = list(items[start : start + max_results])
    more = start + max_results < len(items)
    return TokenPage(chunk, encode_token(key(chunk[-1])) if more and chunk else "")
