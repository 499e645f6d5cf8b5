"""Every Alibaba operation declares exactly the vendor's parameters, typed and required as the vendor says.

The vendor's parameter lists come from ``openecs/data/aliyun/vendor_params.json``
(derived from the vendor's published metadata by ``tools/derive_aliyun_meta.py``).
A declaration passes when:

* every parameter the vendor lists is declared, at every level of nesting,
  unless an enclosing parameter is refused as a whole (``refused="why"``);
* every declared parameter is one the vendor lists, or is marked as an OpenECS
  extension: its ``doc`` starts with ``openecs.faces.aliyun.common.EXTENSION``
  (``"OpenECS extension: "``) followed by the reason;
* declared types agree with the vendor's (:data:`TYPES`);
* a parameter the vendor requires is declared required.

The vendor spells some nesting as flat names: ``Filter.1.Key`` is the field
``Key`` of the list ``Filter``; ``CpuOptions.Core`` is the field ``Core`` of the
struct ``CpuOptions``, which may be declared either as ``Param("CpuOptions.Core")``
or as a field of ``Param("CpuOptions", STRUCT, fields=...)``. A vendor Struct
(or Array) listed without sub-parameters is *open*: its fields are named only by
the SDK models, so declared fields are accepted there unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import pytest

from openecs.core import catalog
from openecs.faces.aliyun.common import EXTENSION
from openecs.faces.aliyun.operations import PRODUCTS, AliyunOperation, load_all
from openecs.faces.params import BOOLEAN, FLOAT, INTEGER, JSON, LIST, STRING, STRUCT, Param

# Vendor type -> the declared types that carry it faithfully.
TYPES: dict[str, frozenset[str]] = {
    "String": frozenset({STRING, JSON}),
    "Integer": frozenset({INTEGER}),
    "Long": frozenset({INTEGER}),
    "Boolean": frozenset({BOOLEAN}),
    "Float": frozenset({FLOAT}),
    "Double": frozenset({FLOAT}),
    "RepeatList": frozenset({LIST}),
    "Array": frozenset({LIST}),
    "Struct": frozenset({STRUCT}),
}
LISTS = ("RepeatList", "Array")


# --------------------------------------------------------------------------- the vendor's side


@dataclass
class Vendor:
    """One vendor parameter with its nesting rebuilt from sub-parameters and flat names."""

    type: str
    required: bool = False
    fields: dict[str, Vendor] = field(default_factory=dict)  # of a Struct
    item: Vendor | None = None  # of a list; None when the vendor does not say
    open: bool = False  # sub-parameters not (all) listed by the vendor


def vendor_tree(entries: list[dict[str, Any]]) -> dict[str, Vendor]:
    """Nest a vendor parameter list: sub-parameters and flat names (``Filter.1.Key``) alike."""
    out: dict[str, Vendor] = {}
    for e in entries:
        _insert(out, e["name"].split("."), e)
    return out


def _insert(level: dict[str, Vendor], parts: list[str], e: dict[str, Any]) -> None:
    head, rest = parts[0], parts[1:]
    if not rest:
        node = _leaf(e)
        old = level.get(head)
        if old is not None:  # a group already built from flat names: keep what it learnt
            node.fields = {**old.fields, **node.fields}
            node.item = node.item or old.item
        level[head] = node
        return
    if rest[0].isdigit():  # Filter.1.Key, AddGroup.1: a list
        group = level.setdefault(head, Vendor("RepeatList"))
        group.required = group.required or e["required"]
        if len(rest) == 1:
            group.item = group.item or _leaf({**e, "name": "item", "required": False})
            return
        if group.item is None:
            group.item = Vendor("Struct")
        _insert(group.item.fields, rest[1:], e)
        return
    group = level.setdefault(head, Vendor("Struct"))  # CpuOptions.Core: a struct
    group.required = group.required or e["required"]
    _insert(group.fields, rest, e)


def _leaf(e: dict[str, Any]) -> Vendor:
    subs = vendor_tree(e.get("sub", []))
    node = Vendor(e["type"], e["required"])
    if e["type"] in LISTS:
        node.item = Vendor("Struct", fields=subs) if subs else None
        node.open = e["type"] == "Array" and not subs
    elif e["type"] == "Struct":
        node.fields = subs
        node.open = not subs
    return node


@cache
def vendor_table() -> dict[str, Any]:
    return catalog.load("aliyun", "vendor_params")


# --------------------------------------------------------------------------- the declared side


@dataclass
class Declared:
    """A declared parameter, or a group of dotted declared names (``param`` is None)."""

    param: Param | None
    fields: dict[str, Declared] = field(default_factory=dict)
    item: Declared | None = None


def declared_tree(params: tuple[Param, ...]) -> dict[str, Declared]:
    out: dict[str, Declared] = {}
    for p in params:
        head, _, rest = p.name.partition(".")
        if rest:
            group = out.setdefault(head, Declared(None))
            group.fields = _merge(group.fields, declared_tree((replace(p, name=rest),)))
            continue
        node = _declared(p)
        old = out.get(head)
        if old is not None:
            node.fields = _merge(old.fields, node.fields)
        out[head] = node
    return out


def _merge(a: dict[str, Declared], b: dict[str, Declared]) -> dict[str, Declared]:
    merged = dict(a)
    for name, node in b.items():
        if name in merged:
            node.fields = _merge(merged[name].fields, node.fields)
            node.param = node.param or merged[name].param
        merged[name] = node
    return merged


def _declared(p: Param) -> Declared:
    if p.type == STRUCT:
        return Declared(p, fields=declared_tree(p.fields))
    if p.type == LIST and p.items is not None:
        return Declared(p, item=_declared(p.items))
    return Declared(p)


def is_extension(d: Declared) -> bool:
    if d.param is None:
        return bool(d.fields) and all(is_extension(f) for f in d.fields.values())
    return d.param.doc.startswith(EXTENSION) and bool(d.param.doc[len(EXTENSION) :].strip())


# --------------------------------------------------------------------------- the comparison


@dataclass
class Findings:
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    required: list[str] = field(default_factory=list)


def compare(vendor: dict[str, Vendor], declared: dict[str, Declared]) -> Findings:
    found = Findings()
    _fields(vendor, False, declared, "", found)
    return found


def _fields(
    vendor: dict[str, Vendor],
    open_: bool,
    declared: dict[str, Declared],
    prefix: str,
    found: Findings,
) -> None:
    for name in sorted(vendor):
        v, path = vendor[name], prefix + name
        if name not in declared:
            found.missing.append(f"{path} ({v.type}{', required' if v.required else ''})")
        else:
            _node(v, declared[name], path, found)
    for name in sorted(set(declared) - set(vendor)):
        if not open_ and not is_extension(declared[name]):
            found.extra.append(prefix + name)


def _node(v: Vendor, d: Declared, path: str, found: Findings) -> None:
    p = d.param
    if p is None:  # dotted declared names: the vendor's must be a struct
        if v.type != "Struct":
            found.types.append(f"{path}: vendor {v.type}, declared as dotted names")
            return
    else:
        if p.type not in TYPES.get(v.type, frozenset()):
            found.types.append(f"{path}: vendor {v.type}, declared {p.type}")
            return
        if v.required and not p.required:
            found.required.append(path)
        if p.refused is not None:
            return
    if v.type == "Struct":
        _fields(v.fields, v.open, d.fields, path + ".", found)
    elif v.type in LISTS and v.item is not None and d.item is not None:
        _node(v.item, d.item, path + ".N", found)


@cache
def findings(product: str, action: str) -> Findings:
    op = load_all()[(PRODUCTS[product], action)]
    return compare(vendor_tree(vendor_table()[product][action]), declared_tree(op.params))


def _operations() -> list[AliyunOperation]:
    return sorted(load_all().values(), key=lambda op: (op.product, op.action))


OPS = [pytest.param(op.product, op.action, id=f"{op.product}.{op.action}") for op in _operations()]
VENDOR_OPS = [
    pytest.param(op.product, op.action, id=f"{op.product}.{op.action}")
    for op in _operations()
    if op.action in vendor_table().get(op.product, {})
]


def _report(product: str, action: str, what: str, items: list[str]) -> str:
    return f"{product} {action}: {what}:\n  " + "\n  ".join(items)


# --------------------------------------------------------------------------- the declarations


@pytest.mark.parametrize(("product", "action"), OPS)
def test_operation_is_a_vendor_operation(product: str, action: str) -> None:
    assert action in vendor_table()[product], (
        f"{product} {action}: the vendor has no such operation"
    )


@pytest.mark.parametrize(("product", "action"), VENDOR_OPS)
def test_every_vendor_parameter_is_declared(product: str, action: str) -> None:
    missing = findings(product, action).missing
    assert not missing, _report(product, action, "vendor parameters not declared", missing)


@pytest.mark.parametrize(("product", "action"), VENDOR_OPS)
def test_every_declared_parameter_is_the_vendors_or_an_extension(product: str, action: str) -> None:
    extra = findings(product, action).extra
    what = (
        f"declared but not listed by the vendor (mark an extension with doc {EXTENSION!r} + reason)"
    )
    assert not extra, _report(product, action, what, extra)


@pytest.mark.parametrize(("product", "action"), VENDOR_OPS)
def test_declared_types_agree_with_the_vendors(product: str, action: str) -> None:
    wrong = findings(product, action).types
    assert not wrong, _report(product, action, "declared types differ from the vendor's", wrong)


@pytest.mark.parametrize(("product", "action"), VENDOR_OPS)
def test_vendor_required_parameters_are_declared_required(product: str, action: str) -> None:
    optional = findings(product, action).required
    assert not optional, _report(
        product, action, "required by the vendor, declared optional", optional
    )


def test_vendor_table_carries_its_attribution() -> None:
    assert "Apache License 2.0" in vendor_table()["attribution"]


# --------------------------------------------------------------------------- the comparison itself


def _check(vendor: list[dict[str, Any]], params: list[Param]) -> Findings:
    return compare(vendor_tree(vendor), declared_tree(tuple(params)))


def _v(name: str, type_: str = "String", required: bool = False, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "required": required, **extra}


def test_flat_indexed_names_fold_into_a_list_of_structs() -> None:
    vendor = [_v("Filter.1.Key"), _v("Filter.1.Value"), _v("Filter.2.Key"), _v("Filter.2.Value")]
    item = Param("item", STRUCT, fields=(Param("Key"), Param("Value")))
    assert _check(vendor, [Param("Filter", LIST, items=item)]) == Findings()


def test_a_missing_list_field_is_named_with_its_path() -> None:
    vendor = [_v("Filter.1.Key"), _v("Filter.1.Value")]
    item = Param("item", STRUCT, fields=(Param("Key"),))
    assert _check(vendor, [Param("Filter", LIST, items=item)]).missing == [
        "Filter.N.Value (String)"
    ]


def test_a_dotted_vendor_name_may_be_declared_dotted() -> None:
    assert (
        _check([_v("CpuOptions.Core", "Integer")], [Param("CpuOptions.Core", INTEGER)])
        == Findings()
    )


def test_a_dotted_vendor_name_may_be_declared_as_a_struct_field() -> None:
    declared = Param("CpuOptions", STRUCT, fields=(Param("Core", INTEGER),))
    assert _check([_v("CpuOptions.Core", "Integer")], [declared]) == Findings()


def test_a_refused_parameter_needs_no_declared_fields() -> None:
    vendor = [_v("Tag", "RepeatList", sub=[_v("Key"), _v("Value")])]
    assert _check(vendor, [Param("Tag", LIST, refused="not yet")]) == Findings()


def test_an_undeclared_extra_parameter_is_reported() -> None:
    assert _check([_v("RegionId")], [Param("RegionId"), Param("Colour")]).extra == ["Colour"]


def test_an_extension_with_a_reason_is_accepted() -> None:
    extension = Param("Colour", doc=EXTENSION + "lets tests pick a colour.")
    assert _check([], [extension]) == Findings()


def test_an_open_vendor_struct_accepts_any_declared_field() -> None:
    declared = Param("SystemDisk", STRUCT, fields=(Param("Category"), Param("Encrypted")))
    assert _check([_v("SystemDisk", "Struct"), _v("SystemDisk.Category")], [declared]) == Findings()


def test_a_type_mismatch_is_reported() -> None:
    assert _check([_v("Amount", "Integer")], [Param("Amount")]).types == [
        "Amount: vendor Integer, declared string"
    ]


def test_a_vendor_required_parameter_declared_optional_is_reported() -> None:
    assert _check([_v("RegionId", required=True)], [Param("RegionId")]).required == ["RegionId"]
