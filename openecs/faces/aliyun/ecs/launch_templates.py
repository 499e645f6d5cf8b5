"""ECS 2014-05-26 launch templates: CreateLaunchTemplate, DescribeLaunchTemplates,
ModifyLaunchTemplateDefaultVersion, DeleteLaunchTemplate, and launching from one.

Templates and their versions live in the core (:mod:`openecs.core.templates`);
this module adds the vendor's rules and spelling: ``lt-`` ids, 30 templates
per region, names that start with a letter, the template's resource group
(``TemplateResourceGroupId``) and tags (``TemplateTag.N``, the core's tags
table), ``CreatedBy`` (the account's id), ISO 8601 times. The version fields
are declared once in :mod:`.launch_template_params`; the version operations
are :mod:`.launch_template_versions`.

:func:`merge_into_run` is how RunInstances uses a template: the version's
values fill what the request leaves out, at the level of the wire's flat
parameters (a request's ``SystemDisk.Size`` replaces only that field of the
template's system disk; a request's ``DataDisk.N`` replaces the template's
list), and the merged request then passes every one of RunInstances' own
checks, so a template value OpenECS cannot honour is refused exactly as if
the request had carried it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from openecs.core import tags as core_tags
from openecs.core import templates as core
from openecs.core.ids import aliyun_id
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.ecs import launch_template_params as ltp
from openecs.faces.aliyun.operations import PRODUCTS, REGISTRY, operation
from openecs.faces.aliyun.paging import by_page_number
from openecs.faces.aliyun.vpc.vpcs import default_resource_group, iso_time, scope, tags_match
from openecs.faces.call import Call
from openecs.faces.params import INTEGER, LIST, STRUCT, Param

TAGGED = "launch_template"  # the core's resource type in the tags table
MAX_LOOKUPS = 100  # LaunchTemplateId.N / LaunchTemplateName.N of DescribeLaunchTemplates
# Version fields RunInstances has no parameter for: the vSwitch implies the VPC and the
# network type (always vpc), the image id its owner; they are kept in the version only.
NOT_FOR_RUN = frozenset({"VpcId", "NetworkType", "ImageOwnerAlias", "EnableVmOsConfig"})


def version_id() -> str:
    """A version's own id (Alibaba shows none; the core keeps one for every cloud)."""
    return uuid.uuid4().hex


def find(conn: Connection, call: Call, p: Mapping[str, Any]) -> core.Template:
    """The template a request names by LaunchTemplateId or LaunchTemplateName."""
    return core.get(
        conn,
        scope(call, p["RegionId"]),
        template_id=p.get("LaunchTemplateId"),
        name=None if p.get("LaunchTemplateId") else p.get("LaunchTemplateName"),
    )


def render_template(template: core.Template, tags: list[core_tags.Tag]) -> dict[str, Any]:
    return {
        "LaunchTemplateId": template.id,
        "LaunchTemplateName": template.name,
        "DefaultVersionNumber": template.default_version,
        "LatestVersionNumber": template.latest_version,
        "CreateTime": iso_time(template.created_at),
        "ModifiedTime": iso_time(template.updated_at),
        "CreatedBy": str(template.account_id),
        "ResourceGroupId": template.extra.get("ResourceGroupId", ""),
        "Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in tags]},
    }


