"""Operation parameters declared as data, and the one checker that enforces them.

Every operation of both faces lists its parameters as :class:`Param` values:
name, type, required, length, pattern, range, enum, nesting, and the vendor
error code (with status and message) for each way a value can be wrong.
Operation-wide rules (two parameters that exclude each other, one of several
that must be given) are :class:`Rule` values. The same declarations produce
the coverage documentation, so what is checked and what is documented cannot
drift apart.

Two input modes share the checker:

* ``text``: every value arrives as a string (Alibaba RPC parameters, Huawei
  query strings) and is converted by its declared type; lists and structs
  arrive flattened (``Tag.1.Key``) and are rebuilt from the declared shape.
* ``json``: values arrive typed (Huawei request bodies) and must already have
  the declared JSON type.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from openecs.faces.errors import VendorError

STRING = "string"
INTEGER = "integer"
BOOLEAN = "boolean"
FLOAT = "float"
LIST = "list"
STRUCT = "struct"
JSON = "json"  # a string whose content is JSON (Alibaba's InstanceIds='["i-1"]')
ANY = "any"  # any JSON value, stored as given (Huawei's free-form maps)

_LEAF = None  # the key under which a flattened tree node keeps its own value

# Integers beyond a signed 64-bit value are refused unless a parameter declares its own range:
# neither vendor accepts them (Java Long) and neither store can hold them.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# How deeply a JSON value may nest: far beyond any vendor shape, far below Python's recursion limit.
MAX_JSON_DEPTH = 64

_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_INDEX_TEXT = re.compile(r"[0-9]{1,9}")  # the N of a flattened list (Tag.N.Key)
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# NUL cannot be stored in a text column (PostgreSQL) and lone surrogates cannot be encoded as
# UTF-8: a string holding either is refused as invalid before it reaches the core.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: Any) -> bool:
    """Whether every string in ``value`` (keys of objects included) can be stored and rendered."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return True


# Longer than any access key the store holds (accounts.access_key_id is 64 characters);
# both faces look keys up only when they could exist, so odd bytes never reach SQL.
_MAX_ACCESS_KEY_LENGTH = 64


def plausible_access_key(access_key_id: str) -> bool:
    """Whether an access key id could exist at all; anything else is not found without a lookup."""
    return (
        0 < len(access_key_id) <= _MAX_ACCESS_KEY_LENGTH
        and access_key_id.isprintable()
        and access_key_id.isascii()
    )


