"""ECS 2014-05-26 launch template versions: CreateLaunchTemplateVersion (seed 000),
DescribeLaunchTemplateVersions and DeleteLaunchTemplateVersion.

A version is written once with the fields of :mod:`.launch_template_params`
and numbered by the core; a template has at most 30
(``LaunchTemplateVersionLimitExceed``, 403). DescribeLaunchTemplateVersions
answers the vendor's shape (``LaunchTemplateVersionSets.LaunchTemplateVersionSet[]``
with ``LaunchTemplateData``: ``DataDisks.DataDisk[]``,
``NetworkInterfaces.NetworkInterface[]``, ``Tags.InstanceTag[{Key, Value}]``,
``SecurityGroupIds.SecurityGroupId[]``). The system disk is answered twice:
as the ``SystemDisk`` object the Tea SDK model reads, and as the flat
``SystemDisk.Category``-style keys the API has always answered and the
Terraform provider reads.
"""

from __future__ import annotations

from typing import Any

from openecs.core import templates as core
from openecs.faces.aliyun import common
from openecs.faces.aliyun.ecs import launch_template_params as ltp
from openecs.faces.aliyun.ecs.launch_templates import TEMPLATE_PARAMS, find, version_id
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.paging import by_page_number
from openecs.faces.aliyun.vpc.vpcs import iso_time, scope
from openecs.faces.call import Call
from openecs.faces.params import BOOLEAN, INTEGER, Param


@operation(
    "Ecs",
    "CreateLaunchTemplateVersion",
    params=[*TEMPLATE_PARAMS, ltp.VERSION_DESCRIPTION, *ltp.VERSION_FIELDS],
    rules=[ltp.ONE_TEMPLATE, *ltp.VERSION_RULES],
)
def create_launch_template_version(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Add the template's next version (at most 30 versions)."""
    with call.db.write() as conn:
        template = find(conn, call, p)
        version = core.add_version(
            conn,
            scope(call, p["RegionId"]),
            template.id,
            version_id=version_id(),
            data=ltp.version_data(p),
            now=call.clock.now(),
            description=p.get("VersionDescription", ""),
            max_versions=ltp.MAX_VERSIONS,
            read=template,
        )
    return {"LaunchTemplateId": template.id, "LaunchTemplateVersionNumber": version.number}


def _long(name: str) -> Param:
    return Param(name, INTEGER, minimum=1, maximum=2**63 - 1)


@operation(
    "Ecs",
    "DescribeLaunchTemplateVersions",
    params=[
        *TEMPLATE_PARAMS,
        ltp.version_numbers("LaunchTemplateVersion"),
        _long("MinVersion"),
        _long("MaxVersion"),
        Param("DefaultVersion", BOOLEAN, doc="true: only the default version."),
        Param("DetailFlag", BOOLEAN, default=True, doc="false: no LaunchTemplateData."),
        common.page_number(),
        common.page_size(),
    ],
    rules=[ltp.ONE_TEMPLATE],
)
def describe_launch_template_versions(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """A template's versions: by numbers, a number range or the default; paged."""
    with call.db.read() as conn:
        template = find(conn, call, p)
        versions = core.versions_of(conn, [template.id], numbers=p.get("LaunchTemplateVersion"))
    lo, hi = p.get("MinVersion", 1), p.get("MaxVersion", 2**63 - 1)
    versions = [
        v
        for v in versions
        if lo <= v.number <= hi
        and (p.get("DefaultVersion") is None or p["DefaultVersion"] == _is_default(template, v))
    ]
    page = by_page_number(versions, p["PageNumber"], p["PageSize"])
    return {
        "LaunchTemplateVersionSets": {
            "LaunchTemplateVersionSet": [_render(template, v, p["DetailFlag"]) for v in page.items]
        },
        **page.fields(),
    }


def _is_default(template: core.Template, version: core.Version) -> bool:
    return version.number == template.default_version


def _render(template: core.Template, version: core.Version, detail: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "LaunchTemplateId": template.id,
        "LaunchTemplateName": template.name,
        "VersionNumber": version.number,
        "VersionDescription": version.description,
        "DefaultVersion": _is_default(template, version),
        "CreateTime": iso_time(version.created_at),
        "ModifiedTime": iso_time(version.created_at),
        "CreatedBy": str(template.account_id),
    }
    if detail:
        out["LaunchTemplateData"] = launch_template_data(version.data)
    return out


def launch_template_data(data: dict[str, Any]) -> dict[str, Any]:
    """A version's fields in DescribeLaunchTemplateVersions' shape."""
    out: dict[str, Any] = {
        k: v
        for k, v in data.items()
        if k not in ("SystemDisk", "DataDisk", "NetworkInterface", "Tag", "SecurityGroupIds")
    }
    system = data.get("SystemDisk") or {}
    out["SystemDisk"] = dict(system)
    out.update({f"SystemDisk.{k}": v for k, v in system.items()})
    out["DataDisks"] = {"DataDisk": list(data.get("DataDisk") or [])}
    out["NetworkInterfaces"] = {
        "NetworkInterface": [
            {**n, "SecurityGroupIds": {"SecurityGroupId": list(n.get("SecurityGroupIds") or [])}}
            for n in data.get("NetworkInterface") or []
        ]
    }
    out["Tags"] = {
        "InstanceTag": [
            {"Key": t["Key"], "Value": t["Value"]} for t in common.normalized_tags(data.get("Tag"))
        ]
    }
    out["SecurityGroupIds"] = {"SecurityGroupId": list(data.get("SecurityGroupIds") or [])}
    return out


@operation(
    "Ecs",
    "DeleteLaunchTemplateVersion",
    params=[
        *TEMPLATE_PARAMS,
        ltp.version_numbers("DeleteVersion", required=True, max_items=ltp.MAX_DELETE_VERSIONS),
    ],
    rules=[ltp.ONE_TEMPLATE],
)
def delete_launch_template_version(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Delete versions of a template, all or none; never its default version."""
    numbers = sorted(set(p["DeleteVersion"]))
    with call.db.write() as conn:
        template = find(conn, call, p)
        core.delete_versions(
            conn, scope(call, p["RegionId"]), template.id, numbers, now=call.clock.now()
        )
    return {
        "LaunchTemplateVersions": {
            "LaunchTemplateVersion": [
                {"LaunchTemplateId": template.id, "LaunchTemplateVersionNumber": n} for n in numbers
            ]
        }
    }
