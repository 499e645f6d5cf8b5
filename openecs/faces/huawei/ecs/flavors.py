"""ListFlavors: the flavors sold in the caller's region, in the vendor's exact shape.

The Terraform provider decodes this answer strictly (``vcpus`` and ``disk``
strings, ``ram`` an integer), so records are served as the catalog holds
them; only the per-region parts are rendered here: ``links`` and the
per-zone ``cond:operation:az``. Given an ``availability_zone``, only the
flavors orderable there (normal, obt, promotion) are listed, as the vendor
documents.
"""

from __future__ import annotations

from typing import Any

from openecs.core import catalog
from openecs.faces.call import Call
from openecs.faces.huawei.common import MARKER, limit_param, page_after, region_of
from openecs.faces.huawei.operations import ECS, HuaweiArgs, operation
from openecs.faces.params import Param


@operation(
    ECS,
    "ListFlavors",
    "GET",
    "/v1/{project_id}/cloudservers/flavors",
    query=[
        Param("availability_zone", doc="An AZ of the region: only flavors orderable there."),
        Param("flavor_id", doc="Only this flavor."),
        limit_param(default=1000, maximum=1000),
        MARKER,
    ],
)
def list_flavors(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query details about flavors and extended flavor information."""
    region, q = region_of(call), req.query
    flavors = catalog.huawei_flavors(region)
    zone = q.get("availability_zone")
    if zone is not None:
        if catalog.huawei().zone(region, zone) is None:
            ECS.params.invalid.raise_("availability_zone", zone)
        flavors = [f for f in flavors if catalog.huawei_flavor_orderable(f, region, zone)]
    if "flavor_id" in q:
        flavors = [f for f in flavors if f["id"] == q["flavor_id"]]
    page = page_after(
        flavors, q.get("marker"), q["limit"], key=lambda f: f["id"], errors=ECS.params
    )
    project_id = req.path["project_id"]
    return {"flavors": [render_flavor(f, region, project_id) for f in page]}


def render_flavor(flavor: dict[str, Any], region: str, project_id: str) -> dict[str, Any]:
    """One catalog flavor as ListFlavors shows it in ``region``."""
    out = {k: v for k, v in flavor.items() if k not in ("availability", "os_extra_specs")}
    zones = flavor["availability"].get(region, {})
    out["os_extra_specs"] = {
        **flavor["os_extra_specs"],
        "cond:operation:az": ",".join(f"{z}({status})" for z, status in zones.items()),
    }
    host = f"https://ecs.{region}.myhuaweicloud.com"
    out["links"] = [
        {"rel": "self", "href": f"{host}/v1.0/{project_id}/flavors/{flavor['id']}", "type": None},
        {"rel": "bookmark", "href": f"{host}/{project_id}/flavors/{flavor['id']}", "type": None},
    ]
    return out
