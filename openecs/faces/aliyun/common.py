"""Parameters that many Alibaba operations share, each declared once with the vendor's rules.

Operations import these instead of re-declaring them, so a range, a pattern or an
error code is written in one place: ``RegionId`` that must name a catalog region
(``InvalidRegionId.NotFound``, 404), page-number and next-token paging with the
vendor's ranges and defaults, ``DryRun``, ``ClientToken`` and the ``Tag.N`` list.
Where the vendor uses a different range or code per operation, a factory takes
it as an argument (``page_size(maximum=50)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from openecs.core import catalog
from openecs.faces.aliyun import errors as E
from openecs.faces.params import BOOLEAN, INTEGER, LIST, STRUCT, ErrorSpec, Param

EXTENSION = "OpenECS extension: "  # how a parameter the vendor does not list is marked

# ECS names (instances, security groups...): 2-128 characters, starting with a letter,
# then letters, digits, colons, underscores, periods or hyphens.
ECS_NAME_PATTERN = r"[^\W\d_][\w:.\-]{1,127}"
# ECS descriptions: 2-256 characters, not starting with http:// or https://.
ECS_DESCRIPTION_PATTERN = r"(?!https?://).{2,256}"


# --------------------------------------------------------------------------- region


def _region_exists(region_id: str) -> None:
    catalog.require_region(catalog.aliyun(), region_id)


REGION_ID = Param(
    "RegionId",
    required=True,
    max_length=64,
    check=_region_exists,
    doc="A region of the catalog (DescribeRegions); another answers InvalidRegionId.NotFound.",
)
REGION_ID_IGNORED = Param(
    "RegionId",
    doc=EXTENSION
    + "the legacy SDK adds RegionId to every request; this operation is global and ignores it.",
)

ACCEPT_LANGUAGE = Param(
    "AcceptLanguage",
    enum=("zh-CN", "zh_TW", "en-US", "ja", "fr", "de", "ko"),
    default="zh-CN",
    doc="Language of LocalName: zh-CN names are Chinese, every other language gets the English name.",
)


def local_name(record: dict[str, Any], language: str) -> str:
    """A region's or zone's LocalName in the caller's language (Chinese or English)."""
    return record["LocalName"] if language in ("zh-CN", "zh_TW") else record["LocalNameEn"]


# --------------------------------------------------------------------------- page-number paging

PAGE_NUMBER_INVALID = ErrorSpec("InvalidParam.PageNumber", "The specified parameter is invalid.")
PAGE_SIZE_INVALID = ErrorSpec("InvalidParam.PageSize", "The specified parameter is invalid.")


def page_number() -> Param:
    """``PageNumber``: pages start at 1, default 1."""
    return Param(
        "PageNumber", INTEGER, minimum=1, maximum=2**31 - 1, default=1, invalid=PAGE_NUMBER_INVALID
    )


def page_size(maximum: int = 100, default: int = 10) -> Param:
    """``PageSize`` with the operation's range (most Describe* take 1 to 100, default 10)."""
    return Param(
        "PageSize", INTEGER, minimum=1, maximum=maximum, default=default, invalid=PAGE_SIZE_INVALID
    )


# --------------------------------------------------------------------------- next-token paging

NEXT_TOKEN_INVALID = ErrorSpec(
    "InvalidParameter.NextToken", "The specified parameter NextToken is not valid."
)
MAX_RESULTS_INVALID = ErrorSpec(
    "InvalidParameter.MaxResults", "The specified parameter MaxResults is not valid."
)


def next_token() -> Param:
    return Param("NextToken", max_length=1024, invalid=NEXT_TOKEN_INVALID)


def max_results(maximum: int, default: int, minimum: int = 1) -> Param:
    """``MaxResults`` with the operation's range and default."""
    return Param(
        "MaxResults",
        INTEGER,
        minimum=minimum,
        maximum=maximum,
        default=default,
        invalid=MAX_RESULTS_INVALID,
    )


# --------------------------------------------------------------------------- dry run, client token

DRY_RUN = Param(
    "DryRun", BOOLEAN, default=False, doc="true: check the request, answer DryRunOperation."
)


def dry_run(values: dict[str, Any]) -> None:
    """Answer ``DryRunOperation`` (400) when a request that passed its checks asked for a dry run."""
    if values.get("DryRun"):
        raise E.vendor(E.DRY_RUN)


