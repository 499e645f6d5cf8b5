"""IAM's project lookup, so that an SDK configured by region finds its project id."""

from __future__ import annotations

from typing import Any

from openecs.core import catalog
from openecs.faces.call import Call
from openecs.faces.huawei.operations import IAM, HuaweiArgs, operation
from openecs.faces.params import BOOLEAN, Param


@operation(
    IAM,
    "KeystoneListProjects",
    "GET",
    "/v3/projects",
    query=[
        Param("name", doc="A region name: the project of that region."),
        Param("domain_id"),
        Param("enabled", BOOLEAN),
        Param("is_domain", BOOLEAN),
        Param("parent_id"),
    ],
)
def list_projects(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """The caller's projects, one per Huawei region, filtered like IAM filters them."""
    domain_id = f"{call.account.id:032x}"
    q = req.query
    projects = [
        {
            "id": pid,
            "name": region,
            "description": catalog.huawei().region(region)["name"],  # type: ignore[index]
            "domain_id": domain_id,
            "parent_id": domain_id,
            "enabled": True,
            "is_domain": False,
            "links": {"self": f"/v3/projects/{pid}"},
        }
        for region, pid in call.account.huawei_project_ids.items()
        if catalog.huawei().region(region) is not None
    ]
    if "name" in q:
        projects = [p for p in projects if p["name"] == q["name"]]
    if "domain_id" in q:
        projects = [p for p in projects if p["domain_id"] == q["domain_id"]]
    if "parent_id" in q:
        projects = [p for p in projects if p["parent_id"] == q["parent_id"]]
    if q.get("enabled") is False or q.get("is_domain") is True:
        projects = []
    return {"projects": projects, "links": {"self": "/v3/projects", "previous": None, "next": None}}
