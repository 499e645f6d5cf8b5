"""ECS 2014-05-26 ModifyInstanceAttribute: every attribute of seed 002, all or nothing.

One request may change many attributes; every one is checked (its value, the
instance's state, its type's limits from the catalog) before anything is
written, and the writes share one transaction, so a request refused for its
last attribute changes nothing. The instance's row is locked first: concurrent
requests changing different attributes queue and none is lost.

The vendor's state rules: nothing changes on an instance being deleted; the
password not while Starting, the host name not while Pending or Starting (both
take effect at the next restart, as on the vendor); jumbo frames only Running
or Stopped; CPU options and the primary interface's queue count only Stopped.
The host-name and password rules depend on the image's OS type. Deletion
protection is for pay-as-you-go instances only (not PrePaid, not spot).
Invitation-only parameters (Recyclable, RemoteConnectionOptions,
EnableNetworkEncryption, CpuOptions.NestedVirtualization) answer the vendor's
code for an account that is not invited, which every OpenECS account is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from openecs.core import catalog, interfaces, lifetimes
from openecs.core import instances as core
from openecs.core.passwords import hash_password
from openecs.faces.aliyun import common
from openecs.faces.aliyun import errors as E
from openecs.faces.aliyun.ecs import instance_attributes as attributes
from openecs.faces.aliyun.ecs import instance_security_groups as membership
from openecs.faces.aliyun.ecs.instance_params import (
    DESCRIPTION_INVALID,
    DESCRIPTION_PATTERN,
    HOST_NAME_INVALID,
    HOST_NAME_PATTERN,
    INSTANCE_NAME_INVALID,
    MAX_GROUPS,
    NAME_PATTERN,
    PASSWORD_INVALID,
    USER_DATA_BASE64,
    _check_password,
    _check_user_data,
)
from openecs.faces.aliyun.ecs.instances_describe import INSTANCE_ID, STATUS, find_instance
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.vpc.vpcs import scope
from openecs.faces.call import Call
from openecs.faces.params import BOOLEAN, INTEGER, LIST, STRUCT, ErrorSpec, Param

# Linux (and every non-Windows OS): the dotted labels of RunInstances, no "--" anywhere.
LINUX_HOST_NAME_PATTERN = r"(?!.*--)" + HOST_NAME_PATTERN
# Windows: 2 to 15 letters, digits and hyphens; no dot, no "--", no hyphen at either end,
# not only digits.
WINDOWS_HOST_NAME = re.compile(r"(?![0-9]+$)(?!.*--)[A-Za-z0-9][A-Za-z0-9-]{0,13}[A-Za-z0-9]")
SPOT_STRATEGIES = ("SpotWithPriceLimit", "SpotAsPriceGo")
NOT_INVITED = "invitation-only on the vendor; no OpenECS account is invited"

USER_DATA_BASE64_403 = replace(USER_DATA_BASE64, status=403)
GROUP_REPEATED = ErrorSpec(
    "InvalidParameter.SecurityGroupIdRepeated",
    "The specified security group ids has repeated.",
    404,
)
GROUP_LIMIT = ErrorSpec(
    "JoinedGroupLimitExceed", "The instance can be in at most {limit} security groups."
)
GROUP_TYPES = ErrorSpec(
    "EnterpriseGroupLimited.MutliGroupType",
    "The specified instance can not join multi SecurityGroup types.",
    403,
)
DELETION_CHARGE = ErrorSpec(
    "InvalidChargeType.ValueNotSupported",
    "Deletion protection is only valid for postPaid instance, not for prePaid or spot instance.",
    403,
)
JUMBO_TYPE = ErrorSpec("InvalidParam.NotSupportJumboFrame", "Not support jumbo frame.")
JUMBO_STATUS = ErrorSpec(
    "InvalidOperation.InstanceStatusNotSupport",
    "The instance status is not support modify mtu config.",
)
STOPPED_REQUIRED = ErrorSpec(
    "InvalidStatus.StoppedRequired",
    "The instance is in an incorrect status for the requested action. The status of the "
    "specified instance is '{status}' but the expected status is in ('Stopped').",
)
TOPOLOGY_STATUS = ErrorSpec(
    "InvalidOperation.InstanceStatusUnsupported",
    "The specified instance status does not support modification of cpu topology type.",
)
TOPOLOGY_INVALID = ErrorSpec(
    "InvalidParameter.CpuOptionsTopologyType",
    "The specified parameter CpuOptions.TopologyType: {value} is not valid.",
)
TOPOLOGY_TYPE = ErrorSpec(
    "InvalidInstanceType.NotSupportCpuOptionsTopologyType",
    "The specified instance type does not support CpuOptions.TopologyType: {value}.",
)
CORE_INVALID = ErrorSpec(
    "InvalidParameter.CpuOptionsCore", "The specified parameter CpuOptions.Core is not valid.", 403
)
THREADS_INVALID = ErrorSpec(
    "InvalidParameter.CpuOptionsThreadsPerCore",
    "The specified parameter CpuOptions.ThreadsPerCore is not valid.",
    403,
)
THREADS_TYPE = ErrorSpec(
    "InvalidInstanceType.CpuOptionsThreadsPerCoreUnsupported",
    "The current instance type does not support setting or modifying the "
    "CpuOptions.ThreadsPerCore parameter.",
    403,
)
QUEUE_INVALID = ErrorSpec(
    "InvalidParameter.InvalidEniQueueNumber",
    "The specified NetworkInterfaceQueueNumber {value} is not valid: a positive number or -1.",
    403,
)
QUEUE_MAX = ErrorSpec(
    "InvalidOperation.MaxEniQueueNumberExceeded",
    "An ENI of the instance type {type} has at most {limit} queues.",
    403,
)
QUEUE_TOTAL = ErrorSpec(
    "InvalidOperation.ExceedInstanceTypeQueueNumber",
    "The ENIs of an instance of type {type} have at most {limit} queues in all.",
    403,
)
CREDIT_INVALID = ErrorSpec(
    "InvalidParameter.CreditSpecification",
    "The specified CreditSpecification is not supported in this region.",
)
CREDIT_TYPE = ErrorSpec("InstanceType.ValueNotSupported", "The instance type not supported.")
RECYCLE_BIN = ErrorSpec(
    "InvalidParameter.RecycleBin", "You do not have permission to set recyclable properties."
)
ENCRYPTION = ErrorSpec(
    "InvalidOperation.UserNotSupportNetworkEncryption", "User not support network encryption.", 403
)
UNAUTHORIZED = ErrorSpec("InvalidUser.Unauthorized", "The user is not authorized", 403)
INCORRECT_STATUS = membership.INCORRECT_STATUS

STARTING = (core.STARTING, core.REBOOTING)  # both show Starting
PLAIN = {"InstanceName": "name", "Description": "description", "UserData": "user_data"}
assert set(PLAIN.values()) == core.PLAIN_COLUMNS


def _not_invited(error: ErrorSpec) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        raise E.vendor(error)

    return check


def _unique(ids: list[str]) -> None:
    if len(set(ids)) != len(ids):
        raise E.vendor(GROUP_REPEATED)


def _queue_value(value: int) -> None:
    if value < 1 and value != -1:
        raise E.vendor(QUEUE_INVALID, value=value)


MODIFY_PARAMS = [
    INSTANCE_ID,
    common.REGION_ID_IGNORED,
    Param(
        "Password",
        check=lambda value: _check_password(value, windows=False),
        doc="8 to 30 characters, 3 of 4 classes (Windows: not starting with /); a salted hash is "
        "kept; not while Starting.",
    ),
    Param(
        "HostName",
        pattern=LINUX_HOST_NAME_PATTERN,
        invalid=HOST_NAME_INVALID,
        doc="Linux: 2 to 64 characters in dotted labels; Windows: 2 to 15, no dots, not only "
        "digits; not while Pending or Starting.",
    ),
    Param("InstanceName", pattern=NAME_PATTERN, invalid=INSTANCE_NAME_INVALID),
    Param("Description", pattern=DESCRIPTION_PATTERN, invalid=DESCRIPTION_INVALID),
    Param(
        "UserData",
        check=lambda value: _check_user_data(value, USER_DATA_BASE64_403),
        doc="Base64, at most 32 KB decoded; DescribeUserData answers it.",
    ),
    Param(
        "SecurityGroupIds",
        LIST,
        items=Param("item", max_length=64),
        max_items=MAX_GROUPS,
        too_many=GROUP_LIMIT,
        check=_unique,
        doc="Replaces the primary interface's groups: the instance's VPC, one type, at most 5.",
    ),
    Param("DeletionProtection", BOOLEAN, doc="Pay-as-you-go instances only."),
    Param(
        "EnableJumboFrame",
        BOOLEAN,
        doc="MTU 8500 (true) or 1500; types with JumboFrameSupport; Running or Stopped.",
    ),
    Param(
        "CpuOptions",
        STRUCT,
        fields=(
            Param("Core", INTEGER, doc="Only the type's core count (not customizable)."),
            Param("ThreadsPerCore", INTEGER, doc="1 or the type's; 1 halves the vCPUs."),
            Param("TopologyType", enum=attributes.TOPOLOGY_TYPES, invalid=TOPOLOGY_INVALID),
            Param(
                "NestedVirtualization",
                check=_not_invited(UNAUTHORIZED),
                doc=common.EXTENSION
                + "the Tea SDK's CpuOptions model sends it; "
                + NOT_INVITED
                + " (InvalidUser.Unauthorized).",
            ),
        ),
        doc="Only Stopped; checked against the instance type's CpuOptions.",
    ),
    Param(
        "NetworkInterfaceQueueNumber",
        INTEGER,
        check=_queue_value,
        doc="The primary ENI's queues, up to the type's limits; -1 restores the default; "
        "only Stopped.",
    ),
    Param(
        "PrivateDnsNameOptions",
        STRUCT,
        fields=(
            Param("HostnameType", enum=attributes.HOSTNAME_TYPES),
            Param("EnableInstanceIdDnsARecord", BOOLEAN),
            Param("EnableInstanceIdDnsAAAARecord", BOOLEAN),
            Param("EnableIpDnsARecord", BOOLEAN),
            Param("EnableIpDnsPtrRecord", BOOLEAN),
        ),
        doc="Kept and shown by DescribeInstances; no DNS is served.",
    ),
    Param(
        "CreditSpecification",
        enum=attributes.CREDIT_MODES,
        invalid=CREDIT_INVALID,
        doc="Burstable (t5, t6) types only.",
    ),
    Param(
        "Recyclable",
        BOOLEAN,
        check=_not_invited(RECYCLE_BIN),
        doc=NOT_INVITED.capitalize() + " (InvalidParameter.RecycleBin).",
    ),
    Param(
        "RemoteConnectionOptions",
        STRUCT,
        fields=(Param("Password"), Param("Type")),
        check=_not_invited(UNAUTHORIZED),
        doc=NOT_INVITED.capitalize() + " (InvalidUser.Unauthorized).",
    ),
    Param(
        "EnableNetworkEncryption",
        BOOLEAN,
        check=_not_invited(ENCRYPTION),
        doc=NOT_INVITED.capitalize() + " (InvalidOperation.UserNotSupportNetworkEncryption).",
    ),
]
ASKED = {p.name for p in MODIFY_PARAMS} - {"InstanceId", "RegionId"}


def _spot(vm: core.Instance) -> bool:
    """A spot instance: one RunInstances created with a spot strategy."""
    spot = lifetimes.spot_of(vm)
    return spot is not None and spot.strategy in SPOT_STRATEGIES


def _not_in(vm: core.Instance, states: tuple[str, ...], error: ErrorSpec) -> None:
    if vm.status in states:
        raise E.vendor(error)


def _only_in(vm: core.Instance, states: tuple[str, ...], error: ErrorSpec) -> None:
    if vm.status not in states:
        raise E.vendor(error, status=STATUS[vm.status])


def _cpu_options(vm: core.Instance, itype: dict[str, Any], asked: dict[str, Any]) -> dict[str, Any]:
    """The new CPU options after the type's limits and the Stopped rule."""
    allowed = attributes.type_cpu(itype)
    current = attributes.cpu_options(vm, itype)
    if "Core" in asked and asked["Core"] != current["Core"]:
        raise E.vendor(CORE_INVALID)
    if "ThreadsPerCore" in asked:
        threads = asked["ThreadsPerCore"]
        if threads not in (1, allowed.get("ThreadsPerCore", 1)):
            raise E.vendor(THREADS_INVALID)
        if threads != allowed.get("ThreadsPerCore", 1) and not allowed.get(
            "HyperThreadingAdjustable"
        ):
            raise E.vendor(THREADS_TYPE)
    if "TopologyType" in asked:
        supported = allowed.get("SupportedTopologyTypes", {}).get("SupportedTopologyType", [])
        if asked["TopologyType"] not in supported:
            raise E.vendor(TOPOLOGY_TYPE, value=asked["TopologyType"])
        _only_in(vm, (core.STOPPED,), TOPOLOGY_STATUS)
    if "Core" in asked or "ThreadsPerCore" in asked:
        _only_in(vm, (core.STOPPED,), STOPPED_REQUIRED)
    chosen = {k: asked[k] for k in ("Core", "ThreadsPerCore", "TopologyType") if k in asked}
    return {**vm.extra.get(attributes.CPU_OPTIONS, {}), **chosen}