CLIENT_TOKEN = Param(
    "ClientToken",
    max_length=64,
    pattern=r"[\x20-\x7e]+",
    invalid=ErrorSpec(
        "InvalidClientToken.ValueNotSupported", "The ClientToken provided is invalid."
    ),
    doc="Idempotence token: ASCII, at most 64 characters.",
)


# --------------------------------------------------------------------------- tags

TAG_LIMIT = 20
TAG_KEY_INVALID = ErrorSpec("InvalidTagKey.Malformed", "The specified Tag.n.Key is not valid.")
TAG_VALUE_INVALID = ErrorSpec(
    "InvalidTagValue.Malformed", "The specified Tag.n.Value is not valid."
)
TAG_KEY_DUPLICATE = ErrorSpec("Duplicate.TagKey", "The Tag.N.Key contain duplicate key.")
TAGS_QUOTA = ErrorSpec(
    "QuotaExceed.Tags", "The number of specified tags exceeds the upper limit ({limit}).", 403
)
# What a filter by tags answers for too many tags (DescribeImages, Describe* operations).
TAGS_FILTER_COUNT = ErrorSpec(
    "InvalidTagCount", "The specified tags are beyond the permitted range."
)

TAG_KEY = Param(
    "Key",
    max_length=128,
    pattern=r"(?!aliyun|acs:)(?!.*https?://).+",
    invalid=TAG_KEY_INVALID,
    doc="1 to 128 characters; cannot start with aliyun or acs:, cannot contain http:// or https://.",
)
TAG_VALUE = Param(
    "Value",
    max_length=128,
    pattern=r"(?!.*https?://).*",
    invalid=TAG_VALUE_INVALID,
    doc="Up to 128 characters, may be empty; cannot contain http:// or https://.",
)


def _unique_keys(tags: list[dict[str, Any]]) -> None:
    _check_unique_keys(tags, TAG_KEY_INVALID, TAG_KEY_DUPLICATE)


def _check_unique_keys(
    tags: list[dict[str, Any]], key_invalid: ErrorSpec, duplicate: ErrorSpec
) -> None:
    keys = [t.get("Key", t.get("key")) for t in tags]
    if any(k is None for k in keys):
        key_invalid.raise_("Tag.N.Key")
    if len(set(keys)) != len(keys):
        duplicate.raise_("Tag.N.Key")


def tags(
    name: str = "Tag",
    *,
    too_many: ErrorSpec = TAGS_QUOTA,
    extra_fields: Iterable[Param] = (),
    required: bool = False,
    key_invalid: ErrorSpec = TAG_KEY_INVALID,
    value_invalid: ErrorSpec = TAG_VALUE_INVALID,
    duplicate: ErrorSpec = TAG_KEY_DUPLICATE,
) -> Param:
    """``Tag.N`` (``{Key, Value}``, N from 1 to 20): malformed keys and values, duplicates and
    too many tags answer the vendor's codes. ``extra_fields`` adds the vendor's legacy
    lowercase ``key``/``value`` spellings where an operation still lists them. The rules
    are the same everywhere; an API family that words its refusals differently (the VPC
    product's TagResources family) passes its own codes."""
    key = TAG_KEY if key_invalid is TAG_KEY_INVALID else replace(TAG_KEY, invalid=key_invalid)
    value = (
        TAG_VALUE
        if value_invalid is TAG_VALUE_INVALID
        else replace(TAG_VALUE, invalid=value_invalid)
    )
    if key_invalid is TAG_KEY_INVALID and duplicate is TAG_KEY_DUPLICATE:
        check = _unique_keys
    else:

        def check(tags: list[dict[str, Any]]) -> None:
            _check_unique_keys(tags, key_invalid, duplicate)

    item = Param("item", STRUCT, fields=(key, value, *extra_fields))
    return Param(
        name,
        LIST,
        items=item,
        required=required,
        max_items=TAG_LIMIT,
        too_many=too_many,
        check=check,
    )


LEGACY_TAG_FIELDS = (
    replace(TAG_KEY, name="key", doc="Deprecated spelling of Key."),
    replace(TAG_VALUE, name="value", doc="Deprecated spelling of Value."),
)


def normalized_tags(values: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """Tags as ``{Key, Value}``, folding the deprecated lowercase spellings into them."""
    out: list[dict[str, str]] = []
    for t in values or []:
        out.append(
            {"Key": t.get("Key", t.get("key", "")), "Value": t.get("Value", t.get("value", ""))}
        )
    return out
