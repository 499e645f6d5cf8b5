"""CreateServers (v1.1, yearly/monthly or pay-per-use) and CreatePostPaidServers (v1).

Both are asynchronous: the answer is a ``job_id`` (and the ``serverIds``)
while the servers are still being built; the client polls the job. Every
check runs before anything is written, and the servers, their ports and
disks, the job and its engine tasks are written in one transaction, so a
refused request allocates nothing. ``X-Client-Token`` makes a retry answer
the first job again. ``dry_run`` checks the request and answers 202.
``adminPass`` is kept only as a salted hash.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from openecs.core import catalog, idempotency, jobs, keypairs, network
from openecs.core import instances as inst
from openecs.core import security_groups as sg
from openecs.core import tags as core_tags
from openecs.core.errors import NotFound
from openecs.core.ids import huawei_id, random_token
from openecs.core.passwords import hash_password
from openecs.faces.call import Call
from openecs.faces.huawei import errors as E
from openecs.faces.huawei.common import region_of
from openecs.faces.huawei.operations import ECS, HuaweiArgs, operation
from openecs.faces.huawei.vpc.security_groups import ensure_default_group
from openecs.faces.huawei.vpc.vpcs import scope_of
from openecs.faces.params import (
    ANY,
    BOOLEAN,
    INTEGER,
    LIST,
    STRUCT,
    Check,
    ErrorSpec,
    Param,
)

# -- the vendor's limits (seed: "Creating ECSs")
NAME_MAX = 64
NAME_MAX_NUMBERED = 59  # count > 1 and no number given: "-NNNN" is appended
NAME_PATTERN = r"[A-Za-z0-9_-]{1,64}"
NUMBERED = re.compile(r"(.*)-([0-9]{4})")
COUNT_POSTPAID_MAX = 500
COUNT_PREPAID_MAX = 100
VOLUME_TYPES = ("SATA", "SAS", "GPSSD", "SSD", "ESSD")
ROOT_SIZE = (1, 1024)
DATA_SIZE = (10, 32768)
MAX_DATA_VOLUMES = 59
MAX_NICS = 12
USER_DATA_MAX = 32 * 1024  # before encoding
METADATA_MAX = 10
METADATA_KEY = r"[A-Za-z0-9 _:.-]{1,255}"
METADATA_VALUE_MAX = 255
TAGS_MAX = 10
TAG_KEY = r"[A-Za-z0-9_-]{1,36}"
TAG_VALUE = r"[A-Za-z0-9_.-]{0,43}"
TAGGED = inst.TAGGED  # an instance's tags: one resource type for both clouds
PASSWORD_SPECIALS = "!@$%^-_=+[{}]:,./?"
PASSWORD_LENGTH = (8, 26)
ADMIN_USER = "root"
PERIODS = {"month": (1, 9), "year": (1, 3)}

PARAM = ErrorSpec("Ecs.0005", "{reason}")
PASSWORD = ErrorSpec("Ecs.0011", "{reason}")
IMAGE_FLAVOR = ErrorSpec("Ecs.0007", "image [{image}] is not supported by flavor [{flavor}].")


def _refuse(reason: str) -> None:
    PARAM.raise_("server", reason=reason)


# -- field checks


def _check_password(value: str) -> None:
    lo, hi = PASSWORD_LENGTH
    if not lo <= len(value) <= hi:
        PASSWORD.raise_("adminPass", reason=f"The password length must range from {lo} to {hi}.")
    kinds = [
        any(c.isupper() and c.isascii() for c in value),
        any(c.islower() and c.isascii() for c in value),
        any(c.isdigit() for c in value),
        any(c in PASSWORD_SPECIALS for c in value),
    ]
    allowed = all(c.isascii() and (c.isalnum() or c in PASSWORD_SPECIALS) for c in value)
    if sum(kinds) < 3 or not allowed:
        PASSWORD.raise_(
            "adminPass",
            reason="The password must contain at least three of uppercase letters, lowercase "
            f"letters, digits and special characters ({PASSWORD_SPECIALS}).",
        )
    low = value.lower()
    if ADMIN_USER in low or ADMIN_USER[::-1] in low:
        PASSWORD.raise_(
            "adminPass", reason="The password cannot contain the username or it reversed."
        )


def _check_user_data(value: str) -> None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        _refuse("user_data is not base64 encoded.")
    if len(raw) > USER_DATA_MAX:
        _refuse(f"user_data is larger than {USER_DATA_MAX} bytes before encoding.")


def _check_metadata(value: dict[str, Any]) -> None:
    if len(value) > METADATA_MAX:
        _refuse(f"metadata holds at most {METADATA_MAX} key-value pairs.")
    for key, item in value.items():
        if not re.fullmatch(METADATA_KEY, key):
            _refuse(f"metadata key [{key}] is invalid.")
        if not isinstance(item, str) or len(item) > METADATA_VALUE_MAX:
            _refuse(f"metadata value of [{key}] is invalid.")


def _check_tag_text(value: str) -> None:
    key, _, tag_value = value.partition(".")
    if not re.fullmatch(TAG_KEY, key) or not re.fullmatch(TAG_VALUE, tag_value):
        _refuse(f"tag [{value}] is invalid.")


def _check_ipv4(value: str) -> None:
    if value == "":
        return
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        _refuse(f"ip_address [{value}] is not an IPv4 address.")


def _volume(root: bool) -> Param:
    lo, hi = ROOT_SIZE if root else DATA_SIZE
    fields = [
        Param("volumetype", required=True, enum=VOLUME_TYPES, doc="SATA, SAS, GPSSD, SSD, ESSD."),
        Param(
            "size",
            INTEGER,
            required=not root,
            minimum=0 if root else lo,
            maximum=hi,
            doc=f"GB, {lo}..{hi}" + ("; 0 or absent: the image's min_disk." if root else "."),
        ),
        Param("hw:passthrough", ANY, doc="true: SCSI; anything else: VBD."),
        Param("extendparam", STRUCT, refused="disk extension (snapshots, resource codes)"),
        Param("metadata", STRUCT, refused="encrypted disks are not modelled"),
    ]
    if not root:
        fields += [
            Param("shareable", BOOLEAN, doc="Discarded by the vendor; use multiattach."),
            Param("multiattach", BOOLEAN),
            Param("data_image_id", refused="data disk images are not modelled"),
        ]
    return Param("root_volume" if root else "data_volume", STRUCT, fields=tuple(fields))


EXTENDPARAM = Param(
    "extendparam",
    STRUCT,
    fields=(
        Param("chargingMode", enum=("prePaid", "postPaid"), default="postPaid"),
        Param("regionID"),
        Param("periodType", enum=tuple(PERIODS)),
        Param("periodNum", INTEGER, minimum=1, maximum=9),
        Param("isAutoRenew", enum=("true", "false")),
        Param("isAutoPay", enum=("true", "false")),
        Param("enterprise_project_id", max_length=36),
        Param("support_auto_recovery", ANY),
        Param("marketType", refused="spot servers are not modelled"),
        Param("spotPrice", refused="spot servers are not modelled"),
        Param("diskPrior"),
        Param("CB_CSBS_BACKUP", refused="cloud server backups are not modelled"),
    ),
)

SERVER = Param(
    "server",
    STRUCT,
    required=True,
    fields=(
        Param("imageRef", required=True, min_length=1, max_length=64),
        Param("flavorRef", required=True, min_length=1, max_length=64),
        Param("name", required=True, pattern=NAME_PATTERN, doc="1..64 letters, digits, _ and -."),
        Param("user_data", check=_check_user_data, doc="base64, at most 32 KB decoded."),
        Param("adminPass", check=_check_password, doc="8..26 chars, 3 of 4 kinds, no root."),
        Param("key_name", max_length=64),
        Param("vpcid", required=True, min_length=1, max_length=36),
        Param(
            "nics",
            LIST,
            required=True,
            min_items=1,
            max_items=MAX_NICS,
            items=Param(
                "nic",
                STRUCT,
                fields=(
                    Param("subnet_id", required=True, min_length=1, max_length=36),
                    Param("ip_address", check=_check_ipv4),
                    Param("port_id", refused="attaching existing ports is not supported"),
                    Param("ipv6_enable", BOOLEAN, refused="IPv6 is not modelled"),
                    Param("ipv6_bandwidth", STRUCT, refused="IPv6 is not modelled"),
                    Param("allowed_address_pairs", LIST, refused="set them on the port"),
                ),
            ),
        ),
        Param("publicip", STRUCT, refused="EIPs are not modelled yet"),
        Param("count", INTEGER, minimum=1, maximum=COUNT_POSTPAID_MAX, default=1),
        Param("isAutoRename", BOOLEAN, doc="Number names even when count is 1."),
        replace(_volume(root=True), required=True),
        Param("data_volumes", LIST, items=_volume(root=False), max_items=MAX_DATA_VOLUMES),
        Param(
            "security_groups",
            LIST,
            items=Param(
                "security_group",
                STRUCT,
                fields=(Param("id", required=True, min_length=1, max_length=36),),
            ),
        ),
        Param("availability_zone", min_length=1, max_length=64),
        Param("batch_create_in_multi_az", BOOLEAN, refused="one AZ per batch"),
        EXTENDPARAM,
        Param("metadata", STRUCT, check=_check_metadata),
        Param("os:scheduler_hints", STRUCT, refused="server groups are not modelled"),
        Param(
            "tags",
            LIST,
            max_items=TAGS_MAX,
            items=Param("tag", max_length=80, check=_check_tag_text),
        ),
        Param(
            "server_tags",
            LIST,
            max_items=TAGS_MAX,
            items=Param(
                "server_tag",
                STRUCT,
                fields=(
                    Param("key", required=True, min_length=1, max_length=36),
                    Param("value", max_length=43),
                ),
            ),
        ),
        Param("description", max_length=85),
        Param("auto_terminate_time", refused="the vendor does not support it yet"),
    ),
)


def _one_nic(values: Mapping[str, Any]) -> None:
    if len(values.get("server", {}).get("nics", [])) > 1:
        ECS.params.unsupported.raise_("server.nics", reason="only the primary NIC is modelled")


def _prepaid(values: Mapping[str, Any]) -> None:
    server = values.get("server", {})
    ext = server.get("extendparam", {})
    if ext.get("chargingMode") != "prePaid":
        return
    if server.get("count", 1) > COUNT_PREPAID_MAX:
        _refuse(f"count of yearly/monthly servers is at most {COUNT_PREPAID_MAX}.")
    period = ext.get("periodType")
    if period is None or "periodNum" not in ext:
        _refuse("periodType and periodNum are required for prePaid servers.")
    lo, hi = PERIODS[period]
    if not lo <= ext["periodNum"] <= hi:
        _refuse(f"periodNum must range from {lo} to {hi} for periodType {period}.")
    if ext.get("isAutoPay") != "true":
        ECS.params.unsupported.raise_(
            "server.extendparam.isAutoPay", reason="paying pending orders is not modelled"
        )


def _names(values: Mapping[str, Any]) -> None:
    server = values.get("server", {})
    name = server.get("name", "")
    if (
        server.get("count", 1) > 1
        and not NUMBERED.fullmatch(name)
        and len(name) > NAME_MAX_NUMBERED
    ):
        _refuse(f"name is at most {NAME_MAX_NUMBERED} characters when count is more than 1.")


BODY = [SERVER, Param("dry_run", BOOLEAN, default=False)]


def _tag_count(values: Mapping[str, Any]) -> None:
    keys = {key for key, _ in creation_tags(values.get("server", {}))}
    if len(keys) > TAGS_MAX:
        _refuse(f"An ECS allows a maximum of {TAGS_MAX} tags (tags and server_tags together).")


RULES = [
    Check(_one_nic, "only one NIC (refused otherwise)"),
    Check(_prepaid, "prePaid: count <= 100, periodType/periodNum, isAutoPay true (Ecs.0005)"),
    Check(_names, "count > 1 without a number: name <= 59 (Ecs.0005)"),
    Check(_tag_count, "tags and server_tags: at most 10 distinct keys in all (Ecs.0005)"),
]


# -- deciding


def server_names(name: str, count: int, rename: bool = False) -> list[str]:
    """The names of a batch: ``name-0001``.. when count > 1, from a number the name ends with."""
    if count == 1 and not rename:
        return [name]
    match = NUMBERED.fullmatch(name)
    base, start = (match.group(1), int(match.group(2))) if match else (name, 1)
    return [f"{base}-{n:04d}" for n in range(start, start + count)]


def _zone(
    call: Call, server: dict[str, Any], subnet: network.Subnet, flavor: dict[str, Any]
) -> str:
    region = region_of(call)
    zone = server.get("availability_zone")
    if zone is None:
        candidates = [subnet.zone_id] if subnet.zone_id else catalog.huawei().zone_ids(region)
        orderable = [z for z in candidates if catalog.huawei_flavor_orderable(flavor, region, z)]
        if not orderable:
            _refuse(f"flavor [{flavor['id']}] is sold out.")
        return orderable[0]
    if catalog.huawei().zone(region, zone) is None:
        _refuse(f"availability_zone [{zone}] is invalid.")
    if subnet.zone_id and subnet.zone_id != zone:
        _refuse(f"subnet [{subnet.id}] is not in availability zone [{zone}].")
    if not catalog.huawei_flavor_orderable(flavor, region, zone):
        _refuse(f"flavor [{flavor['id']}] is sold out in availability zone [{zone}].")
    return zone


def _checked_nic(
    conn: Connection, call: Call, server: dict[str, Any]
) -> tuple[network.Subnet, str | None]:
    scope = scope_of(call)
    vpc = network.get_vpc(conn, scope, server["vpcid"])
    nic = server["nics"][0]
    subnet = network.get_subnet(conn, scope, nic["subnet_id"])
    if subnet.vpc_id != vpc.id:
        _refuse(f"subnet [{subnet.id}] is not in vpc [{vpc.id}].")
    address = nic.get("ip_address") or None
    if address is not None:
        if ipaddress.IPv4Address(address) not in ipaddress.IPv4Network(subnet.cidr_block):
            _refuse(f"privateIp [{address}] is not in this subnet [{subnet.id}]")
        if server.get("count", 1) > 1:
            _refuse("ip_address cannot be given when count is more than 1.")
    return subnet, address


def _disks(server: dict[str, Any], image: dict[str, Any]) -> list[inst.DiskSpec]:
    root = server["root_volume"]
    size = root.get("size") or image.get("min_disk", 0)
    if size < image.get("min_disk", 0) or size < ROOT_SIZE[0]:
        _refuse(
            f"root_volume size [{size}] is less than the image's min_disk [{image['min_disk']}]."
        )
    specs = [inst.DiskSpec("system", root["volumetype"], size, extra=_disk_extra(root))]
    for volume in server.get("data_volumes", []):
        shared = volume.get("multiattach", volume.get("shareable", False))
        extra = {**_disk_extra(volume), "multiattach": bool(shared)}
        specs.append(inst.DiskSpec("data", volume["volumetype"], volume["size"], extra=extra))
    return specs


def _disk_extra(volume: dict[str, Any]) -> dict[str, Any]:
    return {"passthrough": volume.get("hw:passthrough") is True}


def device_name(position: int) -> str:
    """The guest device of the disk at ``position`` (0: the system disk): /dev/vda.. /dev/vdaa.."""
    letters = ""
    n = position + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return f"/dev/vd{letters}"


def server_disks(
    name: str, zone: str, disks: list[inst.DiskSpec]
) -> list[tuple[str, inst.DiskSpec]]:
    """One server's disks: EVS names them after the server (``web-volume-0000``) in its AZ."""
    return [
        (
            huawei_id(),
            replace(
                d,
                name=f"{name}-volume-{n:04d}",
                device=device_name(n),
                extra={**d.extra, "availability_zone": zone},
            ),
        )
        for n, d in enumerate(disks)
    ]


