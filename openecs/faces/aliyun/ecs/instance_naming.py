"""Names and host names of a batch of instances, as the vendor numbers them.

* ``name_prefix[begin,bits]name_suffix`` numbers the instances from ``begin``
  (0 to 999999, default 0) with at least ``bits`` digits (1 to 6, default 6;
  6 when ``begin`` has more digits than ``bits``): ``k8s-node-[1,4]-alibabacloud``
  gives k8s-node-0001-alibabacloud, k8s-node-0002-alibabacloud... The bracket
  forms are ``[]``, ``[,]``, ``[m,]``, ``[,n]`` and ``[m,n]``, once per name; without
  a prefix the value is an ordinary name (and must then be one).
* ``UniqueSuffix=true`` appends 001, 002... (up to 999) to the names of a batch of
  more than one instance, except to a numbered name without a suffix (it is unique
  already). The three characters count against the name's length.
* ``HostNames.N`` names each instance's host itself: one per instance, not with
  ``HostName``.
* ``${instance_id}`` in a host name is the instance's id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from openecs.faces.aliyun import errors as E
from openecs.faces.params import ErrorSpec

MAX_BEGIN = 999_999
MAX_BITS = 6
MAX_UNIQUE = 999
MAX_INSTANCE_NAME = 128
MAX_HOST_NAME = 64
INSTANCE_ID = "${instance_id}"
_SAMPLE_ID = "i-bp1sample0000000000"  # an id of the vendor's length, to check a placeholder

CUSTOM_MALFORMED = ErrorSpec(
    "InvalidInstanceName.CustomMalformed",
    "Customized section of instance or host name is invalid, please use valid format: "
    "[], [,], [m,], [,n], [m,n].",
)
INSTANCE_NAME_EXCEED = ErrorSpec(
    "InvalidParams.InstanceNameExceed",
    "The uniqueSuffix takes three naming places, please shorten your InstanceName.",
    403,
)
HOST_NAME_EXCEED = ErrorSpec(
    "InvalidParams.HostnameExceed",
    "The uniqueSuffix takes three naming places, please shorten your Hostname.",
    403,
)
HOST_NAMES_CONFLICT = ErrorSpec(
    "InvalidHostname.SingleAndMultiConflict",
    "HostName and HostNames.N cannot be specified at the same time.",
    403,
)
HOST_NAMES_SIZE = ErrorSpec(
    "InvalidHostname.SizeInvalid", "The number of HostNames.N must be equal to Amount.", 403
)

_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_SECTION = re.compile(r"([0-9]*)(?:,([0-9]*))?")


@dataclass(frozen=True)
class Numbered:
    """``prefix[begin,bits]suffix``."""

    prefix: str
    begin: int
    bits: int
    suffix: str

    def name(self, n: int) -> str:
        return f"{self.prefix}{self.begin + n:0{self.bits}d}{self.suffix}"


def numbered(value: str) -> Numbered | None:
    """The numbering of ``value``; ``None`` for an ordinary name (no brackets, or no prefix)."""
    if "[" not in value and "]" not in value:
        return None
    sections = _BRACKETS.findall(value)
    if len(sections) != 1 or value.count("[") != 1 or value.count("]") != 1:
        raise E.vendor(CUSTOM_MALFORMED)
    match = _SECTION.fullmatch(sections[0])
    if match is None:
        raise E.vendor(CUSTOM_MALFORMED)
    prefix, _, rest = value.partition("[")
    if not prefix:
        return None
    begin = int(match.group(1)) if match.group(1) else 0
    bits = int(match.group(2)) if match.group(2) else MAX_BITS
    if begin > MAX_BEGIN or not 1 <= bits <= MAX_BITS:
        raise E.vendor(CUSTOM_MALFORMED)
    if len(str(begin)) > bits:
        bits = MAX_BITS
    return Numbered(prefix, begin, bits, rest.partition("]")[2])


def name_check(pattern: str, invalid: ErrorSpec) -> Callable[[str], None]:
    """A parameter check: ``value`` is a name by ``pattern``, or a numbering that gives one."""
    regex = re.compile(pattern, re.DOTALL)

    def check(value: str) -> None:
        rule = numbered(value)
        sample = rule.name(0) if rule else value
        if not regex.fullmatch(sample.replace(INSTANCE_ID, _SAMPLE_ID)):
            raise E.vendor(invalid)

    return check


def expand(
    value: str,
    count: int,
    *,
    unique: bool,
    limit: int,
    exceed: ErrorSpec,
    check: Callable[[str], None],
) -> list[str]:
    """The ``count`` names ``value`` gives, each checked again by ``check``."""
    rule = numbered(value)
    names = [rule.name(n) for n in range(count)] if rule else [value] * count
    if unique and count > 1 and not (rule and not rule.suffix):
        if count > MAX_UNIQUE:
            raise E.vendor(exceed)
        names = [f"{name}{n:03d}" for n, name in enumerate(names, 1)]
        if any(len(name.replace(INSTANCE_ID, _SAMPLE_ID)) > limit for name in names):
            raise E.vendor(exceed)
    for name in names:
        check(name)
    return names


def host_names_of(host_names: Sequence[str] | None, host_name: str | None, amount: int) -> None:
    """``HostNames.N``: one per instance, never together with ``HostName``."""
    if host_names is None:
        return
    if host_name is not None:
        raise E.vendor(HOST_NAMES_CONFLICT)
    if len(host_names) != amount:
        raise E.vendor(HOST_NAMES_SIZE)


def with_id(host_name: str, instance_id: str) -> str:
    """A host name with its ``${instance_id}`` placeholder filled in."""
    return host_name.replace(INSTANCE_ID, instance_id)
