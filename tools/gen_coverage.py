"""Write docs/coverage.md from the operation declarations, so the documentation cannot drift from the checks.

Each face's registry already holds, as data, every implemented operation with
its parameters (type, required, limits, refusals) and cross-parameter rules;
this tool renders them as Markdown. For Alibaba it also counts the vendor's
ECS and VPC operations implemented, out of all the vendor lists in
``openecs/data/aliyun/vendor_params.json``, and lists the parameters that the
implemented operations refuse. Output is deterministic (sorted), and
``tests/test_coverage_doc.py`` fails when the file is stale.

Run: ``python tools/gen_coverage.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from openecs.core import catalog  # noqa: E402
from openecs.faces.aliyun import operations as aliyun  # noqa: E402
from openecs.faces.huawei import operations as huawei  # noqa: E402
from openecs.faces.params import JSON, LIST, STRUCT, Param, Rule  # noqa: E402

OUT = ROOT / "docs" / "coverage.md"
HEADER = "| Parameter | Type | Required | Constraints |\n| --- | --- | --- | --- |"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell (GFM reads ``\\|`` as a pipe, even in code spans)."""
    return text.replace("|", "\\|").replace("\n", " ")


def _type(p: Param) -> str:
    if p.type == LIST and p.items is not None:
        return f"list of {p.items.type}"
    if p.type == JSON and p.items is not None:  # a JSON array in one string: InstanceIds='["i-1"]'
        return f"JSON list of {p.items.type}"
    return p.type


def rows(
    params: Iterable[Param], prefix: str = "", item_mark: str = ".N"
) -> Iterator[tuple[str, Param]]:
    """Every parameter with its full path, nested fields and list items included, sorted by name."""
    for p in sorted(params, key=lambda p: p.name):
        path = prefix + p.name
        yield path, p
        if p.refused is not None:
            continue
        if p.type == STRUCT:
            yield from rows(p.fields, path + ".", item_mark)
        elif p.type in (LIST, JSON) and p.items is not None:
            item = p.items
            if item.type == STRUCT:
                yield from rows(item.fields, path + item_mark + ".", item_mark)
            elif item.constraints():
                yield path + item_mark, item


def param_table(params: Iterable[Param], item_mark: str = ".N") -> list[str]:
    params = tuple(params)
    if not params:
        return ["No parameters."]
    lines = [HEADER]
    for path, p in rows(params, item_mark=item_mark):
        required = "yes" if p.required else ""
        lines.append(f"| `{path}` | {_type(p)} | {required} | {_cell(p.constraints())} |")
    return lines


def rule_lines(rules: Iterable[Rule]) -> list[str]:
    described = [r.describe() for r in rules]
    if not described:
        return []
    return ["", "Rules:", ""] + [f"- {_cell(text)}" for text in described]


def refused(params: Iterable[Param], item_mark: str = ".N") -> list[tuple[str, str]]:
    return [
        (path, p.refused) for path, p in rows(params, item_mark=item_mark) if p.refused is not None
    ]


# --------------------------------------------------------------------------- Alibaba


def aliyun_section() -> list[str]:
    ops = sorted(aliyun.load_all().values(), key=lambda op: (op.product, op.action))
    vendor = catalog.load("aliyun", "vendor_params")
    out = ["## Alibaba Cloud (RPC API)", ""]
    out += ["| Product | Version | Vendor operations implemented |", "| --- | --- | --- |"]
    for product, version in sorted(aliyun.PRODUCTS.items()):
        listed = vendor.get(product, {})
        done = sum(1 for op in ops if op.product == product and op.action in listed)
        out.append(f"| {product} | {version} | {done} of {len(listed)} |")
    out += ["", f"Vendor operation list: {vendor['source']}."]
    unknown = [
        f"{op.product} {op.action}" for op in ops if op.action not in vendor.get(op.product, {})
    ]
    if unknown:
        out += ["", "Implemented but not in the vendor's list: " + ", ".join(unknown) + "."]
    for product in sorted(aliyun.PRODUCTS):
        mine = [op for op in ops if op.product == product]
        if not mine:
            continue
        out += ["", f"### {product} {aliyun.PRODUCTS[product]}"]
        for op in mine:
            out += ["", f"#### {op.action}", ""]
            if op.doc:
                out += [_cell(op.doc), ""]
            out += param_table(op.params)
            out += rule_lines(op.rules)
    out += ["", "### Refused parameters of implemented operations", ""]
    refusals = [
        (op.product, op.action, path, why) for op in ops for path, why in refused(op.params)
    ]
    if refusals:
        out += ["| Product | Action | Parameter | Why |", "| --- | --- | --- | --- |"]
        out += [
            f"| {pr} | {a} | `{path}` | {_cell(why)} |" for pr, a, path, why in sorted(refusals)
        ]
    else:
        out.append("None.")
    return out


# --------------------------------------------------------------------------- Huawei


def huawei_section() -> list[str]:
    ops = sorted(huawei.load_all(), key=lambda op: (op.service.name, op.name, op.path, op.method))
    out = ["## Huawei Cloud (REST API)", ""]
    out += ["| Service | Operations implemented |", "| --- | --- |"]
    services = sorted({op.service.name for op in ops})
    for service in services:
        out.append(f"| {service} | {sum(1 for op in ops if op.service.name == service)} |")
    for service in services:
        out += ["", f"### {service}"]
        for op in (op for op in ops if op.service.name == service):
            out += ["", f"#### {op.name}: `{op.method} {op.path}`", ""]
            if op.doc:
                out += [_cell(op.doc), ""]
            if op.query:
                out += ["Query:", ""] + param_table(op.query) + [""]
            if op.body:
                out += ["Body:", ""] + param_table(op.body, item_mark="[]") + [""]
            if not op.query and not op.body:
                out += param_table(()) + [""]
            if out[-1] == "":  # each block above ends with a blank line; rules bring their own
                out.pop()
            out += rule_lines(op.rules)
    return out


def render() -> str:
    """The whole document, as the declarations say now."""
    lines = [
        "# API coverage",
        "",
        "Generated by `python tools/gen_coverage.py` from the operation declarations; do not edit.",
        "Each parameter's row says what OpenECS checks; a refused parameter is answered with the",
        "vendor's error rather than silently ignored.",
        "",
    ]
    lines += aliyun_section()
    lines += [""]
    lines += huawei_section()
    return "\n".join(lines) + "\n"


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(render(), "utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