@operation(
    "Ecs",
    "CreateLaunchTemplate",
    params=[
        ltp.REGION_ID,
        ltp.TEMPLATE_NAME,
        ltp.VERSION_DESCRIPTION,
        *ltp.VERSION_FIELDS,
        replace(ltp.RESOURCE_GROUP, name="TemplateResourceGroupId"),
        common.tags("TemplateTag"),
    ],
    rules=ltp.VERSION_RULES,
)
def create_launch_template(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Create a template with its version 1, the default."""
    region = p["RegionId"]
    with call.db.write() as conn:
        template = core.create(
            conn,
            scope(call, region),
            template_id=aliyun_id("lt", region),
            version_id=version_id(),
            name=p["LaunchTemplateName"],
            data=ltp.version_data(p),
            now=call.clock.now(),
            version_description=p.get("VersionDescription", ""),
            extra={
                "ResourceGroupId": p.get("TemplateResourceGroupId") or default_resource_group(call)
            },
            limit=ltp.MAX_TEMPLATES,
        )
        core_tags.set_tags(
            conn,
            call.account.id,
            TAGGED,
            template.id,
            [(t["Key"], t["Value"]) for t in common.normalized_tags(p.get("TemplateTag"))],
            limit=common.TAG_LIMIT,
            new=True,
        )
    return {"LaunchTemplateId": template.id, "LaunchTemplateVersionNumber": 1}


@operation(
    "Ecs",
    "DescribeLaunchTemplates",
    params=[
        ltp.REGION_ID,
        Param("LaunchTemplateId", LIST, items=Param("item", max_length=64), max_items=MAX_LOOKUPS),
        Param(
            "LaunchTemplateName", LIST, items=Param("item", max_length=128), max_items=MAX_LOOKUPS
        ),
        Param("TemplateResourceGroupId", max_length=64),
        common.tags("TemplateTag", too_many=common.TAGS_FILTER_COUNT),
        common.page_number(),
        common.page_size(),
    ],
)
def describe_launch_templates(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """List the region's templates, by ids or names, resource group and tags; paged."""
    wanted_tags = common.normalized_tags(p.get("TemplateTag"))
    with call.db.read() as conn:
        templates = core.list_(
            conn,
            scope(call, p["RegionId"]),
            ids=p.get("LaunchTemplateId"),
            names=p.get("LaunchTemplateName"),
        )
        tags = core_tags.tags_of(conn, [t.id for t in templates])
    templates = [
        t
        for t in templates
        if p.get("TemplateResourceGroupId", t.extra.get("ResourceGroupId"))
        == t.extra.get("ResourceGroupId")
        and tags_match(dict(tags[t.id]), wanted_tags)
    ]
    page = by_page_number(templates, p["PageNumber"], p["PageSize"])
    return {
        "LaunchTemplateSets": {
            "LaunchTemplateSet": [render_template(t, tags[t.id]) for t in page.items]
        },
        **page.fields(),
    }


TEMPLATE_PARAMS = [ltp.REGION_ID, ltp.TEMPLATE_ID, ltp.TEMPLATE_NAME_LOOKUP]


@operation(
    "Ecs",
    "ModifyLaunchTemplateDefaultVersion",
    params=[
        *TEMPLATE_PARAMS,
        Param("DefaultVersionNumber", INTEGER, required=True, minimum=1, maximum=2**31 - 1),
    ],
    rules=[ltp.ONE_TEMPLATE],
)
def modify_default_version(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Make an existing version the template's default."""
    with call.db.write() as conn:
        template = find(conn, call, p)
        core.set_default(
            conn,
            scope(call, p["RegionId"]),
            template.id,
            p["DefaultVersionNumber"],
            now=call.clock.now(),
        )
    return {"LaunchTemplateId": template.id}


@operation("Ecs", "DeleteLaunchTemplate", params=TEMPLATE_PARAMS, rules=[ltp.ONE_TEMPLATE])
def delete_launch_template(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Delete a template, every version of it and its tags."""
    with call.db.write() as conn:
        template = find(conn, call, p)
        numbers = core.delete_(conn, scope(call, p["RegionId"]), template.id)
        core_tags.remove_tags(conn, template.id)
    return {
        "LaunchTemplateId": template.id,
        "LaunchTemplateVersionNumbers": {"versionNumbers": numbers},
    }


# -- launching from a template


def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Typed parameter values back into the wire's flat text form (``DataDisk.1.Size``)."""
    out: dict[str, str] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, list):
            out.update(flatten({str(i): v for i, v in enumerate(value, 1)}, name + "."))
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif value is not None:
            out[name] = str(value)
    return out


def _declared(params: tuple[Param, ...]) -> dict[str, Param]:
    return {p.name: p for p in params}


def merge_into_run(
    conn: Connection, call: Call, p: dict[str, Any], action: str = "RunInstances"
) -> dict[str, Any]:
    """``p`` with the named template version's values filling what the request left out,
    checked again by ``action``'s declarations. Without a template, ``p`` itself."""
    if not (p.get("LaunchTemplateId") or p.get("LaunchTemplateName")):
        if "LaunchTemplateVersion" in p:  # a version of no template: say which is missing
            raise E.vendor(ltp.TEMPLATE_MISSING)
        return p
    op = REGISTRY[(PRODUCTS["Ecs"], action)]
    template = find(conn, call, p)
    number = p.get("LaunchTemplateVersion") or template.default_version
    version = core.get_version(conn, template, number)
    given: dict[str, str] = call.extra.get("params", flatten(p))
    declared = _declared(op.params)
    merged = dict(given)
    for name, value in version.data.items():
        if name in NOT_FOR_RUN or name not in declared:
            continue
        mine = {k: v for k, v in given.items() if k == name or k.startswith(name + ".")}
        if declared[name].type == STRUCT:  # field by field: the request's fields win
            for key, text in flatten({name: value}).items():
                merged.setdefault(key, text)
        elif not mine:
            merged.update(flatten({name: value}))
    merged["LaunchTemplateId"] = template.id
    merged.pop("LaunchTemplateName", None)
    return op.checker.check_flat(merged)
