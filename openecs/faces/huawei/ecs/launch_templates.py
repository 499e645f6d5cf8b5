"""Huawei ECS launch templates (v3): templates and their versions.

``POST /v3/{project_id}/launch-templates`` is seed 001: ``launch_template.name``
is required, ``template_data`` (tables 4 to 16) is kept and answered as given,
and, as the seed says, nothing it names (flavor, image, subnet, security group)
is checked for existence. ``dry_run`` checks the request and answers 202,
creating nothing. Version 1 is created with the template and is its default.
Templates and versions live in the cloud-neutral core
(:mod:`openecs.core.templates`); names are unique in a project, every
version has a UUID ``version_id``.

Also: listing templates (``launch_template_id`` and ``name`` repeated,
``limit``/``marker`` paging with ``page_info.next_marker``), adding a version
to a template (``POST /v3/{project_id}/launch-template-versions``), listing
versions (by template, ``version`` repeated, ``image_id`` (a block device
mapping's image source), ``flavor_id``; paged by ``version_id``), and deleting
a template (with every version) or one version (never the default). Listing
versions of a template that does not exist answers an empty list, which is
how Terraform's huaweicloud_compute_template learns that it is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openecs.core import templates as core
from openecs.core.ids import huawei_id
from openecs.faces.call import Call
from openecs.faces.huawei import errors as E
from openecs.faces.huawei.common import MARKER, limit_param, page_after
from openecs.faces.huawei.operations import ECS, HuaweiArgs, operation
from openecs.faces.huawei.vpc.vpcs import scope_of, timestamp
from openecs.faces.params import ANY, BOOLEAN, FLOAT, INTEGER, LIST, STRUCT, ErrorSpec, Param

TEMPLATES = "/v3/{project_id}/launch-templates"
VERSIONS = "/v3/{project_id}/launch-template-versions"
MAX_LIMIT = 100  # "A maximum of 100 templates can be returned"
VERSION_NOT_FOUND = ErrorSpec("Ecs.0005", "launch template version [{id}] is not found.", 404)


def _strings(name: str) -> Param:
    return Param(name, LIST, items=Param("item", max_length=255))


def _check_metadata(value: Any) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        ECS.params.invalid.raise_("template_data.metadata", value)


_ATTACHMENT_NIC = Param("attachment", STRUCT, fields=(Param("device_index", INTEGER),))
_ATTACHMENT_DISK = Param(
    "attachment",
    STRUCT,
    fields=(Param("boot_index", INTEGER), Param("delete_on_termination", BOOLEAN)),
)
# Tables 4 to 16 of seed 001: every field typed as the seed says, kept as given.
TEMPLATE_DATA = Param(
    "template_data",
    STRUCT,
    fields=(
        Param("flavor_id", max_length=255),
        Param("name", max_length=255),
        Param("description", max_length=1024),
        Param("availability_zone_id", max_length=255),
        Param("enterprise_project_id", max_length=255),
        Param("auto_recovery", BOOLEAN),
        Param(
            "os_profile",
            STRUCT,
            fields=(
                Param("key_name", max_length=255),
                Param("user_data", max_length=65536),
                Param("iam_agency_name", max_length=255),
                Param("enable_monitoring_service", BOOLEAN),
            ),
        ),
        _strings("security_group_ids"),
        Param(
            "network_interfaces",
            LIST,
            items=Param(
                "item",
                STRUCT,
                fields=(Param("virsubnet_id", max_length=255), _ATTACHMENT_NIC),
            ),
        ),
        Param(
            "block_device_mappings",
            LIST,
            items=Param(
                "item",
                STRUCT,
                fields=(
                    Param("source_id", max_length=255),
                    Param("source_type", max_length=255),
                    Param("encrypted", BOOLEAN),
                    Param("cmk_id", max_length=255),
                    Param("volume_type", max_length=255),
                    Param("volume_size", INTEGER),
                    _ATTACHMENT_DISK,
                ),
            ),
        ),
        Param(
            "market_options",
            STRUCT,
            fields=(
                Param("market_type", max_length=255),
                Param(
                    "spot_options",
                    STRUCT,
                    fields=(
                        Param("spot_price", FLOAT),
                        Param("block_duration_minutes", INTEGER),
                        Param("instance_interruption_behavior", max_length=255),
                    ),
                ),
            ),
        ),
        Param(
            "internet_access",
            STRUCT,
            fields=(
                Param(
                    "publicip",
                    STRUCT,
                    fields=(
                        Param("publicip_type", max_length=255),
                        Param("charging_mode", max_length=255),
                        Param(
                            "bandwidth",
                            STRUCT,
                            fields=(
                                Param("share_type", max_length=255),
                                Param("size", INTEGER),
                                Param("charge_mode", max_length=255),
                                Param("id", max_length=255),
                            ),
                        ),
                        Param("delete_on_termination", BOOLEAN),
                    ),
                ),
            ),
        ),
        Param("metadata", ANY, check=_check_metadata, doc="A map of strings to strings."),
        Param(
            "tag_options",
            LIST,
            items=Param(
                "item",
                STRUCT,
                fields=(
                    Param(
                        "tags",
                        LIST,
                        items=Param(
                            "item",
                            STRUCT,
                            fields=(
                                Param("key", max_length=255),
                                Param("value", max_length=255),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    ),
)
VERSION_DESCRIPTION = Param("version_description", max_length=1024)
DRY_RUN = Param("dry_run", BOOLEAN, default=False, doc="true: check only, answer 202.")


def declared_only(params: Iterable[Param], value: dict[str, Any]) -> dict[str, Any]:
    """The declared fields of a checked object, nested: what a version keeps."""
    out: dict[str, Any] = {}
    for p in params:
        if p.name not in value:
            continue
        v = value[p.name]
        if p.type == STRUCT and isinstance(v, dict):
            v = declared_only(p.fields, v)
        elif p.type == LIST and p.items is not None and p.items.type == STRUCT:
            v = [declared_only(p.items.fields, item) for item in v]
        out[p.name] = v
    return out


def _data(body: dict[str, Any]) -> dict[str, Any]:
    return declared_only(TEMPLATE_DATA.fields, body.get("template_data") or {})


@operation(
    ECS,
    "CreateLaunchTemplate",
    "POST",
    TEMPLATES,
    body=[
        Param(
            "launch_template",
            STRUCT,
            required=True,
            fields=(
                Param("name", required=True, min_length=1, max_length=255),
                Param("description", max_length=1024),
                VERSION_DESCRIPTION,
                TEMPLATE_DATA,
            ),
        ),
        DRY_RUN,
    ],
)
def create_launch_template(call: Call, req: HuaweiArgs) -> Any:
    """Create a template and its version 1 (the default); ``dry_run`` answers 202."""
    body = req.body["launch_template"]
    with call.db.write() as conn:
        with conn.begin_nested() as trial:
            template = core.create(
                conn,
                scope_of(call),
                template_id=huawei_id(),
                version_id=huawei_id(),
                name=body["name"],
                data=_data(body),
                now=call.clock.now(),
                description=body.get("description", ""),
                version_description=body.get("version_description", ""),
            )
            if req.body["dry_run"]:
                trial.rollback()
                return 202, None
    return {"launch_template_id": template.id}


def _render_template(t: core.Template) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "created_at": timestamp(t.created_at),
        "updated_at": timestamp(t.updated_at),
        "default_version": t.default_version,
        "latest_version": t.latest_version,
    }


def _page_info(items: list[Any], page: list[Any], key: Any) -> dict[str, Any]:
    """``next_marker`` when records follow the page."""
    if page and items and key(page[-1]) != key(items[-1]):
        return {"next_marker": key(page[-1])}
    return {}


def _split(values: list[str] | None) -> list[str] | None:
    """Repeated values, each possibly comma-separated (``a,b``), as one list."""
    if values is None:
        return None
    return [v for value in values for v in value.split(",") if v]


@operation(
    ECS,
    "ListTemplates",
    "GET",
    TEMPLATES,
    query=[
        _strings("launch_template_id"),
        _strings("name"),
        limit_param(default=MAX_LIMIT, maximum=MAX_LIMIT),
        MARKER,
    ],
)
def list_templates(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """The project's templates, by ids and names, oldest first, paged by id."""
    with call.db.read() as conn:
        templates = core.list_(
            conn,
            scope_of(call),
            ids=_split(req.query.get("launch_template_id")),
            names=_split(req.query.get("name")),
        )
    page = page_after(
        templates,
        req.query.get("marker"),
        req.query["limit"],
        key=lambda t: t.id,
        errors=ECS.params,
    )
    return {
        "launch_templates": [_render_template(t) for t in page],
        "page_info": _page_info(templates, page, lambda t: t.id),
    }