def json_depth_ok(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` nests at most ``limit`` arrays/objects deep (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


def loads_json(text: str | bytes) -> Any:
    """``json.loads`` that answers ValueError for anything a face must refuse as malformed.

    That is: invalid JSON, nesting deeper than :data:`MAX_JSON_DEPTH` (which would
    otherwise exhaust the interpreter's recursion), and non-finite numbers.
    """
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("JSON nests too deeply") from None
    if not json_depth_ok(value):
        raise ValueError("JSON nests too deeply")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


@dataclass(frozen=True)
class ErrorSpec:
    """A vendor error: HTTP status, code and a message template (``{name}``, ``{value}``)."""

    code: str
    message: str
    status: int = 400

    def raise_(self, name: str, value: Any = None, **extra: Any) -> None:
        raise VendorError(self.status, self.code, self.render(name=name, value=value, **extra))

    def render(self, **fields: Any) -> str:
        """The message with ``fields`` filled in; a placeholder without a value stays as written.

        A refusal must never turn into a 500 because one code path supplies fewer
        fields than another (``{limit}`` from a too-many check reached through a
        plain invalid value) or because a message quotes literal braces.
        """
        try:
            return self.message.format_map(_KeepMissing(fields))
        except (ValueError, IndexError, AttributeError, KeyError):
            return self.message


class _KeepMissing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class ErrorDefaults:
    """The codes a face uses when a parameter declares none of its own."""

    missing: ErrorSpec
    invalid: ErrorSpec
    unsupported: ErrorSpec


@dataclass(frozen=True)
class Param:
    """One parameter: what it is, what is legal, and which error each violation answers."""

    name: str
    type: str = STRING
    required: bool = False
    doc: str = ""
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[Any, ...] | None = None
    enum_ignore_case: bool = False
    items: Param | None = None
    fields: tuple[Param, ...] = ()
    min_items: int | None = None
    max_items: int | None = None
    default: Any = None
    invalid: ErrorSpec | None = None
    missing: ErrorSpec | None = None
    too_many: ErrorSpec | None = None
    check: Callable[[Any], None] | None = None
    refused: str | None = None  # why OpenECS deliberately does not accept this parameter
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.pattern is not None:
            object.__setattr__(self, "_regex", re.compile(self.pattern, re.DOTALL))
        if self.type == LIST and self.items is None:
            object.__setattr__(self, "items", Param("item"))

    def constraints(self) -> str:
        """The declared limits in a few words, for the coverage documentation."""
        out: list[str] = []
        if self.min_length is not None or self.max_length is not None:
            out.append(f"length {self.min_length or 0}..{self.max_length or '*'}")
        if self.minimum is not None or self.maximum is not None:
            lo = "" if self.minimum is None else f"{self.minimum:g}"
            hi = "" if self.maximum is None else f"{self.maximum:g}"
            out.append(f"range {lo}..{hi}")
        if self.enum is not None:
            out.append("one of " + ", ".join(str(v) for v in self.enum))
        if self.pattern is not None:
            out.append(f"pattern `{self.pattern}`")
        if self.max_items is not None:
            out.append(f"at most {self.max_items} items")
        if self.default is not None:
            out.append(f"default {self.default}")
        if self.refused:
            out.append(f"refused: {self.refused}")
        return "; ".join(out)


def optional(param: Param) -> Param:
    return replace(param, required=False)


class Rule:
    """A check across parameters, run after each parameter passed its own checks."""

    def check(self, values: Mapping[str, Any]) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Exclusive(Rule):
    """At most one of ``names`` may be given."""

    names: tuple[str, ...]
    error: ErrorSpec

    def check(self, values: Mapping[str, Any]) -> None:
        given = [n for n in self.names if _given(values.get(n))]
        if len(given) > 1:
            self.error.raise_(given[0], other=given[1])

    def describe(self) -> str:
        return "at most one of " + ", ".join(self.names) + f" ({self.error.code})"


@dataclass(frozen=True)
class OneRequired(Rule):
    """At least one of ``names`` must be given."""

    names: tuple[str, ...]
    error: ErrorSpec

    def check(self, values: Mapping[str, Any]) -> None:
        if not any(_given(values.get(n)) for n in self.names):
            self.error.raise_(self.names[0])

    def describe(self) -> str:
        return "one of " + ", ".join(self.names) + f" is required ({self.error.code})"


@dataclass(frozen=True)
class Check(Rule):
    """Any other cross-parameter rule, as a function that raises :class:`VendorError`."""

    fn: Callable[[Mapping[str, Any]], None]
    text: str

    def check(self, values: Mapping[str, Any]) -> None:
        self.fn(values)

    def describe(self) -> str:
        return self.text


def _given(value: Any) -> bool:
    return value is not None and value != [] and value != ""


# --------------------------------------------------------------------------- text input


def flat_tree(flat: Mapping[str, str]) -> dict[Any, Any]:
    """Rebuild the nesting of flattened parameters: ``{"Tag.1.Key": "a"}`` -> nested dicts."""
    root: dict[Any, Any] = {}
    for key, value in flat.items():
        node = root
        for part in key.split("."):
            node = node.setdefault(part, {})
        node[_LEAF] = value
    return root


def _lookup(tree: Mapping[Any, Any], dotted: str) -> Mapping[Any, Any] | None:
    node: Mapping[Any, Any] | None = tree
    for part in dotted.split("."):
        node = node.get(part) if node is not None else None
        if node is None:
            return None
    return node


class Checker:
    """Checks one operation's parameters against its declarations, in one input mode."""

    def __init__(
        self,
        params: Iterable[Param],
        rules: Iterable[Rule] = (),
        *,
        defaults: ErrorDefaults,
        mode: str = "text",
    ) -> None:
        self.params = tuple(params)
        # Most of an operation's parameters are absent from a request: known by their first
        # part. A request's own parts pick the parameters to check (in declaration order, so
        # the first refusal is the same); absent ones only refuse if required, or give a default.
        heads = [p.name.split(".", 1)[0] for p in self.params]
        self._heads = tuple(heads)
        self._by_head: dict[str, list[int]] = {}
        for i, head in enumerate(heads):
            self._by_head.setdefault(head, []).append(i)
        self._required = frozenset(i for i, p in enumerate(self.params) if p.required)
        self._strings = tuple(p.type == STRING for p in self.params)  # text that is the value
        self._defaults = tuple(
            (p.name, p.default, heads[i])
            for i, p in enumerate(self.params)
            if p.default is not None
        )
        self.rules = tuple(rules)
        self.defaults = defaults
        self.mode = mode

    # -- entry points
    def check_flat(self, flat: Mapping[str, str]) -> dict[str, Any]:
        """Text mode: check flattened string parameters, return typed values by declared name."""
        if any("." in key for key in flat):
            tree = flat_tree(flat)
        else:  # most requests: every name a top-level leaf, no tree to walk
            tree = {key: {_LEAF: value} for key, value in flat.items()}
        out: dict[str, Any] = {}
        by_head, heads, strings = self._by_head, self._heads, self._strings
        chosen = {i for head in tree for i in by_head.get(head, ())}
        for i in sorted(chosen | self._required if self._required else chosen):
            p = self.params[i]
            node = tree.get(p.name) if heads[i] == p.name else _lookup(tree, p.name)
            if node is None and heads[i] not in tree:  # absent altogether
                (p.missing or self.defaults.missing).raise_(p.name)  # (a required one)
            raw = node.get(_LEAF) if strings[i] and node is not None else None
            if raw is not None:  # a string given as text: what _from_node does, without it
                value = self._finish(p, raw, p.name)
            else:
                value = self._from_node(p, node, p.name)
            if value is not None:
                out[p.name] = value
        for name, default, head in self._defaults:
            if head not in tree:  # absent: what _finish makes of no value, without the walk
                out[name] = default
        for rule in self.rules:
            rule.check(out)
        return out

    def check_json(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """JSON mode: check a decoded object, return it with defaults filled in."""
        out = self._struct_json(self.params, body, "")
        for rule in self.rules:
            rule.check(out)
        return out

    # -- text mode
    def _from_node(self, p: Param, node: Mapping[Any, Any] | None, path: str) -> Any:
        if p.type == LIST:
            raw_items = self._list_nodes(node, path, p)
            values = [
                self._from_node(p.items, item, f"{path}.{i}")  # type: ignore[arg-type]
                for i, item in raw_items
            ]
            values = [v for v in values if v is not None]
            return self._finish(p, values if values or node is not None else None, path)
        if p.type == STRUCT:
            if node is None or not any(k is not _LEAF for k in node):
                return self._finish(p, None, path)
            struct: dict[str, Any] = {}
            for f in p.fields:
                v = self._from_node(f, _lookup(node, f.name), f"{path}.{f.name}")
                if v is not None:
                    struct[f.name] = v
            return self._finish(p, struct, path)
        raw = None if node is None else node.get(_LEAF)
        if raw is None:
            return self._finish(p, None, path)
        return self._finish(p, self._convert_text(p, raw, path), path)

    def _list_nodes(
        self, node: Mapping[Any, Any] | None, path: str, p: Param
    ) -> list[tuple[int, Mapping[Any, Any]]]:
        if node is None:
            return []
        items: list[tuple[int, Mapping[Any, Any]]] = []
        for key, child in node.items():
            if key is _LEAF:
                # "Name=value" given for a list: accept a JSON array or one value.
                text = child
                try:
                    decoded = loads_json(text) if text.startswith("[") else [text]
                except ValueError:
                    self._invalid(p, path, text)
                for i, v in enumerate(decoded if isinstance(decoded, list) else [decoded], 1):
                    items.append((i, {_LEAF: v if isinstance(v, str) else json.dumps(v)}))
                continue
            if not _INDEX_TEXT.fullmatch(key) or int(key) < 1:
                self._invalid(p, f"{path}.{key}", None)
            items.append((int(key), child))
        items.sort(key=lambda kv: kv[0])
        return items

    def _convert_text(self, p: Param, raw: str, path: str) -> Any:
        t = p.type
        try:
            if t == STRING or t == ANY:
                return raw
            if t == INTEGER:
                if not _INTEGER_TEXT.fullmatch(raw.strip()):
                    raise ValueError
                return int(raw)
            if t == BOOLEAN:
                low = raw.strip().lower()
                if low not in ("true", "false"):
                    raise ValueError
                return low == "true"
            if t == FLOAT:
                if not _FLOAT_TEXT.fullmatch(raw.strip()):
                    raise ValueError
                return float(raw)
            if t == JSON:
                value = loads_json(raw)
                if p.items is not None:
                    if not isinstance(value, list):
                        raise ValueError
                    return [
                        self._check_json_value(p.items, v, f"{path}.{i}")
                        for i, v in enumerate(value, 1)
                    ]
                return value
        except (ValueError, TypeError):
            self._invalid(p, path, raw)
        raise AssertionError(f"unknown parameter type {t!r}")

    # -- json mode
    def _struct_json(
        self, fields: Iterable[Param], obj: Mapping[str, Any], path: str
    ) -> dict[str, Any]:
        out: dict[str, Any] = dict(obj)
        for f in fields:
            sub = f"{path}.{f.name}" if path else f.name
            v = self._check_json_value(f, obj.get(f.name), sub)
            if v is None:
                out.pop(f.name, None)
            else:
                out[f.name] = v
        return out

    def _check_json_value(self, p: Param, value: Any, path: str) -> Any:
        if value is None:
            return self._finish(p, None, path)
        t = p.type
        ok = {
            STRING: isinstance(value, str),
            INTEGER: isinstance(value, int) and not isinstance(value, bool),
            BOOLEAN: isinstance(value, bool),
            FLOAT: isinstance(value, int | float) and not isinstance(value, bool),
            LIST: isinstance(value, list),
            STRUCT: isinstance(value, dict),
            JSON: True,
            ANY: True,
        }[t]
        if not ok or (t == FLOAT and not math.isfinite(value)):
            self._invalid(p, path, value)
        if t == LIST:
            value = [
                self._check_json_value(p.items, v, f"{path}[{i}]") for i, v in enumerate(value)
            ]  # type: ignore[arg-type]
        elif t == STRUCT:
            value = self._struct_json(p.fields, value, path)
        return self._finish(p, value, path)

    # -- shared
    def _finish(self, p: Param, value: Any, path: str) -> Any:
        if value is None:
            if p.required:
                (p.missing or self.defaults.missing).raise_(path)
            return p.default
        if p.refused is not None:
            self.defaults.unsupported.raise_(path, value, reason=p.refused)
        if value.__class__ is str:  # most values: the checks below that apply to a string
            if _UNSTORABLE.search(value):
                self._invalid(p, path, None)
            self._text(p, value, path)
            if p.enum is not None:
                value = self._enum(p, value, path)
            if p.check is not None:
                p.check(value)
            return value
        if not storable(value):
            self._invalid(p, path, None)
        if isinstance(value, float) and not math.isfinite(value):
            self._invalid(p, path, value)
        if isinstance(value, int) and not isinstance(value, bool) and p.type == INTEGER:
            lo = INT64_MIN if p.minimum is None else max(INT64_MIN, p.minimum)
            hi = INT64_MAX if p.maximum is None else min(INT64_MAX, p.maximum)
            if not lo <= value <= hi:
                self._invalid(p, path, value)
        if isinstance(value, str):
            self._text(p, value, path)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if p.minimum is not None and value < p.minimum:
                self._invalid(p, path, value)
            if p.maximum is not None and value > p.maximum:
                self._invalid(p, path, value)
        if p.enum is not None:
            value = self._enum(p, value, path)
        if isinstance(value, list):
            if p.max_items is not None and len(value) > p.max_items:
                (p.too_many or p.invalid or self.defaults.invalid).raise_(
                    path, value, limit=p.max_items
                )
            if p.min_items is not None and len(value) < p.min_items:
                self._invalid(p, path, value)
        if p.check is not None:
            p.check(value)
        return value

    def _text(self, p: Param, value: str, path: str) -> None:
        if p.min_length is not None and len(value) < p.min_length:
            self._invalid(p, path, value)
        if p.max_length is not None and len(value) > p.max_length:
            self._invalid(p, path, value)
        if p._regex is not None and not p._regex.fullmatch(value):
            self._invalid(p, path, value)

    def _enum(self, p: Param, value: Any, path: str) -> Any:  # noqa: ANN401
        """``value`` if ``p`` lists it (in the listed spelling when case is ignored)."""
        assert p.enum is not None
        if p.enum_ignore_case and isinstance(value, str):
            match = [e for e in p.enum if isinstance(e, str) and e.lower() == value.lower()]
            if not match:
                self._invalid(p, path, value)
            return match[0]
        if value not in p.enum:
            self._invalid(p, path, value)
        return value

    def _invalid(self, p: Param, path: str, value: Any) -> None:
        (p.invalid or self.defaults.invalid).raise_(path, value)