def _queue_number(
    vm: core.Instance, itype: dict[str, Any], nics: list[interfaces.Interface], asked: int
) -> int:
    """The primary interface's new queue count (-1: the type's default), within the limits."""
    number = itype.get("PrimaryEniQueueNumber", 1) if asked == -1 else asked
    name = vm.instance_type
    if number > itype.get("MaximumQueueNumberPerEni", number):
        raise E.vendor(QUEUE_MAX, type=name, limit=itype["MaximumQueueNumberPerEni"])
    others = sum(attributes.queue_number(n, itype) for n in nics if n.type != "primary")
    if number + others > itype.get("TotalEniQueueQuantity", number + others):
        raise E.vendor(QUEUE_TOTAL, type=name, limit=itype["TotalEniQueueQuantity"])
    _only_in(vm, (core.STOPPED,), STOPPED_REQUIRED)
    return number


@operation("Ecs", "ModifyInstanceAttribute", params=MODIFY_PARAMS)
def modify_instance_attribute(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Change any of an instance's attributes; every check passes before anything is written."""
    asked = ASKED & p.keys()
    if asked and asked <= PLAIN.keys():
        # Only plain columns (a rename, most calls): one statement, in any region, as the
        # vendor finds the instance. What it does not match (an instance being deleted,
        # none) takes the path below, which finds out which and answers it.
        plain = {PLAIN[name]: p[name] for name in asked}
        with call.db.write_one() as conn:
            if core.set_plain(conn, "aliyun", call.account.id, p["InstanceId"], plain):
                return {}
    with call.db.write() as conn:
        vm = find_instance(conn, call, p["InstanceId"], for_update=True)
        where = scope(call, vm.region)
        if not asked:
            return {}
        _not_in(vm, (core.DELETING,), INCORRECT_STATUS)
        itype = catalog.aliyun_instance_type(vm.instance_type) or {}
        windows = vm.extra.get("OSType") == "windows"
        changes: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        changes.update({column: p[name] for name, column in PLAIN.items() if name in p})
        if "Password" in p:
            if windows and p["Password"].startswith("/"):
                raise E.vendor(PASSWORD_INVALID)
            _not_in(vm, STARTING, INCORRECT_STATUS)
            changes["password_hash"] = hash_password(p["Password"])
        if "HostName" in p:
            if windows and not WINDOWS_HOST_NAME.fullmatch(p["HostName"]):
                raise E.vendor(HOST_NAME_INVALID)
            _not_in(vm, (core.PENDING, *STARTING), INCORRECT_STATUS)
            changes["hostname"] = p["HostName"]
        if "DeletionProtection" in p:
            if p["DeletionProtection"] and (vm.charge_type != "PostPaid" or _spot(vm)):
                raise E.vendor(DELETION_CHARGE)
            changes["deletion_protection"] = p["DeletionProtection"]
        if "EnableJumboFrame" in p:
            if p["EnableJumboFrame"] and not itype.get("JumboFrameSupport"):
                raise E.vendor(JUMBO_TYPE)
            _only_in(vm, (core.RUNNING, core.STOPPED), JUMBO_STATUS)
            extra[attributes.JUMBO_FRAME] = p["EnableJumboFrame"]
        if "CpuOptions" in p:
            extra[attributes.CPU_OPTIONS] = _cpu_options(vm, itype, p["CpuOptions"])
        if "PrivateDnsNameOptions" in p:
            before = vm.extra.get(attributes.DNS_OPTIONS, {})
            extra[attributes.DNS_OPTIONS] = {**before, **p["PrivateDnsNameOptions"]}
        if "CreditSpecification" in p:
            if not attributes.burstable(itype):
                raise E.vendor(CREDIT_TYPE)
            extra[attributes.CREDIT] = p["CreditSpecification"]
        groups = p.get("SecurityGroupIds")
        queues = None
        if groups is not None or "NetworkInterfaceQueueNumber" in p:
            # Only these two reach the primary interface: the common renames skip its reads.
            primary = membership.primary_interface(conn, where, vm)
            if "NetworkInterfaceQueueNumber" in p:
                nics = interfaces.list_interfaces(conn, where, device_id=vm.id)
                queues = _queue_number(vm, itype, nics, p["NetworkInterfaceQueueNumber"])
            if groups is not None:
                chosen = membership.groups_in_vpc(conn, where, vm.vpc_id, groups)
                membership.one_type(chosen, GROUP_TYPES)
        # -- every check passed: write (one transaction)
        if groups is not None:
            interfaces.set_groups(conn, where, primary.id, groups)
        if queues is not None:
            interfaces.update_interface(
                conn, where, primary.id, extra={attributes.QUEUE_NUMBER: queues}
            )
        if changes or extra:
            core.update_instance(conn, where, vm.id, current=vm, **changes, extra=extra)
    return {}