@operation(
    ECS,
    "CreateLaunchTemplateVersion",
    "POST",
    VERSIONS,
    body=[
        Param("launch_template_id", required=True, max_length=64),
        VERSION_DESCRIPTION,
        TEMPLATE_DATA,
        DRY_RUN,
    ],
)
def create_launch_template_version(call: Call, req: HuaweiArgs) -> Any:
    """Add the next version to a template; ``dry_run`` answers 202."""
    with call.db.write() as conn:
        with conn.begin_nested() as trial:
            version = core.add_version(
                conn,
                scope_of(call),
                req.body["launch_template_id"],
                version_id=huawei_id(),
                data=_data(req.body),
                now=call.clock.now(),
                description=req.body.get("version_description", ""),
            )
            if req.body["dry_run"]:
                trial.rollback()
                return 202, None
    return {
        "launch_template_id": version.template_id,
        "version_id": version.id,
        "version_number": version.number,
    }


def _render_version(v: core.Version) -> dict[str, Any]:
    return {
        "template_data": v.data,
        "version_number": v.number,
        "version_id": v.id,
        "version_description": v.description,
        "created_at": timestamp(v.created_at),
        "launch_template_id": v.template_id,
    }


def _boots_image(data: dict[str, Any], image_id: str) -> bool:
    return any(
        m.get("source_type") == "image" and m.get("source_id") == image_id
        for m in data.get("block_device_mappings") or []
    )