def creation_tags(server: dict[str, Any]) -> list[core_tags.Tag]:
    """The tags a create request gives: ``tags`` ("key.value") then ``server_tags``."""
    pairs = [tuple(t.partition(".")[::2]) for t in server.get("tags", [])]
    pairs += [(t["key"], t.get("value", "")) for t in server.get("server_tags", [])]
    return pairs  # type: ignore[return-value]


def _order_id(now: float) -> str:
    return "CS" + time.strftime("%y%m%d%H%M", time.gmtime(now)) + random_token(5, "0123456789")


def _expires(now: float, ext: dict[str, Any]) -> float | None:
    if ext.get("chargingMode") != "prePaid":
        return None
    days = 30 if ext["periodType"] == "month" else 365
    return now + ext["periodNum"] * days * 86400


def _create(call: Call, req: HuaweiArgs) -> tuple[int, dict[str, Any]]:
    server = req.body["server"]
    dry_run = req.body.get("dry_run", False)
    scope = scope_of(call)
    region = region_of(call)
    flavor = catalog.huawei_flavor(region, server["flavorRef"])
    if flavor is None:
        _refuse(f"flavor [{server['flavorRef']}] is not found.")
    image = catalog.huawei_image(region, server["imageRef"])
    if image is None:
        _refuse(f"image [{server['imageRef']}] is not found.")
    if not catalog.huawei_image_fits_flavor(image, flavor):
        raise E.vendor(IMAGE_FLAVOR, image=image["id"], flavor=flavor["id"])
    disks = _disks(server, image)
    ext = server.get("extendparam", {"chargingMode": "postPaid"})
    now = call.clock.now()
    with call.db.write() as conn:
        subnet, address = _checked_nic(conn, call, server)
        zone = _zone(call, server, subnet, flavor)
        if "key_name" in server and server["key_name"]:
            try:
                keypairs.get(conn, scope, server["key_name"])
            except NotFound:
                _refuse(f"keypair [{server['key_name']}] is not found.")
        group_ids = [g["id"] for g in server.get("security_groups", [])]
        for gid in group_ids:
            sg.get_group(conn, scope, gid)
        if dry_run:
            return 202, {}

        def produce() -> dict[str, Any]:
            return _write(
                call, conn, server, subnet, address, zone, flavor, disks, group_ids, ext, now
            )

        fp = idempotency.fingerprint(req.body)
        token = req.headers.get("x-client-token")
        key = f"huawei:{region}:CreateServers"
        return 200, idempotency.once(conn, call.account.id, key, token, fp, produce, now=now)


