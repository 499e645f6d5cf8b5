"""VPC 2016-04-28 VPCs: CreateVpc, DescribeVpcs, DescribeVpcAttribute, ModifyVpcAttribute, DeleteVpc.

The VPC itself lives in the cloud-neutral core (:mod:`openecs.core.network`);
this module adds what only Alibaba has: the vRouter and system route table
every VPC gets, the resource group, user CIDRs, and the vendor's spelling
(``Pending``/``Available``, ISO 8601 ``CreationTime``,
``Vpcs.Vpc[].VSwitchIds.VSwitchId[]``). Those extras are kept in the core's
``extra`` dict. Tags live in :mod:`openecs.core.tags` (so TagResources and the
Describe* filters read one table) and a ClientToken's first answer in
:mod:`openecs.core.idempotency` (so a retry, even a concurrent one, creates
nothing twice). It also holds the helpers the vSwitch, route-table and tag
modules share: the caller's scope, finding a resource when RegionId is
omitted, the name and description rules, tags in and out, and the token.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Connection

from openecs.core import catalog, idempotency, network
from openecs.core import tags as core_tags
from openecs.core.errors import NotFound
from openecs.core.ids import aliyun_id
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.paging import by_page_number
from openecs.faces.call import Call
from openecs.faces.params import BOOLEAN, INTEGER, ErrorSpec, Param, optional

READY_AFTER = 1.0  # engine seconds from Pending to Available (VPCs and vSwitches)
STATUS = {network.CREATING: "Pending", network.AVAILABLE: "Available"}
DEFAULT_VPC_CIDR = "172.16.0.0/12"
VPC_MASKS = (8, 28)
# Ranges a VPC cannot use, as the vendor lists them for CreateVpc's CidrBlock.
FORBIDDEN_RANGES = tuple(
    ipaddress.IPv4Network(c)
    for c in ("100.64.0.0/10", "224.0.0.0/4", "127.0.0.0/8", "169.254.0.0/16")
)
MAX_VPC_IDS = 20
MAX_USER_CIDRS = 3

CIDR_MALFORMED = ErrorSpec("InvalidCidrBlock.Malformed", "Specified CIDR block is not valid.")
VPC_CIDR_INVALID = ErrorSpec("InvalidParameter", "Specified CIDR block is not valid")
VPC_NAME_INVALID = ErrorSpec("InvalidVpcName.Malformed", "Specified VPC name is not valid.")
VPC_DESCRIPTION_INVALID = ErrorSpec(
    "InvalidVpcDiscription.Malformed", "Specified VPC description is not valid."
)
USER_CIDR_INVALID = ErrorSpec("InvalidParameter", "Specified UserCidr invalid format.")
USER_CIDR_QUOTA = ErrorSpec("InvalidUserCidr.Quota", "Specified UserCidr number is greater than 3.")
VPC_STATUS_INCORRECT = ErrorSpec(
    "IncorrectVpcStatus", "Current VPC status does not support this operation."
)
RESOURCE_GROUP_INVALID = ErrorSpec(
    "InvalidResourceGroupId.NotFound", "The specified ResourceGroupId does not exist."
)
IPV6_ISP = "BGP"  # OpenECS's pool is one BGP (multi-ISP) block; single-ISP blocks are not modelled
OWN_IPV6 = "a user's own IPv6 address pool is not modelled: OpenECS assigns a /56 of its pool"


# --------------------------------------------------------------------------- shared rules


def name_param(name: str, error: ErrorSpec, max_length: int = 128) -> Param:
    """A name or description: 1 to ``max_length`` characters, not starting with http(s)://."""
    return Param(
        name,
        min_length=1,
        max_length=max_length,
        pattern=r"(?!https?://).*",
        invalid=error,
        doc=f"1 to {max_length} characters; cannot start with http:// or https://.",
    )


def ipv6_filter(name: str) -> Param:
    """A Describe filter: true lists only resources with IPv6, false only those without."""
    return Param(name, BOOLEAN, doc="true: only those with IPv6; false: only those without.")