@operation(
    ECS,
    "ListLaunchTemplateVersions",
    "GET",
    VERSIONS,
    query=[
        Param("launch_template_id", max_length=64),
        Param("version", LIST, items=Param("item", max_length=64)),
        Param("image_id", max_length=255),
        Param("flavor_id", max_length=255),
        limit_param(default=MAX_LIMIT, maximum=MAX_LIMIT),
        MARKER,
    ],
)
def list_launch_template_versions(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Versions of the project's templates (of one template when named), filtered, paged."""
    q = req.query
    numbers = _split(q.get("version"))
    if numbers is not None and not all(n.isdigit() for n in numbers):
        ECS.params.invalid.raise_("version", q.get("version"))
    with call.db.read() as conn:
        templates = core.list_(
            conn,
            scope_of(call),
            ids=[q["launch_template_id"]] if "launch_template_id" in q else None,
        )
        versions = core.versions_of(
            conn,
            [t.id for t in templates],
            numbers=None if numbers is None else [int(n) for n in numbers],
        )
    order = {t.id: i for i, t in enumerate(templates)}
    versions = sorted(
        (
            v
            for v in versions
            if q.get("flavor_id", v.data.get("flavor_id")) == v.data.get("flavor_id")
            and ("image_id" not in q or _boots_image(v.data, q["image_id"]))
        ),
        key=lambda v: (order[v.template_id], v.number),
    )
    page = page_after(versions, q.get("marker"), q["limit"], key=lambda v: v.id, errors=ECS.params)
    return {
        "launch_template_versions": [_render_version(v) for v in page],
        "page_info": _page_info(versions, page, lambda v: v.id),
    }


@operation(ECS, "DeleteLaunchTemplates", "DELETE", TEMPLATES + "/{launch_template_id}", status=204)
def delete_launch_template(call: Call, req: HuaweiArgs) -> tuple[int, None]:
    """Delete a template and every version of it."""
    with call.db.write() as conn:
        core.delete_(conn, scope_of(call), req.path["launch_template_id"])
    return 204, None


@operation(
    ECS,
    "DeleteLaunchTemplateVersion",
    "DELETE",
    VERSIONS + "/{launch_template_version_id}",
    status=204,
)
def delete_launch_template_version(call: Call, req: HuaweiArgs) -> tuple[int, None]:
    """Delete one version (by its version_id); the default version is refused."""
    wanted = req.path["launch_template_version_id"]
    with call.db.write() as conn:
        where = scope_of(call)
        templates = core.list_(conn, where)
        found = [v for v in core.versions_of(conn, [t.id for t in templates]) if v.id == wanted]
        if not found:
            raise E.vendor(VERSION_NOT_FOUND, id=wanted)
        core.delete_versions(conn, where, found[0].template_id, [found[0].number], call.clock.now())
    return 204, None