def _write(
    call: Call,
    conn: Connection,
    server: dict[str, Any],
    subnet: network.Subnet,
    address: str | None,
    zone: str,
    flavor: dict[str, Any],
    disks: list[inst.DiskSpec],
    group_ids: list[str],
    ext: dict[str, Any],
    now: float,
) -> dict[str, Any]:
    scope = scope_of(call)
    if not group_ids:
        group_ids = [ensure_default_group(conn, scope, now).id]
    password = server.get("adminPass")
    password_hash = hash_password(password) if password else None
    order_id = _order_id(now) if ext.get("chargingMode") == "prePaid" else None
    extra = {
        "availability_zone": zone,
        "metadata": server.get("metadata", {}),
        "charging_mode": ext.get("chargingMode", "postPaid"),
        "enterprise_project_id": ext.get("enterprise_project_id", "0"),
        "order_id": order_id,
        "description": server.get("description", ""),
        # The servers of one request share it (ListServersDetails filters by it).
        "reservation_id": "r-" + random_token(8, "0123456789abcdefghijklmnopqrstuvwxyz"),
    }
    names = server_names(server["name"], server["count"], server.get("isAutoRename", False))
    specs = [
        inst.InstanceSpec(
            instance_id=huawei_id(),
            interface_id=huawei_id(),
            # A Huawei subnet without an AZ is regional: the server keeps its AZ in ``extra``.
            zone_id=subnet.zone_id or "",
            subnet_id=subnet.id,
            instance_type=flavor["id"],
            image_id=server["imageRef"],
            name=name,
            hostname=name.replace("_", "-").lower(),
            disks=server_disks(name, zone, disks),
            description=server.get("description", ""),
            group_ids=group_ids,
            primary_ip=address,
            key_pair_name=server.get("key_name") or None,
            password_hash=password_hash,
            user_data=server.get("user_data"),
            charge_type="PrePaid" if order_id else "PostPaid",
            expires_at=_expires(now, ext),
            extra=extra,
        )
        for name in names
    ]
    boot = call.runtime.settings.boot_seconds
    made = inst.create_instances(
        conn,
        scope,
        specs,
        now=now,
        boot_seconds=boot,
        tags=creation_tags(server),
        tag_limit=TAGS_MAX,
    )
    ids = [m.id for m in made]
    job = jobs.create_job(
        conn, call.account.id, region_of(call), "createServer", ids, now=now, settle_at=now + boot
    )
    answer: dict[str, Any] = {"job_id": job.id, "serverIds": ids}
    if order_id:
        answer["order_id"] = order_id
    return answer


@operation(ECS, "CreateServers", "POST", "/v1.1/{project_id}/cloudservers", body=BODY, rules=RULES)
def create_servers(call: Call, req: HuaweiArgs) -> tuple[int, dict[str, Any]]:
    """Create servers (yearly/monthly or pay-per-use), asynchronously: answers a job."""
    return _create(call, req)


def _postpaid_only(values: Mapping[str, Any]) -> None:
    if values.get("server", {}).get("extendparam", {}).get("chargingMode") == "prePaid":
        _refuse("v1 creates pay-per-use servers only; use v1.1 for prePaid.")


@operation(
    ECS,
    "CreatePostPaidServers",
    "POST",
    "/v1/{project_id}/cloudservers",
    body=BODY,
    rules=[*RULES, Check(_postpaid_only, "chargingMode postPaid only (Ecs.0005)")],
)
def create_post_paid_servers(call: Call, req: HuaweiArgs) -> tuple[int, dict[str, Any]]:
    """Create pay-per-use servers, asynchronously: answers a job."""
    return _create(call, req)
