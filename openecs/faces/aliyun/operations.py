"""The registry of Alibaba operations: each declared once, with its parameters as data.

An operation module declares itself with :func:`operation`::

    @operation("Ecs", "DescribeRegions", params=[REGION_ID_OPTIONAL, ...])
    def describe_regions(call: Call, p: dict) -> dict: ...

The handler receives checked, typed values keyed by the declared names and
returns the response body without ``RequestId`` (the protocol adds it).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from openecs.faces.aliyun import errors as aliyun_errors
from openecs.faces.call import Call
from openecs.faces.params import Checker, Param, Rule

PRODUCTS: dict[str, str] = {"Ecs": "2014-05-26", "Vpc": "2016-04-28"}
VERSIONS: dict[str, str] = {v: k for k, v in PRODUCTS.items()}

Handler = Callable[[Call, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class AliyunOperation:
    product: str
    action: str
    params: tuple[Param, ...]
    rules: tuple[Rule, ...]
    handler: Handler
    checker: Checker
    doc: str

    @property
    def version(self) -> str:
        return PRODUCTS[self.product]


REGISTRY: dict[tuple[str, str], AliyunOperation] = {}


def operation(
    product: str,
    action: str,
    *,
    params: Iterable[Param] = (),
    rules: Iterable[Rule] = (),
    doc: str = "",
) -> Callable[[Handler], Handler]:
    if product not in PRODUCTS:
        raise ValueError(f"unknown Alibaba product {product!r}")

    def register(fn: Handler) -> Handler:
        key = (PRODUCTS[product], action)
        if key in REGISTRY:
            raise ValueError(f"{product} {action} declared twice")
        declared = tuple(params)
        REGISTRY[key] = AliyunOperation(
            product=product,
            action=action,
            params=declared,
            rules=tuple(rules),
            handler=fn,
            checker=Checker(declared, rules, defaults=aliyun_errors.PARAM_DEFAULTS, mode="text"),
            doc=doc or (fn.__doc__ or "").strip().split("\n")[0],
        )
        return fn

    return register


def load_all() -> dict[tuple[str, str], AliyunOperation]:
    """Import every operation module under ``ecs/`` and ``vpc/`` so that each registers."""
    from openecs.faces.aliyun import ecs, vpc

    for pkg in (ecs, vpc):
        for info in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + "."):
            importlib.import_module(info.name)
    return REGISTRY
