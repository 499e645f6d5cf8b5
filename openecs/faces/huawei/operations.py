"""The registry of Huawei operations: each declared once with its route and parameters.

An operation module declares itself with :func:`operation`::

    @operation(ECS, "ListFlavors", "GET", "/v1/{project_id}/cloudservers/flavors",
               query=[Param("availability_zone")])
    def list_flavors(call: Call, req: HuaweiArgs) -> dict: ...

``query`` parameters arrive as text (repeated keys make a list), ``body``
parameters as JSON. The handler returns the response body, or a
``(status, body)`` pair when the operation answers more than one status.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from openecs.faces.call import Call
from openecs.faces.huawei import errors as E
from openecs.faces.params import Checker, ErrorDefaults, Param, Rule


@dataclass(frozen=True)
class Service:
    """A Huawei service: its name, its parameter error code and its error body shape."""

    name: str
    params: ErrorDefaults
    shape: E.Shape
    # Whether the path carries the project id as its second segment.
    project_in_path: bool = True


ECS = Service("ecs", E.ECS_PARAMS, E.ecs_shape)
# EVS answers Cinder's badRequest as EVS.5400 (EVS.2001 is its 500 "Failed to submit the task").
EVS = Service("evs", E.param_defaults("EVS.5400"), E.ecs_shape)
VPC = Service("vpc", E.VPC_PARAMS, E.vpc_v1_shape)
VPC_SUBNETS = Service("vpc", E.SUBNET_PARAMS, E.vpc_v1_shape)
VPC3 = Service("vpc", E.VPC_PARAMS, E.gateway_shape)
IMS = Service("ims", E.IMS_PARAMS, E.ecs_shape, project_in_path=False)
IAM = Service("iam", E.IAM_PARAMS, E.gateway_shape, project_in_path=False)


@dataclass
class HuaweiArgs:
    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call, HuaweiArgs], "dict[str, Any] | tuple[int, dict[str, Any]]"]


@dataclass(frozen=True)
class HuaweiOperation:
    service: Service
    name: str
    method: str
    path: str
    query: tuple[Param, ...]
    body: tuple[Param, ...]
    rules: tuple[Rule, ...]
    handler: Handler
    status: int
    query_checker: Checker
    body_checker: Checker
    doc: str


REGISTRY: list[HuaweiOperation] = []


def operation(
    service: Service,
    name: str,
    method: str,
    path: str,
    *,
    query: Iterable[Param] = (),
    body: Iterable[Param] = (),
    rules: Iterable[Rule] = (),
    status: int = 200,
    doc: str = "",
) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if any(op.method == method and op.path == path for op in REGISTRY):
            raise ValueError(f"{method} {path} declared twice")
        q, b, r = tuple(query), tuple(body), tuple(rules)
        REGISTRY.append(
            HuaweiOperation(
                service=service,
                name=name,
                method=method,
                path=path,
                query=q,
                body=b,
                rules=r,
                handler=fn,
                status=status,
                query_checker=Checker(q, defaults=service.params, mode="text"),
                body_checker=Checker(b, r, defaults=service.params, mode="json"),
                doc=doc or (fn.__doc__ or "").strip().split("\n")[0],
            )
        )
        return fn

    return register


def load_all() -> list[HuaweiOperation]:
    """Import every operation module of every service package so that each registers."""
    from openecs.faces.huawei import ecs, evs, iam, ims, vpc

    for pkg in (ecs, vpc, ims, iam, evs):
        for info in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + "."):
            importlib.import_module(info.name)
    return REGISTRY