def parse_cidr(value: str) -> ipaddress.IPv4Network:
    """An IPv4 CIDR block in canonical form, or the vendor's InvalidCidrBlock.Malformed."""
    try:
        if "/" not in value:
            raise ValueError
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        raise E.vendor(CIDR_MALFORMED) from None


def _check_vpc_cidr(value: str) -> None:
    net = parse_cidr(value)
    lo, hi = VPC_MASKS
    if not lo <= net.prefixlen <= hi or any(
        net.subnet_of(r) or r.subnet_of(net) for r in FORBIDDEN_RANGES
    ):
        raise E.vendor(VPC_CIDR_INVALID)


def _check_user_cidrs(value: str) -> None:
    parts = value.split(",")
    if len(parts) > MAX_USER_CIDRS:
        raise E.vendor(USER_CIDR_QUOTA)
    for part in parts:
        try:
            ipaddress.IPv4Network(part, strict=True)
        except ValueError:
            raise E.vendor(USER_CIDR_INVALID) from None


IPV6_ISP_PARAM = Param(
    "Ipv6Isp",
    enum=(IPV6_ISP,),
    doc="BGP only: single-ISP IPv6 blocks (ChinaMobile, ChinaUnicom, ChinaTelecom) are not modelled.",
)
VPC_CIDR = Param(
    "CidrBlock",
    check=_check_vpc_cidr,
    doc=f"IPv4 CIDR, mask {VPC_MASKS[0]} to {VPC_MASKS[1]}, outside 100.64/10, 224/4, 127/8, 169.254/16.",
)
RESOURCE_GROUP_ID = Param(
    "ResourceGroupId", max_length=64, pattern=r"rg-[a-z0-9]+", invalid=RESOURCE_GROUP_INVALID
)
OWNER_ID_FILTER = (
    "The Alibaba Cloud account (OwnerId) whose resources are listed; another lists none."
)


def scope(call: Call, region: str) -> network.Scope:
    return network.Scope("aliyun", call.account.id, region)


def regions_to_search(region: str | None) -> list[str]:
    """The region a request names, or every catalog region when it names none."""
    return [region] if region else catalog.aliyun().region_ids()


def locate(
    conn: Connection, call: Call, region: str | None, getter: Callable[..., Any], resource_id: str
) -> tuple[network.Scope, Any]:
    """Find a VPC or vSwitch by id in the named region, or in any region when none is named."""
    error: NotFound | None = None
    for r in regions_to_search(region):
        try:
            return scope(call, r), getter(conn, scope(call, r), resource_id)
        except NotFound as err:
            error = err
    if error is None:  # pragma: no cover - the catalog always has a region
        raise NotFound("vpc.not_found", resource_id)
    raise error


