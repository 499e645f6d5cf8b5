"""ECS 2014-05-26 instance attributes Terraform's alicloud_instance reads after every apply:
DescribeInstanceMaintenanceAttributes, ModifyInstanceMaintenanceAttributes and
DescribeInstanceAttachmentAttributes.

Maintenance attributes say what the vendor does when it must take the host of
an instance down: the action (``AutoRecover`` by default, or ``Stop``),
whether to notify first (``false`` by default) and the one daily window (none
by default; whole hours, UTC+8, 1 to 23 hours long). OpenECS never maintains
a host, so they are kept and shown, in the instance's ``extra``. No instance
has local disks, so ``AutoRedeploy`` (a failover that may lose local data) is
not among an instance's supported actions. No instance is in a private pool
(elasticity assurances and capacity reservations are not modelled): the
attachment attributes answer each instance with an empty pool id and criteria.
"""

from __future__ import annotations

from typing import Any

from openecs.core import instances as core
from openecs.faces.aliyun import common
from openecs.faces.aliyun.ecs.instances_describe import IDS_INVALID, MAX_IDS
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.paging import by_page_number
from openecs.faces.aliyun.vpc.vpcs import scope
from openecs.faces.call import Call
from openecs.faces.params import BOOLEAN, JSON, LIST, STRUCT, ErrorSpec, Param

DEFAULT_ACTION = "AutoRecover"
SUPPORTED_ACTIONS = ("Stop", "AutoRecover")  # AutoRedeploy needs local disks
ACTIONS = (*SUPPORTED_ACTIONS, "AutoRedeploy")
HOUR = r"([01][0-9]|2[0-3]):00:00"

ACTION_INVALID = ErrorSpec(
    "InvalidParameter", 'The specified parameter "ActionOnMaintenance" is not valid.'
)
ACTION_UNSUPPORTED = ErrorSpec(
    "InvalidParameter",
    'The specified parameter "ActionOnMaintenance" is not supported by the instance: '
    "AutoRedeploy needs local disks.",
)
WINDOW_INVALID = ErrorSpec(
    "InvalidParameter", 'The specified parameter "MaintenanceWindow" is not valid.'
)

INSTANCE_IDS = Param(
    "InstanceId", LIST, items=Param("item", max_length=64), max_items=MAX_IDS, doc="Up to 100."
)


# Each attribute is its own key of the instance's extra, so a change writes only what it names.
DEFAULTS = {
    "ActionOnMaintenance": DEFAULT_ACTION,
    "NotifyOnMaintenance": False,
    "MaintenanceWindows": [],
}


def maintenance(vm: core.Instance) -> dict[str, Any]:
    """The instance's maintenance attributes, the vendor's defaults where none were set."""
    return {name: vm.extra.get(name, default) for name, default in DEFAULTS.items()}


def _render(vm: core.Instance) -> dict[str, Any]:
    m = maintenance(vm)
    return {
        "InstanceId": vm.id,
        "NotifyOnMaintenance": m["NotifyOnMaintenance"],
        "MaintenanceWindows": {"MaintenanceWindow": m["MaintenanceWindows"]},
        "ActionOnMaintenance": {
            "Value": m["ActionOnMaintenance"],
            "DefaultValue": DEFAULT_ACTION,
            "SupportedValues": {"SupportedValue": list(SUPPORTED_ACTIONS)},
        },
    }


@operation(
    "Ecs",
    "DescribeInstanceMaintenanceAttributes",
    params=[common.REGION_ID, INSTANCE_IDS, common.page_number(), common.page_size(maximum=100)],
)
def describe_instance_maintenance_attributes(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """The maintenance attributes of the named instances (or of every instance), paged."""
    with call.db.read() as conn:
        found = core.list_instances(conn, scope(call, p["RegionId"]), ids=p.get("InstanceId"))
    page = by_page_number(found, p["PageNumber"], p["PageSize"])
    return {
        "MaintenanceAttributes": {"MaintenanceAttribute": [_render(vm) for vm in page.items]},
        **page.fields(),
    }


def _check_action(value: str) -> None:
    if value not in SUPPORTED_ACTIONS:
        ACTION_UNSUPPORTED.raise_("ActionOnMaintenance", value)


def _check_windows(windows: list[dict[str, Any]]) -> None:
    """Both ends, on the hour, 1 to 23 hours apart (a window may run past midnight)."""
    for w in windows:
        start, end = w.get("StartTime"), w.get("EndTime")
        if start is None or end is None or start == end:
            WINDOW_INVALID.raise_("MaintenanceWindow")


@operation(
    "Ecs",
    "ModifyInstanceMaintenanceAttributes",
    params=[
        common.REGION_ID,
        Param(
            "InstanceId",
            LIST,
            required=True,
            items=Param("item", max_length=64),
            max_items=MAX_IDS,
            doc="1 to 100 instances, changed all or none.",
        ),
        Param(
            "ActionOnMaintenance",
            enum=ACTIONS,
            invalid=ACTION_INVALID,
            check=_check_action,
            doc="Stop or AutoRecover (AutoRedeploy needs local disks, which no instance has).",
        ),
        Param("NotifyOnMaintenance", BOOLEAN),
        Param(
            "MaintenanceWindow",
            LIST,
            items=Param(
                "item",
                STRUCT,
                fields=(
                    Param("StartTime", pattern=HOUR, invalid=WINDOW_INVALID),
                    Param("EndTime", pattern=HOUR, invalid=WINDOW_INVALID),
                ),
            ),
            max_items=1,
            invalid=WINDOW_INVALID,
            check=_check_windows,
            doc="One window: HH:00:00 to HH:00:00 (UTC+8), 1 to 23 hours long.",
        ),
    ],
)
def modify_instance_maintenance_attributes(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Keep new maintenance attributes for each named instance (unknown ids refuse them all)."""
    where = scope(call, p["RegionId"])
    with call.db.write() as conn:
        for iid in dict.fromkeys(p["InstanceId"]):
            changes = {k: p[k] for k in ("ActionOnMaintenance", "NotifyOnMaintenance") if k in p}
            if "MaintenanceWindow" in p:
                changes["MaintenanceWindows"] = [
                    {"StartTime": w["StartTime"], "EndTime": w["EndTime"]}
                    for w in p["MaintenanceWindow"]
                ]
            core.update_instance(conn, where, iid, extra=changes)
    return {}


@operation(
    "Ecs",
    "DescribeInstanceAttachmentAttributes",
    params=[
        common.REGION_ID,
        Param(
            "InstanceIds",
            JSON,
            required=True,
            items=Param("item", max_length=64, invalid=IDS_INVALID),
            max_items=MAX_IDS,
            invalid=IDS_INVALID,
            doc=f"A JSON array of up to {MAX_IDS} ids.",
        ),
        common.page_number(),
        common.page_size(maximum=100),
    ],
)
def describe_instance_attachment_attributes(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Which private pool each instance uses: none, as no pool is modelled."""
    with call.db.read() as conn:
        found = core.list_instances(conn, scope(call, p["RegionId"]), ids=p["InstanceIds"])
    page = by_page_number(found, p["PageNumber"], p["PageSize"])
    return {
        "Instances": {
            "Instance": [
                {
                    "InstanceId": vm.id,
                    "PrivatePoolOptionsId": "",
                    "PrivatePoolOptionsMatchCriteria": "",
                }
                for vm in page.items
            ]
        },
        **page.fields(),
    }
