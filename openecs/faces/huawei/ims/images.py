"""IMS ListImages (GET /v2/cloudimages): the public images, filtered, sorted and paged.

Every query parameter the SDK's ListImagesRequest can send is declared and
honoured. Attribute filters match exactly (an image without the attribute
does not match); ``__support_*=false`` matches images that lack the flag;
``flavor_id`` keeps the images that boot on that flavor (same CPU
architecture, enough RAM); ``created_at``/``updated_at`` take the vendor's
``operator:time`` form. Pages follow ``marker`` in the requested order, so
paging ends with an empty page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from openecs.core import catalog
from openecs.faces.call import Call
from openecs.faces.huawei.common import MARKER, limit_param, page_after, region_of
from openecs.faces.huawei.operations import IMS, HuaweiArgs, operation
from openecs.faces.params import BOOLEAN, INTEGER, ErrorSpec, Param

IMAGETYPE_INVALID = ErrorSpec("IMG.0024", "The imagetype is invalid.")
TRUE_FALSE = ("true", "false")
PLATFORMS = (
    "Windows", "Ubuntu", "RedHat", "SUSE", "CentOS", "Debian", "OpenSUSE", "Oracle Linux", "Fedora",
    "Other", "CoreOS", "EulerOS", "Huawei Cloud EulerOS", "openEuler", "CentOS Stream", "Rocky Linux",
    "AlmaLinux", "Kylin", "UnionTech OS",
)  # fmt: skip
SUPPORT_FLAGS = (
    "__support_diskintensive", "__support_highperformance", "__support_kvm",
    "__support_kvm_infiniband", "__support_largememory", "__support_xen", "__support_xen_hana",
)  # fmt: skip
SORT_KEYS = ("name", "container_format", "disk_format", "status", "id", "size", "created_at")
TIME_FILTER = re.compile(r"(gt|gte|lt|lte|eq|neq):(\d{4}-\d\d-\d\d(?:T| )\d\d:\d\d:\d\dZ?)")

# Filters that keep the images whose attribute equals the given value.
EQUAL_FILTERS = (
    "__imagetype", "__isregistered", "__os_bit", "__os_type", "__platform", "__support_kvm_gpu_type",
    "__support_xen_gpu_type", "__system__cmkid", "container_format", "disk_format", "id", "name",
    "owner", "status", "visibility", "virtual_env_type", "member_status", "min_disk", "min_ram",
    "protected", "enterprise_project_id",
)  # fmt: skip

QUERY = [
    Param("__imagetype", enum=("gold", "private", "shared", "market"), invalid=IMAGETYPE_INVALID),
    Param(
        "__isregistered", enum=TRUE_FALSE, default="true", doc="Only registered images by default."
    ),
    Param("__os_bit", enum=("32", "64")),
    Param("__os_type", enum=("Linux", "Windows", "Other")),
    Param("__platform", enum=PLATFORMS),
    *(Param(flag, enum=TRUE_FALSE) for flag in SUPPORT_FLAGS),
    Param("__support_kvm_gpu_type"),
    Param("__support_xen_gpu_type"),
    Param("__whole_image", BOOLEAN),
    Param("__system__cmkid"),
    Param("container_format", enum=("bare",)),
    Param("disk_format", enum=("zvhd2", "vhd", "zvhd", "raw", "qcow2", "iso")),
    Param("enterprise_project_id", doc="0, an enterprise project UUID, or all_granted_eps."),
    Param("id"),
    limit_param(default=500, maximum=1000),
    MARKER,
    Param("member_status", enum=("accepted", "rejected", "pending")),
    Param("min_disk", INTEGER, minimum=0),
    Param("min_ram", INTEGER, minimum=0),
    Param("name", doc="Exact image name."),
    Param("owner"),
    Param("protected", BOOLEAN),
    Param("sort_dir", enum=("asc", "desc"), default="desc"),
    Param("sort_key", enum=SORT_KEYS, default="created_at"),
    Param("status", enum=("queued", "saving", "deleted", "killed", "active")),
    Param("tag"),
    Param("virtual_env_type", enum=("FusionCompute", "Ironic", "DataImage", "IsoImage")),
    Param("visibility", enum=("public", "private", "shared")),
    Param("flavor_id", doc="Only the images that boot on this flavor."),
    Param(
        "created_at", pattern=TIME_FILTER.pattern, doc="operator:time, e.g. gt:2018-10-28T10:00:00Z"
    ),
    Param(
        "updated_at", pattern=TIME_FILTER.pattern, doc="operator:time, e.g. lt:2018-10-28 10:00:00"
    ),
    Param("architecture", enum=("x86", "arm")),
]


@operation(IMS, "ListImages", "GET", "/v2/cloudimages", query=QUERY)
def list_images(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query images by criteria, in pages."""
    region, q = region_of(call), req.query
    images = [i for i in catalog.huawei_images(region) if _matches(i, q, region)]
    key, reverse = q["sort_key"], q["sort_dir"] == "desc"
    images.sort(key=lambda i: (_sort_value(i.get(key)), i["id"]), reverse=reverse)
    return {
        "images": page_after(
            images, q.get("marker"), q["limit"], key=lambda i: i["id"], errors=IMS.params
        )
    }


def _matches(image: dict[str, Any], q: dict[str, Any], region: str) -> bool:
    return all(test(image) for test in _tests(q, region))


def _tests(q: dict[str, Any], region: str) -> list[Callable[[dict[str, Any]], bool]]:
    tests: list[Callable[[dict[str, Any]], bool]] = []
    for name in EQUAL_FILTERS:
        if name in q:
            tests.append(lambda i, n=name, v=q[name]: n in i and i[n] == v)
    for flag in SUPPORT_FLAGS:
        if flag in q:
            tests.append(lambda i, f=flag, v=q[flag]: (i.get(f) == "true") == (v == "true"))
    if "__whole_image" in q:
        tests.append(lambda i, v=q["__whole_image"]: (i.get("__whole_image") == "true") == v)
    if "tag" in q:
        tests.append(lambda i, v=q["tag"]: v in i.get("tags", []))
    if "architecture" in q:
        tests.append(
            lambda i, arm=q["architecture"] == "arm": catalog.huawei_image_is_arm(i) == arm
        )
    if "flavor_id" in q:
        flavor = catalog.huawei_flavor(region, q["flavor_id"])
        tests.append(lambda i: flavor is not None and catalog.huawei_image_fits_flavor(i, flavor))
    for field in ("created_at", "updated_at"):
        if field in q:
            tests.append(_time_test(field, q[field]))
    return tests


_COMPARE: dict[str, Callable[[datetime, datetime], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "eq": lambda a, b: a == b,
    "neq": lambda a, b: a != b,
}


def _time_test(field: str, text: str) -> Callable[[dict[str, Any]], bool]:
    op, when = text.split(":", 1)
    try:
        bound = _parse_time(when)
    except ValueError:
        IMS.params.invalid.raise_(field, text)
    compare = _COMPARE[op]
    return lambda i: field in i and compare(_parse_time(i[field]), bound)


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text.rstrip("Z").replace(" ", "T"), "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=UTC
    )


def _sort_value(value: Any) -> tuple[int, Any]:
    """Orders missing values first and never compares numbers with text."""
    if value is None:
        return (0, "")
    return (1, value) if isinstance(value, int | float) else (2, str(value))