def iso_time(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def default_resource_group(call: Call) -> str:
    """The account's default resource group, stable per account."""
    n, digits = call.account.id, ""
    while True:
        n, d = divmod(n, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[d] + digits
        if n == 0:
            break
    return "rg-acfm" + digits.rjust(11, "0")


# The core's resource types in the tags table (cloud-neutral words; the faces spell them).
TAGGED_VPC = "vpc"
TAGGED_SUBNET = "subnet"


def tag_pairs(values: list[dict[str, Any]] | None) -> list[core_tags.Tag]:
    """Checked ``Tag.N`` values as the core's (key, value) pairs."""
    return [(t["Key"], t["Value"]) for t in common.normalized_tags(values)]


def tags_out(pairs: Iterable[core_tags.Tag]) -> dict[str, Any]:
    """``Tags.Tag[{Key, Value}]`` as DescribeVpcs and DescribeVSwitches answer it."""
    return {"Tag": [{"Key": k, "Value": v} for k, v in pairs]}


def tags_match(have: Mapping[str, str], wanted: list[dict[str, Any]]) -> bool:
    """Whether a resource's tags ({key: value}) carry every wanted tag; a wanted tag without
    a value (or with an empty one) matches any value of its key, as the vendor filters."""
    return all(
        t["Key"] in have and (not t.get("Value") or have[t["Key"]] == t["Value"]) for t in wanted
    )


def once(
    conn: Connection,
    call: Call,
    region: str,
    action: str,
    p: dict[str, Any],
    produce: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """``produce()``'s answer, or the first answer to this ClientToken (IdempotentParameterMismatch
    when the token came with other parameters). The fingerprint is of every checked parameter
    except the token itself; a call without a token has none to make."""
    if not p.get("ClientToken"):
        return produce()
    fingerprint = idempotency.fingerprint({k: v for k, v in p.items() if k != "ClientToken"})
    return idempotency.once(
        conn,
        call.account.id,
        f"aliyun:{region}:{action}",
        p.get("ClientToken"),
        fingerprint,
        produce,
        now=call.clock.now(),
    )


def require_status(status: str, error: ErrorSpec) -> None:
    """Refuse an operation on a resource still Pending (the vendor acts only on Available ones)."""
    if status != network.AVAILABLE:
        raise E.vendor(error)


# --------------------------------------------------------------------------- rendering


def render_vpc(
    call: Call, vpc: network.Vpc, vswitch_ids: list[str], tags: Iterable[core_tags.Tag]
) -> dict[str, Any]:
    x = vpc.extra
    return {
        "VpcId": vpc.id,
        "RegionId": vpc.region,
        "Status": STATUS[vpc.status],
        "VpcName": vpc.name,
        "Description": vpc.description,
        "CidrBlock": vpc.cidr_block,
        "CreationTime": iso_time(vpc.created_at),
        "IsDefault": vpc.is_default,
        "VRouterId": x.get("VRouterId", ""),
        "ResourceGroupId": x.get("ResourceGroupId", ""),
        "OwnerId": call.account.id,
        "VSwitchIds": {"VSwitchId": vswitch_ids},
        "UserCidrs": {"UserCidr": list(x.get("UserCidrs", []))},
        "SecondaryCidrBlocks": {"SecondaryCidrBlock": []},
        "Ipv6CidrBlock": vpc.ipv6_cidr_block or "",
        "Ipv6CidrBlocks": {
            "Ipv6CidrBlock": [
                {"Ipv6CidrBlock": vpc.ipv6_cidr_block, "Ipv6Isp": x.get("Ipv6Isp", IPV6_ISP)}
            ]
            if vpc.ipv6_cidr_block
            else []
        },
        "EnabledIpv6": vpc.ipv6_cidr_block is not None,
        "ClassicLinkEnabled": False,
        "DnsHostnameStatus": x.get("DnsHostnameStatus", "DISABLED"),
        "DhcpOptionsSetId": "",
        "DhcpOptionsSetStatus": "",
        "Tags": tags_out(tags),
    }


# --------------------------------------------------------------------------- operations


@operation(
    "Vpc",
    "CreateVpc",
    params=[
        common.REGION_ID,
        VPC_CIDR,
        common.CLIENT_TOKEN,
        name_param("VpcName", VPC_NAME_INVALID),
        name_param("Description", VPC_DESCRIPTION_INVALID, 256),
        common.DRY_RUN,
        Param("EnableDnsHostname", BOOLEAN, default=False),
        Param(
            "EnableIpv6",
            BOOLEAN,
            default=False,
            doc="true gives the VPC a /56 of OpenECS's pool (2408:4000::/20), unique in the store.",
        ),
        Param("Ipv4CidrMask", INTEGER, refused="IPAM address pools are not modelled"),
        Param("Ipv4IpamPoolId", refused="IPAM address pools are not modelled"),
        Param("Ipv6CidrBlock", refused=OWN_IPV6),
        Param("Ipv6CidrMask", INTEGER, refused="IPAM address pools are not modelled"),
        Param("Ipv6IpamPoolId", refused="IPAM address pools are not modelled"),
        IPV6_ISP_PARAM,
        RESOURCE_GROUP_ID,
        common.tags(),
        Param("UserCidr", check=_check_user_cidrs, doc="Up to 3 comma-separated IPv4 CIDR blocks."),
    ],
)
def create_vpc(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Create a VPC with its vRouter and system route table; Pending, then Available."""
    common.dry_run(p)
    region = p["RegionId"]
    where = scope(call, region)

    def produce() -> dict[str, Any]:
        extra = {
            "VRouterId": aliyun_id("vrt", region),
            "RouteTableId": aliyun_id("vtb", region),
            "ResourceGroupId": p.get("ResourceGroupId") or default_resource_group(call),
            "UserCidrs": p["UserCidr"].split(",") if p.get("UserCidr") else [],
            "DnsHostnameStatus": "ENABLED" if p["EnableDnsHostname"] else "DISABLED",
        }
        if p["EnableIpv6"]:
            extra["Ipv6Isp"] = p.get("Ipv6Isp", IPV6_ISP)
        vpc = network.create_vpc(
            conn,
            where,
            vpc_id=aliyun_id("vpc", region),
            cidr_block=p.get("CidrBlock") or DEFAULT_VPC_CIDR,
            name=p.get("VpcName", ""),
            description=p.get("Description", ""),
            now=call.clock.now(),
            ready_after=READY_AFTER,
            extra=extra,
        )
        if p["EnableIpv6"]:
            vpc = network.enable_vpc_ipv6(conn, where, vpc.id)
        core_tags.set_tags(
            conn,
            call.account.id,
            TAGGED_VPC,
            vpc.id,
            tag_pairs(p.get("Tag")),
            limit=common.TAG_LIMIT,
            new=True,
        )
        return _created(vpc)

    with call.db.write() as conn:
        return once(conn, call, region, "CreateVpc", p, produce)


def _created(vpc: network.Vpc) -> dict[str, Any]:
    return {
        "VpcId": vpc.id,
        "VRouterId": vpc.extra["VRouterId"],
        "RouteTableId": vpc.extra["RouteTableId"],
        "ResourceGroupId": vpc.extra["ResourceGroupId"],
    }


def _vpc_ids(value: str) -> None:
    if len(value.split(",")) > MAX_VPC_IDS:
        E.PARAM_DEFAULTS.invalid.raise_("VpcId", value)


@operation(
    "Vpc",
    "DescribeVpcs",
    params=[
        common.REGION_ID,
        Param("VpcId", check=_vpc_ids, doc=f"Up to {MAX_VPC_IDS} VPC ids, comma-separated."),
        Param("VpcName"),
        Param("IsDefault", BOOLEAN),
        Param("DhcpOptionsSetId", doc="No VPC has a DHCP options set: naming one lists none."),
        ipv6_filter("EnableIpv6"),
        RESOURCE_GROUP_ID,
        common.tags(),
        Param("VpcOwnerId", INTEGER, doc=OWNER_ID_FILTER),
        common.page_number(),
        common.page_size(maximum=50),
        common.DRY_RUN,
    ],
)
def describe_vpcs(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """List the caller's VPCs of a region, filtered and paged."""
    common.dry_run(p)
    where = scope(call, p["RegionId"])
    ids = [i.strip() for i in p["VpcId"].split(",") if i.strip()] if "VpcId" in p else None
    wanted_tags = p.get("Tag") or []
    with call.db.read() as conn:
        vpcs = network.list_vpcs(conn, where, ids=ids)
        subnets = network.list_subnets(conn, where)
        tags = core_tags.tags_of(conn, [v.id for v in vpcs])
    vpcs = [
        v
        for v in vpcs
        if ("VpcName" not in p or v.name == p["VpcName"])
        and ("IsDefault" not in p or v.is_default == p["IsDefault"])
        and ("ResourceGroupId" not in p or v.extra.get("ResourceGroupId") == p["ResourceGroupId"])
        and "DhcpOptionsSetId" not in p
        and ("EnableIpv6" not in p or (v.ipv6_cidr_block is not None) == p["EnableIpv6"])
        and p.get("VpcOwnerId", call.account.id) == call.account.id
        and tags_match(dict(tags[v.id]), wanted_tags)
    ]
    page = by_page_number(vpcs, p["PageNumber"], p["PageSize"])
    return {
        "Vpcs": {
            "Vpc": [
                render_vpc(call, v, [s.id for s in subnets if s.vpc_id == v.id], tags[v.id])
                for v in page.items
            ]
        },
        **page.fields(),
    }


@operation(
    "Vpc",
    "DescribeVpcAttribute",
    params=[
        common.REGION_ID,
        Param("VpcId", required=True),
        Param("IsDefault", BOOLEAN, doc="When given, a VPC whose IsDefault differs is not found."),
        common.DRY_RUN,
    ],
)
def describe_vpc_attribute(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """One VPC's attributes."""
    common.dry_run(p)
    where = scope(call, p["RegionId"])
    with call.db.read() as conn:
        vpc = network.get_vpc(conn, where, p["VpcId"])
        subnets = network.list_subnets(conn, where, vpc_id=vpc.id)
        tags = core_tags.get_tags(conn, vpc.id)
    if "IsDefault" in p and vpc.is_default != p["IsDefault"]:
        raise NotFound("vpc.not_found", f"The VPC {vpc.id} does not exist.", id=vpc.id)
    body = render_vpc(call, vpc, [s.id for s in subnets], tags)
    body["CloudResources"] = {"CloudResourceSetType": []}
    body["AssociatedCens"] = {"AssociatedCen": []}
    return body


@operation(
    "Vpc",
    "ModifyVpcAttribute",
    params=[
        optional(common.REGION_ID),
        Param("VpcId", required=True),
        name_param("VpcName", VPC_NAME_INVALID),
        name_param("Description", VPC_DESCRIPTION_INVALID, 256),
        VPC_CIDR,
        Param("EnableDnsHostname", BOOLEAN),
        Param(
            "EnableIPv6",
            BOOLEAN,
            doc="true gives the VPC a /56 of OpenECS's pool; false changes nothing (IPv6 "
            "cannot be taken back from a VPC here).",
        ),
        Param("Ipv6CidrBlock", refused=OWN_IPV6),
        IPV6_ISP_PARAM,
    ],
)
def modify_vpc_attribute(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Rename, describe, re-size (keeping every vSwitch inside) or toggle DNS hostnames of a VPC."""
    changes: dict[str, Any] = {}
    if "VpcName" in p:
        changes["name"] = p["VpcName"]
    if "Description" in p:
        changes["description"] = p["Description"]
    if "EnableDnsHostname" in p:
        changes["extra"] = {
            "DnsHostnameStatus": "ENABLED" if p["EnableDnsHostname"] else "DISABLED"
        }
    with call.db.write() as conn:
        where, vpc = locate(conn, call, p.get("RegionId"), network.get_vpc, p["VpcId"])
        if "CidrBlock" in p:
            net = ipaddress.IPv4Network(p["CidrBlock"])
            for s in network.list_subnets(conn, where, vpc_id=vpc.id):
                if not ipaddress.IPv4Network(s.cidr_block).subnet_of(net):
                    raise E.vendor(VPC_CIDR_INVALID)
            changes["cidr_block"] = p["CidrBlock"]
        if p.get("EnableIPv6"):
            network.enable_vpc_ipv6(conn, where, vpc.id)
            changes.setdefault("extra", {})["Ipv6Isp"] = p.get("Ipv6Isp", IPV6_ISP)
        network.update_vpc(conn, where, vpc.id, **changes)
    return {}


@operation(
    "Vpc",
    "DeleteVpc",
    params=[
        optional(common.REGION_ID),
        Param("VpcId", required=True),
        common.CLIENT_TOKEN,
        common.DRY_RUN,
        Param(
            "ForceDelete",
            BOOLEAN,
            default=False,
            doc="Accepted: OpenECS VPCs have no gateways to force past.",
        ),
    ],
)
def delete_vpc(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Delete an Available VPC that has no vSwitches left (DependencyViolation.VSwitch otherwise)."""
    with call.db.write() as conn:
        where, vpc = locate(conn, call, p.get("RegionId"), network.get_vpc, p["VpcId"])
        common.dry_run(p)
        require_status(vpc.status, VPC_STATUS_INCORRECT)
        network.delete_vpc(conn, where, vpc.id)
        core_tags.remove_tags(conn, vpc.id)
    return {}
