"""Query parameters and paging shared by Huawei list operations.

Huawei lists page with ``limit`` and ``marker``: ``marker`` is the id of the
last record of the previous page, and the next page starts after it. A client
pages until it gets a page shorter than ``limit`` (often an empty one), so the
last full page is followed by an empty page, never by an error. A marker that
names no record is refused with the service's parameter error, as the
vendor does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from openecs.faces.call import Call
from openecs.faces.params import INTEGER, ErrorDefaults, Param

T = TypeVar("T")

MARKER = Param(
    "marker", doc="Id of the last record of the previous page; the page starts after it."
)


def limit_param(default: int, maximum: int, *, minimum: int = 1, doc: str = "") -> Param:
    """A ``limit`` query parameter: an integer in ``minimum..maximum`` with a default page size."""
    return Param(
        "limit",
        INTEGER,
        minimum=minimum,
        maximum=maximum,
        default=default,
        doc=doc or f"Records per page, {minimum}..{maximum}, default {default}.",
    )


def page_after(
    items: Sequence[T],
    marker: str | None,
    limit: int,
    *,
    key: Callable[[T], str],
    errors: ErrorDefaults,
) -> list[T]:
    """The page of ``items`` (already filtered and ordered) that follows ``marker``."""
    start = 0
    if marker is not None:
        for i, item in enumerate(items):
            if key(item) == marker:
                start = i + 1
                break
        else:
            errors.invalid.raise_("marker", marker)
    return list(items[start : start + limit])


def region_of(call: Call) -> str:
    """The region the request's project names (always set once the face scoped the request)."""
    if call.region_id is None:  # pragma: no cover - the face always scopes Huawei requests
        raise AssertionError("a Huawei request without a region")
    return call.region_id
